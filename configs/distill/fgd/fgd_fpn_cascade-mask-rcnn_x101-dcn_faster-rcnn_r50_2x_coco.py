_base_ = [
    '../_base_/cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',
    './_base_/fgd_fpn.py'
]

# Official FGD Cascade Mask R-CNN -> Faster R-CNN hyper-parameters.
model = dict(
    distiller=dict(
        student_recorders=dict(gt=_base_.two_stage_gt_recorder),
        distill_losses=dict(
            loss_fgd=dict(
                _base_.fgd_loss,
                alpha_fgd=5e-5,
                beta_fgd=2.5e-5,
                gamma_fgd=5e-5,
                lambda_fgd=5e-7)),
        loss_forward_mappings=_base_.fgd_forward_mappings))
