"""Deterministic synthetic COCO-format detection benchmark.

Why this exists
---------------
The project cannot download COCO, yet distillation methods have to be
compared on a detection problem that is hard enough for a teacher and a
student to end up at clearly different accuracies. This module renders such
a problem: small RGB images holding several instances of six object classes
on cluttered backgrounds, and writes them in the plain COCO layout so that
mmdet's stock ``CocoDataset`` and ``CocoMetric`` (pycocotools) read and score
them without any custom code.

What makes it a real detection problem (and not a colour classifier)
--------------------------------------------------------------------
* **Classes differ in shape and texture**, never in colour alone::

      disc            filled circle with directional shading
      ring            annulus (hollow; what is behind shows through)
      triangle        filled, jittered triangle with grainy speckle
      cross           plus-shaped polygon, flat colour, slightly rotated
      striped_square  (rotated) square/rectangle filled with stripes
      checker_square  (rotated) square/rectangle filled with a checkerboard

  Each class draws its hue from a window covering half of the hue circle, so
  every hue is shared by several classes; saturation and brightness are drawn
  from the same ranges for all classes.
* **Scale variation across the COCO area bins.** The size of each object is
  drawn per COCO bin (small ``area < 32**2``, medium ``32**2 <= area < 96**2``,
  large ``area >= 96**2``); at the default 160x160 images this gives roughly
  40 % small, 40 % medium and 20 % large boxes (see the CLI summary).
* **Crowding, occlusion and truncation.** 0-8 objects per image (about 5 %
  of the images are empty and are still listed in ``images``). Objects are
  painted back to front, so later ones occlude earlier ones; a placement is
  rejected when it would leave an earlier object with less than 40 % of its
  pixels visible. Objects may be cut by the image border (at least 55 % of
  their area stays inside); their box is clipped to the image.
* **Clutter that is not an object:** smooth colour gradients, low-frequency
  colour noise, faint full-image stripe/grid textures, blurred blobs, long
  lines, and distractor shapes that share colours or textures with the
  classes but not their shape: thin arcs, outlines of triangles/squares,
  small irregular polygons, pen-like scribbles, plain or striped/checkered
  ellipses. Finally the image gets a random contrast/brightness change,
  occasional slight blur and pixel noise.

Annotation conventions
----------------------
* ``bbox`` is ``[x, y, w, h]`` in continuous pixel coordinates (pixel ``i``
  covers ``[i, i + 1)``), the *full* (amodal) extent of the object, including
  occluded parts, clipped to the image. Coordinates are multiples of 1/16 px,
  so ``x + w`` and ``w * h`` are exact in floating point.
* ``area`` is the **box area** ``w * h`` (there are no segmentations), so the
  COCO small/medium/large breakdown refers to box areas.
* ``iscrowd`` is always 0; ``category_id`` starts at 1 in the order of
  :data:`CLASSES`; image and annotation ids start at 1 in each split.

Determinism
-----------
Image ``i`` of split ``s`` is rendered from its own generator,
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(split_code, i)))``,
so the output is byte-for-byte reproducible, independent of the number of
worker processes, and the first ``n`` images do not depend on how many
images are generated in total.

Usage::

    from mmrazor_amd.datasets import CLASSES, generate_dataset
    summary = generate_dataset('data/synthetic_coco')

    python -m mmrazor_amd.datasets.synthetic --out data/synthetic_coco
"""
from __future__ import annotations

import argparse
import colorsys
import json
import math
import os
import os.path as osp
import re
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'CLASSES', 'AREA_BINS', 'GENERATOR_VERSION', 'DEFAULT_NUM_TRAIN',
    'DEFAULT_NUM_VAL', 'DEFAULT_IMAGE_SIZE', 'generate_dataset',
    'render_image', 'area_bin', 'format_summary', 'main'
]

#: Bump whenever the rendered content changes; cached datasets with an
#: older version are regenerated.
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
DEFAULT_NUM_VAL = 500
DEFAULT_IMAGE_SIZE = 160

SPLITS = ('train', 'val')
_SPLIT_CODES = {'train': 0, 'val': 1}
_META_FILE = 'meta.json'
_IMAGE_RE = re.compile(r'^\d{6,}\.png$')

# --------------------------------------------------------------------------
# Content parameters
# --------------------------------------------------------------------------
_P_EMPTY = 0.05            # probability of an image without objects
_MAX_OBJECTS = 8           # otherwise 1.._MAX_OBJECTS objects are attempted
# Probability of drawing an object's target size from each COCO bin. Large
# objects lose area more often (border truncation), hence the extra weight.
_BIN_PROBS = (0.40, 0.38, 0.22)
# Target sqrt(box area) ranges in pixels per bin (log-uniform inside).
_SIDE_SMALL = (11.0, 31.0)
_SIDE_MEDIUM = (33.0, 94.0)
_SIDE_LARGE = (98.0, 150.0)
_MIN_VISIBLE = 0.40        # occluded objects keep >= 40 % of their pixels
_MIN_INSIDE = 0.55         # truncated objects keep >= 55 % inside the image
_MAX_OFFSIDE = 0.30        # max fraction of the box width beyond a border
_PLACE_TRIES = 12
_MIN_BOX_SIDE = 2.0        # clipped boxes thinner than this are dropped
_MIN_CONTRAST = 60.0       # RGB distance object colour <-> local background
_Q = 16                    # sub-pixel grid (cv2 ``shift=4``)

_DISC, _RING, _TRIANGLE, _CROSS, _STRIPED, _CHECKER = range(6)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def area_bin(area: float) -> str:
    """Return the COCO area bin name ('small', 'medium', 'large')."""
    for name, lo, hi in AREA_BINS:
        if lo <= area < hi:
            return name
    raise ValueError(f'invalid area {area}')


def _image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    ss = np.random.SeedSequence(
        entropy=int(seed), spawn_key=(_SPLIT_CODES[split], int(index)))
    return np.random.default_rng(ss)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255.0


def _random_colour(rng, sat=(0.0, 1.0), val=(0.1, 1.0)) -> np.ndarray:
    return _hsv(rng.random(), rng.uniform(*sat), rng.uniform(*val))


def _blend(img: np.ndarray, colour, alpha: np.ndarray) -> None:
    """In place: ``img = img * (1 - alpha) + colour * alpha``."""
    img += (np.asarray(colour, np.float32) - img) * alpha[..., None]


def _mask_blend(img, colour, draw, opacity=1.0) -> None:
    """Draw into an 8-bit mask with ``draw(mask)`` and blend ``colour``.

    Only the bounding rectangle of the drawn pixels is touched.
    """
    mask = np.zeros(img.shape[:2], np.uint8)
    draw(mask)
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return
    roi = (slice(y, y + h), slice(x, x + w))
    alpha = mask[roi].astype(np.float32) * (opacity / 255.0)
    _blend(img[roi], colour, alpha)


def _cv_pts(verts: np.ndarray) -> np.ndarray:
    """Continuous coordinates -> cv2 fixed-point (``shift=4``) points."""
    return np.round((verts - 0.5) * _Q).astype(np.int32).reshape(-1, 1, 2)


def _quantize(v):
    return np.round(np.asarray(v, np.float64) * _Q) / _Q


def _rot(theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def _polygon_area(v: np.ndarray) -> float:
    x, y = v[:, 0], v[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _stripes(X, Y, cx, cy, angle, period):
    """Soft-edged stripe pattern in [0, 1]."""
    u = (X - cx) * math.cos(angle) + (Y - cy) * math.sin(angle)
    return np.clip(0.5 + 2.0 * np.sin(u * (2 * math.pi / period)), 0.0, 1.0)


def _checker(X, Y, cx, cy, angle, cell):
    c, s = math.cos(angle), math.sin(angle)
    u = (X - cx) * c + (Y - cy) * s
    v = -(X - cx) * s + (Y - cy) * c
    return ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(np.float32)


# --------------------------------------------------------------------------
# Object geometry
# --------------------------------------------------------------------------
@dataclass
class _Shape:
    cls: int
    kind: str                    # 'poly' or 'circle'
    verts: Optional[np.ndarray]  # (N, 2) continuous coords, 1/16 px grid
    cx: float
    cy: float
    r: float = 0.0
    r_in: float = 0.0
    angle: float = 0.0
    half: Tuple[float, float] = (0.0, 0.0)  # square half sizes (local)
    area: float = 0.0            # analytic area of the full shape
    box: Tuple[float, float, float, float] = (0, 0, 0, 0)  # unclipped xyxy

    def alpha(self, X: np.ndarray, Y: np.ndarray, size: int) -> np.ndarray:
        """Anti-aliased coverage over the whole image, float32 in [0, 1]."""
        if self.kind == 'circle':
            d = np.sqrt((X - self.cx)**2 + (Y - self.cy)**2)
            a = np.clip(self.r - d + 0.5, 0.0, 1.0)
            if self.r_in > 0:
                a *= np.clip(d - self.r_in + 0.5, 0.0, 1.0)
            return a
        mask = np.zeros((size, size), np.uint8)
        cv2.fillPoly(mask, [_cv_pts(self.verts)], 255, cv2.LINE_AA, 4)
        return mask.astype(np.float32) * (1.0 / 255.0)


def _unit_outline(cls: int, rng) -> Tuple[np.ndarray, float, Tuple]:
    """Class polygon around the origin (before scaling) plus extras."""
    if cls == _TRIANGLE:
        ang = rng.uniform(0, 2 * math.pi) + np.deg2rad(
            np.array([0.0, 120.0, 240.0]) + rng.uniform(-15, 15, 3))
        rad = rng.uniform(0.85, 1.15, 3)
        return np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1), 0.0, ()
    if cls == _CROSS:
        t = rng.uniform(0.22, 0.36)
        p = np.array([(t, 1), (t, t), (1, t), (1, -t), (t, -t), (t, -1),
                      (-t, -1), (-t, -t), (-1, -t), (-1, t), (-t, t),
                      (-t, 1)], np.float64)
        p *= np.array([rng.uniform(0.85, 1.15), 1.0])
        theta = np.deg2rad(rng.uniform(-30, 30))
        return p @ _rot(theta).T, theta, ()
    # striped / checker square (mildly rectangular, rotated)
    aspect = math.exp(rng.uniform(-0.2, 0.2))
    hx, hy = aspect, 1.0 / aspect
    p = np.array([(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)], np.float64)
    theta = np.deg2rad(rng.uniform(-35, 35))
    return p @ _rot(theta).T, theta, (hx, hy)


def _sample_side(rng, size: int) -> float:
    """Target sqrt(box area) in pixels, drawn per COCO area bin."""
    ranges = [_SIDE_SMALL, (_SIDE_MEDIUM[0], min(_SIDE_MEDIUM[1], 0.6 * size)),
              (_SIDE_LARGE[0], min(_SIDE_LARGE[1], 0.94 * size))]
    probs = np.array(_BIN_PROBS, np.float64)
    for k, (lo, hi) in enumerate(ranges):
        if hi <= lo:
            probs[k] = 0.0
    probs /= probs.sum()
    lo, hi = ranges[int(rng.choice(3, p=probs))]
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _place_center(rng, w: float, size: int) -> float:
    lo = w / 2 - _MAX_OFFSIDE * w
    hi = size - w / 2 + _MAX_OFFSIDE * w
    if hi <= lo:
        return size / 2 + rng.uniform(-2, 2)
    return rng.uniform(lo, hi)


def _make_shape(cls: int, side: float, rng, size: int) -> _Shape:
    if cls in (_DISC, _RING):
        r = float(_quantize(side / 2))
        cx = float(_quantize(_place_center(rng, 2 * r, size)))
        cy = float(_quantize(_place_center(rng, 2 * r, size)))
        r_in = float(_quantize(r * rng.uniform(0.45, 0.7))) if cls == _RING else 0.0
        return _Shape(cls, 'circle', None, cx, cy, r=r, r_in=r_in,
                      area=math.pi * (r * r - r_in * r_in),
                      box=(cx - r, cy - r, cx + r, cy + r))
    unit, theta, half = _unit_outline(cls, rng)
    w1, h1 = np.ptp(unit[:, 0]), np.ptp(unit[:, 1])
    scale = side / math.sqrt(w1 * h1)
    pts = unit * scale
    cx = _place_center(rng, w1 * scale, size)
    cy = _place_center(rng, h1 * scale, size)
    # recentre the box on (cx, cy)
    pts = pts - (pts.min(0) + pts.max(0)) / 2 + np.array([cx, cy])
    verts = _quantize(pts)
    x0, y0 = verts.min(0)
    x1, y1 = verts.max(0)
    half = tuple(h * scale for h in half) if half else (0.0, 0.0)
    return _Shape(cls, 'poly', verts, float(cx), float(cy), angle=theta,
                  half=half, area=_polygon_area(verts),
                  box=(float(x0), float(y0), float(x1), float(y1)))


def _object_colours(cls: int, rng) -> Tuple[np.ndarray, np.ndarray]:
    """Main and secondary colour; hue windows of the classes overlap."""
    h = cls / len(CLASSES) + rng.uniform(-0.25, 0.25)
    s = rng.uniform(0.25, 1.0)
    v = rng.uniform(0.3, 1.0)
    if v > 0.62:
        v2 = v * rng.uniform(0.2, 0.5)
    else:
        v2 = min(1.0, v + rng.uniform(0.35, 0.6))
    return _hsv(h, s, v), _hsv(h + rng.uniform(-0.08, 0.08),
                               s * rng.uniform(0.4, 1.0), v2)


def _texture(sh: _Shape, c1, c2, rng, X, Y) -> np.ndarray:
    """Class texture on the region given by pixel-centre grids ``X, Y``."""
    shp = X.shape + (3, )
    if sh.cls == _DISC:
        phi = rng.uniform(0, 2 * math.pi)
        f = 1.0 + rng.uniform(0.2, 0.4) * (
            (X - sh.cx) * math.cos(phi) + (Y - sh.cy) * math.sin(phi)) / sh.r
        return c1 * f[..., None]
    if sh.cls == _TRIANGLE:
        speck = rng.standard_normal(X.shape).astype(np.float32)
        return c1 * (1.0 + rng.uniform(0.2, 0.35) * speck)[..., None]
    if sh.cls == _STRIPED:
        side = 2 * min(sh.half)
        period = float(np.clip(side / rng.uniform(3.0, 6.0), 2.6, 12.0))
        angle = sh.angle + rng.choice([0.0, math.pi / 4, math.pi / 2,
                                       3 * math.pi / 4])
        t = _stripes(X, Y, sh.cx, sh.cy, angle, period)
        return c1 + (c2 - c1) * t[..., None]
    if sh.cls == _CHECKER:
        n = int(rng.integers(3, 6))
        cell = 2 * max(sh.half) / n
        t = _checker(X, Y, sh.cx - sh.half[0] * math.cos(sh.angle),
                     sh.cy - sh.half[0] * math.sin(sh.angle), sh.angle, cell)
        return c1 + (c2 - c1) * t[..., None]
    # ring, cross: flat colour
    return np.broadcast_to(c1, shp)


# --------------------------------------------------------------------------
# Background and distractors
# --------------------------------------------------------------------------
def _background(rng, size: int, X, Y) -> np.ndarray:
    c0 = _random_colour(rng, (0.0, 0.6), (0.15, 0.9))
    c1 = _random_colour(rng, (0.0, 0.6), (0.15, 0.9))
    phi = rng.uniform(0, 2 * math.pi)
    t = ((X - size / 2) * math.cos(phi) +
         (Y - size / 2) * math.sin(phi)) / size + 0.5
    img = c0 + (c1 - c0) * np.clip(t, 0, 1)[..., None]
    g = int(rng.integers(3, 9))
    low = rng.normal(0, rng.uniform(6, 22), (g, g, 3)).astype(np.float32)
    img += cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.25:  # faint full-image texture
        amp = rng.uniform(5, 14)
        ang = rng.uniform(0, math.pi)
        if rng.random() < 0.5:
            pat = _stripes(X, Y, 0, 0, ang, rng.uniform(3, 12))
        else:
            pat = _checker(X, Y, 0, 0, ang, rng.uniform(3, 12))
        img += (amp * (pat - 0.5))[..., None]
    for _ in range(int(rng.integers(1, 5))):  # blurred blobs
        centre = tuple(int(v) for v in rng.integers(0, size, 2))
        axes = tuple(int(v) for v in rng.integers(8, size // 2, 2))
        ang = float(rng.uniform(0, 180))
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, centre, axes, ang, 0, 360, 255, -1)
        alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0),
                                 rng.uniform(3, 8))
        _blend(img, _random_colour(rng), alpha * rng.uniform(0.2, 0.5))
    for _ in range(int(rng.integers(0, 5))):  # long lines
        p0 = tuple(int(v) for v in rng.integers(-20, size + 20, 2))
        p1 = tuple(int(v) for v in rng.integers(-20, size + 20, 2))
        th = int(rng.integers(1, 4))
        _mask_blend(img, _random_colour(rng),
                    lambda m: cv2.line(m, p0, p1, 255, th, cv2.LINE_AA),
                    rng.uniform(0.3, 0.9))
    return img


def _distractor(img, rng, size: int, X, Y, thin_only: bool = False) -> None:
    """Draw one non-object shape."""
    kind = int(rng.integers(0, 2 if thin_only else 7))
    colour = _random_colour(rng, (0.0, 1.0), (0.2, 1.0))
    cx, cy = (float(v) for v in rng.uniform(-5, size + 5, 2))
    if kind == 0:  # thin arc
        axes = tuple(int(v) for v in rng.integers(4, 40, 2))
        start = float(rng.uniform(0, 360))
        span = float(rng.uniform(40, 220))
        th = int(rng.integers(1, 3))
        _mask_blend(img, colour, lambda m: cv2.ellipse(
            m, (int(cx), int(cy)), axes, float(rng.uniform(0, 180)), start,
            start + span, 255, th, cv2.LINE_AA))
    elif kind == 1:  # scribble
        n = int(rng.integers(4, 12))
        steps = rng.normal(0, rng.uniform(2, 5), (n, 2))
        pts = np.array([cx, cy]) + np.cumsum(steps, 0)
        th = int(rng.integers(1, 3))
        _mask_blend(img, colour, lambda m: cv2.polylines(
            m, [_cv_pts(pts)], False, 255, th, cv2.LINE_AA, 4))
    elif kind == 2:  # small irregular polygon
        n = int(rng.integers(5, 10))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = rng.uniform(4, 14) * rng.uniform(0.35, 1.0, n)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        _mask_blend(img, colour, lambda m: cv2.fillPoly(
            m, [_cv_pts(pts)], 255, cv2.LINE_AA, 4))
    elif kind == 3:  # outline of a triangle or square
        n = 3 if rng.random() < 0.5 else 4
        ang = rng.uniform(0, 2 * math.pi) + np.arange(n) * 2 * math.pi / n
        rad = rng.uniform(6, 35)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        _mask_blend(img, colour, lambda m: cv2.polylines(
            m, [_cv_pts(pts)], True, 255, 1, cv2.LINE_AA, 4))
    else:  # flat or textured elongated ellipse
        a = float(rng.uniform(5, 35))
        b = a * float(rng.uniform(0.3, 0.65))
        ang = float(rng.uniform(0, 180))
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, ((cx - 0.5, cy - 0.5), (2 * a, 2 * b), ang), 255,
                    -1, cv2.LINE_AA)
        x, y, w, h = cv2.boundingRect(mask)
        if w == 0 or h == 0:
            return
        roi = (slice(y, y + h), slice(x, x + w))
        alpha = mask[roi].astype(np.float32) / 255
        if kind == 4:
            _blend(img[roi], colour, alpha)
        else:
            c2 = _random_colour(rng)
            if kind == 5:
                t = _stripes(X[roi], Y[roi], cx, cy, rng.uniform(0, math.pi),
                             rng.uniform(2.6, 8))
            else:
                t = _checker(X[roi], Y[roi], cx, cy, rng.uniform(0, math.pi),
                             rng.uniform(2.5, 8))
            tex = colour + (c2 - colour) * t[..., None]
            img[roi] += (tex - img[roi]) * alpha[..., None]


# --------------------------------------------------------------------------
# One image
# --------------------------------------------------------------------------
_GRIDS: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}


def _grid(size: int):
    if size not in _GRIDS:
        c = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
        _GRIDS[size] = np.meshgrid(c, c)
    return _GRIDS[size]


def render_image(seed: int, split: str, index: int,
                 image_size: int = DEFAULT_IMAGE_SIZE
                 ) -> Tuple[np.ndarray, List[Tuple[int, List[float]]]]:
    """Render image ``index`` of ``split``.

    Returns:
        ``(image, objects)``: an ``(S, S, 3)`` uint8 RGB array and a list of
        ``(class_index, [x, y, w, h])`` with the clipped boxes, in drawing
        order (back to front).
    """
    S = int(image_size)
    rng = _image_rng(seed, split, index)
    X, Y = _grid(S)
    img = _background(rng, S, X, Y)
    for _ in range(int(rng.integers(2, 7))):
        _distractor(img, rng, S, X, Y)

    n_obj = 0 if rng.random() < _P_EMPTY else int(
        rng.integers(1, _MAX_OBJECTS + 1))
    specs = [(int(rng.integers(len(CLASSES))), _sample_side(rng, S))
             for _ in range(n_obj)]
    # mostly back-to-front by size, with some shuffling
    keys = [math.log(side) + rng.normal(0, 0.6) for _, side in specs]
    specs = [specs[i] for i in np.argsort(keys, kind='stable')[::-1]]

    owner = np.full((S, S), -1, np.int16)   # top-most object per pixel
    npix: List[int] = []                    # pixels at placement time
    visible: List[int] = []                 # pixels currently visible
    objects: List[Tuple[int, List[float]]] = []
    for cls, side in specs:
        for _ in range(_PLACE_TRIES):
            sh = _make_shape(cls, side, rng, S)
            alpha = sh.alpha(X, Y, S)
            inside = float(alpha.sum())
            if inside < _MIN_INSIDE * sh.area:
                continue
            x0, y0 = max(sh.box[0], 0.0), max(sh.box[1], 0.0)
            x1, y1 = min(sh.box[2], float(S)), min(sh.box[3], float(S))
            if x1 - x0 < _MIN_BOX_SIDE or y1 - y0 < _MIN_BOX_SIDE:
                continue
            # region of interest: pixels touched by the clipped box
            roi = (slice(int(math.floor(y0)), int(math.ceil(y1))),
                   slice(int(math.floor(x0)), int(math.ceil(x1))))
            alpha = alpha[roi]
            cover = alpha > 0.5
            lost = np.bincount(owner[roi][cover] + 1,
                               minlength=len(npix) + 1)[1:]
            if any(visible[k] - lost[k] < _MIN_VISIBLE * npix[k]
                   for k in range(len(npix))):
                continue
            break
        else:
            continue  # could not place it without hiding others
        # colour with enough contrast to what is underneath
        wsum = max(inside, 1e-6)
        under = (img[roi] * alpha[..., None]).sum((0, 1)) / wsum
        best = None
        for _ in range(6):
            c1, c2 = _object_colours(cls, rng)
            dist = float(np.linalg.norm(c1 - under))
            if best is None or dist > best[0]:
                best = (dist, c1, c2)
            if dist >= _MIN_CONTRAST:
                break
        _, c1, c2 = best
        tex = _texture(sh, c1, c2, rng, X[roi], Y[roi])
        img[roi] += (tex - img[roi]) * alpha[..., None]
        for k in range(len(npix)):
            visible[k] -= int(lost[k])
        owner[roi][cover] = len(npix)
        n = int(cover.sum())
        npix.append(n)
        visible.append(n)
        objects.append((cls, [x0, y0, x1 - x0, y1 - y0]))

    for _ in range(int(rng.integers(0, 3))):  # thin clutter on top
        _distractor(img, rng, S, X, Y, thin_only=True)

    if rng.random() < 0.3:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 0.8))
    img = (img - 128.0) * rng.uniform(0.8, 1.15) + 128.0 + rng.uniform(-15, 15)
    img += np.float32(rng.uniform(2, 6)) * rng.standard_normal(
        img.shape, dtype=np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), objects


# --------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------
def _render_and_write(task):
    seed, split, index, size, path = task
    img, objects = render_image(seed, split, index, size)
    if not cv2.imwrite(path, img[:, :, ::-1],
                       [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise IOError(f'could not write {path}')
    return objects


def _worker_init():
    cv2.setNumThreads(1)


def _file_name(index: int) -> str:
    return f'{index:06d}.png'


def _count(coco: dict) -> dict:
    per_class = {name: 0 for name in CLASSES}
    per_area = {name: 0 for name, _, _ in AREA_BINS}
    used = set()
    for ann in coco['annotations']:
        per_class[CLASSES[ann['category_id'] - 1]] += 1
        per_area[area_bin(ann['area'])] += 1
        used.add(ann['image_id'])
    return dict(images=len(coco['images']),
                objects=len(coco['annotations']),
                empty_images=len(coco['images']) - len(used),
                per_class=per_class, per_area=per_area)


def _write_json(path: str, obj) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    os.replace(tmp, path)


def _load_meta(out_dir: str) -> Optional[dict]:
    try:
        with open(osp.join(out_dir, _META_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _complete(out_dir: str, meta: dict) -> bool:
    """Whether every file described by ``meta`` is present."""
    for split in SPLITS:
        if not osp.isfile(osp.join(out_dir, f'instances_{split}.json')):
            return False
        n = meta['args'][f'num_{split}']
        folder = osp.join(out_dir, split)
        names = set(os.listdir(folder)) if osp.isdir(folder) else set()
        if any(_file_name(i) not in names for i in range(n)):
            return False
    return True


def _paths(out_dir: str) -> dict:
    return dict(
        out_dir=osp.abspath(out_dir),
        ann_files={s: osp.abspath(osp.join(out_dir, f'instances_{s}.json'))
                   for s in SPLITS},
        img_dirs={s: osp.abspath(osp.join(out_dir, s)) for s in SPLITS})


def generate_dataset(out_dir: str,
                     num_train: int = DEFAULT_NUM_TRAIN,
                     num_val: int = DEFAULT_NUM_VAL,
                     image_size: int = DEFAULT_IMAGE_SIZE,
                     seed: int = 0,
                     overwrite: bool = False,
                     workers: Optional[int] = None) -> dict:
    """Generate (or reuse) the synthetic detection dataset in ``out_dir``.

    Writes ``train/*.png``, ``val/*.png``, ``instances_train.json``,
    ``instances_val.json`` and, last, ``meta.json``. When ``meta.json``
    records the same generator version and arguments and all files are
    present, nothing is written and the stored summary is returned (unless
    ``overwrite``). Otherwise the images this generator wrote before
    (``NNNNNN.png`` in the split folders) are removed and everything is
    rendered again.

    Args:
        out_dir: Output folder (created if needed).
        num_train: Number of training images.
        num_val: Number of validation images.
        image_size: Side of the square images in pixels (>= 64; large
            objects need >= 105).
        seed: Base seed; every image has its own derived seed.
        overwrite: Regenerate even if a matching dataset exists.
        workers: Worker processes (default: ``min(2, cpu_count)``); the
            output does not depend on it.

    Returns:
        dict: generator/version, ``args``, ``classes``, per-split ``counts``
        (images, objects, empty images, per class, per COCO area bin),
        ``time_s`` of the generation, ``generated`` (False when reused) and
        the absolute paths ``out_dir``, ``ann_files``, ``img_dirs``.
    """
    args = dict(num_train=int(num_train), num_val=int(num_val),
                image_size=int(image_size), seed=int(seed))
    if args['num_train'] < 0 or args['num_val'] < 0:
        raise ValueError('image counts must be >= 0')
    if args['image_size'] < 64:
        raise ValueError('image_size must be >= 64')
    if args['seed'] < 0:
        raise ValueError('seed must be >= 0')

    if not overwrite:
        meta = _load_meta(out_dir)
        if (meta is not None and meta.get('version') == GENERATOR_VERSION
                and meta.get('args') == args and _complete(out_dir, meta)):
            return dict(meta, generated=False, **_paths(out_dir))

    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    meta_path = osp.join(out_dir, _META_FILE)
    if osp.exists(meta_path):
        os.remove(meta_path)  # an interrupted run must not look complete
    tasks = {}
    for split in SPLITS:
        folder = osp.join(out_dir, split)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if _IMAGE_RE.match(name):
                os.remove(osp.join(folder, name))
        tasks[split] = [(args['seed'], split, i, args['image_size'],
                         osp.join(folder, _file_name(i)))
                        for i in range(args[f'num_{split}'])]

    all_tasks = tasks['train'] + tasks['val']
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    if workers > 1 and len(all_tasks) >= 64:
        import multiprocessing as mp
        ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods()
                             else None)
        with ctx.Pool(workers, initializer=_worker_init) as pool:
            results = pool.map(_render_and_write, all_tasks, chunksize=16)
    else:
        results = [_render_and_write(t) for t in all_tasks]

    categories = [dict(id=i + 1, name=name, supercategory='shape')
                  for i, name in enumerate(CLASSES)]
    counts = {}
    offset = 0
    size = args['image_size']
    for split in SPLITS:
        images, annotations = [], []
        for i in range(len(tasks[split])):
            image_id = i + 1
            images.append(dict(id=image_id, file_name=_file_name(i),
                               width=size, height=size))
            for cls, (x, y, w, h) in results[offset + i]:
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id,
                    category_id=cls + 1, bbox=[x, y, w, h], area=w * h,
                    iscrowd=0))
        offset += len(tasks[split])
        coco = dict(
            info=dict(description='mmrazor_amd synthetic detection '
                      f'benchmark ({split})', version=str(GENERATOR_VERSION),
                      seed=args['seed']),
            licenses=[], images=images, annotations=annotations,
            categories=categories)
        _write_json(osp.join(out_dir, f'instances_{split}.json'), coco)
        counts[split] = _count(coco)

    meta = dict(generator='mmrazor_amd.datasets.synthetic',
                version=GENERATOR_VERSION, args=args, classes=list(CLASSES),
                area_note='annotation area is the box area w*h',
                counts=counts, time_s=round(time.time() - t0, 3))
    _write_json(meta_path, meta)
    return dict(meta, generated=True, **_paths(out_dir))


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------
def format_summary(summary: dict) -> str:
    """Short human-readable table of a :func:`generate_dataset` result."""
    lines = [f"synthetic COCO v{summary['version']} in {summary['out_dir']} "
             f"({'generated' if summary['generated'] else 'reused'}; "
             f"generation took {summary['time_s']:.1f} s)",
             'args: ' + ', '.join(f'{k}={v}'
                                  for k, v in summary['args'].items())]
    for split in SPLITS:
        c = summary['counts'][split]
        lines.append(f"[{split}] images={c['images']} objects={c['objects']} "
                     f"empty_images={c['empty_images']}")
        total = max(c['objects'], 1)
        lines.append('  per class: ' + ', '.join(
            f'{k}={v}' for k, v in c['per_class'].items()))
        lines.append('  per area : ' + ', '.join(
            f'{k}={v} ({100.0 * v / total:.0f}%)'
            for k, v in c['per_area'].items()))
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    p = argparse.ArgumentParser(
        description='Generate the synthetic COCO-format detection benchmark.')
    p.add_argument('--out', default='data/synthetic_coco')
    p.add_argument('--num-train', type=int, default=DEFAULT_NUM_TRAIN)
    p.add_argument('--num-val', type=int, default=DEFAULT_NUM_VAL)
    p.add_argument('--image-size', type=int, default=DEFAULT_IMAGE_SIZE)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=None)
    p.add_argument('--overwrite', action='store_true')
    a = p.parse_args(argv)
    t0 = time.time()
    summary = generate_dataset(a.out, a.num_train, a.num_val, a.image_size,
                               a.seed, a.overwrite, a.workers)
    print(format_summary(summary))
    print(f'wall time: {time.time() - t0:.1f} s')
    return summary


if __name__ == '__main__':
    main()
    sys.exit(0)
