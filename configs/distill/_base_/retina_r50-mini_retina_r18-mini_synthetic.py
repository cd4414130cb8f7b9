# The embedded setting: the paper's RetinaNet setting at CPU size, on the
# generated dataset. Teacher: half-width ResNet-50 RetinaNet, by default the
# committed converged one (a benchmark setting that trains its own points
# the runs at work_dirs/NAME/teacher.pth); student: half-width ResNet-18
# RetinaNet.
# Methods add their losses on top, exactly as on the COCO settings.
_base_ = [
    '../../embedded/retinanet_r18-mini_fpn_synthetic.py',
    './fpn_teacher_distill.py'
]

# the committed converged teacher (results/embedded-long/teacher)
teacher_ckpt = 'results/embedded-long/teacher/teacher.pth'

# As on COCO, the student starts from the teacher's head and from what of
# its neck has the student's shapes: the FPN output convs of P3-P5 and P7.
# The lateral convs (and P6's conv, which reads C5) see the narrower
# student backbone; mmengine loads the rest and lists those as size
# mismatches.
student = _base_.model
student.neck.init_cfg = dict(
    type='Pretrained', prefix='neck.', checkpoint=teacher_ckpt)
student.bbox_head.init_cfg = dict(
    type='Pretrained', prefix='bbox_head.', checkpoint=teacher_ckpt)

model = dict(
    _base_.one_stage_distill_model,
    architecture=student,
    teacher=_base_.teacher_model,
    teacher_ckpt=teacher_ckpt)
val_cfg = _base_.distill_val_cfg

# calibrated loss weights and the fast frozen teacher
# (fpn_teacher_distill.py)
default_hooks = _base_.embedded_distill_default_hooks
