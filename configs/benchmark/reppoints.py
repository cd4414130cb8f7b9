# Setting 2 of the paper: RepPoints X101-DCN -> RepPoints R50 on COCO.
_base_ = ['./_base_/coco.py']

name = 'reppoints'
title = 'RepPoints X101-DCN -> RepPoints R50, COCO 2017, 2x'
teacher = dict(label='teacher (RepPoints X101-DCN)')
baseline = dict(
    label='baseline',
    config='mmdet::reppoints/reppoints-moment_r50_fpn-gn_head-gn_2x_coco.py')
# configs/distill/<method>/<method>_fpn_<distill_pair>.py
distill_pair = 'reppoints_x101-dcn_reppoints_r50_2x_coco'
