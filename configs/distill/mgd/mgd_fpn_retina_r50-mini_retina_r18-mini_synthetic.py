_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/mgd_fpn.py'
]

model = dict(
    distiller=dict(
        _base_.mgd_distiller,
        distill_losses=dict(loss_mgd=_base_.mgd_losses.embedded)))
