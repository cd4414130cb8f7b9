# Shared by every distillation setting: the distiller skeleton that records
# the FPN outputs (a tuple of levels) of student and teacher. Methods (AMD,
# MGD, FGD) add their losses and forward mappings on top of it, so two methods
# on one setting differ only in those.
custom_imports = dict(imports=['mmrazor_amd'], allow_failed_imports=False)

fpn_distiller = dict(
    type='ConfigurableDistiller',
    student_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
    teacher_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')))

# Stop when model.teacher_ckpt does not fit the teacher's backbone and neck
# (MMRazor only logs it); keep the random generators in checkpoints so that
# --resume continues the run exactly.
custom_hooks = [
    dict(type='mmrazor.TeacherCheckpointHook'),
    dict(type='mmrazor.RNGStateHook'),
]

find_unused_parameters = True
