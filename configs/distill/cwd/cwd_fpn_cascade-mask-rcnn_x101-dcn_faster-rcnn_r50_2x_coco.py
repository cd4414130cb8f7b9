_base_ = [
    '../_base_/cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',
    './_base_/cwd_fpn.py'
]

model = dict(distiller=_base_.cwd_distillers.cascade)
