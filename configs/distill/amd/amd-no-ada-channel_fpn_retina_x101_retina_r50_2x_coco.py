# Ablation (Tables II-IV): Ada-Channel off, i.e. no SE channel clue.
_base_ = ['./amd_fpn_retina_x101_retina_r50_2x_coco.py']

model = dict(
    distiller=dict(
        distill_losses=dict(loss_amd=_base_.amd_ablations.no_ada_channel)))
