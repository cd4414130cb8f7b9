_base_ = [
    '../_base_/reppoints_x101-dcn_reppoints_r50_2x_coco.py',
    './_base_/amd_fpn.py'
]

model = dict(
    distiller=dict(
        _base_.amd_distiller,
        distill_losses=dict(loss_amd=_base_.amd_losses.one_stage)))
