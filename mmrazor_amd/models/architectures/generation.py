"""Generation block and channel clue of AMD (Eq 6).

``Y = SE(T) * W2(ReLU(W1(S')))``: the generation block rebuilds the teacher
feature from the masked student feature ``S'`` (Eq 5), and the channel clue
``SE(T)``, a squeeze-and-excitation gate computed from the teacher feature,
rescales its channels. All tensors are ``(N, C, H, W)`` unless stated
(``docs/method.md``, "Masked generation and the channel clue").
"""
from collections import OrderedDict
from typing import Optional, Tuple, Union

import torch.nn as nn
from mmdet.models.layers import InvertedResidual, SELayer
from mmrazor.registry import MODELS
from torch import Tensor

from ..utils.build import build_module
from ..utils.checks import check_choice, check_int

GENERATION_VARIANTS = ('dense_x2', 'dense_x1', 'mbconv')
CLUE_POSITIONS = ('after', 'within')


@MODELS.register_module()
class ChannelClue(SELayer):
    """Channel clue ``SE(T)`` of Eq 6, built on mmdet's ``SELayer``.

    ``SE(T) = sigmoid(FC2(ReLU(FC1(GAP(T)))))`` with ``FC1: C -> C // ratio``
    and ``FC2: C // ratio -> C`` (1x1 convs, ``conv1`` and ``conv2``).
    Unlike ``SELayer.forward``, which rescales its own input, :meth:`forward`
    returns the gate alone so it can rescale another tensor.

    Args:
        channels (int): channels ``C`` of the teacher feature.
        ratio (int): squeeze ratio ``r``; ``C // r`` must be >= 1.
            Defaults to 16.
    """

    def __init__(self, channels: int, ratio: int = 16) -> None:
        check_int('ratio', ratio)
        check_int('channels', channels)
        if channels < ratio:
            raise ValueError(
                f'SE ratio {ratio} leaves no hidden channel for {channels} '
                f'channels: need channels >= ratio')
        super().__init__(channels, ratio=ratio)

    def forward(self, teacher: Tensor) -> Tensor:
        """Gate of shape ``(N, C, 1, 1)``, values in (0, 1)."""
        return self.conv2(self.conv1(self.global_avgpool(teacher)))


def _conv3x3(channels: int) -> nn.Conv2d:
    return nn.Conv2d(channels, channels, kernel_size=3, padding=1)


def build_generation_layers(variant: str, channels: int) -> nn.Module:
    """Layers of the generation block ``C -> C``, same spatial size.

    * ``'dense_x2'``: ``conv1`` 3x3, ``relu``, ``conv2`` 3x3, with biases
      (MGD's generation; the paper's default, Eq 6's ``W2(ReLU(W1(.)))``).
    * ``'dense_x1'``: one 3x3 conv ``conv1``.
    * ``'mbconv'``: mmdet's ``InvertedResidual`` (1x1 expand to ``4C``,
      3x3 depthwise, 1x1 project, BN + ReLU, residual, stride 1, no SE).
    """
    if variant == 'dense_x2':
        return nn.Sequential(
            OrderedDict(
                conv1=_conv3x3(channels),
                relu=nn.ReLU(inplace=True),
                conv2=_conv3x3(channels)))
    if variant == 'dense_x1':
        return nn.Sequential(OrderedDict(conv1=_conv3x3(channels)))
    if variant == 'mbconv':
        return InvertedResidual(
            channels, channels, mid_channels=4 * channels, kernel_size=3,
            stride=1)
    check_choice('generation variant', variant, GENERATION_VARIANTS)


@MODELS.register_module()
class GenerationBlock(nn.Module):
    """Rebuild the teacher feature from the masked student feature (Eq 6).

    * ``clue=None``: ``Y = block(S')`` (the "Ada-Channel off" ablation).
    * ``clue_position='after'``: ``Y = clue(T) * block(S')`` (Eq 6, default).
    * ``clue_position='within'`` (``'dense_x2'`` only):
      ``Y = conv2(clue(T) * ReLU(conv1(S')))``.

    Args:
        channels (int): channels ``C`` of ``S'`` and ``T``.
        variant (str): one of ``'dense_x2'``, ``'dense_x1'``, ``'mbconv'``
            (see :func:`build_generation_layers`).
        clue (ChannelClue | dict, optional): channel clue computed from
            ``T``, or its config (e.g. ``dict(type='ChannelClue',
            ratio=16)``), built with ``channels``. None: no clue.
        clue_position (str): ``'after'`` or ``'within'``.
    """

    def __init__(self,
                 channels: int,
                 variant: str = 'dense_x2',
                 clue: Union[ChannelClue, dict, None] = None,
                 clue_position: str = 'after') -> None:
        super().__init__()
        check_choice('clue_position', clue_position, CLUE_POSITIONS)
        if isinstance(clue, dict):
            clue = build_module(clue, channels=channels)
        if clue_position == 'within' and variant != 'dense_x2':
            raise ValueError(
                "clue_position='within' puts the clue between the two convs "
                f"of 'dense_x2'; it is undefined for variant {variant!r}")
        self.variant = variant
        self.clue_position = clue_position
        self.block = build_generation_layers(variant, channels)
        self.clue = clue

    def forward(self, masked_student: Tensor, teacher: Tensor) -> Tensor:
        """``masked_student`` ``S'`` and ``teacher`` ``T``, both
        ``(N, C, H, W)``; returns ``Y`` of the same shape."""
        output, gate = self.factors(masked_student, teacher)
        return output if gate is None else gate * output

    def factors(self, masked_student: Tensor,
                teacher: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """``Y`` as ``(output, gate)``: ``Y = gate * output`` with the clue
        after the block (``gate`` ``(N, C, 1, 1)``), else ``Y = output``
        and ``gate`` is None.

        :class:`AMDLoss` takes the factors so that it can compute
        ``sum (T - gate * output)^2`` without storing ``Y``.
        """
        if self.clue is None:
            return self.block(masked_student), None
        gate = self.clue(teacher)  # (N, C, 1, 1), computed once
        if self.clue_position == 'after':
            return self.block(masked_student), gate
        hidden = self.block.relu(self.block.conv1(masked_student))
        return self.block.conv2(gate * hidden), None
