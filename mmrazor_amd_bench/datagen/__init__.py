"""Deterministic synthetic COCO-format detection benchmark (a generator
tool, not a registered dataset class).

Why this exists
---------------
The project cannot download COCO, yet distillation methods have to be
compared on a detection problem that is hard enough for a teacher and a
student to end up at clearly different accuracies. This package renders such
a problem: small RGB images holding several instances of six object classes
on cluttered backgrounds, and writes them in the plain COCO layout so that
mmdet's stock ``CocoDataset`` and ``CocoMetric`` (pycocotools) read and score
them without any custom code.

Layout of the package: :mod:`.params` (constants and :class:`SceneParams`),
:mod:`.shapes` (drawing primitives and the object classes), :mod:`.scene`
(one image, :func:`render_image`) and :mod:`.coco` (the files,
:func:`generate_dataset`). The command line is
``python scripts/generate_data.py``.

What makes it a real detection problem (and not a colour classifier)
--------------------------------------------------------------------
The numbers below are the defaults of :class:`SceneParams`; a different
dataset is just another set of parameters.

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
  :data:`CLASSES`; image and annotation ids start at 1 in each annotation
  file (train, holdout, val; the holdout images lie in ``train/`` after
  the training images).

Determinism
-----------
Image ``i`` of folder ``s`` is rendered from its own generator,
``numpy.random.default_rng(SeedSequence(seed, spawn_key=(split_code, i)))``,
so the output is byte-for-byte reproducible, independent of the number of
worker processes, and the first ``n`` images do not depend on how many
images are generated in total. ``meta.json`` records the arguments and the
scene parameters that differ from the defaults; a dataset is reused only
when they all match.

Usage::

    from mmrazor_amd_bench.datagen import SceneParams, generate_dataset
    summary = generate_dataset('data/synthetic_coco')
    crowded = generate_dataset('data/crowded',
                               params=SceneParams(max_objects=12))

    python scripts/generate_data.py --out data/synthetic_coco
"""
from .coco import format_summary, generate_dataset
from .params import (AREA_BINS, CLASSES, DEFAULT_IMAGE_SIZE,
                     DEFAULT_NUM_HOLDOUT, DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL,
                     GENERATOR_VERSION, SceneParams, area_bin)
from .scene import render_image

__all__ = [
    'AREA_BINS', 'CLASSES', 'DEFAULT_IMAGE_SIZE', 'DEFAULT_NUM_HOLDOUT',
    'DEFAULT_NUM_TRAIN', 'DEFAULT_NUM_VAL', 'GENERATOR_VERSION', 'SceneParams',
    'area_bin', 'format_summary', 'generate_dataset', 'render_image'
]
