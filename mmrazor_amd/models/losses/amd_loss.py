"""AMD loss: adaptive masked generative distillation over FPN levels.

Eq 7-8 and the memory-saving gated squared error are described in
``docs/method.md``, "The loss".
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS
from torch import Tensor

from .. import architectures  # noqa: F401  (registers maskers, blocks, clues)
from ..utils.build import build_module
from ..utils.checks import check_weight
from .multi_level import Features, MultiLevelFeatureLoss


class _GatedSquaredError(torch.autograd.Function):
    """``sum((T - g * B)^2)`` for ``B`` ``(N, C, H, W)`` and a channel gate
    ``g`` ``(N, C, 1, 1)``, with the gradients of ``B`` and ``g``.

    The value and the gradients are those of the plain expression
    ``(T - g * B).pow(2).sum()``; only the memory differs. Autograd would
    keep the full map ``T - g * B`` until the backward (the square's
    input), and the backward would allocate three more full maps (the
    square's gradient, its negation, the product's gradient) besides the
    product ``B * grad`` reduced for ``g``. Here nothing but the inputs is
    kept: the backward recomputes the error into one buffer, reduces it
    against ``B`` for ``g`` with a batched dot product (no temporary), and
    turns the same buffer into the gradient of ``B`` in place. The
    distillation then holds as many full maps per level as MGD does.
    """

    @staticmethod
    def forward(ctx, block: Tensor, gate: Tensor, teacher: Tensor) -> Tensor:
        ctx.save_for_backward(block, gate, teacher)
        error = torch.addcmul(teacher, gate, block, value=-1)  # T - g * B
        return error.square_().sum()

    @staticmethod
    def backward(ctx, grad: Tensor):
        block, gate, teacher = ctx.saved_tensors
        need_block, need_gate = ctx.needs_input_grad[:2]
        if not (need_block or need_gate):
            return None, None, None
        error = torch.addcmul(teacher, gate, block, value=-1)  # T - g * B
        scale = -2 * grad  # d sum(e^2) / d(g * B) = -2 e
        grad_gate = None
        if need_gate:
            n, c = block.shape[:2]
            # sum_hw B * e per (n, c): (N*C, 1, HW) @ (N*C, HW, 1)
            dots = torch.bmm(
                block.reshape(n * c, 1, -1), error.reshape(n * c, -1, 1))
            grad_gate = (dots.reshape(n, c, 1, 1) * scale).to(gate.dtype)
        grad_block = error.mul_(gate * scale) if need_block else None
        return grad_block, grad_gate, None


def gated_squared_error(block: Tensor, gate: Tensor,
                        teacher: Tensor) -> Tensor:
    """``sum((teacher - gate * block)^2)``, the squared error of Eq 7 with
    the channel clue of Eq 6 after the generation block.

    ``block`` and ``teacher`` are ``(N, C, H, W)`` and ``gate`` is
    ``(N, C, 1, 1)``, all of one dtype; see :class:`_GatedSquaredError` for
    why it is not written as the plain expression. Other gate shapes fall
    back on the plain expression.
    """
    n, c = block.shape[:2]
    if (gate.shape != (n, c, 1, 1) or block.shape != teacher.shape
            or not block.dtype == gate.dtype == teacher.dtype):
        return (teacher - gate * block).pow(2).sum()
    return _GatedSquaredError.apply(block, gate, teacher)


@MODELS.register_module()
class AMDLoss(MultiLevelFeatureLoss):
    """Adaptive Masked Distillation loss (AMD, Eq 2-8), one term per level.

    For each level ``l`` with student feature ``S`` ``(N, Cs, H, W)`` and
    teacher feature ``T`` ``(N, C, H, W)``
    (``docs/method.md``, "The loss"):

    * ``M = masker(T)``, ``(N, 1, H, W)``: the adaptive mask of Eq 2-4
      (:class:`AdaptiveMasker`) or MGD's random mask (:class:`RandomMasker`,
      the "Ada-Mask off" ablation);
    * ``S' = align(S) * M`` (Eq 5), ``align`` a 1x1 conv ``Cs -> C`` when
      ``Cs != C``;
    * ``Y = GenerationBlock_l(S', T)`` (Eq 6), gated by the channel clue
      ``SE_l(T)`` unless ``clue`` is None;
    * ``L_l = sum_{n,c,h,w} (T - Y)^2 / N`` (Eq 7), in float32.

    The returned loss is ``loss_weight * sum_l L_l``, the ``alpha`` term of
    Eq 8. The teacher features are detached: gradients reach the student,
    ``align``, the generation blocks and the SE layers only.

    Args:
        student_channels (int): ``Cs``, channels of every student level.
        teacher_channels (int): ``C``, channels of every teacher level.
        num_levels (int): number of FPN levels in ``preds_S``/``preds_T``.
        loss_weight (float): ``alpha`` of Eq 8, >= 0. Defaults to 2e-5
            (MGD's one-stage value).
        masker (dict): config of the masker, shared by the levels (it holds
            no parameters). Defaults to
            ``dict(type='AdaptiveMasker', phi=1.0, tau=0.5)``; the random
            mask of MGD is ``dict(type='RandomMasker', ratio=0.65)``.
        generation (dict): config of the generation block of each level,
            built with ``channels=C``. Defaults to
            ``dict(type='GenerationBlock', variant='dense_x2',
            clue_position='after')``; see :class:`GenerationBlock`.
        clue (dict, optional): config of the channel clue of each level,
            built with ``channels=C``. Defaults to
            ``dict(type='ChannelClue', ratio=16)``; None switches the clue
            off (the "Ada-Channel off" ablation).
        check_finite (bool): stop with ``NonFiniteLossError`` (iteration,
            level, culprit) when a level's loss is NaN/Inf. Defaults to True.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    weight_names = ('loss_weight', )

    def __init__(self,
                 student_channels: int = 256,
                 teacher_channels: int = 256,
                 num_levels: int = 5,
                 loss_weight: float = 2e-5,
                 masker: dict = dict(type='AdaptiveMasker', phi=1.0, tau=0.5),
                 generation: dict = dict(
                     type='GenerationBlock',
                     variant='dense_x2',
                     clue_position='after'),
                 clue: Optional[dict] = dict(type='ChannelClue', ratio=16),
                 check_finite: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(student_channels, teacher_channels, num_levels,
                         check_finite=check_finite, init_cfg=init_cfg)
        self.loss_weight = check_weight('loss_weight', loss_weight)
        self.masker = build_module(masker)
        self.generations = nn.ModuleList(
            build_module(generation, channels=teacher_channels, clue=clue)
            for _ in range(num_levels))

    def forward(self, preds_S: Features, preds_T: Features) -> Tensor:
        """Weighted AMD loss summed over levels, a float32 scalar.

        Args:
            preds_S: student features, a sequence of ``num_levels`` tensors
                ``(N, Cs, H_l, W_l)`` (or one tensor when ``num_levels`` is
                1), e.g. the FPN outputs recorded on the student's ``neck``.
            preds_T: teacher features, same layout with ``C`` channels.
        """
        pairs = self.paired_levels(preds_S, preds_T)
        losses = [self._level_loss(level, student, teacher)
                  for level, student, teacher in pairs]
        return self.loss_weight * self.finite_sum(losses, pairs)

    def _level_loss(self, level: int, student: Tensor,
                    teacher: Tensor) -> Tensor:
        """Eq 4-7 for one level: ``sum (T - Y)^2 / N`` in float32."""
        mask = self.masker(teacher)  # (N, 1, H, W), Eq 2-4
        student = self.align(level, student)
        # Eq 5-6: Y = gate * output (clue after the block) or Y = output
        output, gate = self.generations[level].factors(student * mask,
                                                       teacher)
        with torch.autocast(device_type=teacher.device.type, enabled=False):
            if gate is None:
                # as MGDLoss: one fused kernel, keeps only its inputs
                squared = F.mse_loss(
                    output.float(), teacher.float(), reduction='sum')
            else:
                squared = gated_squared_error(output.float(), gate.float(),
                                              teacher.float())
            return squared / teacher.shape[0]  # Eq 7
