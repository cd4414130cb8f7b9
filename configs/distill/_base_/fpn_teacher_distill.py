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

# Stop when model.teacher_ckpt does not fit the teacher's backbone and neck
# (MMRazor only logs it); keep the random generators in checkpoints so that
# --resume continues the run exactly.
distill_hooks = [
    dict(type='mmrazor.TeacherCheckpointHook'),
    dict(type='mmrazor.RNGStateHook'),
]
# Log the raw and weighted distillation losses against the detection loss;
# `target_ratio=1.0` would calibrate the weights on the first iterations
# (docs/method.md, "Loss balance").
custom_hooks = distill_hooks + [dict(type='mmrazor.DistillBalanceHook')]

find_unused_parameters = True
