"""Generate the synthetic COCO-format detection benchmark.

    python scripts/generate_data.py --out data/synthetic_coco \\
        [--num-train N --num-holdout N --num-val N --image-size S --seed K \\
         --workers W --overwrite --scene max_objects=12 p_empty=0.1]

Prints the summary (images, objects and empty images per annotation file,
objects per class and per COCO area bin) and the wall time. A matching
dataset already in ``--out`` is reused. ``--scene`` changes fields of
:class:`mmrazor_amd_bench.datagen.SceneParams` (values in json, e.g.
``side_small=[8,24]``). See :mod:`mmrazor_amd_bench.datagen` for what is rendered.
"""
import argparse
import json
import sys
import time
from typing import Optional, Sequence

from mmrazor_amd_bench.datagen import (DEFAULT_IMAGE_SIZE, DEFAULT_NUM_HOLDOUT,
                                 DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL,
                                 SceneParams, format_summary,
                                 generate_dataset)

__all__ = ['format_summary', 'generate_dataset', 'main']


def _scene_params(items: Sequence[str]) -> SceneParams:
    """``['name=value', ...]`` (json values) as scene parameters; raises
    ValueError on a malformed item, unknown name or invalid value."""
    fields = {}
    for item in items:
        name, sep, value = item.partition('=')
        if not sep:
            raise ValueError(f'expected NAME=VALUE, got {item!r}')
        try:
            fields[name] = json.loads(value)
        except ValueError:
            raise ValueError(f'{name}: {value!r} is not json') from None
    return SceneParams.of(fields)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the command line; returns the :func:`generate_dataset`
    summary."""
    p = argparse.ArgumentParser(
        description='Generate the synthetic COCO-format detection benchmark.')
    p.add_argument('--out', default='data/synthetic_coco')
    p.add_argument('--num-train', type=int, default=DEFAULT_NUM_TRAIN)
    p.add_argument('--num-val', type=int, default=DEFAULT_NUM_VAL)
    p.add_argument('--num-holdout', type=int, default=DEFAULT_NUM_HOLDOUT)
    p.add_argument('--image-size', type=int, default=DEFAULT_IMAGE_SIZE)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=None)
    p.add_argument('--overwrite', action='store_true')
    p.add_argument('--scene', nargs='+', default=[], metavar='NAME=VALUE',
                   help='SceneParams fields to change (json values)')
    a = p.parse_args(argv)
    try:
        params = _scene_params(a.scene)
    except (TypeError, ValueError) as e:
        p.error(f'--scene: {e}')
    t0 = time.time()
    summary = generate_dataset(
        a.out, num_train=a.num_train, num_val=a.num_val,
        num_holdout=a.num_holdout, image_size=a.image_size, seed=a.seed,
        overwrite=a.overwrite, workers=a.workers, params=params)
    print(format_summary(summary))
    print(f'wall time: {time.time() - t0:.1f} s')
    return summary


if __name__ == '__main__':
    main()
    sys.exit(0)
