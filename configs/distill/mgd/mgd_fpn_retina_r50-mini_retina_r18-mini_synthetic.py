_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/mgd_fpn.py'
]

model = dict(distiller=_base_.mgd_distiller)
model['distiller']['connectors'] = {
    name: dict(connector, student_channels=64, teacher_channels=64)
    for name, connector in model['distiller']['connectors'].items()
}
