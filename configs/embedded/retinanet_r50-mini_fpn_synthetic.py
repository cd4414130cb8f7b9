# Teacher of the embedded benchmark: RetinaNet with a half-width ResNet-50,
# trained from scratch on the generated dataset.
_base_ = ['./_base_/synthetic_detection.py', './_base_/retinanet_mini.py']

model = _base_.teacher_model

# the teacher trains 6 epochs instead of 4, lr / 10 for the last one
train_cfg = dict(max_epochs=6, val_interval=6)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=6, milestones=[5])
]
