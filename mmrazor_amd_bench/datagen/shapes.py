"""Drawing and geometry primitives: colours, blending, fixed-point points,
stripe/checker patterns and the six object classes (outline, size,
position, colours and texture).

Images are float32 RGB arrays of shape ``(H, W, 3)`` with values around
[0, 255]; ``xs, ys`` are the pixel-centre coordinate grids of
:func:`mmrazor_amd_bench.datagen.scene.pixel_grid` (or crops of them). Every
function that takes ``rng`` (a ``numpy.random.Generator``) draws from it in
a fixed order, which the byte-for-byte reproducibility relies on.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import cv2
import numpy as np

from .params import CLASSES, SceneParams

__all__ = [
    'Shape', 'blend', 'checker', 'cv_pts', 'hsv', 'make_shape', 'mask_blend',
    'object_colours', 'random_colour', 'sample_side', 'stripes', 'texture'
]

SUBPIXEL = 16  # sub-pixel grid of the geometry (cv2 ``shift=4``)

DISC, RING, TRIANGLE, CROSS, STRIPED, CHECKER = range(len(CLASSES))


# --------------------------------------------------------------------------
# Colours and blending
# --------------------------------------------------------------------------
def hsv(h: float, s: float, v: float) -> np.ndarray:
    """RGB colour of hue ``h`` (taken modulo 1), saturation ``s`` and value
    ``v``: a float32 array of shape (3,) in [0, 255]."""
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), np.float32) * 255.0


def random_colour(rng, sat=(0.0, 1.0), val=(0.1, 1.0)) -> np.ndarray:
    """A colour of uniform hue, saturation in ``sat`` and value in ``val``:
    float32 array of shape (3,) in [0, 255]."""
    return hsv(rng.random(), rng.uniform(*sat), rng.uniform(*val))


def blend(img: np.ndarray, colour, alpha: np.ndarray) -> None:
    """In place, ``img = img * (1 - alpha) + colour * alpha``; ``img`` is
    (H, W, 3) float32, ``alpha`` (H, W), ``colour`` (3,) or (H, W, 3).
    Returns None."""
    img += (np.asarray(colour, np.float32) - img) * alpha[..., None]


def mask_blend(img: np.ndarray, colour,
               draw: Callable[[np.ndarray], object],
               opacity: float = 1.0) -> None:
    """Draw into a (H, W) uint8 mask with ``draw(mask)`` and blend
    ``colour`` (3,) into ``img`` (H, W, 3) in place, with the mask as
    alpha times ``opacity``. Only the bounding rectangle of the drawn
    pixels is touched. Returns None."""
    mask = np.zeros(img.shape[:2], np.uint8)
    draw(mask)
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return
    roi = (slice(y, y + h), slice(x, x + w))
    alpha = mask[roi].astype(np.float32) * (opacity / 255.0)
    blend(img[roi], colour, alpha)


# --------------------------------------------------------------------------
# Geometry helpers and patterns
# --------------------------------------------------------------------------
def cv_pts(verts: np.ndarray) -> np.ndarray:
    """Continuous (N, 2) coordinates -> cv2 fixed-point (``shift=4``)
    points, an int32 array of shape (N, 1, 2)."""
    return np.round((verts - 0.5) * SUBPIXEL).astype(np.int32).reshape(
        -1, 1, 2)


def quantize(v):
    """``v`` (scalar or array) rounded to the 1/16 px grid, as float64 of
    the same shape."""
    return np.round(np.asarray(v, np.float64) * SUBPIXEL) / SUBPIXEL


def rotation(theta: float) -> np.ndarray:
    """The (2, 2) matrix of a rotation by ``theta`` radians."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def polygon_area(verts: np.ndarray) -> float:
    """Area of the simple polygon with (N, 2) vertices (shoelace)."""
    x, y = verts[:, 0], verts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) -
                           np.dot(y, np.roll(x, -1))))


def stripes(xs, ys, cx, cy, angle, period) -> np.ndarray:
    """Soft-edged stripes across ``angle`` through (cx, cy): an array of
    the grids' shape with values in [0, 1]."""
    u = (xs - cx) * math.cos(angle) + (ys - cy) * math.sin(angle)
    return np.clip(0.5 + 2.0 * np.sin(u * (2 * math.pi / period)), 0.0, 1.0)


def checker(xs, ys, cx, cy, angle, cell) -> np.ndarray:
    """Checkerboard of ``cell`` px squares rotated by ``angle`` with a
    corner at (cx, cy): float32 array of the grids' shape, values 0 or 1."""
    c, s = math.cos(angle), math.sin(angle)
    u = (xs - cx) * c + (ys - cy) * s
    v = -(xs - cx) * s + (ys - cy) * c
    return ((np.floor(u / cell) + np.floor(v / cell)) % 2).astype(np.float32)


# --------------------------------------------------------------------------
# Object geometry
# --------------------------------------------------------------------------
@dataclass
class Shape:
    """One object instance in image coordinates."""

    cls: int                     # class index into CLASSES
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

    def alpha(self, xs: np.ndarray, ys: np.ndarray, size: int) -> np.ndarray:
        """Anti-aliased coverage over the whole image: float32 array of
        shape (size, size) in [0, 1] (``xs, ys`` are the full grids)."""
        if self.kind == 'circle':
            d = np.sqrt((xs - self.cx)**2 + (ys - self.cy)**2)
            a = np.clip(self.r - d + 0.5, 0.0, 1.0)
            if self.r_in > 0:
                a *= np.clip(d - self.r_in + 0.5, 0.0, 1.0)
            return a
        mask = np.zeros((size, size), np.uint8)
        cv2.fillPoly(mask, [cv_pts(self.verts)], 255, cv2.LINE_AA, 4)
        return mask.astype(np.float32) * (1.0 / 255.0)


def unit_outline(cls: int, rng) -> Tuple[np.ndarray, float, Tuple]:
    """Polygon of a triangle, cross or square class around the origin,
    before scaling.

    Returns:
        ``(verts, angle, half)``: (N, 2) float64 vertices, the rotation in
        radians and, for the squares, the local half sizes ``(hx, hy)``
        (else ``()``).
    """
    if cls == TRIANGLE:
        ang = rng.uniform(0, 2 * math.pi) + np.deg2rad(
            np.array([0.0, 120.0, 240.0]) + rng.uniform(-15, 15, 3))
        rad = rng.uniform(0.85, 1.15, 3)
        return np.stack([rad * np.cos(ang), rad * np.sin(ang)], 1), 0.0, ()
    if cls == CROSS:
        t = rng.uniform(0.22, 0.36)
        p = np.array([(t, 1), (t, t), (1, t), (1, -t), (t, -t), (t, -1),
                      (-t, -1), (-t, -t), (-1, -t), (-1, t), (-t, t),
                      (-t, 1)], np.float64)
        p *= np.array([rng.uniform(0.85, 1.15), 1.0])
        theta = np.deg2rad(rng.uniform(-30, 30))
        return p @ rotation(theta).T, theta, ()
    # striped / checker square (mildly rectangular, rotated)
    aspect = math.exp(rng.uniform(-0.2, 0.2))
    hx, hy = aspect, 1.0 / aspect
    p = np.array([(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)], np.float64)
    theta = np.deg2rad(rng.uniform(-35, 35))
    return p @ rotation(theta).T, theta, (hx, hy)


def sample_side(rng, size: int, params: SceneParams) -> float:
    """Target sqrt(box area) in pixels of one object, drawn per COCO area
    bin (bins that do not fit in a ``size`` px image are skipped)."""
    p = params
    ranges = [p.side_small,
              (p.side_medium[0], min(p.side_medium[1],
                                     p.max_medium_frac * size)),
              (p.side_large[0], min(p.side_large[1],
                                    p.max_large_frac * size))]
    probs = np.array(p.bin_probs, np.float64)
    for k, (lo, hi) in enumerate(ranges):
        if hi <= lo:
            probs[k] = 0.0
    if probs.sum() <= 0:
        raise ValueError(f'no object size bin fits in {size} px images')
    probs /= probs.sum()
    lo, hi = ranges[int(rng.choice(3, p=probs))]
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def place_center(rng, extent: float, size: int, max_offside: float) -> float:
    """Centre coordinate of an object ``extent`` px wide along one axis,
    with at most ``max_offside * extent`` px beyond either border."""
    lo = extent / 2 - max_offside * extent
    hi = size - extent / 2 + max_offside * extent
    if hi <= lo:
        return size / 2 + rng.uniform(-2, 2)
    return rng.uniform(lo, hi)


def make_shape(cls: int, side: float, rng, size: int,
               max_offside: float) -> Shape:
    """A randomly posed object of class ``cls`` whose box has about
    ``side**2`` px of area, placed in a ``size`` px image."""
    if cls in (DISC, RING):
        r = float(quantize(side / 2))
        cx = float(quantize(place_center(rng, 2 * r, size, max_offside)))
        cy = float(quantize(place_center(rng, 2 * r, size, max_offside)))
        r_in = float(quantize(r * rng.uniform(0.45, 0.7))) \
            if cls == RING else 0.0
        return Shape(cls, 'circle', None, cx, cy, r=r, r_in=r_in,
                     area=math.pi * (r * r - r_in * r_in),
                     box=(cx - r, cy - r, cx + r, cy + r))
    unit, theta, half = unit_outline(cls, rng)
    w1, h1 = np.ptp(unit[:, 0]), np.ptp(unit[:, 1])
    scale = side / math.sqrt(w1 * h1)
    pts = unit * scale
    cx = place_center(rng, w1 * scale, size, max_offside)
    cy = place_center(rng, h1 * scale, size, max_offside)
    # recentre the box on (cx, cy)
    pts = pts - (pts.min(0) + pts.max(0)) / 2 + np.array([cx, cy])
    verts = quantize(pts)
    x0, y0 = verts.min(0)
    x1, y1 = verts.max(0)
    half = tuple(h * scale for h in half) if half else (0.0, 0.0)
    return Shape(cls, 'poly', verts, float(cx), float(cy), angle=theta,
                 half=half, area=polygon_area(verts),
                 box=(float(x0), float(y0), float(x1), float(y1)))


# --------------------------------------------------------------------------
# Object appearance
# --------------------------------------------------------------------------
def object_colours(cls: int, rng) -> Tuple[np.ndarray, np.ndarray]:
    """Main and secondary colour of an object of class ``cls``, each a
    float32 array of shape (3,); the hue windows of the classes overlap."""
    h = cls / len(CLASSES) + rng.uniform(-0.25, 0.25)
    s = rng.uniform(0.25, 1.0)
    v = rng.uniform(0.3, 1.0)
    if v > 0.62:
        v2 = v * rng.uniform(0.2, 0.5)
    else:
        v2 = min(1.0, v + rng.uniform(0.35, 0.6))
    return hsv(h, s, v), hsv(h + rng.uniform(-0.08, 0.08),
                             s * rng.uniform(0.4, 1.0), v2)


def texture(shape: Shape, main: np.ndarray, second: np.ndarray, rng,
            xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Class texture on the region given by the pixel-centre grids
    ``xs, ys`` (shape (h, w)): an RGB array of shape (h, w, 3) (read-only
    for the flat-coloured classes)."""
    if shape.cls == DISC:  # directional shading
        phi = rng.uniform(0, 2 * math.pi)
        f = 1.0 + rng.uniform(0.2, 0.4) * (
            (xs - shape.cx) * math.cos(phi) +
            (ys - shape.cy) * math.sin(phi)) / shape.r
        return main * f[..., None]
    if shape.cls == TRIANGLE:  # grainy speckle
        speck = rng.standard_normal(xs.shape).astype(np.float32)
        return main * (1.0 + rng.uniform(0.2, 0.35) * speck)[..., None]
    if shape.cls == STRIPED:
        side = 2 * min(shape.half)
        period = float(np.clip(side / rng.uniform(3.0, 6.0), 2.6, 12.0))
        angle = shape.angle + rng.choice([0.0, math.pi / 4, math.pi / 2,
                                          3 * math.pi / 4])
        t = stripes(xs, ys, shape.cx, shape.cy, angle, period)
        return main + (second - main) * t[..., None]
    if shape.cls == CHECKER:
        n = int(rng.integers(3, 6))
        cell = 2 * max(shape.half) / n
        t = checker(xs, ys, shape.cx - shape.half[0] * math.cos(shape.angle),
                    shape.cy - shape.half[0] * math.sin(shape.angle),
                    shape.angle, cell)
        return main + (second - main) * t[..., None]
    # ring, cross: flat colour
    return np.broadcast_to(main, xs.shape + (3, ))
