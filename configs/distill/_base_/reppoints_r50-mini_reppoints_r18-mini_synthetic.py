# The embedded RepPoints setting: the paper's setting 2 (RepPoints with GN
# neck and head) at CPU size, on the generated dataset. Teacher: RepPoints
# on the half-width ResNet-50, by default the committed converged one;
# student: RepPoints on the half-width ResNet-18.
# Methods add their losses on top, exactly as on the COCO settings.
_base_ = [
    '../../embedded/reppoints_r18-mini_fpn-gn_head-gn_synthetic.py',
    './fpn_teacher_distill.py'
]

# the committed converged teacher (results/embedded-reppoints/teacher)
teacher_ckpt = 'results/embedded-reppoints/teacher/teacher.pth'

# As in the paper's RepPoints setting, the student starts from the teacher's
# head and from what of its neck has the student's shapes (the FPN output
# convs and their GNs of P3-P5 and P7); the lateral convs and P6's conv see
# the narrower student backbone and keep their own initialisation.
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
