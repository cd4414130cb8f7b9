# Setting 1 of the paper: RetinaNet X101-64x4d -> RetinaNet R50 on COCO.
_base_ = ['./_base_/coco.py']

name = 'retina'
title = 'RetinaNet X101-64x4d -> RetinaNet R50, COCO 2017, 2x'
teacher = dict(label='teacher (RetinaNet X101-64x4d)')
baseline = dict(
    label='baseline', config='mmdet::retinanet/retinanet_r50_fpn_2x_coco.py')
# configs/distill/<method>/<method>_fpn_<distill_pair>.py
distill_pair = 'retina_x101_retina_r50_2x_coco'
