"""AMD loss: adaptive masked generative distillation over FPN levels."""
from typing import Optional

import torch
import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ..architectures.generation import ChannelClue, GenerationBlock
from ..architectures.maskers import AdaptiveMasker, RandomMasker
from .multi_level import Features, MultiLevelFeatureLoss, check_weight



@MODELS.register_module()
class AMDLoss(MultiLevelFeatureLoss):
    """Adaptive Masked Distillation loss (AMD, Eq 2-8), one term per level.

    For each level ``l`` with student feature ``S`` ``(N, Cs, H, W)`` and
    teacher feature ``T`` ``(N, C, H, W)``:

    * ``M = masker(T)``, ``(N, 1, H, W)``: the adaptive mask of Eq 2-4
      (``ada_mask=True``) or MGD's random mask (``ada_mask=False``);
    * ``S' = align(S) * M`` (Eq 5), ``align`` a 1x1 conv ``Cs -> C`` when
      ``Cs != C``;
    * ``Y = GenerationBlock_l(S', T)`` (Eq 6), with the channel clue
      ``SE_l(T)`` when ``ada_channel=True``;
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
        ada_mask (bool): adaptive mask (True) or MGD's random mask (False).
        phi (float): threshold of Eq 4, used when ``ada_mask``.
        tau (float): temperature of Eq 3, used when ``ada_mask``.
        mask_ratio (float): hidden fraction of the random mask, used when
            not ``ada_mask``.
        ada_channel (bool): use the SE channel clue of Eq 6.
        se_ratio (int): SE squeeze ratio; ``C // se_ratio`` must be >= 1.
        generation (str): generation block, one of ``'dense_x2'`` (default),
            ``'dense_x1'``, ``'mbconv'``. Validated by
            :class:`GenerationBlock`, like ``clue_position``.
        clue_position (str): ``'after'`` (Eq 6, default) or ``'within'``
            (between the two convs, ``'dense_x2'`` only).
        init_cfg (dict, optional): mmengine initialisation config.
    """

    def __init__(self,
                 student_channels: int = 256,
                 teacher_channels: int = 256,
                 num_levels: int = 5,
                 loss_weight: float = 2e-5,
                 ada_mask: bool = True,
                 phi: float = 1.0,
                 tau: float = 0.5,
                 mask_ratio: float = 0.65,
                 ada_channel: bool = True,
                 se_ratio: int = 16,
                 generation: str = 'dense_x2',
                 clue_position: str = 'after',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(student_channels, teacher_channels, num_levels,
                         init_cfg=init_cfg)
        check_weight('loss_weight', loss_weight)

        self.loss_weight = float(loss_weight)
        self.ada_mask = bool(ada_mask)
        self.ada_channel = bool(ada_channel)

        # Maskers hold no parameters: one serves every level.
        self.masker = (
            AdaptiveMasker(phi=phi, tau=tau)
            if ada_mask else RandomMasker(ratio=mask_ratio))
        self.generations = nn.ModuleList(
            GenerationBlock(
                teacher_channels,
                variant=generation,
                clue=(ChannelClue(teacher_channels, ratio=se_ratio)
                      if ada_channel else None),
                clue_position=clue_position) for _ in range(num_levels))

    def forward(self, preds_S: Features, preds_T: Features) -> Tensor:
        """Weighted AMD loss summed over levels, a float32 scalar.

        Args:
            preds_S: student features, a sequence of ``num_levels`` tensors
                ``(N, Cs, H_l, W_l)`` (or one tensor when ``num_levels`` is
                1), e.g. the FPN outputs recorded on the student's ``neck``.
            preds_T: teacher features, same layout with ``C`` channels.
        """
        return self.loss_weight * sum(
            self._level_loss(level, student, teacher)
            for level, student, teacher in self.paired_levels(preds_S, preds_T))

    def _level_loss(self, level: int, student: Tensor,
                    teacher: Tensor) -> Tensor:
        """Eq 4-7 for one level: ``sum (T - Y)^2 / N`` in float32."""
        mask = self.masker(teacher)  # (N, 1, H, W), Eq 2-4
        student = self.align(level, student)
        generated = self.generations[level](student * mask, teacher)  # Eq 5-6
        with torch.autocast(device_type=teacher.device.type, enabled=False):
            error = teacher.float() - generated.float()
            return error.pow(2).sum() / teacher.shape[0]  # Eq 7
