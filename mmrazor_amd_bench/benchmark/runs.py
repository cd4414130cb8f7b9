"""Train and evaluate one benchmark run, resumably, through ``mim``.

A :class:`Run` is one ``mim train`` of a config (mmdet for the teacher and
the baseline, mmrazor for distillation) with its overrides and seed,
followed by one ``mim test`` of its last checkpoint. Both go through the
commands a user types, in subprocesses; with ``gpus > 1`` they are launched
distributed (``--launcher pytorch --gpus N``). Each run owns a work dir:

``<work_dir>/train.log``    the training log (mmengine's)
``<work_dir>/test.log``     the evaluation log
``<work_dir>/metrics.json`` the COCO metrics, the training curve and the
                            loss balance, written last: its presence marks
                            the run as done and it is what reports read.

An interrupted run resumes from its last checkpoint (``--resume``).
"""
import glob
import json
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from tqdm import tqdm

from .curves import read_scalars, summarise_training
from .environment import machine_name

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
_PROGRESS = re.compile(r'Epoch\((train)\)\s+\[(\d+)\]\[\s*(\d+)/(\d+)\]'
                       r'|Epoch\((test)\)\s+\[\s*(\d+)/(\d+)\]')

NO_VALIDATION = 10**6  # an epoch no schedule here reaches


class RunError(RuntimeError):
    """A training or evaluation subprocess failed."""


@dataclass
class Run:
    """One benchmark entry: what to train, where, and how it is scored.

    Args:
        name: readable identifier, e.g. ``AMD seed 0``.
        package: ``'mmdet'`` (plain detector) or ``'mmrazor'``.
        config: config path, relative to the repository root.
        work_dir: where checkpoints, logs and ``metrics.json`` go.
        seed: ``randomness.seed`` of the run.
        options: extra ``--cfg-options`` (``key=value`` strings).
        epochs: ``train_cfg.max_epochs`` override (None keeps the config's
            or the options').
        group, label: where the run goes in the report.
        eval_split: the data split ``mim test`` scores (``test`` or
            ``holdout``), recorded with the metrics.
        val_interval: in-training validation every that many epochs
            and after the last (on the holdout split); None: none, not
            even the one mmengine's loop runs after the last epoch.
        gpus: processes of a distributed launch (``--launcher pytorch``);
            0 or 1: one process.
        info: extra fields copied into ``metrics.json``.
        checkpoint: evaluate this checkpoint (a file or URL) instead of
            training, e.g. a model-zoo teacher.
    """
    name: str
    package: str
    config: str
    work_dir: str
    seed: int = 0
    options: List[str] = field(default_factory=list)
    epochs: Optional[int] = None
    group: str = ''
    label: str = ''
    eval_split: str = 'test'
    val_interval: Optional[int] = None
    gpus: int = 0
    info: Dict = field(default_factory=dict)
    checkpoint: Optional[str] = None

    @property
    def metrics_file(self) -> str:
        return osp.join(self.work_dir, 'metrics.json')

    def done(self) -> bool:
        return osp.isfile(self.metrics_file)

    def result(self) -> Dict:
        with open(self.metrics_file) as f:
            return json.load(f)

    def metrics(self) -> Dict[str, float]:
        return self.result()['metrics']

    def recorded_options(self) -> List[str]:
        """The options that define the run, as ``metrics.json`` records
        them and :func:`check_reuse` compares them: ``options`` and the
        ``epochs`` override (a smoke run is not a full one)."""
        if self.epochs is None:
            return list(self.options)
        return list(self.options) + [f'train_cfg.max_epochs={self.epochs}']

    def cfg_options(self) -> List[str]:
        options = [f'randomness.seed={self.seed}'] + list(self.options)
        if self.epochs is not None:
            options.append(f'train_cfg.max_epochs={self.epochs}')
        if self.val_interval:
            return options + [f'train_cfg.val_interval={self.val_interval}']
        # the loop validates at the last epoch unless it is before val_begin
        return options + [f'train_cfg.val_interval={NO_VALIDATION}',
                          f'train_cfg.val_begin={NO_VALIDATION}']

    def _launch(self) -> List[str]:
        if self.gpus > 1:
            return ['--launcher', 'pytorch', '--gpus', str(self.gpus)]
        return []

    def train_command(self, resume: bool = False) -> List[str]:
        command = [
            sys.executable, '-m', 'mim', 'train', self.package, self.config,
            *self._launch(), '--work-dir', self.work_dir
        ]
        if resume:
            command.append('--resume')
        return command + ['--cfg-options', *self.cfg_options()]

    def test_command(self, checkpoint: str) -> List[str]:
        return [
            sys.executable, '-m', 'mim', 'test', self.package, self.config,
            '--checkpoint', checkpoint, *self._launch(), '--work-dir',
            osp.join(self.work_dir, 'test'), '--cfg-options',
            *self.cfg_options()
        ]

    def describe(self) -> str:
        """The commands of the run, as a user would type them."""
        commands = [self.test_command(self.checkpoint or osp.join(
            self.work_dir, 'final.pth'))]
        if self.checkpoint is None:
            commands.insert(0, self.train_command())
        return '\n'.join(
            ' '.join(shlex.quote(a) for a in ['python'] + command[1:])
            for command in commands)


def last_checkpoint(work_dir: str) -> Optional[str]:
    marker = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker) as f:
            path = f.read().strip()
        if osp.isfile(path):
            return path
    found = sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')),
                   key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))
    return found[-1] if found else None


def _stream(command: List[str], log_file: str, desc: str, quiet: bool,
            max_epochs: Optional[int]) -> None:
    """Run ``command``, log everything, draw a progress bar from its log."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    bar = None if quiet else tqdm(
        total=1, desc=desc, unit='it', leave=True, dynamic_ncols=True)
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    with open(log_file, 'a', buffering=1) as log:  # line-buffered: tail -f
        log.write(f'$ {" ".join(command)}\n')
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env)
        for line in process.stdout:
            log.write(line)
            match = _PROGRESS.search(line)
            if match and bar is not None:
                advance(bar, *progress(match, max_epochs))
        process.wait()
    if bar is not None:
        bar.close()
    if process.returncode != 0:
        with open(log_file) as f:
            tail = ''.join(f.readlines()[-30:])
        raise RunError(f'{desc}: `{" ".join(command[:6])} ...` failed with '
                       f'exit status {process.returncode}. Last lines of '
                       f'{log_file}:\n{tail}')


def advance(bar, done: int, total: int) -> None:
    """Show ``done`` of ``total`` iterations. The first log line of a run
    (or of a resumed run) starts the count the rate is measured from: the
    iterations before it took the process's start-up, or another process,
    not the time this bar has been open."""
    if bar.total != total:
        bar.reset(total=total)
        bar.initial = done
    bar.n = done
    bar.refresh()


def progress(match, max_epochs: Optional[int]) -> tuple:
    """(done, total) from an mmengine log line, counting over all epochs."""
    if match.group(1):  # Epoch(train) [e][i/n]
        epoch, it, per_epoch = (int(match.group(k)) for k in (2, 3, 4))
        return (epoch - 1) * per_epoch + it, (max_epochs or epoch) * per_epoch
    return int(match.group(6)), int(match.group(7))


def _max_epochs(run: Run) -> Optional[int]:
    if run.epochs is not None:
        return run.epochs
    for option in reversed(run.options):
        if option.startswith('train_cfg.max_epochs='):
            return int(option.split('=', 1)[1])
    from mmengine.config import Config
    return Config.fromfile(run.config).train_cfg.get('max_epochs')


def train(run: Run, quiet: bool = False) -> str:
    """Train ``run`` (resuming if interrupted); return its last checkpoint."""
    final = osp.join(run.work_dir, 'final.pth')
    if osp.isfile(final):
        return final
    command = run.train_command(resume=last_checkpoint(run.work_dir)
                                is not None)
    _stream(command, osp.join(run.work_dir, 'train.log'),
            f'{run.name}: train', quiet, _max_epochs(run))
    last = last_checkpoint(run.work_dir)
    if last is None:
        raise RunError(f'{run.name}: training ended without a checkpoint in '
                       f'{run.work_dir}')
    os.replace(last, final)
    with open(osp.join(run.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(final)
    return final


def evaluate(run: Run, checkpoint: str, quiet: bool = False) -> Dict:
    """``mim test`` the checkpoint; return the metrics (table names)."""
    test_dir = osp.join(run.work_dir, 'test')
    _stream(run.test_command(checkpoint), osp.join(run.work_dir, 'test.log'),
            f'{run.name}: evaluate', quiet, None)
    dumps = sorted(glob.glob(osp.join(test_dir, '*', '*.json')),
                   key=osp.getmtime)
    if not dumps:
        raise RunError(f'{run.name}: evaluation wrote no metrics under '
                       f'{test_dir}')
    with open(dumps[-1]) as f:
        raw = json.load(f)
    # CocoMetric reports nothing when the model detects nothing at all; the
    # COCO scores of an empty detection set are 0.
    return {short: raw.get(key, 0.0) for key, short in METRICS.items()}


def publish_checkpoint(run: Run, target: str) -> None:
    """Copy the run's ``final.pth`` to ``target`` (e.g. the teacher that the
    distillation configs read) when it is missing or older."""
    final = osp.join(run.work_dir, 'final.pth')
    if osp.isfile(final) and (not osp.isfile(target)
                              or osp.getmtime(target) < osp.getmtime(final)):
        os.makedirs(osp.dirname(target) or '.', exist_ok=True)
        shutil.copyfile(final, target)


def _balance_meta(checkpoint: str) -> Optional[Dict]:
    """What DistillBalanceHook stored in the checkpoint, if anything."""
    # the weights_only policy, without mmengine's "Loads checkpoint by ..."
    # line among the progress bars
    from mmrazor_amd.compat.checkpoint import load_from_local
    state = load_from_local(checkpoint, map_location='cpu')
    return (state.get('meta') or {}).get('distill_balance')


def _defining(options: List[str]) -> Dict[str, str]:
    """What the options set, key -> value as mmengine applies them (the
    last of a repeated key wins; their order is otherwise immaterial),
    without the metric items, which only choose what an evaluation
    reports."""
    pairs = (option.split('=', 1) for option in options)
    return {_named_hook(key): value for key, value in pairs
            if not key.endswith('_evaluator.metric_items')}


# Runs recorded before the distillation hooks were named in default_hooks
# set DistillBalanceHook by its position, which was 2 in every distillation
# config then: the same option under its old spelling.
_POSITIONAL_BALANCE_HOOK = 'custom_hooks.2.'


def _named_hook(key: str) -> str:
    if key.startswith(_POSITIONAL_BALANCE_HOOK):
        return ('default_hooks.distill_balance.' +
                key[len(_POSITIONAL_BALANCE_HOOK):])
    return key


def check_reuse(run: Run) -> None:
    """Refuse a finished run in ``run.work_dir`` that was trained with
    other options (another setting, ratio or schedule)."""
    stored = run.result().get('options')
    if stored is None:
        return
    now, then = _defining(run.recorded_options()), _defining(stored)
    if now != then:
        added = sorted(f'{k}={v}' for k, v in now.items()
                       if then.get(k) != v)
        gone = sorted(f'{k}={v}' for k, v in then.items()
                      if now.get(k) != v)
        raise RunError(
            f'{run.name}: {run.work_dir} holds a run trained with other '
            f'options (now also {added}, no longer {gone}); remove it or '
            'choose another --work-dir')


def execute(run: Run, redo: bool = False, quiet: bool = False,
            on_done: Optional[Callable[[Run], None]] = None) -> Dict:
    """Train and evaluate ``run`` unless it is done (or ``redo``); a done
    run is reused only when its options are the planned ones."""
    if redo and osp.isdir(run.work_dir):
        shutil.rmtree(run.work_dir)
    if run.done():
        check_reuse(run)
    if not run.done():
        started = time.time()
        checkpoint = run.checkpoint or train(run, quiet)
        train_seconds = time.time() - started
        started = time.time()
        metrics = evaluate(run, checkpoint, quiet)
        result = dict(
            name=run.name, label=run.label, group=run.group, seed=run.seed,
            config=run.config, options=run.recorded_options(),
            checkpoint=checkpoint,
            eval_split=run.eval_split, metrics=metrics,
            no_detections=not any(metrics.values()),
            train_seconds=round(train_seconds, 1),
            eval_seconds=round(time.time() - started, 1),
            machine=machine_name(),
            balance=None if run.checkpoint else _balance_meta(checkpoint),
            training=summarise_training(read_scalars(run.work_dir)),
            **run.info)
        with open(run.metrics_file, 'w') as f:
            json.dump(result, f, indent=2)
    if on_done is not None:
        on_done(run)
    return run.metrics()
