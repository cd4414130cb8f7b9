"""Constants of the synthetic benchmark and the scene parameters.

:class:`SceneParams` holds every knob of the rendered content; its defaults
give the benchmark the project was evaluated on. The dataset-level
arguments (image counts, image size, seed) are arguments of
:func:`~mmrazor_amd_bench.datagen.generate_dataset`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, Mapping, Tuple, Union

__all__ = [
    'AREA_BINS', 'CLASSES', 'DEFAULT_IMAGE_SIZE', 'DEFAULT_NUM_HOLDOUT',
    'DEFAULT_NUM_TRAIN', 'DEFAULT_NUM_VAL', 'GENERATOR_VERSION', 'SceneParams',
    'area_bin'
]

#: Bump whenever the rendered content of the default parameters changes;
#: cached datasets with an older version are regenerated.
GENERATOR_VERSION = 1

#: Class names in category-id order (``category_id = index + 1``).
CLASSES: Tuple[str, ...] = ('disc', 'ring', 'triangle', 'cross',
                            'striped_square', 'checker_square')

#: COCO area bins (lower bound inclusive, upper bound exclusive), box areas.
AREA_BINS: Tuple[Tuple[str, float, float], ...] = (
    ('small', 0.0, 32.0**2),
    ('medium', 32.0**2, 96.0**2),
    ('large', 96.0**2, math.inf),
)

DEFAULT_NUM_TRAIN = 2000
DEFAULT_NUM_HOLDOUT = 400
DEFAULT_NUM_VAL = 500
DEFAULT_IMAGE_SIZE = 160


def area_bin(area: float) -> str:
    """Return the name of the COCO area bin of ``area``: 'small', 'medium'
    or 'large'."""
    for name, lo, hi in AREA_BINS:
        if lo <= area < hi:
            return name
    raise ValueError(f'invalid area {area}')


@dataclass(frozen=True)
class SceneParams:
    """What one rendered image contains. Ranges are ``(low, high)``;
    integer ranges include both ends."""

    # probability of an image without objects
    p_empty: float = 0.05
    # otherwise 1..max_objects objects are attempted
    max_objects: int = 8
    # probability of drawing an object's size from the small, medium and
    # large COCO bin; large objects lose area more often (truncation)
    bin_probs: Tuple[float, float, float] = (0.40, 0.38, 0.22)
    # target sqrt(box area) in px of a small object (log-uniform inside)
    side_small: Tuple[float, float] = (11.0, 31.0)
    # the same for a medium object
    side_medium: Tuple[float, float] = (33.0, 94.0)
    # the same for a large object
    side_large: Tuple[float, float] = (98.0, 150.0)
    # medium objects are at most this fraction of the image side
    max_medium_frac: float = 0.6
    # large objects are at most this fraction of the image side
    max_large_frac: float = 0.94
    # std of the noise on log(side) that orders objects back to front
    depth_jitter: float = 0.6
    # occluded objects keep at least this fraction of their pixels
    min_visible: float = 0.40
    # truncated objects keep at least this fraction inside the image
    min_inside: float = 0.55
    # at most this fraction of the box width/height beyond a border
    max_offside: float = 0.30
    # placements tried per object before it is dropped
    place_tries: int = 12
    # clipped boxes thinner than this (px) are rejected
    min_box_side: float = 2.0
    # wanted RGB distance of object colour to the background under it
    min_contrast: float = 60.0
    # colours drawn per object to reach min_contrast (best one kept)
    colour_tries: int = 6
    # number of distractor shapes under the objects
    distractors: Tuple[int, int] = (2, 6)
    # number of thin distractors (arcs, scribbles) over the objects
    top_distractors: Tuple[int, int] = (0, 2)
    # probability of a slight Gaussian blur of the finished image
    p_blur: float = 0.3
    # sigma range of that blur in px
    blur_sigma: Tuple[float, float] = (0.4, 0.8)
    # contrast factor range applied around grey level 128
    contrast: Tuple[float, float] = (0.8, 1.15)
    # brightness shift drawn from [-brightness, brightness]
    brightness: float = 15.0
    # std range of the Gaussian pixel noise
    noise_std: Tuple[float, float] = (2.0, 6.0)

    def __post_init__(self):
        """Turn lists (e.g. read from json) into tuples and validate."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):  # e.g. from json
                object.__setattr__(self, f.name, tuple(value))
        self._validate()

    def _validate(self) -> None:
        """Raise ValueError when a field is out of its range."""
        ranges = ('side_small', 'side_medium', 'side_large', 'distractors',
                  'top_distractors', 'blur_sigma', 'contrast', 'noise_std')
        for name in ranges:
            value = getattr(self, name)
            if len(value) != 2 or not 0 <= value[0] <= value[1]:
                raise ValueError(f'{name} must be (low, high) with '
                                 f'0 <= low <= high, got {value}')
        for name in ('p_empty', 'min_visible', 'min_inside', 'p_blur'):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f'{name} must be in [0, 1]')
        if len(self.bin_probs) != 3 or min(self.bin_probs) < 0 or \
                sum(self.bin_probs) <= 0:
            raise ValueError('bin_probs must be 3 weights >= 0, not all 0')
        if min(self.max_objects, self.place_tries, self.colour_tries) < 1:
            raise ValueError(
                'max_objects, place_tries and colour_tries must be >= 1 '
                '(use p_empty=1 for images without objects)')
        if min(self.side_small[0], self.side_medium[0],
               self.side_large[0]) <= 0:
            raise ValueError('object sides must be > 0')
        if min(self.max_medium_frac, self.max_large_frac) <= 0 or \
                self.brightness < 0:
            raise ValueError('max_medium_frac and max_large_frac must be > 0 '
                             'and brightness >= 0')

    def overrides(self) -> Dict[str, Any]:
        """The fields that differ from the defaults, as json-compatible
        values (ranges as lists), in field order."""
        default = asdict(SceneParams())
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in asdict(self).items() if v != default[k]}

    @classmethod
    def of(cls, value: Union['SceneParams', Mapping[str, Any], None]
           ) -> 'SceneParams':
        """``value`` as parameters: None gives the defaults, a mapping
        (e.g. :meth:`overrides` read back from meta.json) the defaults
        with those fields replaced."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        unknown = set(value) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f'unknown scene parameters {sorted(unknown)}')
        return cls(**value)
