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
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    architecture=student,
    teacher=dict(
        cfg_path='mmdet::retinanet/retinanet_x101-64x4d_fpn_1x_coco.py',
        pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.fpn_distiller)

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
