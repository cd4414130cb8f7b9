"""A benchmark setting: one small config file that says what to compare.

A setting (``configs/benchmark/<name>.py``, an mmengine config, so settings
inherit from each other with ``_base_``) holds every fact of one benchmark
regime that the demo, the benchmark, the pictures and the cost script need:

``name``, ``title``, ``report``
    results go to ``results/<name>/<report>.{md,json,png}``, runs to
    ``work_dirs/<name>/``.
``data``
    ``root``; ``generate`` (arguments of the embedded generator, or None
    for data that already exists, e.g. COCO); ``splits``: ``train``,
    ``test`` (the final tables) and optionally ``holdout`` (training-like
    images held out from training: loss weights and schedules are chosen on
    them), each ``(annotation file, image folder)`` under ``root``.
``teacher``
    ``label`` and either ``train=dict(epochs=..., options=[...])`` with
    ``config`` (mmdet) to train it once into ``<work_dir>/teacher.pth``, or
    no ``train``: the teacher ``config`` and ``checkpoint`` (default: those
    of the AMD distillation config, a model-zoo teacher) are evaluated.
    ``recorded``, optionally, is the ``metrics.json`` of that checkpoint's
    own evaluation: on the setting's own generated data the fresh
    evaluation must reproduce it (:mod:`.teacher_check`).
``baseline``, ``methods``, ``control``, ``ablations``, ``phis``
    the student config, the distillation config of each method, which
    method's config (at loss scale 0) is the control, AMD's ablations
    (label -> key of ``amd_ablations`` in the AMD config) and the phi sweep.
    Instead of ``methods``, ``distill_pair`` names the teacher/student pair
    of the configs: ``configs/distill/<m>/<m>_fpn_<distill_pair>.py`` for
    every method of :data:`METHODS` (FGD, MGD, AMD, and MMRazor's PKD and
    CWD).
``students``
    the schedule of every student run: ``epochs``; optionally
    ``milestones`` (the epochs at which the configs' step scheduler divides
    the learning rate, see ``schedule_options``), ``options`` (more cfg
    options) and ``val_interval`` (validation on the holdout split every
    that many epochs); ``curve``, optionally, a longer schedule (same keys)
    the baseline runs once to show whether its accuracy has flattened.
    ``teacher.train`` takes the same keys.
``balance``
    ``target_ratios``: the ratios of DistillBalanceHook tried for each
    method on the holdout split (the best one is used for the tables), or
    None to keep the configs' weights; ``selection_seed``; optionally
    ``calibration_iters`` (else the hook's default) and
    ``grad_share_interval`` (measure the distillation share of the
    student-neck gradient every that many iterations).
``table``
    optionally, the rows of the table (labels; default: the baseline, the
    control and every method).
``seeds``, ``ablation_seeds``, ``phi_seeds``
    default seeds of each group (the command line can override them).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config

SETTINGS_DIR = osp.join('configs', 'benchmark')
REQUIRED = ('name', 'title', 'report', 'data', 'teacher', 'baseline',
            'methods', 'control', 'students', 'seeds')
METHODS = ('FGD', 'MGD', 'AMD', 'PKD', 'CWD')  # table order


def distill_configs(pair: str) -> Dict[str, str]:
    """The distillation config of each method for a teacher/student pair,
    by the configs' naming rule ``<method>_fpn_<pair>.py``."""
    return {
        method: osp.join('configs', 'distill', method.lower(),
                         f'{method.lower()}_fpn_{pair}.py')
        for method in METHODS
    }


def config_file(path: str) -> str:
    """A config path that ``mim`` and ``Config.fromfile`` both read: an
    OpenMMLab package config ``mmdet::retinanet/x.py`` becomes its file in
    the installed package."""
    if '::' not in path:
        return path
    import importlib
    package, relative = path.split('::', 1)
    root = osp.dirname(importlib.import_module(package).__file__)
    return osp.join(root, '.mim', 'configs', relative)


def merge_cfg_options(cfg: Config, options: List[str]) -> Config:
    """Merge ``--cfg-options`` strings (``key=value``, as the runs pass
    them to ``mim``) into ``cfg``, parsed as mmengine parses them."""
    import argparse

    from mmengine.config import DictAction
    parsed = argparse.Namespace()
    DictAction(option_strings=[], dest='options')(None, parsed, list(options))
    cfg.merge_from_dict(parsed.options)
    return cfg


def repo_path(path: str, root: str) -> str:
    """A path given on the command line (relative to the caller's current
    directory), relative to the repository ``root`` when it lies inside it,
    absolute otherwise. Call it before changing to ``root``: the work dirs
    and the paths that results store then do not depend on where the
    checkout is, so committed results restore on another machine."""
    path = osp.abspath(path)
    inside = osp.relpath(path, osp.abspath(root))
    return path if inside.split(os.sep)[0] == os.pardir else inside


class SettingError(ValueError):
    """A setting file is missing or incomplete."""


# the configs' step scheduler: MultiStepLR after the linear warm-up
LR_STEPS = 'param_scheduler.1'


def schedule_options(schedule: Dict) -> List[str]:
    """``--cfg-options`` of one schedule (``students``, their ``curve`` or
    ``teacher.train``): ``epochs`` sets ``train_cfg.max_epochs``;
    ``milestones``, when given, end the step scheduler at ``epochs`` and
    divide the learning rate at those epochs; ``options`` follow as they
    are."""
    epochs = schedule['epochs']
    options = [f'train_cfg.max_epochs={epochs}']
    milestones = schedule.get('milestones')
    if milestones is not None:
        late = [m for m in milestones if not 0 < m < epochs]
        if late:
            raise SettingError(f'milestones {late} lie outside the '
                               f'{epochs} epochs of the schedule')
        steps = ','.join(str(int(m)) for m in milestones)
        options += [f'{LR_STEPS}.end={epochs}',
                    f'{LR_STEPS}.milestones=[{steps}]']
    return options + list(schedule.get('options', []))


def setting_path(name_or_path: str, root: str = '.') -> str:
    """``configs/benchmark/<name>.py``, or the path itself if it is one."""
    if name_or_path.endswith('.py'):
        return name_or_path
    return osp.join(root, SETTINGS_DIR, f'{name_or_path}.py')


def available_settings(root: str = '.') -> List[str]:
    import glob
    return sorted(
        osp.splitext(osp.basename(p))[0]
        for p in glob.glob(osp.join(root, SETTINGS_DIR, '*.py')))


class Setting:
    """A loaded setting; attribute access reads the config's fields."""

    def __init__(self, cfg: Config, path: str) -> None:
        if 'methods' not in cfg and cfg.get('distill_pair'):
            cfg.methods = distill_configs(cfg.distill_pair)
        missing = [key for key in REQUIRED if key not in cfg]
        if missing:
            raise SettingError(f'the setting {path} lacks {missing}')
        self.cfg = cfg
        self.path = path

    @classmethod
    def load(cls, name_or_path: str, root: str = '.') -> 'Setting':
        path = setting_path(name_or_path, root)
        if not osp.isfile(path):
            raise SettingError(
                f'no benchmark setting {name_or_path!r} ({path}); the '
                f'settings are {", ".join(available_settings(root))}')
        return cls(Config.fromfile(path), path)

    def __getattr__(self, key):
        cfg = self.__dict__.get('cfg')
        if cfg is None or key not in cfg:
            raise AttributeError(key)
        return cfg[key]

    def get(self, key, default=None):
        return self.cfg.get(key, default)

    # ------------------------------------------------------------ data
    @property
    def data_root(self) -> str:
        return self.data['root'].rstrip('/') + '/'

    def split(self, name: str) -> Optional[Tuple[str, str]]:
        """``(annotation file, image folder)`` of a split, or None."""
        pair = self.data['splits'].get(name)
        return None if pair is None else tuple(pair)

    def data_options(self, eval_split: str = 'test',
                     val_split: Optional[str] = None) -> List[str]:
        """``--cfg-options`` that point a config at this setting's data:
        training on ``train``, ``test_*`` on ``eval_split`` and ``val_*``
        (in-training validation) on ``val_split`` (default the holdout
        split when there is one, else ``eval_split``)."""
        if val_split is None:
            val_split = 'holdout' if self.split('holdout') else eval_split
        root = self.data_root
        train_ann, train_img = self.split('train')
        options = [
            f'train_dataloader.dataset.data_root={root}',
            f'train_dataloader.dataset.ann_file={train_ann}',
            f'train_dataloader.dataset.data_prefix.img={train_img}',
        ]
        from .runs import METRICS
        items = ','.join(key.split('bbox_', 1)[1] for key in METRICS)
        for key, split in (('val', val_split), ('test', eval_split)):
            ann, img = self.split(split)
            options += [
                f'{key}_dataloader.dataset.data_root={root}',
                f'{key}_dataloader.dataset.ann_file={ann}',
                f'{key}_dataloader.dataset.data_prefix.img={img}',
                f'{key}_evaluator.ann_file={root}{ann}',
                # the paper's columns, mAR (AR@100) and AR_S/M/L included
                f'{key}_evaluator.metric_items=[{items}]',
            ]
        return options

    # -------------------------------------------------------- students
    def student_schedule(self, curve: bool = False) -> Dict:
        """The students' schedule (their ``curve`` if asked)."""
        return self.students['curve'] if curve else self.students

    @property
    def target_ratios(self) -> Optional[List[float]]:
        balance = self.get('balance') or {}
        ratios = balance.get('target_ratios')
        return None if not ratios else [float(r) for r in ratios]

    def teacher_checkpoint(self, work_dir: str) -> Optional[str]:
        """The trained teacher (``<work_dir>/teacher.pth``), the given
        ``teacher.checkpoint``, or None: the methods' configs' own."""
        if self.teacher.get('train'):
            return osp.join(work_dir, 'teacher.pth')
        return self.teacher.get('checkpoint')

    def prepare_data(self, overwrite: bool = False) -> Optional[Dict]:
        """Generate the setting's data (reused when it exists); return the
        generator's summary, or None for data the setting does not make."""
        generate = self.data.get('generate')
        if not generate:
            return None
        from mmrazor_amd_bench.datagen import generate_dataset
        return generate_dataset(self.data['root'], overwrite=overwrite,
                                **generate)

    def describe(self) -> Dict:
        """The fields that the results' JSON records."""
        return {key: self.cfg[key] for key in self.cfg
                if not key.startswith('_')}
