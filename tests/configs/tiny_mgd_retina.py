# MMRazor's stock MGD (ConfigurableDistiller + FpnTeacherDistill) between two
# tiny RetinaNets: exercises the distillation code path on a CPU.
_base_ = ['./tiny_retina.py']

student = _base_.model
teacher = _base_.model
num_levels = 5

model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    architecture=student,
    teacher=teacher,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        teacher_recorders=dict(fpn=dict(type='ModuleOutputs', source='neck')),
        connectors={
            f's_fpn{i}_connector': dict(
                type='MGDConnector',
                student_channels=16,
                teacher_channels=16,
                lambda_mgd=0.65)
            for i in range(num_levels)
        },
        distill_losses={
            f'loss_mgd_fpn{i}': dict(type='MGDLoss', alpha_mgd=2e-5)
            for i in range(num_levels)
        },
        loss_forward_mappings={
            f'loss_mgd_fpn{i}': dict(
                preds_S=dict(
                    from_student=True,
                    recorder='fpn',
                    data_idx=i,
                    connector=f's_fpn{i}_connector'),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(num_levels)
        }))
find_unused_parameters = True
