_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/pkd_fpn.py'
]

model = dict(distiller=_base_.pkd_distillers.embedded)
