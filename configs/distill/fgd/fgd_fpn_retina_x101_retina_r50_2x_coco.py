_base_ = ['../_base_/retina_x101_retina_r50_2x_coco.py', './_base_/fgd_fpn.py']

model = dict(
    distiller=dict(
        student_recorders=dict(gt=_base_.one_stage_gt_recorder),
        distill_losses=dict(loss_fgd=_base_.fgd_loss),
        loss_forward_mappings=_base_.fgd_forward_mappings))
