# A RetinaNet small enough to train for a few iterations on a CPU in tests.
# Data root comes from `--cfg-options` / the test fixture (a generated
# COCO-format folder with train/ and instances_train.json).
_base_ = ['../../configs/embedded/_base_/retinanet_mini.py']
default_scope = 'mmdet'

data_root = 'data/tiny_coco/'
metainfo = dict(classes=('square', 'disc'))
img_scale = (64, 64)

# the embedded benchmark's RetinaNet, shrunk further: 8-channel ResNet-18,
# a 16-channel FPN and one head conv, two classes
model = dict(
    _base_.student_model,
    backbone=dict(_base_.student_model.backbone, base_channels=8),
    neck=dict(_base_.student_model.neck, in_channels=[16, 32, 64],
              out_channels=16),
    bbox_head=dict(_base_.student_model.bbox_head, num_classes=2,
                   in_channels=16, feat_channels=16, stacked_convs=1),
    test_cfg=dict(_base_.student_model.test_cfg, nms_pre=100,
                  max_per_img=20))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='CocoDataset',
        data_root=data_root,
        metainfo=metainfo,
        ann_file='instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline))

train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=100)
# no validation and no test loop
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = []

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='gloo'))
log_processor = dict(type='LogProcessor', window_size=1, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
