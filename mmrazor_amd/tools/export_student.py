"""Turn a distillation checkpoint into a plain mmdet checkpoint of the student.

    python -m mmrazor_amd.tools.export_student work_dirs/amd/epoch_24.pth \\
        student.pth
    mim test mmdet <student config> --checkpoint student.pth

A checkpoint written while training an MMRazor distillation algorithm holds
the student (``architecture.*``), the frozen teacher (``teacher.*``), the
distiller's own parameters (``distiller.*``: AMD's generation blocks and SE
clues, MGD's connectors, FGD's context modules), the optimizer and the
runner's message hub. The export keeps the student's weights only, without
the ``architecture.`` prefix, plus plain metadata, so the file loads with
``torch.load(..., weights_only=True)`` and with stock mmdet tools.

MMRazor's own ``convert_kd_ckpt_to_student.py`` calls ``torch.load`` without
``weights_only`` and fails on torch >= 2.6; this one reads the checkpoint
through mmrazor_amd's checkpoint policy.
"""
import argparse
import os
import os.path as osp
from typing import Dict

import torch

STUDENT_PREFIX = 'architecture.'
# plain values worth keeping from the training checkpoint's meta
KEPT_META = ('epoch', 'iter', 'seed', 'dataset_meta', 'mmengine_version',
             'experiment_name', 'time')


def load_distill_checkpoint(path: str) -> Dict:
    """Read a training checkpoint under the weights_only policy."""
    from mmrazor_amd.compat import apply_all
    apply_all()
    from mmengine.runner.checkpoint import CheckpointLoader
    return CheckpointLoader.load_checkpoint(path, map_location='cpu')


def student_checkpoint(checkpoint: Dict, source: str = '') -> Dict:
    """The student's state dict and plain metadata of ``checkpoint``."""
    state = checkpoint.get('state_dict', checkpoint)
    student = {
        key[len(STUDENT_PREFIX):]: value
        for key, value in state.items() if key.startswith(STUDENT_PREFIX)
    }
    if not student:
        prefixes = sorted({key.split('.', 1)[0] for key in state})
        raise ValueError(
            f'{source or "the checkpoint"} has no "{STUDENT_PREFIX}" weights '
            f'(top-level prefixes: {", ".join(prefixes) or "none"}); it is '
            'not a checkpoint of an MMRazor distillation algorithm')
    meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
    kept = {key: meta[key] for key in KEPT_META if key in meta}
    kept['exported_from'] = osp.abspath(source) if source else None
    return dict(meta=kept, state_dict=student)


def export(source: str, target: str) -> Dict:
    """Export ``source`` to ``target``; return what was written."""
    exported = student_checkpoint(load_distill_checkpoint(source), source)
    os.makedirs(osp.dirname(osp.abspath(target)), exist_ok=True)
    partial = target + '.partial'
    torch.save(exported, partial)
    os.replace(partial, target)  # never leave a half-written checkpoint
    return exported


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Export the student of a distillation checkpoint as a '
        'plain mmdet checkpoint.')
    parser.add_argument('checkpoint', help='distillation checkpoint (.pth)')
    parser.add_argument('output', help='where to write the student (.pth)')
    args = parser.parse_args(argv)
    exported = export(args.checkpoint, args.output)
    count = sum(v.numel() for v in exported['state_dict'].values())
    print(f'wrote {args.output}: {len(exported["state_dict"])} tensors, '
          f'{count / 1e6:.2f}M values of the student')


if __name__ == '__main__':
    main()
