_base_ = [
    '../_base_/retina_r50-mini_retina_r18-mini_synthetic.py',
    './_base_/fgd_fpn.py'
]

model = dict(
    distiller=dict(
        student_recorders=dict(gt=_base_.one_stage_gt_recorder),
        distill_losses=dict(
            loss_fgd=dict(
                _base_.fgd_loss, student_channels=64, teacher_channels=64)),
        loss_forward_mappings=_base_.fgd_forward_mappings))
