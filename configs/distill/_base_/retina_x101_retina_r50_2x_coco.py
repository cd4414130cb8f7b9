# Setting 1 of the paper: RetinaNet X101-64x4d (41.0 mAP) -> RetinaNet R50,
# 2x schedule. The student starts from the teacher's neck and head.
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py', './fpn_teacher_distill.py'
]

teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_x101_64x4d_fpn_1x_coco/retinanet_x101_64x4d_fpn_1x_coco_20200130-366f5af1.pth'  # noqa: E501
student = _base_.model
student.neck.init_cfg = dict(
    type='Pretrained', prefix='neck.', checkpoint=teacher_ckpt)
student.bbox_head.init_cfg = dict(
    type='Pretrained', prefix='bbox_head.', checkpoint=teacher_ckpt)

model = dict(
    _base_.one_stage_distill_model,
    architecture=student,
    teacher=dict(
        cfg_path='mmdet::retinanet/retinanet_x101-64x4d_fpn_1x_coco.py',
        pretrained=False),
    teacher_ckpt=teacher_ckpt)
val_cfg = _base_.distill_val_cfg
optim_wrapper = _base_.distill_optim_wrapper
default_hooks = _base_.distill_default_hooks
