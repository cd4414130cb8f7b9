# What every distillation setting shares, as variables that the setting
# bases (beside a detector config) put in place; mmengine forbids top-level
# keys that the detector config also defines, so `model`, `val_cfg` and
# `optim_wrapper` are set by the setting from these.
custom_imports = dict(imports=['mmrazor_amd'], allow_failed_imports=False)

# The algorithm around the setting's student (`architecture`) and teacher:
# the distiller records the FPN outputs (a tuple of levels) of both and, for
# FGD, the student's gt boxes: the inputs of its detector class's `loss`
# (argument 1, `batch_data_samples`). The setting picks the variant of its
# detector; the methods (AMD, MGD, FGD) add their losses and mappings.
fpn_recorder = dict(type='ModuleOutputs', source='neck')
one_stage_distill_model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            fpn=fpn_recorder,
            gt=dict(
                type='MethodInputs',
                source='mmdet.models.detectors.SingleStageDetector.loss')),
        teacher_recorders=dict(fpn=fpn_recorder)))
two_stage_distill_model = dict(
    one_stage_distill_model,
    distiller=dict(
        one_stage_distill_model['distiller'],
        student_recorders=dict(
            fpn=fpn_recorder,
            gt=dict(
                type='MethodInputs',
                source='mmdet.models.detectors.TwoStageDetector.loss'))))
distill_val_cfg = dict(
    _delete_=True, type='mmrazor.SingleTeacherDistillValLoop')
# MGD's gradient clipping, merged into the detector's optimizer wrapper
distill_optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))

# The distillation hooks, named in `default_hooks` (as mmdet names its
# `visualization` hook there), so that a run changes one by name whatever
# other hooks a config lists, e.g.
#   --cfg-options default_hooks.distill_balance.target_ratio=1.0
# `teacher_checkpoint` stops when model.teacher_ckpt does not fit the
# teacher's backbone and neck (MMRazor only logs it); `pair_check` stops
# before the first step when the student's and the teacher's recorded
# features cannot be paired (FPN levels, strides, channels without an align
# conv: docs/own_detectors.md); `rng_state` keeps the
# random generators in checkpoints so that --resume continues the run
# exactly; `distill_balance` logs the raw and weighted distillation losses
# against the detection loss, and with `target_ratio=1.0` calibrates the
# weights on the first iterations (docs/loss_balance.md); `scale=0.0` is
# the control. A setting base merges them into its detector's hooks with
# `default_hooks = _base_.distill_default_hooks` (mmengine forbids a key
# that two bases of one file both define).
distill_default_hooks = dict(
    teacher_checkpoint=dict(type='mmrazor.TeacherCheckpointHook'),
    pair_check=dict(type='mmrazor.DistillPairCheckHook'),
    rng_state=dict(type='mmrazor.RNGStateHook'),
    distill_balance=dict(type='mmrazor.DistillBalanceHook'))

# The embedded settings (generated data, teachers trained from scratch): the
# distillation losses grow with the energy of the teacher's features, which
# on these teachers depends on how long they trained (the unweighted AMD
# loss starts near 4.2e5 with a 6-epoch RetinaNet teacher, 7.2e4 with a
# converged one). No fixed weight fits both: the weights are calibrated so
# that the weighted distillation loss equals the detection loss over the
# first 50 iterations (docs/method.md, "Loss balance").
# On a CPU the frozen teacher's forward is about a third of a distilled
# step; with its norms folded into its convs and in channels-last memory
# format it runs faster and gives the same features up to float rounding
# (docs/cost.md); `default_hooks.fast_teacher=None` turns it off.
embedded_distill_default_hooks = dict(
    distill_default_hooks,
    distill_balance=dict(type='mmrazor.DistillBalanceHook', target_ratio=1.0),
    fast_teacher=dict(type='mmrazor.FastFrozenTeacherHook'))

find_unused_parameters = True
