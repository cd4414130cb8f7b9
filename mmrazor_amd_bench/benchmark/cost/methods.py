"""What the cost benchmark measures.

Part ``loss``: the distillation losses alone on the FPN maps of a COCO
training batch (:class:`LossProblem`), built as the configs build them:
``AMDLoss``, ``MultiLevelMGDLoss`` (MMRazor's stock ``MGDConnector`` +
``MGDLoss`` per level), ``FGDLoss``, MMRazor's ``PKDLoss`` and
``ChannelWiseDivergence`` (CWD, its maps through ``ContiguousConnector``),
one module per level as their configs map them (:class:`PerLevelLoss`), and
``amd_plain``, AMD's loss before the memory fix (:func:`plain_amd_loss`).

Parts ``step`` and ``profile``: the models of a benchmark setting (its
baseline student and each method's distillation config) with random
weights, and their optimizer wrappers.
"""
import copy
import logging
import math
from typing import (Callable, Dict, List, NamedTuple, Optional, Sequence,
                    Tuple)

import torch
import torch.nn as nn
from torch import Tensor

from mmrazor_amd.engine import FastFrozenTeacherHook, speed_up_frozen_teacher
from mmrazor_amd.engine.hooks.fast_frozen_teacher_hook import (
    check_frozen_teacher, describe)
from mmrazor_amd.models.losses import AMDLoss
from mmrazor_amd.utils import register_all_modules

LOSS_METHODS = ('mgd', 'amd', 'fgd', 'pkd', 'cwd', 'amd_plain')
LOSS_LABELS = {
    'mgd': 'MGD',
    'amd': 'AMD',
    'fgd': 'FGD',
    'pkd': 'PKD',
    'cwd': 'CWD',
    'amd_plain': 'AMD, plain autograd (before the fix)',
}
STRIDES = (8, 16, 32, 64, 128)
# the losses of the COCO RetinaNet setting, read from the method configs
METHOD_BASES = {
    method: f'configs/distill/{method}/_base_/{method}_fpn.py'
    for method in ('amd', 'mgd', 'fgd', 'pkd', 'cwd')
}
# MMRazor's losses of one level each, mapped level by level in the configs
PER_LEVEL = ('pkd', 'cwd')
FGD_BOXES_PER_IMAGE = 6

# fn(student maps, teacher maps, data samples) -> loss
LossFn = Callable[[Sequence[Tensor], Sequence[Tensor], List], Tensor]


class LossProblem(NamedTuple):
    """The FPN maps of a ``height x width`` batch, padded to ``divisor``
    as mmdet's ``pad_size_divisor`` does, at strides 8..128 (ceil)."""
    batch: int = 2
    channels: int = 256
    height: int = 800
    width: int = 1333
    divisor: int = 32

    @property
    def padded(self) -> Tuple[int, int]:
        return (math.ceil(self.height / self.divisor) * self.divisor,
                math.ceil(self.width / self.divisor) * self.divisor)

    @property
    def shapes(self) -> List[Tuple[int, int, int, int]]:
        pad_h, pad_w = self.padded
        return [(self.batch, self.channels, math.ceil(pad_h / s),
                 math.ceil(pad_w / s)) for s in STRIDES]


def loss_config(method: str, channels: int, num_levels: int) -> Dict:
    """The ``loss_<method>`` config of the RetinaNet COCO setting
    (``configs/distill/<method>/_base_/``), at ``channels``; for PKD and
    CWD the loss of one level (they have no channel or level argument)."""
    from mmengine.config import Config
    cfg = Config.fromfile(METHOD_BASES[method])[f'{method}_losses']['retina']
    if method in PER_LEVEL:
        return cfg.to_dict()
    return dict(cfg.to_dict(), student_channels=channels,
                teacher_channels=channels, num_levels=num_levels)


class PerLevelLoss(nn.Module):
    """PKD or CWD as the configs' distiller computes it: level ``l`` of the
    ``L`` FPN maps ``(N, C, H_l, W_l)`` goes through its own loss module,
    after ``connector`` (CWD: ``ContiguousConnector``) on both maps, and the
    distiller's losses add up: ``sum_l loss_l(c(S_l), c(T_l))``."""

    def __init__(self, losses: Sequence[nn.Module],
                 connector: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.losses = nn.ModuleList(losses)
        self.connector = connector

    def forward(self, preds_S: Sequence[Tensor],
                preds_T: Sequence[Tensor]) -> Tensor:
        if not len(preds_S) == len(preds_T) == len(self.losses):
            raise ValueError(f'{len(self.losses)} levels, got '
                             f'{len(preds_S)} and {len(preds_T)} maps')
        connect = self.connector or (lambda x: x)
        return sum(loss(connect(s), connect(t))
                   for loss, s, t in zip(self.losses, preds_S, preds_T))


def describe_loss_methods(problem: LossProblem) -> Dict[str, str]:
    """One sentence per method, for the report."""
    amd = loss_config('amd', problem.channels, len(STRIDES))
    masker, clue, generation = amd['masker'], amd['clue'], amd['generation']
    mgd = loss_config('mgd', problem.channels, len(STRIDES))
    pkd, cwd = (loss_config(m, problem.channels, len(STRIDES))
                for m in PER_LEVEL)
    levels = f'{problem.channels} channels, {len(STRIDES)} levels'
    return dict(
        amd=f'`AMDLoss` ({levels}, phi {masker["phi"]:g}, tau '
        f'{masker["tau"]:g}, `{generation["variant"]}` generation blocks, '
        f'channel clue ratio {clue["ratio"]} {generation["clue_position"]} '
        'the block)',
        mgd=f'`MultiLevelMGDLoss` ({levels}: MMRazor\'s `MGDConnector` + '
        f'`MGDLoss` per level, lambda {mgd["lambda_mgd"]:g})',
        fgd=f'`FGDLoss` ({levels}, {FGD_BOXES_PER_IMAGE} gt boxes per image)',
        pkd=f'MMRazor\'s `PKDLoss`, one per level ({levels}, loss_weight '
        f'{pkd["loss_weight"]:g})',
        cwd=f'MMRazor\'s `ChannelWiseDivergence`, one per level ({levels}, '
        f'tau {cwd["tau"]:g}, loss_weight {cwd["loss_weight"]:g}), maps '
        'through `ContiguousConnector`',
        amd_plain='the same `AMDLoss` modules (mask of Eq 2-4, generation '
        'blocks, clues) with the squared error of Eq 7 as first written, '
        'the plain autograd expression `(T - g * B).pow(2).sum()`, instead '
        'of `gated_squared_error`')


def plain_amd_loss(loss: AMDLoss, preds_S: Sequence[Tensor],
                   preds_T: Sequence[Tensor]) -> Tensor:
    """``loss(preds_S, preds_T)`` with the squared error of Eq 7 written as
    the plain autograd expression instead of ``gated_squared_error``: same
    value and gradients, more memory (autograd keeps ``T - g * B`` and the
    backward allocates further full maps). Everything else is ``loss``'s
    own modules: the masker (Eq 2-4), the alignment, the generation blocks
    and their clues (Eq 5-6)."""
    total = 0
    for level, student, teacher in loss.paired_levels(preds_S, preds_T):
        masked = loss.align(level, student) * loss.masker(teacher)
        output, gate = loss.generations[level].factors(masked, teacher)
        generated = output.float() if gate is None else \
            gate.float() * output.float()
        squared = (teacher.float() - generated).pow(2).sum()
        total = total + squared / teacher.shape[0]
    return loss.loss_weight * total


def build_loss(name: str, channels: int,
               num_levels: int = len(STRIDES)) -> Tuple[nn.Module, LossFn]:
    """The loss module of a method (its config's, see :func:`loss_config`)
    and how to call it."""
    from mmrazor.registry import MODELS
    if name not in LOSS_METHODS:
        raise ValueError(f'unknown loss method {name!r}; {LOSS_METHODS}')
    register_all_modules()
    config = loss_config(name.replace('_plain', ''), channels, num_levels)
    if name in PER_LEVEL:
        connector = MODELS.build(dict(type='ContiguousConnector')) \
            if name == 'cwd' else None
        loss = PerLevelLoss([MODELS.build(config) for _ in range(num_levels)],
                            connector)
        return loss, lambda students, teachers, _: loss(students, teachers)
    loss = MODELS.build(config)
    if name == 'fgd':
        return loss, loss
    if name == 'amd_plain':
        return loss, lambda students, teachers, _: plain_amd_loss(
            loss, students, teachers)
    return loss, lambda students, teachers, _: loss(students, teachers)


def fake_samples(problem: LossProblem, seed: int = 0) -> List:
    """Data samples with random gt boxes, for FGD's box masks."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(seed)
    h, w, count = problem.height, problem.width, FGD_BOXES_PER_IMAGE
    samples = []
    for _ in range(problem.batch):
        xy = torch.rand(count, 2, generator=generator) * \
            torch.tensor([w * 0.8, h * 0.8])
        wh = torch.rand(count, 2, generator=generator) * \
            torch.tensor([w * 0.3, h * 0.3]) + 8
        sample = DetDataSample(metainfo=dict(
            img_shape=(h, w), batch_input_shape=problem.padded))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], dim=1),
            labels=torch.zeros(count, dtype=torch.long))
        samples.append(sample)
    return samples


def loss_inputs(problem: LossProblem, device: str, seed: int = 0
                ) -> Tuple[List[Tensor], List[Tensor]]:
    """Random student maps (requiring grad) and teacher maps."""
    generator = torch.Generator().manual_seed(seed)
    students = [
        torch.randn(shape, generator=generator).to(device).requires_grad_()
        for shape in problem.shapes
    ]
    teachers = [
        torch.randn(shape, generator=generator).to(device)
        for shape in problem.shapes
    ]
    return students, teachers


def loss_step(name: str, problem: LossProblem, device: str,
              students: List[Tensor],
              teachers: List[Tensor]) -> Callable[[], None]:
    """One forward + backward of a method's loss, gradients cleared after
    it as the optimizer's ``zero_grad(set_to_none=True)`` would."""
    torch.manual_seed(0)
    module, fn = build_loss(name, problem.channels)
    module.to(device).train()
    samples = fake_samples(problem)

    def step() -> None:
        fn(students, teachers, samples).backward()
        for tensor in [*module.parameters(), *students]:
            tensor.grad = None

    return step


# ---------------------------------------------------------------- models


def setting_configs(setting) -> Dict[str, str]:
    """Label -> config of the setting's baseline student and methods."""
    from ..setting import config_file
    baseline = setting.baseline
    return {baseline.get('label', 'baseline'): config_file(baseline['config']),
            **setting.methods}


def drop_checkpoints(cfg) -> None:
    """Random weights: no teacher checkpoint, no ``init_cfg`` that loads
    one (``Pretrained``; the distillation configs start the student's neck
    and head from the teacher's checkpoint)."""
    if hasattr(cfg, 'items'):
        if 'teacher_ckpt' in cfg:
            cfg['teacher_ckpt'] = None
        init_cfg = cfg.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            cfg.pop('init_cfg')
        children = cfg.values()
    elif isinstance(cfg, (list, tuple)):
        children = cfg
    else:
        return
    for child in children:
        drop_checkpoints(child)


# the name of FastFrozenTeacherHook in the configs' default_hooks
FAST_TEACHER = 'fast_teacher'


def fast_teacher_hook(cfg):
    """The config's ``FastFrozenTeacherHook`` (``default_hooks.fast_teacher``),
    built as the runner builds it, or None where the config has no such
    hook or no teacher."""
    from mmrazor.registry import HOOKS
    hook = (cfg.get('default_hooks') or {}).get(FAST_TEACHER)
    if 'distiller' not in cfg.model or not hook:
        return None
    return HOOKS.build(hook)


FAST_TEACHER_MODES = ('config', 'on', 'off')


def set_fast_teacher(cfg, mode: str) -> None:
    """``default_hooks.fast_teacher`` as ``mode`` says: ``'config'`` leaves
    the config's hooks as they are, ``'on'`` adds the hook with its defaults
    where the config has a teacher and no such hook (one the config lists
    keeps its arguments), ``'off'`` removes it."""
    if mode not in FAST_TEACHER_MODES:
        raise ValueError(f'fast teacher mode {mode!r}: one of '
                         f'{FAST_TEACHER_MODES}')
    if mode == 'config' or 'distiller' not in cfg.model:
        return
    hooks = cfg.setdefault('default_hooks', {})
    if mode == 'off':
        hooks.pop(FAST_TEACHER, None)
    elif not hooks.get(FAST_TEACHER):
        hooks[FAST_TEACHER] = dict(type='mmrazor.FastFrozenTeacherHook')


def use_amp(cfg) -> None:
    """Mixed precision as the train script's ``--amp`` turns it on:
    mmengine's ``AmpOptimWrapper`` (fp16 autocast on a GPU) with a dynamic
    loss scale."""
    optim = cfg.optim_wrapper
    if optim.get('type', 'OptimWrapper') not in ('OptimWrapper',
                                                 'AmpOptimWrapper'):
        raise ValueError(f'--amp needs an OptimWrapper, the config has '
                         f'{optim.type}')
    optim.type = 'AmpOptimWrapper'
    optim.setdefault('loss_scale', 'dynamic')


def teacher_mode(cfg) -> Optional[str]:
    """How the teacher of ``cfg`` runs in training, in words (None: no
    teacher)."""
    if 'distiller' not in cfg.model:
        return None
    hook = fast_teacher_hook(cfg)
    return describe(hook.fuse_conv_bn, hook.channels_last) if hook else \
        describe(False, False)


def build_trainable(cfg, device: str):
    """``(model, optim_wrapper)`` of a detector or distillation config,
    randomly initialised (seed 0), in training mode on ``device``, its
    teacher run as the config's ``FastFrozenTeacherHook`` makes it run in
    training."""
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    register_all_modules()
    if 'distiller' in cfg.model:
        from mmrazor.registry import MODELS
    else:
        from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    model_cfg = copy.deepcopy(cfg.model)
    drop_checkpoints(model_cfg)
    torch.manual_seed(0)
    # the config's scope resolves its unprefixed types (mmdet's configs:
    # 'mmdet'), as the runner would set it
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        model = MODELS.build(model_cfg)
    teacher = getattr(model, 'teacher', None)
    if teacher is not None:
        # what MMRazor does once it has loaded a teacher checkpoint: every
        # teacher keeps the random weights of its constructors instead of
        # running its init_cfg (a teacher given by ``cfg_path`` would load
        # its ImageNet backbone; the others would get mmdet's init schemes,
        # which change no timing)
        teacher._is_init = True
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.to(device)
    hook = fast_teacher_hook(cfg)
    if hook:  # what the hook does in training, with its checks
        check_frozen_teacher(model)
        speed_up_frozen_teacher(model.teacher, hook.fuse_conv_bn,
                                hook.channels_last)
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def describe_optimizer(cfg) -> str:
    optim = cfg.optim_wrapper
    clip = optim.get('clip_grad')
    amp = ', AmpOptimWrapper (fp16 autocast, dynamic loss scale)' \
        if optim.get('type') == 'AmpOptimWrapper' else ''
    return optim.optimizer.type + (f', grad clip {clip.max_norm}'
                                   if clip else '') + amp
