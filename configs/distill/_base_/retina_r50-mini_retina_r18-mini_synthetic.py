# The embedded setting: the paper's RetinaNet setting at CPU size, on the
# generated dataset. Teacher: half-width ResNet-50 RetinaNet trained by
# `make demo` (or `mim train mmdet configs/embedded/retinanet_r50-mini_fpn_
# synthetic.py`); student: half-width ResNet-18 RetinaNet. Methods add their
# losses on top, exactly as on the COCO settings. The student starts from
# the teacher's head; the neck's lateral convs differ in input width, so the
# neck keeps its own initialisation.
_base_ = [
    '../../embedded/retinanet_r18-mini_fpn_synthetic.py',
    './fpn_teacher_distill.py'
]

teacher_ckpt = 'work_dirs/embedded/teacher.pth'

student = _base_.model
student.bbox_head.init_cfg = dict(
    type='Pretrained', prefix='bbox_head.', checkpoint=teacher_ckpt)

model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    architecture=student,
    teacher=_base_.teacher_model,
    teacher_ckpt=teacher_ckpt,
    distiller=_base_.fpn_distiller)

val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
