_base_ = [
    '../_base_/cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',
    './_base_/amd_fpn.py'
]

# Two-stage values: alpha 5e-7 and, for the random-mask ablation, MGD's
# Faster R-CNN ratio 0.45.
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_amd=dict(_base_.amd_loss, loss_weight=5e-7, mask_ratio=0.45)),
        loss_forward_mappings=_base_.amd_forward_mappings))
