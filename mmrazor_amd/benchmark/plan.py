"""What the embedded demo and benchmark train: one place for configs,
labels, overrides and work dirs, shared by ``scripts/demo.py`` and
``scripts/benchmark.py``.

Every student run uses the same teacher checkpoint, data and schedule; the
distilled ones differ from each other only in their distillation losses.
"""
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

from .runs import Run, execute

TEACHER_CONFIG = 'configs/embedded/retinanet_r50-mini_fpn_synthetic.py'
STUDENT_CONFIG = 'configs/embedded/retinanet_r18-mini_fpn_synthetic.py'
DISTILL_CONFIG = 'configs/distill/{method}/{method}_fpn_retina_r50-mini_retina_r18-mini_synthetic.py'  # noqa: E501
AMD_LOSS = 'model.distiller.distill_losses.loss_amd'

# label -> (package, config, overrides)
METHODS: Dict[str, Tuple[str, str, List[str]]] = {
    'baseline': ('mmdet', STUDENT_CONFIG, []),
    'FGD': ('mmrazor', DISTILL_CONFIG.format(method='fgd'), []),
    'MGD': ('mmrazor', DISTILL_CONFIG.format(method='mgd'), []),
    'AMD': ('mmrazor', DISTILL_CONFIG.format(method='amd'), []),
    # the distillation set-up with AMD's weight at 0: the student starts from
    # the teacher's head and trains on the detection loss alone. It separates
    # what the initialisation gives from what distillation gives.
    'teacher-head init only': ('mmrazor',
                               DISTILL_CONFIG.format(method='amd'),
                               [f'{AMD_LOSS}.loss_weight=0.0']),
}
ABLATIONS: Dict[str, List[str]] = {
    'AMD w/o Ada-Mask': [f'{AMD_LOSS}.ada_mask=False'],
    'AMD w/o Ada-Channel': [f'{AMD_LOSS}.ada_channel=False'],
    'AMD MBConv': [f'{AMD_LOSS}.generation=mbconv'],
    'AMD dense x1': [f'{AMD_LOSS}.generation=dense_x1'],
    'AMD clue within': [f'{AMD_LOSS}.clue_position=within'],
    # a tenth of the loss weight (3.3e-4): whether a weaker feature loss
    # helps where the rescaled COCO weight does not beat the control
    'AMD weight x0.1': [f'{AMD_LOSS}.loss_weight=0.00033'],
}


def slug(label: str) -> str:
    keep = [c.lower() if c.isalnum() else '-' for c in label]
    return '-'.join(filter(None, ''.join(keep).split('-')))


def teacher_checkpoint(root: str = 'work_dirs/embedded') -> str:
    """Where the trained teacher is kept for the distillation configs."""
    return osp.join(root, 'teacher.pth')


def teacher_run(root: str = 'work_dirs/embedded', epochs=None) -> Run:
    return Run('teacher', 'mmdet', TEACHER_CONFIG, osp.join(root, 'teacher'),
               seed=0, epochs=epochs)


def student_run(label: str, seed: int, root: str = 'work_dirs/embedded',
                epochs=None, extra: Sequence[str] = ()) -> Run:
    """A run of METHODS[label], or of an AMD ablation."""
    if label in METHODS:
        package, config, options = METHODS[label]
    else:
        package, config = 'mmrazor', DISTILL_CONFIG.format(method='amd')
        options = ABLATIONS[label]
    options = list(options) + list(extra)
    if package == 'mmrazor':
        teacher = teacher_checkpoint(root)
        options += [
            f'model.teacher_ckpt={teacher}',
            f'model.architecture.bbox_head.init_cfg.checkpoint={teacher}'
        ]
    # 'model.….phi=0.5' -> 'phi=0.5' (the key's last part and the value)
    extra_names = [o.split('=', 1)[0].split('.')[-1] + '=' + o.split('=', 1)[1]
                   for o in extra]
    name = slug(label) + ''.join(f'_{slug(e)}' for e in extra_names)
    return Run(f'{label}{"".join(" " + e for e in extra_names)} '
               f'seed {seed}', package, config,
               osp.join(root, name, f'seed{seed}'), seed=seed,
               options=options, epochs=epochs)


def phi_run(phi: float, seed: int, root: str = 'work_dirs/embedded',
            epochs=None) -> Run:
    return student_run('AMD', seed, root, epochs, [f'{AMD_LOSS}.phi={phi}'])


def data_options(data_root: str) -> List[str]:
    """``--cfg-options`` that point every config at ``data_root``."""
    root = data_root.rstrip('/') + '/'
    options = [f'{split}_dataloader.dataset.data_root={root}'
               for split in ('train', 'val', 'test')]
    options += [f'{split}_evaluator.ann_file={root}instances_val.json'
                for split in ('val', 'test')]
    return options


def train_teacher(root: str, data_root: str, epochs=None, redo=False,
                  quiet=False, train=True) -> Run:
    """Train (unless done) the shared teacher and put its checkpoint where
    the distillation configs read it (:func:`teacher_checkpoint`)."""
    run = teacher_run(root, epochs=epochs)
    run.options += data_options(data_root)
    if train or not run.done():
        execute(run, redo=redo, quiet=quiet)
    final = osp.join(run.work_dir, 'final.pth')
    target = teacher_checkpoint(root)
    if not osp.isfile(target) or osp.getmtime(target) < osp.getmtime(final):
        shutil.copyfile(final, target)
    return run
