# Ablation (Tables II-IV): Ada-Mask off, i.e. MGD's random mask.
_base_ = ['./amd_fpn_cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic.py']

model = dict(
    distiller=dict(
        distill_losses=dict(loss_amd=_base_.amd_ablations.no_ada_mask)))
