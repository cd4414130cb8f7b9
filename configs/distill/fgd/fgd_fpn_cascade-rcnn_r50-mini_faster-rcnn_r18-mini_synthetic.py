_base_ = [
    '../_base_/cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic.py',
    './_base_/fgd_fpn.py'
]

model = dict(distiller=_base_.fgd_distillers.embedded_cascade)
