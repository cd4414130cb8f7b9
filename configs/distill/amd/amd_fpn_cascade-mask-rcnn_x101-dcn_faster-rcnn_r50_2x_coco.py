_base_ = [
    '../_base_/cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco.py',
    './_base_/amd_fpn.py'
]

# The random mask of the Ada-Mask ablation hides 45 % of the positions on
# two-stage detectors (MGD's ratio). The outer _delete_ replaces the base
# entry and is consumed by that merge; the inner one stays for the merge
# into loss_amd.
amd_ablations = dict(
    no_ada_mask=dict(
        _delete_=True,
        masker=dict(_delete_=True, type='RandomMasker', ratio=0.45)))
model = dict(distiller=_base_.amd_distillers.cascade)
