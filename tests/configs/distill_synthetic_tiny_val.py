# tests/configs/distill_synthetic_tiny.py with the in-training validation of
# the distillation configs switched back on: MMRazor's
# SingleTeacherDistillValLoop (student, then teacher) on the `val/` split of
# the generated dataset (instances_val.json), scored by mmdet's CocoMetric,
# every epoch. The data root is given on the command line
# (val_dataloader.dataset.data_root and val_evaluator.ann_file), as for the
# training split. (`_delete_`: the tiny config sets these keys to None.)
_base_ = ['./distill_synthetic_tiny.py']

# the items of the embedded configs' CocoMetric
metric_items = [
    'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100',
    'AR_s@1000', 'AR_m@1000', 'AR_l@1000'
]
train_cfg = dict(max_epochs=2, val_interval=1)
val_cfg = dict(_delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
val_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CocoDataset',
        data_root='data/synthetic_coco/',
        metainfo=dict(classes=_base_.classes),
        ann_file='instances_val.json',
        data_prefix=dict(img='val/'),
        test_mode=True,
        pipeline=_base_.test_pipeline))
val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file='data/synthetic_coco/instances_val.json',
    metric='bbox',
    metric_items=metric_items,
    format_only=False)
