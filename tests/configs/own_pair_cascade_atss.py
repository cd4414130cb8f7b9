# A pair that is not in the repository, distilled as docs/own_detectors.md
# tells: two stock mmdet configs of different families, the teacher a
# Cascade R-CNN R50 (its config as it is, a checkpoint given by
# model.teacher_ckpt), the student an ATSS made small for a CPU, on the
# generated data (data_root given on the command line). MGD by default;
# the tests swap the distiller for the other methods.
_base_ = [
    'mmdet::atss/atss_r50_fpn_1x_coco.py',
    '../../configs/distill/_base_/fpn_teacher_distill.py',
    '../../configs/distill/mgd/_base_/mgd_fpn.py'
]
teacher_config = 'mmdet::cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py'

# The student: ATSS on a ResNet-18 (no pretrained download) with a
# 128-channel FPN. Its FPN must give the teacher's levels: the Cascade
# R-CNN's FPN reads C2-C5 and gives P2-P6 (strides 4-64), so the student's
# starts at C2 (start_level=0; the stock ATSS starts at C3) and its anchors
# take the same strides.
student = _base_.model
student.backbone.update(depth=18, init_cfg=None)
student.neck.update(
    in_channels=[64, 128, 256, 512], out_channels=128, start_level=0)
student.bbox_head.update(num_classes=6, in_channels=128, feat_channels=128)
student.bbox_head.anchor_generator.strides = [4, 8, 16, 32, 64]

model = dict(
    _base_.one_stage_distill_model,
    architecture=student,
    teacher=dict(cfg_path=teacher_config, pretrained=False),
    teacher_ckpt=None,  # the trained teacher's checkpoint
    distiller=dict(
        _base_.one_stage_distill_model.distiller,
        # the teacher's FPN has 256 channels: MGD aligns the student's 128
        # with a 1x1 conv per level
        **dict(_base_.mgd_distillers.retina,
               distill_losses=dict(
                   loss_mgd=dict(_base_.mgd_losses.retina,
                                 student_channels=128)))))
default_hooks = dict(
    _base_.distill_default_hooks,
    distill_balance=dict(type='mmrazor.DistillBalanceHook', target_ratio=1.0),
    logger=dict(type='LoggerHook', interval=1))

# the generated data at 160 px, two images per step, no evaluation
classes = ('disc', 'ring', 'triangle', 'cross', 'striped_square',
           'checker_square')
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(
        data_root='data/synthetic_coco/',
        ann_file='instances_train.json',
        data_prefix=dict(img='train/'),
        metainfo=dict(classes=classes),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', scale=(160, 160), keep_ratio=True),
            dict(type='PackDetInputs')
        ]))
train_cfg = dict(max_epochs=1, val_interval=1000)
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
