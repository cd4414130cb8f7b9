# What every detector of the embedded benchmark is built from: 160 px
# images, half-width ResNets (the teachers' ResNet-50, the students'
# ResNet-18) giving C3-C5, and a 64-channel FPN over strides 8-128. The
# detector bases (retinanet_mini.py, reppoints_mini.py) put their heads on
# these; a teacher and its student share the neck's output width and the
# head, and differ in the backbone.
num_classes = 6
fpn_channels = 64

# (not `data_preprocessor`: mmengine's runner gives a top-level key of that
# name to the model it builds, here the distillation algorithm)
detector_data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=32)

resnet_mini = dict(
    type='ResNet',
    num_stages=4,
    out_indices=(1, 2, 3),
    frozen_stages=-1,
    norm_cfg=dict(type='BN', requires_grad=True),
    norm_eval=False,
    style='pytorch')
# ResNet-50 (bottleneck) at half width: C3-C5 have 256/512/1024 channels.
teacher_backbone = dict(resnet_mini, depth=50, base_channels=32)
teacher_fpn_in_channels = [256, 512, 1024]
# ResNet-18 (basic block) at half width: C3-C5 have 64/128/256 channels.
student_backbone = dict(resnet_mini, depth=18, base_channels=32)
student_fpn_in_channels = [64, 128, 256]

fpn = dict(
    type='FPN',
    out_channels=fpn_channels,
    start_level=0,
    add_extra_convs='on_input',
    num_outs=5)
fpn_strides = [8, 16, 32, 64, 128]
