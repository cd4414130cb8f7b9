# RetinaNet at the embedded benchmark's size (mini_parts.py) with a
# two-conv head: the teacher on the half-width ResNet-50, the student on the
# half-width ResNet-18 (retinanet_*-mini_fpn_synthetic.py).
_base_ = ['./mini_parts.py']

retinanet_mini = dict(
    _scope_='mmdet',  # also when built inside an mmrazor algorithm
    type='RetinaNet',
    data_preprocessor=_base_.detector_data_preprocessor,
    backbone=_base_.student_backbone,
    neck=dict(_base_.fpn, in_channels=_base_.student_fpn_in_channels),
    bbox_head=dict(
        type='RetinaHead',
        num_classes=_base_.num_classes,
        in_channels=_base_.fpn_channels,
        stacked_convs=2,
        feat_channels=_base_.fpn_channels,
        anchor_generator=dict(
            type='AnchorGenerator',
            octave_base_scale=2,
            scales_per_octave=3,
            ratios=[0.5, 1.0, 2.0],
            strides=_base_.fpn_strides),
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

teacher_model = dict(
    retinanet_mini,
    backbone=_base_.teacher_backbone,
    neck=dict(_base_.fpn, in_channels=_base_.teacher_fpn_in_channels))
student_model = retinanet_mini
