_base_ = [
    '../_base_/reppoints_r50-mini_reppoints_r18-mini_synthetic.py',
    './_base_/fgd_fpn.py'
]

model = dict(distiller=_base_.fgd_distillers.embedded)
