"""One image: background clutter, distractors, the objects (placement with
occlusion/truncation limits, colour with contrast to what is under them)
and the final camera-like effects.

:func:`render_image` is the only entry point; the order in which its parts
draw from the image's random generator is part of the output format (see
"Determinism" in :mod:`mmrazor_amd_bench.datagen`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .params import CLASSES, DEFAULT_IMAGE_SIZE, SceneParams
from .shapes import (Shape, blend, checker, cv_pts, make_shape, mask_blend,
                     object_colours, random_colour, sample_side, stripes,
                     texture)

__all__ = ['SPLIT_CODES', 'image_rng', 'pixel_grid', 'render_image']

#: Stream of each image folder in the seed of its images.
SPLIT_CODES = {'train': 0, 'val': 1}

#: ``(class_index, [x, y, w, h])`` of one annotated object.
Annotation = Tuple[int, List[float]]
Roi = Tuple[slice, slice]


def image_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of image ``index`` of ``split`` (independent of all
    other images)."""
    ss = np.random.SeedSequence(
        entropy=int(seed), spawn_key=(SPLIT_CODES[split], int(index)))
    return np.random.default_rng(ss)


_GRIDS: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}


def pixel_grid(size: int) -> Tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``(xs, ys)``, two float32 arrays of shape
    (size, size) (cached; do not modify)."""
    if size not in _GRIDS:
        c = np.arange(size, dtype=np.float32) + 0.5
        _GRIDS[size] = np.meshgrid(c, c)
    return _GRIDS[size]


# --------------------------------------------------------------------------
# Background and distractors
# --------------------------------------------------------------------------
def background(rng, size: int, xs, ys) -> np.ndarray:
    """Gradient, low-frequency colour noise, an occasional faint texture,
    blurred blobs and long lines: float32 RGB array (size, size, 3)."""
    c0 = random_colour(rng, (0.0, 0.6), (0.15, 0.9))
    c1 = random_colour(rng, (0.0, 0.6), (0.15, 0.9))
    phi = rng.uniform(0, 2 * math.pi)
    t = ((xs - size / 2) * math.cos(phi) +
         (ys - size / 2) * math.sin(phi)) / size + 0.5
    img = c0 + (c1 - c0) * np.clip(t, 0, 1)[..., None]
    g = int(rng.integers(3, 9))
    low = rng.normal(0, rng.uniform(6, 22), (g, g, 3)).astype(np.float32)
    img += cv2.resize(low, (size, size), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.25:  # faint full-image texture
        amp = rng.uniform(5, 14)
        ang = rng.uniform(0, math.pi)
        if rng.random() < 0.5:
            pat = stripes(xs, ys, 0, 0, ang, rng.uniform(3, 12))
        else:
            pat = checker(xs, ys, 0, 0, ang, rng.uniform(3, 12))
        img += (amp * (pat - 0.5))[..., None]
    for _ in range(int(rng.integers(1, 5))):  # blurred blobs
        centre = tuple(int(v) for v in rng.integers(0, size, 2))
        axes = tuple(int(v) for v in rng.integers(8, size // 2, 2))
        ang = float(rng.uniform(0, 180))
        mask = np.zeros((size, size), np.uint8)
        cv2.ellipse(mask, centre, axes, ang, 0, 360, 255, -1)
        alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0),
                                 rng.uniform(3, 8))
        blend(img, random_colour(rng), alpha * rng.uniform(0.2, 0.5))
    for _ in range(int(rng.integers(0, 5))):  # long lines
        p0 = tuple(int(v) for v in rng.integers(-20, size + 20, 2))
        p1 = tuple(int(v) for v in rng.integers(-20, size + 20, 2))
        th = int(rng.integers(1, 4))
        mask_blend(img, random_colour(rng),
                   lambda m: cv2.line(m, p0, p1, 255, th, cv2.LINE_AA),
                   rng.uniform(0.3, 0.9))
    return img


def distractor(img, rng, size: int, xs, ys, thin_only: bool = False) -> None:
    """Draw one non-object shape into ``img`` (size, size, 3) in place:
    an arc, a scribble, a small polygon, a triangle/square outline or a
    flat, striped or checkered ellipse (``thin_only``: the first two).
    Returns None."""
    kind = int(rng.integers(0, 2 if thin_only else 7))
    colour = random_colour(rng, (0.0, 1.0), (0.2, 1.0))
    cx, cy = (float(v) for v in rng.uniform(-5, size + 5, 2))
    if kind == 0:  # thin arc
        axes = tuple(int(v) for v in rng.integers(4, 40, 2))
        start = float(rng.uniform(0, 360))
        span = float(rng.uniform(40, 220))
        th = int(rng.integers(1, 3))
        mask_blend(img, colour, lambda m: cv2.ellipse(
            m, (int(cx), int(cy)), axes, float(rng.uniform(0, 180)), start,
            start + span, 255, th, cv2.LINE_AA))
    elif kind == 1:  # scribble
        n = int(rng.integers(4, 12))
        steps = rng.normal(0, rng.uniform(2, 5), (n, 2))
        pts = np.array([cx, cy]) + np.cumsum(steps, 0)
        th = int(rng.integers(1, 3))
        mask_blend(img, colour, lambda m: cv2.polylines(
            m, [cv_pts(pts)], False, 255, th, cv2.LINE_AA, 4))
    elif kind == 2:  # small irregular polygon
        n = int(rng.integers(5, 10))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = rng.uniform(4, 14) * rng.uniform(0.35, 1.0, n)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        mask_blend(img, colour, lambda m: cv2.fillPoly(
            m, [cv_pts(pts)], 255, cv2.LINE_AA, 4))
    elif kind == 3:  # outline of a triangle or square
        n = 3 if rng.random() < 0.5 else 4
        ang = rng.uniform(0, 2 * math.pi) + np.arange(n) * 2 * math.pi / n
        rad = rng.uniform(6, 35)
        pts = np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1)
        mask_blend(img, colour, lambda m: cv2.polylines(
            m, [cv_pts(pts)], True, 255, 1, cv2.LINE_AA, 4))
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
            blend(img[roi], colour, alpha)
        else:
            c2 = random_colour(rng)
            if kind == 5:
                t = stripes(xs[roi], ys[roi], cx, cy, rng.uniform(0, math.pi),
                            rng.uniform(2.6, 8))
            else:
                t = checker(xs[roi], ys[roi], cx, cy, rng.uniform(0, math.pi),
                            rng.uniform(2.5, 8))
            tex = colour + (c2 - colour) * t[..., None]
            img[roi] += (tex - img[roi]) * alpha[..., None]


# --------------------------------------------------------------------------
# Objects
# --------------------------------------------------------------------------
@dataclass
class Placement:
    """Where an accepted object lies, cropped to its clipped box."""

    shape: Shape
    roi: Roi                # rows, columns touched by the clipped box
    alpha: np.ndarray       # (h, w) float32 coverage inside ``roi``
    cover: np.ndarray       # (h, w) bool, pixels the object owns
    lost: np.ndarray        # (k,) pixels each earlier object loses to it
    inside: float           # coverage summed over the image
    box: Tuple[float, float, float, float]  # clipped x0, y0, x1, y1


class Occupancy:
    """Which object is top-most at each pixel, and how many pixels each
    placed object had and still has visible."""

    def __init__(self, size: int):
        """Empty (size, size) image: no object placed yet."""
        self.owner = np.full((size, size), -1, np.int16)
        self.placed_pixels: List[int] = []
        self.visible_pixels: List[int] = []

    def pixels_lost(self, roi: Roi, cover: np.ndarray) -> np.ndarray:
        """Pixels each placed object would lose under ``cover``: int64
        array of shape (number of placed objects,)."""
        return np.bincount(self.owner[roi][cover] + 1,
                           minlength=len(self.placed_pixels) + 1)[1:]

    def too_hidden(self, lost: np.ndarray, min_visible: float) -> bool:
        """Whether losing ``lost`` pixels leaves an object with less than
        ``min_visible`` of its pixels."""
        return any(visible - n < min_visible * placed for placed, visible, n
                   in zip(self.placed_pixels, self.visible_pixels, lost))

    def add(self, placement: Placement) -> None:
        """Record ``placement`` as the new top-most object."""
        for k, n in enumerate(placement.lost):
            self.visible_pixels[k] -= int(n)
        self.owner[placement.roi][placement.cover] = len(self.placed_pixels)
        n = int(placement.cover.sum())
        self.placed_pixels.append(n)
        self.visible_pixels.append(n)


def object_plan(rng, size: int, params: SceneParams
                ) -> List[Tuple[int, float]]:
    """Classes and target sides of the objects of one image, in painting
    order: mostly large to small, with some shuffling. Returns a list of
    ``(class_index, side)``."""
    if rng.random() < params.p_empty:
        count = 0
    else:
        count = int(rng.integers(1, params.max_objects + 1))
    plan = [(int(rng.integers(len(CLASSES))), sample_side(rng, size, params))
            for _ in range(count)]
    depth = [math.log(side) + rng.normal(0, params.depth_jitter)
             for _, side in plan]
    return [plan[i] for i in np.argsort(depth, kind='stable')[::-1]]


def try_placement(shape: Shape, size: int, occupancy: Occupancy,
                  params: SceneParams) -> Optional[Placement]:
    """``shape`` as a placement, or None when it lies too far outside the
    image, its clipped box is too thin or it hides an earlier object."""
    xs, ys = pixel_grid(size)
    alpha = shape.alpha(xs, ys, size)
    inside = float(alpha.sum())
    if inside < params.min_inside * shape.area:
        return None
    x0, y0 = max(shape.box[0], 0.0), max(shape.box[1], 0.0)
    x1, y1 = min(shape.box[2], float(size)), min(shape.box[3], float(size))
    if x1 - x0 < params.min_box_side or y1 - y0 < params.min_box_side:
        return None
    roi = (slice(int(math.floor(y0)), int(math.ceil(y1))),
           slice(int(math.floor(x0)), int(math.ceil(x1))))
    alpha = alpha[roi]
    cover = alpha > 0.5
    lost = occupancy.pixels_lost(roi, cover)
    if occupancy.too_hidden(lost, params.min_visible):
        return None
    return Placement(shape, roi, alpha, cover, lost, inside, (x0, y0, x1, y1))


def place_object(rng, cls: int, side: float, size: int,
                 occupancy: Occupancy,
                 params: SceneParams) -> Optional[Placement]:
    """Up to ``params.place_tries`` random poses of one object; returns the
    first acceptable placement, or None."""
    for _ in range(params.place_tries):
        shape = make_shape(cls, side, rng, size, params.max_offside)
        placement = try_placement(shape, size, occupancy, params)
        if placement is not None:
            return placement
    return None


def choose_colours(rng, cls: int, under: np.ndarray,
                   params: SceneParams) -> Tuple[np.ndarray, np.ndarray]:
    """Main and secondary colour ((3,) float32 each) of an object over the
    mean colour ``under`` (3,): the first draw at least
    ``params.min_contrast`` away from it, else the farthest one."""
    best = None
    for _ in range(params.colour_tries):
        main, second = object_colours(cls, rng)
        dist = float(np.linalg.norm(main - under))
        if best is None or dist > best[0]:
            best = (dist, main, second)
        if dist >= params.min_contrast:
            break
    return best[1], best[2]


def paint_object(img: np.ndarray, rng, placement: Placement,
                 params: SceneParams) -> None:
    """Colour and texture the placed object and paint it over ``img``
    (size, size, 3) in place. Returns None."""
    roi, alpha = placement.roi, placement.alpha
    weight = max(placement.inside, 1e-6)
    under = (img[roi] * alpha[..., None]).sum((0, 1)) / weight
    main, second = choose_colours(rng, placement.shape.cls, under, params)
    xs, ys = pixel_grid(img.shape[0])
    tex = texture(placement.shape, main, second, rng, xs[roi], ys[roi])
    img[roi] += (tex - img[roi]) * alpha[..., None]


def camera_effects(img: np.ndarray, rng, params: SceneParams) -> np.ndarray:
    """Occasional blur, contrast/brightness change and pixel noise; returns
    the finished uint8 image (size, size, 3)."""
    if rng.random() < params.p_blur:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(*params.blur_sigma))
    img = (img - 128.0) * rng.uniform(*params.contrast) + 128.0 + \
        rng.uniform(-params.brightness, params.brightness)
    img += np.float32(rng.uniform(*params.noise_std)) * rng.standard_normal(
        img.shape, dtype=np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _draw_count(rng, bounds: Tuple[int, int]) -> int:
    """A uniform integer in ``bounds`` (both ends included)."""
    return int(rng.integers(bounds[0], bounds[1] + 1))


def render_image(seed: int, split: str, index: int,
                 image_size: int = DEFAULT_IMAGE_SIZE,
                 params: SceneParams = SceneParams()
                 ) -> Tuple[np.ndarray, List[Annotation]]:
    """Render image ``index`` of ``split`` ('train' or 'val').

    Returns:
        ``(image, objects)``: an ``(S, S, 3)`` uint8 RGB array
        (``S = image_size``) and a list of ``(class_index, [x, y, w, h])``
        with the clipped boxes, in painting order (back to front).
    """
    size = int(image_size)
    rng = image_rng(seed, split, index)
    xs, ys = pixel_grid(size)
    img = background(rng, size, xs, ys)
    for _ in range(_draw_count(rng, params.distractors)):
        distractor(img, rng, size, xs, ys)

    occupancy = Occupancy(size)
    objects: List[Annotation] = []
    for cls, side in object_plan(rng, size, params):
        placement = place_object(rng, cls, side, size, occupancy, params)
        if placement is None:
            continue  # could not place it without hiding others
        paint_object(img, rng, placement, params)
        occupancy.add(placement)
        x0, y0, x1, y1 = placement.box
        objects.append((cls, [x0, y0, x1 - x0, y1 - y0]))

    for _ in range(_draw_count(rng, params.top_distractors)):
        distractor(img, rng, size, xs, ys, thin_only=True)
    return camera_effects(img, rng, params), objects
