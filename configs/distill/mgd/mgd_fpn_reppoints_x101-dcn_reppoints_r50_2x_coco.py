_base_ = [
    '../_base_/reppoints_x101-dcn_reppoints_r50_2x_coco.py',
    './_base_/mgd_fpn.py'
]

model = dict(
    distiller=dict(
        _base_.mgd_distiller,
        distill_losses=dict(loss_mgd=_base_.mgd_losses.one_stage)))
