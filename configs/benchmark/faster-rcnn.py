# Setting 3 of the paper: Cascade Mask R-CNN X101-DCN -> Faster R-CNN R50 on
# COCO (box AP).
_base_ = ['./_base_/coco.py']

name = 'faster-rcnn'
title = ('Cascade Mask R-CNN X101-DCN -> Faster R-CNN R50, COCO 2017, 2x')
teacher = dict(label='teacher (Cascade Mask R-CNN X101-DCN)')
baseline = dict(
    label='baseline',
    config='mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py')
methods = dict(
    FGD='configs/distill/fgd/fgd_fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',  # noqa: E501
    MGD='configs/distill/mgd/mgd_fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',  # noqa: E501
    AMD='configs/distill/amd/amd_fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py')  # noqa: E501
