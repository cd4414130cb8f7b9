"""Train and evaluate one run of the embedded benchmark, resumably.

A :class:`Run` is one ``mim train`` of a config (mmdet for the teacher and
the baseline student, mmrazor for distillation) with its overrides and seed,
followed by one ``mim test`` of its last checkpoint. Both go through the same
commands a user types, in subprocesses, so the benchmark exercises exactly the
README's path. Each run owns a work dir:

``<work_dir>/train.log``    the training log (mmengine's)
``<work_dir>/test.log``     the evaluation log
``<work_dir>/metrics.json`` the COCO metrics, written last: its presence marks
                            the run as done and it is what reports read.

An interrupted run resumes from its last checkpoint (``--resume``): the
training loop restores the optimizer, the scheduler, the distiller's own
parameters and the epoch/iteration counters.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from tqdm import tqdm

# CocoMetric keys -> the names used in tables (the paper's columns)
METRICS = {
    'coco/bbox_mAP': 'mAP',
    'coco/bbox_mAP_50': 'AP50',
    'coco/bbox_mAP_75': 'AP75',
    'coco/bbox_mAP_s': 'AP_S',
    'coco/bbox_mAP_m': 'AP_M',
    'coco/bbox_mAP_l': 'AP_L',
    'coco/bbox_AR@100': 'mAR',
    'coco/bbox_AR_s@1000': 'AR_S',
    'coco/bbox_AR_m@1000': 'AR_M',
    'coco/bbox_AR_l@1000': 'AR_L',
}
_PROGRESS = re.compile(r'Epoch\((train|test|val)\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]'
                       r'|Epoch\((test|val)\)\s+\[\s*(\d+)/(\d+)\]')


NO_VALIDATION = 10**6  # a val_interval no schedule here reaches


class RunError(RuntimeError):
    """A training or evaluation subprocess failed."""


@dataclass
class Run:
    """One benchmark entry: what to train and where.

    Args:
        name: short identifier, e.g. ``amd/seed0``.
        package: ``'mmdet'`` (plain detector) or ``'mmrazor'`` (distillation).
        config: config path, relative to the repository root.
        work_dir: where checkpoints, logs and ``metrics.json`` go.
        seed: ``randomness.seed`` of the run.
        options: extra ``--cfg-options`` (``key=value`` strings).
        epochs: ``train_cfg.max_epochs`` override (None keeps the config's).
    """
    name: str
    package: str
    config: str
    work_dir: str
    seed: int = 0
    options: List[str] = field(default_factory=list)
    epochs: Optional[int] = None

    @property
    def metrics_file(self) -> str:
        return osp.join(self.work_dir, 'metrics.json')

    def done(self) -> bool:
        return osp.isfile(self.metrics_file)

    def metrics(self) -> Dict[str, float]:
        with open(self.metrics_file) as f:
            return json.load(f)['metrics']

    def cfg_options(self) -> List[str]:
        # No validation during training: the run is evaluated once, after.
        options = [f'randomness.seed={self.seed}',
                   f'train_cfg.val_interval={NO_VALIDATION}']
        if self.epochs is not None:
            options.append(f'train_cfg.max_epochs={self.epochs}')
        return options + list(self.options)


def _checkpoint(work_dir: str) -> Optional[str]:
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            path = f.read().strip()
        if osp.isfile(path):
            return path
    found = sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')),
                   key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))
    return found[-1] if found else None


def _stream(command: List[str], log_file: str, desc: str,
            quiet: bool) -> None:
    """Run ``command``, log everything, draw a progress bar from its log."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    bar = None if quiet else tqdm(
        total=1, desc=desc, unit='it', leave=True, dynamic_ncols=True)
    with open(log_file, 'a', buffering=1) as log:  # line-buffered: tail -f
        log.write(f'$ {" ".join(command)}\n')
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env)
        for line in process.stdout:
            log.write(line)
            match = _PROGRESS.search(line)
            if match and bar is not None:
                done, total = _progress(match)
                if bar.total != total:
                    bar.reset(total=total)
                bar.n = done
                bar.refresh()
        process.wait()
    if bar is not None:
        bar.close()
    if process.returncode != 0:
        with open(log_file) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RunError(f'{desc}: `{" ".join(command[:5])} ...` failed with '
                       f'exit status {process.returncode}. Last lines of '
                       f'{log_file}:\n{tail}')


def _progress(match) -> tuple:
    """(done, total) from an mmengine log line, counting over all epochs."""
    if match.group(1):  # Epoch(train) [e][i/n]
        epoch, it, per_epoch = (int(match.group(k)) for k in (2, 3, 4))
        max_epochs = _progress.max_epochs or epoch
        return (epoch - 1) * per_epoch + it, max_epochs * per_epoch
    return int(match.group(6)), int(match.group(7))


_progress.max_epochs = None


def _max_epochs(run: Run) -> Optional[int]:
    if run.epochs is not None:
        return run.epochs
    from mmengine.config import Config
    return Config.fromfile(run.config).train_cfg.get('max_epochs')


def train(run: Run, quiet: bool = False) -> str:
    """Train ``run`` (resuming if interrupted); return its last checkpoint."""
    os.makedirs(run.work_dir, exist_ok=True)
    final = osp.join(run.work_dir, 'final.pth')
    if osp.isfile(final):
        return final
    command = [
        sys.executable, '-m', 'mim', 'train', run.package, run.config,
        '--work-dir', run.work_dir, '--cfg-options', *run.cfg_options()
    ]
    if _checkpoint(run.work_dir):
        command.append('--resume')
    _progress.max_epochs = _max_epochs(run)
    _stream(command, osp.join(run.work_dir, 'train.log'),
            f'{run.name}: train', quiet)
    last = _checkpoint(run.work_dir)
    if last is None:
        raise RunError(f'{run.name}: training ended without a checkpoint in '
                       f'{run.work_dir}')
    os.replace(last, final)
    with open(osp.join(run.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(final)
    return final


def evaluate(run: Run, checkpoint: str, quiet: bool = False) -> Dict:
    """``mim test`` the checkpoint; write and return ``metrics.json``."""
    test_dir = osp.join(run.work_dir, 'test')
    command = [
        sys.executable, '-m', 'mim', 'test', run.package, run.config,
        '--checkpoint', checkpoint, '--work-dir', test_dir, '--cfg-options',
        *run.cfg_options()
    ]
    started = time.time()
    _stream(command, osp.join(run.work_dir, 'test.log'),
            f'{run.name}: evaluate', quiet)
    dumps = sorted(glob.glob(osp.join(test_dir, '*', '*.json')),
                   key=osp.getmtime)
    if not dumps:
        raise RunError(f'{run.name}: evaluation wrote no metrics under '
                       f'{test_dir}')
    with open(dumps[-1]) as f:
        raw = json.load(f)
    # CocoMetric reports nothing when the model detects nothing at all; the
    # COCO scores of an empty detection set are 0.
    empty = not any(key in raw for key in METRICS)
    metrics = {short: raw.get(key, 0.0) for key, short in METRICS.items()}
    result = dict(
        name=run.name,
        config=run.config,
        seed=run.seed,
        options=run.options,
        checkpoint=checkpoint,
        metrics=metrics,
        no_detections=empty,
        eval_seconds=round(time.time() - started, 1))
    with open(run.metrics_file, 'w') as f:
        json.dump(result, f, indent=2)
    return metrics


def execute(run: Run, redo: bool = False, quiet: bool = False,
            on_done: Optional[Callable[[Run], None]] = None) -> Dict:
    """Train and evaluate ``run`` unless it is done (or ``redo``)."""
    if redo and osp.isdir(run.work_dir):
        import shutil
        shutil.rmtree(run.work_dir)
    if not run.done():
        started = time.time()
        checkpoint = train(run, quiet)
        train_seconds = time.time() - started
        evaluate(run, checkpoint, quiet)
        with open(run.metrics_file) as f:
            result = json.load(f)
        result['train_seconds'] = round(train_seconds, 1)
        with open(run.metrics_file, 'w') as f:
            json.dump(result, f, indent=2)
    if on_done is not None:
        on_done(run)
    return run.metrics()
