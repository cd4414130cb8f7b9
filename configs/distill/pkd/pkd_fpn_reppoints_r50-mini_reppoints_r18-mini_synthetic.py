_base_ = [
    '../_base_/reppoints_r50-mini_reppoints_r18-mini_synthetic.py',
    './_base_/pkd_fpn.py'
]

model = dict(distiller=_base_.pkd_distillers.embedded)
