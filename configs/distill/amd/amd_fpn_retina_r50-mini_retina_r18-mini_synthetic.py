_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/amd_fpn.py'
]

model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_amd=dict(
                _base_.amd_loss, student_channels=64, teacher_channels=64)),
        loss_forward_mappings=_base_.amd_forward_mappings))
