# An embedded distillation config at test size: the method is the
# environment variable DISTILL_METHOD (amd, mgd or fgd; default amd); a few
# generated images (data_root given on the command line), no validation, the
# main process loads the data (its random generators are the ones
# RNGStateHook checkpoints), the distillation weights of the config at scale
# 1 (tests calibrate with default_hooks.distill_balance.* options), the
# teacher as it is (no fast_teacher), and
# tests/probe_hooks.py records losses and final weights per rank.
_base_ = [
    '../../configs/distill/{{$DISTILL_METHOD:amd}}/'
    '{{$DISTILL_METHOD:amd}}_fpn_retina_r50-mini_retina_r18-mini_synthetic.py'
]
custom_imports = dict(imports=['mmrazor_amd', 'probe_hooks'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='mmrazor.ProbeHook')]

model = dict(
    teacher_ckpt=None,
    architecture=dict(neck=dict(init_cfg=None), bbox_head=dict(init_cfg=None)))
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    batch_sampler=None)
max_epochs = 3
train_cfg = dict(max_epochs=max_epochs, val_interval=1000)
# no validation and no test loop
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[2], gamma=0.1)
]
default_hooks = dict(
    distill_balance=dict(_delete_=True, type='mmrazor.DistillBalanceHook'),
    fast_teacher=None,
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
