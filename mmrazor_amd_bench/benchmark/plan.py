"""The runs of a benchmark setting: what the demo and the benchmark train.

Every student run of a setting uses the same teacher checkpoint, data and
schedule; the distilled ones differ only in their distillation losses. The
groups of runs (:class:`~.benchmark.Benchmark` runs them in this order):

``teacher``    trained once (settings with ``teacher.train``), or the
               model-zoo teacher evaluated
``selection``  each method at each target ratio of the setting's
               ``balance``, one seed, scored on the holdout split
``methods``    baseline, control and each method, per seed, scored on the
               test split (methods at their selected ratio)
``curve``      the baseline once on the setting's longer schedule
``ablations``  AMD's ablations, per ablation seed
``phi``        AMD at each phi of the sweep, per phi seed

Each run's work dir is ``<work_dir>/<group>/<name>/seed<k>`` (the teacher's
``<work_dir>/teacher``).
"""
import os.path as osp
from typing import Dict, Iterable, List, Optional, Sequence

from mmengine.config import Config

from .runs import Run
from .setting import Setting, config_file, schedule_options

# the name of DistillBalanceHook in the distillation configs' default_hooks
BALANCE_HOOK = 'distill_balance'
AMD_LOSS = 'model.distiller.distill_losses.loss_amd'


def slug(text: str) -> str:
    keep = [c.lower() if c.isalnum() else '-' for c in str(text)]
    return '-'.join(filter(None, ''.join(keep).split('-')))


def flatten_options(prefix: str, override: Dict) -> List[str]:
    """``--cfg-options`` of a nested override dict, ``_delete_`` first."""
    options = []
    items = sorted(override.items(), key=lambda kv: kv[0] != '_delete_')
    for key, value in items:
        if isinstance(value, dict):
            options += flatten_options(f'{prefix}.{key}', value)
        else:
            options.append(f'{prefix}.{key}={value}')
    return options


class Planner:
    """Builds the :class:`Run` objects of a setting.

    Args:
        setting: the loaded setting.
        work_dir: root of the runs (default ``work_dirs/<name>``).
        gpus: processes per run (distributed launch when > 1).
        epochs: override every student's and the teacher's epochs (smoke).
        ratios: the target ratio chosen for each method (selection);
            missing methods use the setting's only ratio, or the config.
    """

    def __init__(self, setting: Setting, work_dir: Optional[str] = None,
                 gpus: int = 0, epochs: Optional[int] = None,
                 ratios: Optional[Dict[str, float]] = None) -> None:
        self.setting = setting
        self.work_dir = work_dir or osp.join('work_dirs', setting.name)
        self.gpus = gpus
        self.epochs = epochs
        self.ratios = dict(ratios or {})
        self._configs: Dict[str, Config] = {}

    # ---------------------------------------------------------- config
    def config(self, path: str) -> Config:
        if path not in self._configs:
            self._configs[path] = Config.fromfile(path)
        return self._configs[path]

    def balance_hook(self, path: str) -> str:
        """The ``--cfg-options`` prefix of the config's DistillBalanceHook,
        found by its name in ``default_hooks``."""
        hook = (self.config(path).get('default_hooks') or {}).get(BALANCE_HOOK)
        if not hook or not str(hook.get('type', '')).endswith(
                'DistillBalanceHook'):
            raise ValueError(f'{path} has no DistillBalanceHook as '
                             f'default_hooks.{BALANCE_HOOK}')
        return f'default_hooks.{BALANCE_HOOK}'

    def teacher_options(self, path: str) -> List[str]:
        """Point ``model.teacher_ckpt`` and the student's ``Pretrained``
        init configs that read it at the setting's teacher checkpoint."""
        cfg = self.config(path)
        wanted = self.setting.teacher_checkpoint(self.work_dir)
        current = cfg.model.get('teacher_ckpt')
        if wanted is None or current == wanted:
            return []
        options = [f'model.teacher_ckpt={wanted}']
        for name, module in cfg.model.architecture.items():
            init = module.get('init_cfg') if isinstance(module, dict) else None
            if isinstance(init, dict) and init.get('checkpoint') == current:
                options.append(
                    f'model.architecture.{name}.init_cfg.checkpoint={wanted}')
        return options

    def balance_options(self, path: str, ratio: Optional[float] = None,
                        scale: Optional[float] = None) -> List[str]:
        """``--cfg-options`` of the config's DistillBalanceHook: a fixed
        ``scale`` (the control), or a ``target_ratio`` to calibrate to,
        with the setting's ``calibration_iters`` and
        ``grad_share_interval``."""
        prefix = self.balance_hook(path)
        if scale is not None:
            return [f'{prefix}.target_ratio=None', f'{prefix}.scale={scale}']
        balance = self.setting.get('balance') or {}
        options = [] if ratio is None else [f'{prefix}.target_ratio={ratio}']
        for key in ('calibration_iters', 'grad_share_interval'):
            if balance.get(key) is not None:
                options.append(f'{prefix}.{key}={balance[key]}')
        return options

    def default_phi(self) -> Optional[float]:
        """The phi of the AMD config's masker (None for a random mask)."""
        masker = self.config(self.setting.methods['AMD']).amd_loss.masker
        return masker.get('phi')

    def ratio(self, method: str) -> Optional[float]:
        """The target ratio of ``method``'s runs: the selected one, the
        setting's only one, or None (the config's weights)."""
        if method in self.ratios:
            return self.ratios[method]
        ratios = self.setting.target_ratios
        return ratios[0] if ratios and len(ratios) == 1 else None

    # ------------------------------------------------------------ runs
    def _run(self, group: str, label: str, package: str, config: str,
             seed: int, options: Sequence[str], name: str,
             eval_split: str = 'test', curve: bool = False,
             info: Optional[Dict] = None) -> Run:
        schedule = self.setting.student_schedule(curve)
        options = (self.setting.data_options(eval_split) +
                   schedule_options(schedule) + list(options))
        if package == 'mmrazor' and schedule.get('val_interval'):
            # the in-training curve is the student's: skip the teacher's
            # evaluation that SingleTeacherDistillValLoop adds
            options.append('val_cfg.type=ValLoop')
        return Run(
            name=f'{label} seed {seed}', package=package, config=config,
            work_dir=osp.join(self.work_dir, group, slug(name),
                              f'seed{seed}'),
            seed=seed, options=options, epochs=self.epochs, group=group,
            label=label, eval_split=eval_split,
            val_interval=schedule.get('val_interval'), gpus=self.gpus,
            info=dict(info or {}))

    def teacher(self) -> Run:
        """The teacher's run: trained (``teacher.train``) or, without it,
        the AMD config's teacher evaluated from its checkpoint."""
        teacher = self.setting.teacher
        train = teacher.get('train') or {}
        options = self.setting.data_options('test')
        config, checkpoint = teacher.get('config'), None
        if train:
            options += schedule_options(train)
        else:
            amd = self.config(self.setting.methods['AMD']).model
            config = config_file(config or amd.teacher.cfg_path)
            checkpoint = teacher.get('checkpoint') or amd.teacher_ckpt
        return Run(
            name='teacher', package='mmdet', config=config,
            work_dir=osp.join(self.work_dir, 'teacher'), seed=0,
            options=options, epochs=self.epochs if train else None,
            group='teacher', label=teacher['label'],
            val_interval=train.get('val_interval'), gpus=self.gpus,
            checkpoint=checkpoint)

    def baseline(self, seed: int, curve: bool = False) -> Run:
        label = self.setting.baseline['label']
        return self._run('curve' if curve else 'methods', label, 'mmdet',
                         config_file(self.setting.baseline['config']), seed,
                         [], name=label, curve=curve)

    def method(self, method: str, seed: int, group: str = 'methods',
               ratio: Optional[float] = None, extra: Sequence[str] = (),
               label: Optional[str] = None, eval_split: str = 'test',
               name: Optional[str] = None) -> Run:
        config = self.setting.methods[method]
        ratio = self.ratio(method) if ratio is None else ratio
        options = (self.teacher_options(config) +
                   self.balance_options(config, ratio) + list(extra))
        return self._run(group, label or method, 'mmrazor', config, seed,
                         options, name=name or label or method,
                         eval_split=eval_split,
                         info=dict(method=method, target_ratio=ratio))

    def control(self, seed: int) -> Run:
        control = self.setting.control
        config = self.setting.methods[control['method']]
        options = (self.teacher_options(config) +
                   self.balance_options(config, scale=0.0))
        return self._run('methods', control['label'], 'mmrazor', config,
                         seed, options, name=control['label'],
                         info=dict(method=control['method'], scale=0.0))

    def selection(self, method: str, ratio: float) -> Run:
        seed = (self.setting.get('balance') or {}).get('selection_seed', 0)
        return self.method(method, seed, group='selection', ratio=ratio,
                           label=f'{method} ratio {ratio:g}',
                           eval_split='holdout',
                           name=f'{method}-r{ratio:g}')

    def ablation(self, label: str, seed: int) -> Run:
        key = self.setting.ablations[label]
        amd = self.config(self.setting.methods['AMD'])
        options = flatten_options(AMD_LOSS, amd.amd_ablations[key])
        return self.method('AMD', seed, group='ablations', extra=options,
                           label=label)

    def phi(self, phi: float, seed: int) -> Run:
        run = self.method('AMD', seed, group='phi',
                          extra=[f'{AMD_LOSS}.masker.phi={phi}'],
                          label=f'AMD φ={phi:g}', name=f'phi-{phi:g}')
        run.info['phi'] = phi
        return run

    def methods(self, labels: Iterable[str], seeds: Iterable[int]
                ) -> List[Run]:
        """Seed by seed: every label of the table (baseline, control,
        methods), in the order given."""
        control = self.setting.control['label']
        baseline = self.setting.baseline['label']
        runs = []
        for seed in seeds:
            for label in labels:
                if label == baseline:
                    runs.append(self.baseline(seed))
                elif label == control:
                    runs.append(self.control(seed))
                else:
                    runs.append(self.method(label, seed))
        return runs

    def table_labels(self) -> List[str]:
        """The rows of the setting's table: its ``table`` when it names
        them, else the baseline, the control and every method."""
        if self.setting.get('table'):
            return list(self.setting.table)
        return ([self.setting.baseline['label'],
                 self.setting.control['label']] +
                list(self.setting.methods))
