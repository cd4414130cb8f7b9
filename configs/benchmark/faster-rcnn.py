# Setting 3 of the paper: Cascade Mask R-CNN X101-DCN -> Faster R-CNN R50 on
# COCO (box AP).
_base_ = ['./_base_/coco.py']

name = 'faster-rcnn'
title = ('Cascade Mask R-CNN X101-DCN -> Faster R-CNN R50, COCO 2017, 2x')
teacher = dict(label='teacher (Cascade Mask R-CNN X101-DCN)')
baseline = dict(
    label='baseline',
    config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py')
# configs/distill/<method>/<method>_fpn_<distill_pair>.py
distill_pair = 'cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco'
