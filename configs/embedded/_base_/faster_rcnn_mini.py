# The two-stage pair at the embedded benchmark's size (mini_parts.py), the
# paper's setting 3 without its mask head: the teacher a Cascade R-CNN on
# the half-width ResNet-50, the student a Faster R-CNN on the half-width
# ResNet-18 (cascade-rcnn_r50-mini_fpn_synthetic.py,
# faster-rcnn_r18-mini_fpn_synthetic.py). As in mmdet's two-stage configs
# the FPN reads C2-C5 and gives P2-P6 (strides 4-64, P6 by max pooling).
# The generated data has boxes and no instance masks, so the teacher has no
# mask branch (docs/benchmark.md, "Two-stage").
_base_ = ['./mini_parts.py']

# On a CPU the cost of a two-stage step is in the RoI head (RoIAlign over
# every sampled RoI): these three numbers set it (docs/benchmark.md,
# "Two-stage"; scripts/benchmark_two_stage.py times them). mmdet's
# defaults: 512 RoIs per image, 2000 (Faster: 1000) proposals kept of the
# 2000 best per level before NMS in training, 1000 in test; here the RPN
# keeps the 1000 best per level before NMS.
rois_per_image = 128
train_proposals = 300
test_proposals = 300
fc_channels = 256
two_stage_strides = [4, 8, 16, 32, 64]

# C2-C5 of the half-width ResNets (C2: 128 and 32 channels)
two_stage_teacher_backbone = dict(
    _base_.teacher_backbone, out_indices=(0, 1, 2, 3))
two_stage_student_backbone = dict(
    _base_.student_backbone, out_indices=(0, 1, 2, 3))
two_stage_fpn = dict(
    type='FPN', out_channels=_base_.fpn_channels, num_outs=5)

# RPN anchors at half mmdet's scale (16-256 px over P2-P6), as the embedded
# RetinaNet's: the 160 px images hold objects from about 8 px across
rpn_head = dict(
    type='RPNHead',
    in_channels=_base_.fpn_channels,
    feat_channels=_base_.fpn_channels,
    anchor_generator=dict(
        type='AnchorGenerator',
        scales=[4],
        ratios=[0.5, 1.0, 2.0],
        strides=two_stage_strides),
    bbox_coder=dict(
        type='DeltaXYWHBBoxCoder',
        target_means=[.0, .0, .0, .0],
        target_stds=[1.0, 1.0, 1.0, 1.0]),
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    loss_bbox=dict(type='L1Loss', loss_weight=1.0))
# RoIs go to P2-P5 by size as in mmdet, at half its scale with the
# anchors: below 56 px to P2, 56-112 to P3, 112-224 to P4 (mmdet's
# finest_scale=56 would send every RoI of a 160 px image below 112 px to P2)
roi_extractor = dict(
    type='SingleRoIExtractor',
    roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
    out_channels=_base_.fpn_channels,
    featmap_strides=two_stage_strides[:4],
    finest_scale=28)

# a Shared2FC box head; Faster R-CNN has one, Cascade R-CNN one per stage
# with its own target_stds
box_head = dict(
    type='Shared2FCBBoxHead',
    in_channels=_base_.fpn_channels,
    fc_out_channels=fc_channels,
    roi_feat_size=7,
    num_classes=_base_.num_classes,
    bbox_coder=dict(
        type='DeltaXYWHBBoxCoder',
        target_means=[0., 0., 0., 0.],
        target_stds=[0.1, 0.1, 0.2, 0.2]),
    reg_class_agnostic=False,
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    loss_bbox=dict(type='L1Loss', loss_weight=1.0))
rpn_train_cfg = dict(
    assigner=dict(
        type='MaxIoUAssigner',
        pos_iou_thr=0.7,
        neg_iou_thr=0.3,
        min_pos_iou=0.3,
        match_low_quality=True,
        ignore_iof_thr=-1),
    sampler=dict(
        type='RandomSampler',
        num=256,
        pos_fraction=0.5,
        neg_pos_ub=-1,
        add_gt_as_proposals=False),
    allowed_border=-1,
    pos_weight=-1,
    debug=False)
rpn_proposal = dict(
    nms_pre=1000,
    max_per_img=train_proposals,
    nms=dict(type='nms', iou_threshold=0.7),
    min_bbox_size=0)

# the RoI sampler of each stage (Faster R-CNN: the first), IoU 0.5/0.6/0.7
rcnn_train_cfgs = [
    dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=iou,
            neg_iou_thr=iou,
            min_pos_iou=iou,
            match_low_quality=False,
            ignore_iof_thr=-1),
        sampler=dict(
            type='RandomSampler',
            num=rois_per_image,
            pos_fraction=0.25,
            neg_pos_ub=-1,
            add_gt_as_proposals=True),
        pos_weight=-1,
        debug=False) for iou in (0.5, 0.6, 0.7)
]
two_stage_test_cfg = dict(
    rpn=dict(
        nms_pre=1000,
        max_per_img=test_proposals,
        nms=dict(type='nms', iou_threshold=0.7),
        min_bbox_size=0),
    rcnn=dict(
        score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
        max_per_img=100))

student_model = dict(
    _scope_='mmdet',  # also when built inside an mmrazor algorithm
    type='FasterRCNN',
    data_preprocessor=_base_.detector_data_preprocessor,
    backbone=two_stage_student_backbone,
    neck=dict(
        two_stage_fpn, in_channels=[32] + _base_.student_fpn_in_channels),
    rpn_head=rpn_head,
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=roi_extractor,
        bbox_head=box_head),
    train_cfg=dict(
        rpn=rpn_train_cfg, rpn_proposal=rpn_proposal,
        rcnn=rcnn_train_cfgs[0]),
    test_cfg=two_stage_test_cfg)

# mmdet's Cascade R-CNN heads: class-agnostic regression, tighter target
# stds per stage, smooth L1, stage weights 1, 0.5, 0.25. Its RPN and RPN
# training are the student's (mmdet's Faster R-CNN ones: L1 loss, anchors
# across the border allowed; mmdet's Cascade R-CNN has smooth L1 and
# allowed_border=0).
teacher_model = dict(
    student_model,
    type='CascadeRCNN',
    backbone=two_stage_teacher_backbone,
    neck=dict(
        two_stage_fpn, in_channels=[128] + _base_.teacher_fpn_in_channels),
    roi_head=dict(
        type='CascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=roi_extractor,
        bbox_head=[
            dict(
                box_head,
                bbox_coder=dict(box_head['bbox_coder'], target_stds=stds),
                reg_class_agnostic=True,
                loss_bbox=dict(type='SmoothL1Loss', beta=1.0,
                               loss_weight=1.0))
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                         [0.033, 0.033, 0.067, 0.067])
        ]),
    train_cfg=dict(
        rpn=rpn_train_cfg, rpn_proposal=rpn_proposal,
        rcnn=rcnn_train_cfgs))
