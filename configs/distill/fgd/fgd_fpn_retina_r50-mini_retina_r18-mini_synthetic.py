_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/fgd_fpn.py'
]

# Loss weights: the official RetinaNet values rescaled to the mini feature
# maps (64 channels and 538 positions over five levels here, against 256 and
# 22400 on COCO at 1333x800). The focal terms normalise over positions and
# grow with C (x4), the attention term grows with H*W (x42) and the global
# term with C*H*W (x166).
model = dict(
    distiller=dict(
        student_recorders=dict(gt=_base_.one_stage_gt_recorder),
        distill_losses=dict(
            loss_fgd=dict(
                _base_.fgd_loss,
                student_channels=64,
                teacher_channels=64,
                alpha_fgd=4e-3,
                beta_fgd=2e-3,
                gamma_fgd=2.1e-2,
                lambda_fgd=8.3e-4)),
        loss_forward_mappings=_base_.fgd_forward_mappings))
