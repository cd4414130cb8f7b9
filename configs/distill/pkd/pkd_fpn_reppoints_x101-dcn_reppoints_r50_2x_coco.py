_base_ = [
    '../_base_/reppoints_x101-dcn_reppoints_r50_2x_coco.py',
    './_base_/pkd_fpn.py'
]

model = dict(distiller=_base_.pkd_distillers.reppoints)
