# AMD on the FPN levels recorded by the setting's `fpn` recorders: one
# AMDLoss holds, per level, the optional align conv, the generation block and
# the SE channel clue; masker and clue read the teacher feature, so all of it
# lives in the loss (configs/distill/amd/README.md, "Design").
amd_loss = dict(
    type='AMDLoss',
    student_channels=256,
    teacher_channels=256,
    num_levels=5,
    loss_weight=2e-5,  # alpha, one-stage (MGD's value)
    # hide the positions whose attention A exceeds phi (A averages 1); the
    # Ada-Mask ablation is MGD's dict(type='RandomMasker', ratio=0.65)
    masker=dict(type='AdaptiveMasker', phi=1.0, tau=0.5),
    # variant 'dense_x2' | 'dense_x1' | 'mbconv'; clue 'after' | 'within'
    generation=dict(
        type='GenerationBlock', variant='dense_x2', clue_position='after'),
    clue=dict(type='ChannelClue', ratio=16))  # None: Ada-Channel off

amd_distiller = dict(
    distill_losses=dict(loss_amd=amd_loss),
    loss_forward_mappings=dict(
        loss_amd=dict(
            preds_S=dict(from_student=True, recorder='fpn'),
            preds_T=dict(from_student=False, recorder='fpn'))))
# The loss of each setting: the one-stage COCO settings take the values
# above; Faster R-CNN takes MGD's alpha of two-stage detectors; the embedded
# settings have 64-channel FPNs (their DistillBalanceHook calibrates the
# weight; `embedded_cascade` is the two-stage one).
amd_losses = dict(
    retina=amd_loss,
    reppoints=amd_loss,
    cascade=dict(amd_loss, loss_weight=5e-7),
    embedded=dict(amd_loss, student_channels=64, teacher_channels=64),
    embedded_cascade=dict(
        amd_loss, student_channels=64, teacher_channels=64, loss_weight=5e-7))
amd_distillers = {
    kind: dict(amd_distiller, distill_losses=dict(loss_amd=loss))
    for kind, loss in amd_losses.items()
}

# The paper's ablations, as overrides of `loss_amd` (the ablation configs
# and the embedded benchmark take them from here).
amd_ablations = dict(
    # Tables II-IV: MGD's random mask instead of the adaptive one
    no_ada_mask=dict(
        masker=dict(_delete_=True, type='RandomMasker', ratio=0.65)),
    # Tables II-IV: no SE channel clue
    no_ada_channel=dict(clue=None),
    # Table V: generation block
    mbconv=dict(generation=dict(variant='mbconv')),
    dense_x1=dict(generation=dict(variant='dense_x1')),
    # Table VI: the clue between the two convs of the generation block
    clue_within=dict(generation=dict(clue_position='within')))
