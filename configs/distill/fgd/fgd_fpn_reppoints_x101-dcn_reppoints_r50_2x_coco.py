_base_ = [
    '../_base_/reppoints_x101-dcn_reppoints_r50_2x_coco.py',
    './_base_/fgd_fpn.py'
]

# Official FGD RepPoints hyper-parameters.
model = dict(
    distiller=dict(
        student_recorders=dict(gt=_base_.one_stage_gt_recorder),
        distill_losses=dict(
            loss_fgd=dict(
                _base_.fgd_loss,
                alpha_fgd=1.6e-3,
                beta_fgd=8e-4,
                gamma_fgd=8e-4,
                lambda_fgd=8e-6)),
        loss_forward_mappings=_base_.fgd_forward_mappings))
