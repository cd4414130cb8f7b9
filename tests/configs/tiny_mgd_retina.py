# MMRazor's stock MGD (ConfigurableDistiller + FpnTeacherDistill) between two
# tiny RetinaNets: exercises the distillation code path on a CPU. The MGD
# part is the COCO configs' (configs/distill/mgd/_base_/mgd_fpn.py).
_base_ = [
    './tiny_retina.py', '../../configs/distill/_base_/fpn_teacher_distill.py',
    '../../configs/distill/mgd/_base_/mgd_fpn.py'
]

model = dict(
    _scope_='mmrazor',
    _delete_=True,
    type='FpnTeacherDistill',
    architecture=_base_.model,
    teacher=_base_.model,
    distiller=dict(_base_.fpn_distiller, **_base_.mgd_distiller))
model['distiller']['connectors'] = {
    name: dict(connector, student_channels=16, teacher_channels=16)
    for name, connector in model['distiller']['connectors'].items()
}
