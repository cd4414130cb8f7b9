"""Train the tiny distillation config in float32 and under ``--amp`` on a
CUDA GPU and record, per method, AMP's loss scale, the steps it skipped and
the fp16/fp32 ratio of the losses. NEEDS CUDA (it stops otherwise).

    # the whole GPU check (the GPU tests, this, the COCO-size step):
    scripts/gpu_check.sh [OUT]                  # default results/gpu-check
    # this part alone, from the repository root:
    python scripts/gpu_check.py [--out results/gpu-check]
        [--methods amd mgd fgd] [--data DIR]

The config is ``tests/configs/distill_synthetic_tiny.py`` (3 epochs of 4
steps of 4 generated images, the method's embedded config at its
published weights, random detection heads), trained by ``scripts/train.py``
as the tests train it (``tests/`` on ``PYTHONPATH`` for its
``probe_hooks``, which write every step's losses and the loss scale
before and after it). Per method two runs with the same seed: float32, and
``--amp`` (mmengine's ``AmpOptimWrapper``: fp16 autocast, dynamic loss
scale from 2^16, a step whose gradients overflow is skipped and halves the
scale). Written to ``OUT``: ``gpu_check.json`` (one record per method, see
:func:`method_record`), ``gpu_check.md`` (the same as a table) and the runs
under ``OUT/runs/``.

The first step's ratio (same weights, same batch) isolates the precision
of the forward: it must be 1 within fp16 rounding. The last step's ratio
also holds everything training did differently (skipped steps move the
whole trajectory).
"""
import argparse
import json
import math
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

from mmrazor_amd_bench import ROOT

METHODS = ('amd', 'mgd', 'fgd')
CONFIG = osp.join('tests', 'configs', 'distill_synthetic_tiny.py')
NEEDS_CUDA = ('the GPU check needs a CUDA GPU (torch.cuda.is_available() '
              'is False here); nothing was run')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Tiny distillation config, float32 vs --amp on CUDA '
        '(NEEDS CUDA): loss scale, skipped steps, fp16/fp32 loss ratios')
    parser.add_argument('--out', default=osp.join('results', 'gpu-check'),
                        help='output folder (default results/gpu-check)')
    parser.add_argument('--methods', nargs='+', choices=METHODS,
                        default=list(METHODS))
    parser.add_argument('--data', help='generated data (default OUT/data; '
                        'made when missing)')
    return parser.parse_args(argv)


def require_cuda() -> None:
    import torch
    if not torch.cuda.is_available():
        raise SystemExit(NEEDS_CUDA)


def train_command(work_dir: str, data_root: str, amp: bool,
                  python: str = sys.executable) -> List[str]:
    """``scripts/train.py`` on the tiny config, as the tests run it."""
    command = [python, osp.join(ROOT, 'scripts', 'train.py'),
               osp.join(ROOT, CONFIG)]
    if amp:
        command.append('--amp')
    return command + [
        '--work-dir', work_dir, '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}/']


def train_env(method: str) -> Dict[str, str]:
    path = os.environ.get('PYTHONPATH')
    tests = osp.join(ROOT, 'tests')
    return {**os.environ, 'PYTHONUNBUFFERED': '1', 'DISTILL_METHOD': method,
            'PYTHONPATH': tests + (os.pathsep + path if path else '')}


def read_rows(work_dir: str) -> List[Dict[str, float]]:
    with open(osp.join(work_dir, 'losses_rank0.jsonl')) as f:
        return [json.loads(line) for line in f]


def losses(row: Dict[str, float]) -> Dict[str, float]:
    return {k: v for k, v in row.items()
            if 'loss' in k and not k.endswith('_raw')}


def ratios(amp: Dict[str, float], fp32: Dict[str, float]) -> Dict:
    """``amp / fp32`` per loss (None where float32's is 0)."""
    return {k: (amp[k] / fp32[k] if fp32.get(k) else None)
            for k in amp if k in fp32}


def scale_record(rows: List[Dict[str, float]]) -> Dict:
    """The loss scale of an AMP run: before its first step, after its last,
    and the steps after which it fell (they overflowed and were skipped)."""
    if not rows or 'amp.scale_before' not in rows[0]:
        return dict(initial=None, final=None, skipped_steps=[])
    return dict(
        initial=rows[0]['amp.scale_before'],
        final=rows[-1]['amp.scale_after'],
        skipped_steps=[int(r['iter']) for r in rows
                       if r['amp.scale_after'] < r['amp.scale_before']])


def method_record(method: str, fp32_rows: List[Dict],
                  amp_rows: List[Dict]) -> Dict:
    """One method's record: steps, whether every AMP loss was finite, the
    loss scale (:func:`scale_record`), and per loss the first and last
    steps' values in both runs with their ratio ``amp / fp32``."""
    steps = {}
    for name, index in (('first_step', 0), ('last_step', -1)):
        fp32, amp = losses(fp32_rows[index]), losses(amp_rows[index])
        steps[name] = dict(fp32=fp32, amp=amp, amp_over_fp32=ratios(amp,
                                                                    fp32))
    finite = all(math.isfinite(v) for row in amp_rows
                 for v in losses(row).values())
    return dict(method=method, steps=len(amp_rows), finite=finite,
                loss_scale=scale_record(amp_rows), **steps)


def markdown(records: List[Dict], meta: Dict) -> str:
    lines = [
        '# GPU check: the tiny distillation config, float32 vs --amp', '',
        f'{meta.get("device", "?")}; torch {meta.get("torch", "?")}. '
        'Loss ratios are fp16 (--amp) / float32 at the same step.', '',
        '| method | steps | losses finite | loss scale (first -> last) | '
        'skipped steps | distillation loss ratio, first step | last step | '
        'detection loss ratio, first step | last step |',
        '|---|---:|---|---|---|---:|---:|---:|---:|']
    for r in records:
        distill = f'distill.loss_{r["method"]}'
        cells = [r['method'].upper(), str(r['steps']),
                 'yes' if r['finite'] else 'NO']
        scale = r['loss_scale']
        cells.append('-' if scale['initial'] is None else
                     f'{scale["initial"]:g} -> {scale["final"]:g}')
        cells.append(', '.join(map(str, scale['skipped_steps'])) or 'none')
        for key in (distill, 'student.loss_cls'):
            for step in ('first_step', 'last_step'):
                value = r[step]['amp_over_fp32'].get(key)
                cells.append('-' if value is None else f'{value:.4f}')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_records(out: str, records: List[Dict], meta: Dict) -> None:
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, 'gpu_check.json'), 'w') as f:
        json.dump(dict(meta=meta, methods=records), f, indent=1)
    with open(osp.join(out, 'gpu_check.md'), 'w') as f:
        f.write(markdown(records, meta))


def _train(work_dir: str, data: str, method: str, amp: bool) -> List[Dict]:
    if osp.isdir(work_dir):
        import shutil
        shutil.rmtree(work_dir)  # the probe appends to its rows
    command = train_command(work_dir, data, amp)
    print('[gpu-check]', ' '.join(command), flush=True)
    done = subprocess.run(command, env=train_env(method), cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f'[gpu-check] {method} ({"amp" if amp else "fp32"}'
                         f') failed with exit code {done.returncode}')
    return read_rows(work_dir)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    require_cuda()
    import torch
    out = osp.abspath(args.out)
    data = osp.abspath(args.data or osp.join(out, 'data'))
    if not osp.isfile(osp.join(data, 'instances_train.json')):
        from mmrazor_amd_bench.datagen import generate_dataset
        generate_dataset(data, num_train=16, num_val=4, num_holdout=4,
                         workers=1)
    meta = dict(device=torch.cuda.get_device_name(0),
                torch=torch.__version__, config=CONFIG)
    records = []
    for method in args.methods:
        runs = osp.join(out, 'runs', method)
        fp32 = _train(osp.join(runs, 'fp32'), data, method, amp=False)
        amp = _train(osp.join(runs, 'amp'), data, method, amp=True)
        records.append(method_record(method, fp32, amp))
        write_records(out, records, meta)  # after each method
    print(markdown(records, meta))


if __name__ == '__main__':
    main()
