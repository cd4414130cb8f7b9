# Teacher of the embedded benchmark: RetinaNet with a half-width ResNet-50,
# trained from scratch on the generated dataset.
_base_ = ['./_base_/synthetic_detection.py', './_base_/retinanet_mini.py']

model = _base_.teacher_model

# the teacher trains 6 epochs instead of 4
max_epochs = 6
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=200),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[max_epochs - 1],
        gamma=0.1)
]
