# Ablation (Tables II-IV): Ada-Channel off, i.e. no SE channel clue.
_base_ = ['./amd_fpn_cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic.py']

model = dict(
    distiller=dict(
        distill_losses=dict(loss_amd=_base_.amd_ablations.no_ada_channel)))
