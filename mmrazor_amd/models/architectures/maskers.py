"""Spatial masks that hide part of the student's feature map.

Both maskers take the *teacher* feature ``T`` of shape ``(N, C, H, W)`` and
return a mask ``M`` of shape ``(N, 1, H, W)`` in ``T``'s dtype and device,
with 1 = position kept visible and 0 = position hidden from the student. The
mask carries no gradient. Every operation is batched: no loop over images.

* :class:`AdaptiveMasker`: AMD's attention-guided mask (Eq 2-4).
* :class:`RandomMasker`: MGD's random mask, AMD's "Ada-Mask off" ablation.
"""
import math
from numbers import Real

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.registry import MODELS
from torch import Tensor


def _check_feature(feature: Tensor) -> None:
    if not isinstance(feature, Tensor) or feature.dim() != 4:
        shape = tuple(feature.shape) if isinstance(feature, Tensor) else None
        raise TypeError('the masker expects a teacher feature of shape '
                        f'(N, C, H, W), got {type(feature).__name__} with '
                        f'shape {shape}')


def _as_real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f'{name} must be a real number, got {value!r}')
    return float(value)


@MODELS.register_module()
class AdaptiveMasker(nn.Module):
    """Hide the positions the teacher attends to most (AMD, Eq 2-4).

    Eq 2: ``G[h, w] = mean_c |T[c, h, w]|``.
    Eq 3: ``A = H * W * softmax(G / tau)``, softmax over the ``H * W``
    positions of each image, so ``A`` sums to ``H * W`` and averages 1.
    Eq 4: ``M[h, w] = 0`` where ``A[h, w] > phi``, else 1.

    ``phi`` is therefore a multiple of the uniform attention: ``phi = 1``
    hides the positions with more than average attention, ``phi = 0`` hides
    every position, and ``phi >= H * W`` hides none.

    Args:
        phi (float): attention threshold above which a position is hidden,
            finite and >= 0. Defaults to 1.0.
        tau (float): softmax temperature of Eq 3, > 0. Defaults to 0.5
            (FGD's value).
    """

    def __init__(self, phi: float = 1.0, tau: float = 0.5) -> None:
        super().__init__()
        phi = _as_real('phi', phi)
        tau = _as_real('tau', tau)
        if not math.isfinite(phi) or phi < 0:
            raise ValueError(
                f'phi must be a finite number >= 0, got phi={phi}')
        if not math.isfinite(tau) or tau <= 0:
            raise ValueError(f'tau must be a finite number > 0, got tau={tau}')
        self.phi = phi
        self.tau = tau

    @torch.no_grad()
    def attention(self, teacher: Tensor) -> Tensor:
        """Spatial attention ``A`` of Eq 2-3, shape ``(N, 1, H, W)``.

        Computed in float32 (autocast disabled), without gradient.
        """
        _check_feature(teacher)
        n, c, h, w = teacher.shape
        with torch.autocast(device_type=teacher.device.type, enabled=False):
            # Eq 2, (N, H, W): the L1 norm over channels is one pass with
            # no temporary, where abs().mean() writes and rereads |T|
            mean_abs = torch.linalg.vector_norm(
                teacher.float(), ord=1, dim=1) / c
            weights = F.softmax(mean_abs.reshape(n, h * w) / self.tau, dim=1)
            return (h * w * weights).reshape(n, 1, h, w)  # Eq 3

    @torch.no_grad()
    def forward(self, teacher: Tensor) -> Tensor:
        """Mask ``M`` of Eq 4, shape ``(N, 1, H, W)``, dtype of ``teacher``."""
        return (self.attention(teacher) <= self.phi).to(teacher.dtype)

    def extra_repr(self) -> str:
        return f'phi={self.phi}, tau={self.tau}'


@MODELS.register_module()
class RandomMasker(nn.Module):
    """MGD's random spatial mask: each position hidden with prob. ``ratio``.

    Same rule as MMRazor's ``MGDConnector``: draw ``u ~ U[0, 1)`` of shape
    ``(N, 1, H, W)`` with ``torch.rand`` and hide where ``u > 1 - ratio``.
    The draw is made on the teacher's device, so on the CPU it consumes the
    global generator exactly as ``MGDConnector`` does.

    Args:
        ratio (float): probability that a position is hidden, in [0, 1].
            Defaults to 0.65 (MGD's one-stage value; 0.45 for Faster R-CNN).
    """

    def __init__(self, ratio: float = 0.65) -> None:
        super().__init__()
        ratio = _as_real('ratio', ratio)
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f'ratio must be in [0, 1], got ratio={ratio}')
        self.ratio = ratio

    @torch.no_grad()
    def forward(self, teacher: Tensor) -> Tensor:
        """Random mask of shape ``(N, 1, H, W)``; uses only ``teacher``'s
        shape, device and dtype."""
        _check_feature(teacher)
        n, _, h, w = teacher.shape
        draw = torch.rand((n, 1, h, w), device=teacher.device)
        return (draw <= 1.0 - self.ratio).to(teacher.dtype)

    def extra_repr(self) -> str:
        return f'ratio={self.ratio}'
