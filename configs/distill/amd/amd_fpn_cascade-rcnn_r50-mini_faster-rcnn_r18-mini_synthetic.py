_base_ = [
    '../_base_/cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic.py',
    './_base_/amd_fpn.py'
]

# The Ada-Mask ablation's random mask hides 45 % of the positions on
# two-stage detectors (MGD's ratio), as in the COCO two-stage setting.
amd_ablations = dict(
    no_ada_mask=dict(
        _delete_=True,
        masker=dict(_delete_=True, type='RandomMasker', ratio=0.45)))
model = dict(distiller=_base_.amd_distillers.embedded_cascade)
