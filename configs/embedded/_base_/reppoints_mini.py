# RepPoints (moment transform, nine points) at the embedded benchmark's
# size (mini_parts.py), with GN in the neck and the head as in the paper's
# setting 2 (mmdet's reppoints-moment_*_fpn-gn_head-gn configs) and a
# two-conv head like the embedded RetinaNet's: the teacher on the
# half-width ResNet-50, the student on the half-width ResNet-18
# (reppoints_*-mini_fpn-gn_head-gn_synthetic.py). The head's two deformable
# convs run on a CPU through mmrazor_amd's grid_sample path
# (docs/compatibility.md).
_base_ = ['./mini_parts.py']

# 32 groups, as in mmdet's configs: two channels per group at width 64
gn = dict(type='GN', num_groups=32, requires_grad=True)

reppoints_mini = dict(
    _scope_='mmdet',  # also when built inside an mmrazor algorithm
    type='RepPointsDetector',
    data_preprocessor=_base_.detector_data_preprocessor,
    backbone=_base_.student_backbone,
    neck=dict(
        _base_.fpn, in_channels=_base_.student_fpn_in_channels, norm_cfg=gn),
    bbox_head=dict(
        type='RepPointsHead',
        num_classes=_base_.num_classes,
        in_channels=_base_.fpn_channels,
        feat_channels=_base_.fpn_channels,
        point_feat_channels=_base_.fpn_channels,
        stacked_convs=2,
        num_points=9,
        gradient_mul=0.1,
        point_strides=_base_.fpn_strides,
        point_base_scale=4,
        norm_cfg=gn,
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox_init=dict(type='SmoothL1Loss', beta=0.11, loss_weight=0.5),
        loss_bbox_refine=dict(type='SmoothL1Loss', beta=0.11, loss_weight=1.0),
        transform_method='moment'),
    train_cfg=dict(
        init=dict(
            assigner=dict(type='PointAssigner', scale=4, pos_num=1),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        refine=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.4,
                min_pos_iou=0,
                ignore_iof_thr=-1),
            allowed_border=-1,
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        nms_pre=1000,
        min_bbox_size=0,
        score_thr=0.05,
        nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))

# The teacher's backbone has deformable convs in C3-C5, as the paper's
# teacher (mmdet's dconv-c3-c5): on 2 CPU cores they take a training step
# of the R50-mini from 0.26-0.28 s to 0.41-0.43 s (docs/benchmark.md,
# "RepPoints").
teacher_model = dict(
    reppoints_mini,
    backbone=dict(
        _base_.teacher_backbone,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True)),
    neck=dict(reppoints_mini['neck'],
              in_channels=_base_.teacher_fpn_in_channels))
student_model = reppoints_mini
