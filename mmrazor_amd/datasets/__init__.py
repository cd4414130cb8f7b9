"""Datasets shipped with mmrazor_amd.

:mod:`.synthetic` renders a deterministic COCO-format detection benchmark
(six shape/texture classes, clutter, occlusion, all COCO area bins) that
mmdet's stock ``CocoDataset`` and ``CocoMetric`` read directly.

The names below are imported lazily, so that
``python -m mmrazor_amd.datasets.synthetic`` does not import the module
twice.
"""
import importlib

__all__ = [
    'AREA_BINS', 'CLASSES', 'DEFAULT_IMAGE_SIZE', 'DEFAULT_NUM_TRAIN',
    'DEFAULT_NUM_VAL', 'GENERATOR_VERSION', 'area_bin', 'generate_dataset',
    'render_image'
]


def __getattr__(name):
    if name in __all__:
        return getattr(importlib.import_module('.synthetic', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__():
    return sorted(list(globals()) + __all__)
