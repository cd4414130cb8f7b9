"""Writing the dataset: images (in worker processes), the COCO annotation
files, ``meta.json`` and the reuse check, plus :func:`format_summary`."""
from __future__ import annotations

import json
import os
import os.path as osp
import re
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import cv2

from .params import (AREA_BINS, CLASSES, DEFAULT_IMAGE_SIZE,
                     DEFAULT_NUM_HOLDOUT, DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL,
                     GENERATOR_VERSION, SceneParams, area_bin)
from .scene import render_image

__all__ = ['ANN_SPLITS', 'SPLITS', 'format_summary', 'generate_dataset']

#: Image folders.
SPLITS = ('train', 'val')
#: Annotation files: the holdout images are rendered as training images
#: (indices num_train.. of the train split, in train/) and held out.
ANN_SPLITS = ('train', 'holdout', 'val')
_META_FILE = 'meta.json'
_IMAGE_RE = re.compile(r'^\d{6,}\.png$')

#: (seed, split, index, image_size, params, path) of one image to write.
_Task = Tuple[int, str, int, int, SceneParams, str]


def _render_and_write(task: _Task) -> List[Tuple[int, List[float]]]:
    """Render one image and write it as PNG; returns its objects as
    :func:`render_image` does."""
    seed, split, index, size, params, path = task
    img, objects = render_image(seed, split, index, size, params)
    if not cv2.imwrite(path, img[:, :, ::-1],
                       [cv2.IMWRITE_PNG_COMPRESSION, 3]):
        raise IOError(f'could not write {path}')
    return objects


def _worker_init() -> None:
    """Keep each worker process on one OpenCV thread."""
    cv2.setNumThreads(1)


def _file_name(index: int) -> str:
    """File name of image ``index`` of a split folder."""
    return f'{index:06d}.png'


def _count(coco: dict) -> dict:
    """Images, objects, empty images and objects per class and per COCO
    area bin of one annotation file's content."""
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
    """Write ``obj`` as compact json, atomically (through a .tmp file)."""
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))
    os.replace(tmp, path)


def _load_meta(out_dir: str) -> Optional[dict]:
    """The content of ``meta.json``, or None when missing or unreadable."""
    try:
        with open(osp.join(out_dir, _META_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _num_images(args: dict, split: str) -> int:
    """Images in the folder of ``split`` (train holds the holdout too)."""
    extra = args['num_holdout'] if split == 'train' else 0
    return args[f'num_{split}'] + extra


def _complete(out_dir: str, meta: dict) -> bool:
    """Whether every file described by ``meta`` is present."""
    for split in ANN_SPLITS:
        if not osp.isfile(osp.join(out_dir, f'instances_{split}.json')):
            return False
    for split in SPLITS:
        folder = osp.join(out_dir, split)
        names = set(os.listdir(folder)) if osp.isdir(folder) else set()
        if any(_file_name(i) not in names
               for i in range(_num_images(meta['args'], split))):
            return False
    return True


def _paths(out_dir: str) -> dict:
    """Absolute ``out_dir``, annotation files and image folders."""
    return dict(
        out_dir=osp.abspath(out_dir),
        ann_files={s: osp.abspath(osp.join(out_dir, f'instances_{s}.json'))
                   for s in ANN_SPLITS},
        img_dirs={s: osp.abspath(osp.join(out_dir, s)) for s in SPLITS})


def _render_all(out_dir: str, args: dict, params: SceneParams,
                workers: Optional[int]) -> Dict[str, List]:
    """Remove the images written before and render every image of both
    folders; returns the objects of each image, per folder."""
    tasks: Dict[str, List[_Task]] = {}
    for split in SPLITS:
        folder = osp.join(out_dir, split)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if _IMAGE_RE.match(name):
                os.remove(osp.join(folder, name))
        tasks[split] = [(args['seed'], split, i, args['image_size'], params,
                         osp.join(folder, _file_name(i)))
                        for i in range(_num_images(args, split))]

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
    n_train = len(tasks['train'])
    return dict(train=results[:n_train], val=results[n_train:])


def _coco_file(name: str, objects: List, indices: range, args: dict,
               categories: List[dict]) -> dict:
    """COCO content of annotation file ``name`` over images ``indices`` of
    a folder whose per-image objects are ``objects``."""
    size = args['image_size']
    images, annotations = [], []
    for image_id, i in enumerate(indices, start=1):
        images.append(dict(id=image_id, file_name=_file_name(i),
                           width=size, height=size))
        for cls, (x, y, w, h) in objects[i]:
            annotations.append(dict(
                id=len(annotations) + 1, image_id=image_id,
                category_id=cls + 1, bbox=[x, y, w, h], area=w * h,
                iscrowd=0))
    return dict(
        info=dict(description='mmrazor_amd synthetic detection '
                  f'benchmark ({name})', version=str(GENERATOR_VERSION),
                  seed=args['seed']),
        licenses=[], images=images, annotations=annotations,
        categories=categories)


def generate_dataset(out_dir: str,
                     num_train: int = DEFAULT_NUM_TRAIN,
                     num_val: int = DEFAULT_NUM_VAL,
                     num_holdout: int = DEFAULT_NUM_HOLDOUT,
                     image_size: int = DEFAULT_IMAGE_SIZE,
                     seed: int = 0,
                     overwrite: bool = False,
                     workers: Optional[int] = None,
                     params: Union[SceneParams, Mapping[str, Any],
                                   None] = None) -> dict:
    """Generate (or reuse) the synthetic detection dataset in ``out_dir``.

    Writes ``train/*.png`` (the training images, then the holdout images),
    ``val/*.png``, ``instances_train.json``, ``instances_holdout.json``,
    ``instances_val.json`` and, last, ``meta.json``. When ``meta.json``
    records the same generator version and arguments (scene parameters
    included) and all files are present, nothing is written and the stored
    summary is returned (unless ``overwrite``). Otherwise the images this
    generator wrote before (``NNNNNN.png`` in the split folders) are removed
    and everything is rendered again.

    Args:
        out_dir: Output folder (created if needed).
        num_train: Number of training images.
        num_val: Number of validation images.
        num_holdout: Number of held-out training images (rendered after
            the training images, in ``train/``).
        image_size: Side of the square images in pixels (>= 64; large
            objects need >= 105).
        seed: Base seed; every image has its own derived seed.
        overwrite: Regenerate even if a matching dataset exists.
        workers: Worker processes (default: ``min(2, cpu_count)``); the
            output does not depend on it.
        params: Scene parameters, a :class:`SceneParams` or a mapping of
            the fields to change (default: ``SceneParams()``).

    Returns:
        dict: generator/version, ``args`` (with ``scene``, the scene
        parameters that differ from the defaults, when there are any),
        ``classes``, per-annotation-file ``counts`` (images, objects, empty
        images, per class, per COCO area bin), ``time_s`` of the generation,
        ``generated`` (False when reused) and the absolute paths
        ``out_dir``, ``ann_files``, ``img_dirs``.
    """
    params = SceneParams.of(params)
    args = dict(num_train=int(num_train), num_val=int(num_val),
                num_holdout=int(num_holdout), image_size=int(image_size),
                seed=int(seed))
    if min(args['num_train'], args['num_val'], args['num_holdout']) < 0:
        raise ValueError('image counts must be >= 0')
    if args['image_size'] < 64:
        raise ValueError('image_size must be >= 64')
    if args['seed'] < 0:
        raise ValueError('seed must be >= 0')
    if params.overrides():
        args['scene'] = params.overrides()

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
    rendered = _render_all(out_dir, args, params, workers)

    categories = [dict(id=i + 1, name=name, supercategory='shape')
                  for i, name in enumerate(CLASSES)]
    n_train = args['num_train']
    sources = dict(train=('train', range(0, n_train)),
                   holdout=('train', range(n_train, len(rendered['train']))),
                   val=('val', range(len(rendered['val']))))
    counts = {}
    for name in ANN_SPLITS:
        folder, indices = sources[name]
        coco = _coco_file(name, rendered[folder], indices, args, categories)
        _write_json(osp.join(out_dir, f'instances_{name}.json'), coco)
        counts[name] = _count(coco)

    meta = dict(generator='mmrazor_amd_bench.datagen', version=GENERATOR_VERSION,
                args=args, classes=list(CLASSES),
                area_note='annotation area is the box area w*h',
                counts=counts, time_s=round(time.time() - t0, 3))
    _write_json(meta_path, meta)
    return dict(meta, generated=True, **_paths(out_dir))


def format_summary(summary: dict) -> str:
    """Short human-readable table of a :func:`generate_dataset` result
    (several lines, no trailing newline)."""
    args = dict(summary['args'])
    scene = args.pop('scene', {})
    lines = [f"synthetic COCO v{summary['version']} in {summary['out_dir']} "
             f"({'generated' if summary['generated'] else 'reused'}; "
             f"generation took {summary['time_s']:.1f} s)",
             'args: ' + ', '.join(f'{k}={v}' for k, v in args.items())]
    if scene:
        lines.append('scene: ' + ', '.join(f'{k}={v}'
                                           for k, v in scene.items()))
    for split in ANN_SPLITS:
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
