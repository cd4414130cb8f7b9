"""See what AMD hides: attention, masks and features of one image.

The library side of ``scripts/visualize_masks.py``. For one image it runs the
teacher, the AMD-distilled student and the baseline student up to their
necks, then draws one row per FPN level with

* the image and its ground-truth boxes, with the level's grid;
* the teacher's spatial attention ``A`` (Eq 3), one logarithmic colour
  scale for all levels, diverging at ``phi``: red cells are the ones AMD
  hides (see :func:`attention_norm`);
* AMD's mask at ``phi`` (Eq 4);
* a random mask that hides exactly as many positions as AMD's (a uniformly
  random subset of the same size), and MGD's own random mask (each position
  hidden with probability ``lambda``, MMRazor's ``MGDConnector`` rule);
* the channel-mean ``|feature|`` of the teacher, the baseline student and
  the AMD student (Eq 2 for the teacher), one colour scale per level.

Modules, one concern each:

``models``  the distillation algorithm, the baseline detector, the masker
``data``    gt boxes (pycocotools), the test pipeline (mmdet's), a sample
``panels``  the arrays of one figure, per level (:class:`LevelPanels`)
``figure``  drawing them with matplotlib (:class:`MaskFigure`)
"""
from .data import Sample, build_test_pipeline, load_image, read_gt_boxes
from .figure import (COLUMNS, MaskFigure, attention_norm, draw_mask_figure,
                     visualize_sample)
from .models import (amd_masker, build_baseline, build_distill_model,
                     load_weights)
from .panels import (MGD_RATIO, LevelPanels, center_offset, compute_panels,
                     level_strides, neck_features)

__all__ = [
    'COLUMNS', 'LevelPanels', 'MGD_RATIO', 'MaskFigure', 'Sample',
    'amd_masker', 'attention_norm', 'build_baseline', 'build_distill_model',
    'build_test_pipeline', 'center_offset', 'compute_panels',
    'draw_mask_figure', 'level_strides', 'load_image', 'load_weights',
    'neck_features', 'read_gt_boxes', 'visualize_sample'
]
