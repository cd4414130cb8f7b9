_base_ = [
    '../_base_/cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',
    './_base_/mgd_fpn.py'
]

# MGD's two-stage values: alpha 5e-7, mask ratio 0.45.
model = dict(distiller=_base_.mgd_distiller)
model['distiller']['connectors'] = {
    name: dict(connector, lambda_mgd=0.45)
    for name, connector in model['distiller']['connectors'].items()
}
model['distiller']['distill_losses'] = {
    name: dict(loss, alpha_mgd=5e-7)
    for name, loss in model['distiller']['distill_losses'].items()
}
