# Setting 1 of the paper: RetinaNet X101-64x4d -> RetinaNet R50 on COCO.
_base_ = ['./_base_/coco.py']

name = 'retina'
title = 'RetinaNet X101-64x4d -> RetinaNet R50, COCO 2017, 2x'
teacher = dict(label='teacher (RetinaNet X101-64x4d)')
baseline = dict(
    label='baseline', config='mmdet::retinanet/retinanet_r50_fpn_2x_coco.py')
methods = dict(
    FGD='configs/distill/fgd/fgd_fpn_retina_x101_retina_r50_2x_coco.py',
    MGD='configs/distill/mgd/mgd_fpn_retina_x101_retina_r50_2x_coco.py',
    AMD='configs/distill/amd/amd_fpn_retina_x101_retina_r50_2x_coco.py')
