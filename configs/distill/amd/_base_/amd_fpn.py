# AMD on the FPN levels recorded by the setting's `fpn` recorders: one
# AMDLoss holds, per level, the optional align conv, the generation block and
# the SE channel clue; masker and clue read the teacher feature, so all of it
# lives in the loss (see configs/distill/amd/README.md, "Design").
amd_loss = dict(
    type='AMDLoss',
    student_channels=256,
    teacher_channels=256,
    num_levels=5,
    loss_weight=2e-5,  # alpha, one-stage (MGD's value)
    ada_mask=True,  # False: MGD's random mask with ratio `mask_ratio`
    phi=1.0,  # hide positions whose attention A exceeds phi (mean of A is 1)
    tau=0.5,
    mask_ratio=0.65,
    ada_channel=True,  # False: no SE channel clue
    se_ratio=16,
    generation='dense_x2',  # or 'dense_x1', 'mbconv'
    clue_position='after')  # or 'within' (dense_x2 only)

amd_forward_mappings = dict(
    loss_amd=dict(
        preds_S=dict(from_student=True, recorder='fpn'),
        preds_T=dict(from_student=False, recorder='fpn')))
