# RetinaNet at the embedded benchmark's size: 160 px images, a 64-channel
# FPN over strides 8-128 and a two-conv head. Teacher and student share the
# neck's output width and the head, and differ in the backbone (see
# retinanet_*-mini_fpn_synthetic.py).
num_classes = 6
fpn_channels = 64

retinanet_mini = dict(
    _scope_='mmdet',  # also when built inside an mmrazor algorithm
    type='RetinaNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNet',
        num_stages=4,
        out_indices=(1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    neck=dict(
        type='FPN',
        out_channels=fpn_channels,
        start_level=0,
        add_extra_convs='on_input',
        num_outs=5),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=num_classes,
        in_channels=fpn_channels,
        stacked_convs=2,
        feat_channels=fpn_channels,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=2,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=[8, 16, 32, 64, 128]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.4,
            min_pos_iou=0,
            ignore_iof_thr=-1),
        sampler=dict(type='PseudoSampler'),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))

# ResNet-50 (bottleneck) at half width: C3-C5 have 256/512/1024 channels.
teacher_model = dict(
    retinanet_mini,
    backbone=dict(retinanet_mini['backbone'], depth=50, base_channels=32),
    neck=dict(retinanet_mini['neck'], in_channels=[256, 512, 1024]))
# ResNet-18 (basic block) at half width: C3-C5 have 64/128/256 channels.
student_model = dict(
    retinanet_mini,
    backbone=dict(retinanet_mini['backbone'], depth=18, base_channels=32),
    neck=dict(retinanet_mini['neck'], in_channels=[64, 128, 256]))
