_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/mgd_fpn.py'
]

# Loss weights: the COCO values rescaled to the mini feature maps. The
# summed squared errors of AMD and MGD grow with C*H*W over the five levels:
# 256 channels x 22400 positions on COCO (1333x800) against 64 x 538 here
# (160x160), a factor of 166, so alpha = 2e-5 * 166 = 3.3e-3 keeps the
# balance between distillation and detection loss of the COCO configs.
model = dict(distiller=_base_.mgd_distiller)
model['distiller']['connectors'] = {
    name: dict(connector, student_channels=64, teacher_channels=64)
    for name, connector in model['distiller']['connectors'].items()
}
model['distiller']['distill_losses'] = {
    name: dict(loss, alpha_mgd=3.3e-3)
    for name, loss in model['distiller']['distill_losses'].items()
}
