# Setting 3 of the paper (cross-framework): Cascade Mask R-CNN X101-32x4d
# with DCN (47.3 box mAP) -> Faster R-CNN R50, 2x schedule. The heads differ,
# so the student keeps its own initialisation.
_base_ = [
    'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
    './fpn_teacher_distill.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/dcn/cascade_mask_rcnn_x101_32x4d_fpn_dconv_c3-c5_1x_coco/cascade_mask_rcnn_x101_32x4d_fpn_dconv_c3-c5_1x_coco-e75f90c8.pth'  # noqa: E501

model = dict(
    _base_.two_stage_distill_model,
    architecture=_base_.model,
    teacher=dict(
        cfg_path='mmdet::dcn/'
        'cascade-mask-rcnn_x101-32x4d-dconv-c3-c5_fpn_1x_coco.py',
        pretrained=False),
    teacher_ckpt=teacher_ckpt)
val_cfg = _base_.distill_val_cfg
optim_wrapper = _base_.distill_optim_wrapper
default_hooks = _base_.distill_default_hooks
