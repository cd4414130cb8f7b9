# The embedded two-stage setting: the paper's setting 3 (cross-framework) at
# CPU size, on the generated dataset. Teacher: Cascade R-CNN on the
# half-width ResNet-50, by default the committed converged one; student:
# Faster R-CNN on the half-width ResNet-18. Both FPNs give P2-P6 with 64
# channels. Methods add their losses on top, exactly as on the COCO
# settings.
_base_ = [
    '../../embedded/faster-rcnn_r18-mini_fpn_synthetic.py',
    './fpn_teacher_distill.py'
]

# the committed converged teacher (results/embedded-faster-rcnn/teacher)
teacher_ckpt = 'results/embedded-faster-rcnn/teacher/teacher.pth'

# As in the COCO setting, the student keeps its own initialisation: its RPN
# is the teacher's shape, but its RoI head (one stage, class-specific
# regression) is not, and its neck's lateral convs see the narrower
# backbone.
model = dict(
    _base_.two_stage_distill_model,
    architecture=_base_.model,
    teacher=_base_.teacher_model,
    teacher_ckpt=teacher_ckpt)
val_cfg = _base_.distill_val_cfg

# calibrated loss weights and the fast frozen teacher
# (fpn_teacher_distill.py)
default_hooks = _base_.embedded_distill_default_hooks
