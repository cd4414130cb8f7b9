# Ablation (Tables II-IV): Ada-Mask off, i.e. MGD's random mask (two-stage
# ratio, set by the base config).
_base_ = ['./amd_fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py']

model = dict(
    distiller=dict(
        distill_losses=dict(loss_amd=_base_.amd_ablations.no_ada_mask)))
