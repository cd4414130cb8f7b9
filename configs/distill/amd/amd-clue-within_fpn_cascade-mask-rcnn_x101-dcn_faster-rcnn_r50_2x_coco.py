# Ablation (Table VI): the channel clue within the generation block.
_base_ = ['./amd_fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py']

model = dict(
    distiller=dict(
        distill_losses=dict(loss_amd=_base_.amd_ablations.clue_within)))
