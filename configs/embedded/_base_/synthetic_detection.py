# The embedded benchmark's data, evaluation and schedule: the generated
# COCO-format dataset (python scripts/generate_data.py), read by
# mmdet's stock CocoDataset and scored by its stock CocoMetric.
_base_ = ['mmdet::_base_/default_runtime.py']

data_root = 'data/synthetic_coco/'
classes = ('disc', 'ring', 'triangle', 'cross', 'striped_square',
           'checker_square')
image_size = (160, 160)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
coco_dataset = dict(
    type='CocoDataset', data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        coco_dataset,
        ann_file='instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=False, min_size=1),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=1, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        coco_dataset, ann_file='instances_val.json',
        data_prefix=dict(img='val/'), test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# mAP, AP50, AP75, AP_S/M/L and AR@100 with AR_S/M/L. The detectors keep at
# most 100 boxes per image, so mmdet's `AR_*@1000` items equal AR at 100.
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'instances_val.json',
    metric='bbox',
    metric_items=[
        'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100',
        'AR_s@1000', 'AR_m@1000', 'AR_l@1000'
    ],
    format_only=False)
test_evaluator = val_evaluator

# A short schedule sized for a 2-core CPU (docs/benchmark.md, "Regimes"):
# 250 iterations per epoch at batch 8, the lr divided by 10 for the last
# epoch. The teacher trains longer (its config).
max_epochs = 4
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
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
# AdamW instead of the COCO configs' SGD: trained from scratch for a few
# epochs, the student reached 13.2 mAP with AdamW (lr 1e-3, wd 0.05) against
# 4.2 with SGD (lr 0.02, momentum 0.9), same 4 epochs. Gradient clipping as on
# COCO.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=35, norm_type=2))

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    # mmengine deletes the oldest checkpoint *before* writing the new one:
    # keeping 2 means the previous one survives a failed write (disk full)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(window_size=20)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=8)
