_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/fgd_fpn.py'
]

model = dict(distiller=_base_.fgd_distillers.embedded)
