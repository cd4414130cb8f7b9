"""What AMDLoss, MultiLevelMGDLoss and FGDLoss share: losses that read every
FPN level at once.

They receive the whole tuple of neck outputs of student and teacher (one
``ModuleOutputs`` recorder on ``neck`` each), hold per-level modules, and
align the student's channels with a 1x1 conv per level when the channel
counts differ (``docs/method.md``, "Notation").
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModule
from torch import Tensor

from ..utils.checks import check_feature, check_int

Features = Union[Tensor, Sequence[Tensor]]


class NonFiniteLossError(FloatingPointError):
    """A distillation loss or one of its inputs holds NaN or Inf."""


class MultiLevelFeatureLoss(BaseModule):
    """Base of the multi-level distillation losses.

    Args:
        student_channels (int): ``Cs``, channels of every student level.
        teacher_channels (int): ``C``, channels of every teacher level.
        num_levels (int): number of levels in ``preds_S`` and ``preds_T``.
        min_teacher_channels (int): smallest ``C`` the loss supports.
        check_finite (bool): stop with :class:`NonFiniteLossError`, naming
            the iteration, the level and the culprit, when a level's loss is
            NaN or Inf (one host sync per step). Defaults to True.
        align (bool): build the 1x1 align convs when ``Cs != C``; False for
            a loss whose own modules align the channels. Defaults to True.
        init_cfg (dict, optional): mmengine initialisation config.

    ``self.aligns`` holds one 1x1 conv ``Cs -> C`` per level when
    ``Cs != C`` (and ``align``), else it is None.
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: int,
                 num_levels: int,
                 min_teacher_channels: int = 1,
                 check_finite: bool = True,
                 align: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_int('student_channels', student_channels)
        check_int('teacher_channels', teacher_channels, min_teacher_channels)
        check_int('num_levels', num_levels)
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels
        self.num_levels = num_levels
        self.check_finite = check_finite
        if align and student_channels != teacher_channels:
            self.aligns = nn.ModuleList(
                nn.Conv2d(student_channels, teacher_channels, kernel_size=1)
                for _ in range(num_levels))
        else:
            self.aligns = None

    def align(self, level: int, student: Tensor) -> Tensor:
        """The student feature of ``level`` with ``C`` channels."""
        return student if self.aligns is None else self.aligns[level](student)

    def paired_levels(self, preds_S: Features,
                      preds_T: Features) -> List[Tuple[int, Tensor, Tensor]]:
        """``(level, student, detached teacher)`` for every level, checked.

        Raises a ValueError or TypeError naming the level and the shapes when
        the inputs do not match the config or each other.
        """
        students = self._as_levels(preds_S, 'student')
        teachers = self._as_levels(preds_T, 'teacher')
        pairs = []
        for level, (student, teacher) in enumerate(zip(students, teachers)):
            self._check_pair(level, student, teacher)
            pairs.append((level, student, teacher.detach()))
        return pairs

    def _as_levels(self, preds: Features, role: str) -> List[Tensor]:
        if isinstance(preds, Tensor):
            preds = [preds]
        elif not isinstance(preds, (list, tuple)):
            raise TypeError(
                f'{role} features must be a tensor or a list/tuple of '
                f'tensors, got {type(preds).__name__}')
        if len(preds) != self.num_levels:
            raise ValueError(f'expected {self.num_levels} {role} feature '
                             f'level(s) (num_levels), got {len(preds)}')
        for level, feature in enumerate(preds):
            check_feature(feature, f'level {level}: {role} feature')
        return list(preds)

    def _check_pair(self, level: int, student: Tensor,
                    teacher: Tensor) -> None:
        s_shape, t_shape = tuple(student.shape), tuple(teacher.shape)
        if s_shape[0] != t_shape[0]:
            raise ValueError(
                f'level {level}: batch sizes differ, student {s_shape} vs '
                f'teacher {t_shape}')
        if s_shape[1] != self.student_channels:
            raise ValueError(
                f'level {level}: student has {s_shape[1]} channels, '
                f'student_channels={self.student_channels} (shape {s_shape})')
        if t_shape[1] != self.teacher_channels:
            raise ValueError(
                f'level {level}: teacher has {t_shape[1]} channels, '
                f'teacher_channels={self.teacher_channels} (shape {t_shape})')
        if s_shape[2:] != t_shape[2:]:
            raise ValueError(
                f'level {level}: spatial sizes differ, student {s_shape} vs '
                f'teacher {t_shape}')

    def finite_sum(self, level_losses: Sequence[Tensor],
                   pairs: Sequence[Tuple[int, Tensor, Tensor]]) -> Tensor:
        """Sum of the per-level losses, after the NaN/Inf check.

        The check costs one host sync for all levels together; only when it
        fails are the inputs of each level inspected to name the culprit.
        """
        if self.check_finite:
            values = torch.stack([loss.detach().float().reshape(())
                                  for loss in level_losses])
            if not bool(torch.isfinite(values).all()):
                self._raise_non_finite(values, pairs)
        total = level_losses[0]
        for loss in level_losses[1:]:
            total = total + loss
        return total

    def _raise_non_finite(self, values: Tensor, pairs) -> None:
        level = int((~torch.isfinite(values)).nonzero()[0])
        _, student, teacher = pairs[level]
        if not bool(torch.isfinite(teacher).all()):
            culprit = (f'the teacher feature {tuple(teacher.shape)} holds '
                       'NaN/Inf: check the teacher checkpoint and the input '
                       'images')
        elif not bool(torch.isfinite(student).all()):
            culprit = (f'the student feature {tuple(student.shape)} holds '
                       'NaN/Inf: the student diverged; lower the learning '
                       'rate or the loss weight, keep optim_wrapper.clip_grad')
        else:
            culprit = ('the features are finite but the loss overflowed: '
                       'lower the loss weight, or train in float32 if you '
                       'use AMP')
        hub = MessageHub.get_current_instance()
        step = hub.get_info('iter')
        where = ('outside a training loop' if step is None else
                 f'at training iteration {step + 1}')
        raise NonFiniteLossError(
            f'{type(self).__name__}: the loss of FPN level {level} is '
            f'{float(values[level])} {where}; {culprit}. Resume from the '
            'last good checkpoint with --resume once fixed.')
