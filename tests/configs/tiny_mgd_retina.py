# MMRazor's stock MGD set-up (ConfigurableDistiller + FpnTeacherDistill, one
# MGDConnector and one MGDLoss per FPN level, as MMRazor's own MGD configs
# write it) between two tiny RetinaNets: exercises MMRazor's distillation
# code path on a CPU. The project's configs hold the same stock modules in
# one MultiLevelMGDLoss (tests/test_multi_level_mgd.py).
_base_ = [
    './tiny_retina.py', '../../configs/distill/_base_/fpn_teacher_distill.py'
]

model = dict(
    _base_.one_stage_distill_model,
    architecture=_base_.model,
    teacher=_base_.model,
    distiller=dict(
        _base_.one_stage_distill_model['distiller'],
        connectors={
            f's_fpn{i}_connector': dict(
                type='MGDConnector', student_channels=16,
                teacher_channels=16, lambda_mgd=0.65)
            for i in range(5)
        },
        distill_losses={
            f'loss_mgd_fpn{i}': dict(type='MGDLoss', alpha_mgd=2e-5)
            for i in range(5)
        },
        loss_forward_mappings={
            f'loss_mgd_fpn{i}': dict(
                preds_S=dict(from_student=True, recorder='fpn', data_idx=i,
                             connector=f's_fpn{i}_connector'),
                preds_T=dict(from_student=False, recorder='fpn', data_idx=i))
            for i in range(5)
        }))
