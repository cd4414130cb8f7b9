"""Spatial masks that hide part of the student's feature map.

Both maskers take the *teacher* feature ``T`` of shape ``(N, C, H, W)`` and
return a mask ``M`` of shape ``(N, 1, H, W)`` in ``T``'s dtype and device,
with 1 = position kept visible and 0 = position hidden from the student. The
mask carries no gradient. Every operation is batched: no loop over images.

* :class:`AdaptiveMasker`: AMD's attention-guided mask (Eq 2-4).
* :class:`RandomMasker`: MGD's random mask, AMD's "Ada-Mask off" ablation
  (``docs/method.md``, "Ablations").
"""
import torch
import torch.nn as nn
from mmrazor.registry import MODELS
from torch import Tensor

from ..utils.attention import spatial_attention
from ..utils.checks import check_feature, check_real


@MODELS.register_module()
class AdaptiveMasker(nn.Module):
    """Hide the positions the teacher attends to most (AMD, Eq 2-4).

    Eq 2-3: ``A = H * W * softmax(mean_c |T| / tau)`` over the ``H * W``
    positions of each image (:func:`~..utils.attention.spatial_attention`),
    so ``A`` sums to ``H * W`` and averages 1.
    Eq 4: ``M[h, w] = 0`` where ``A[h, w] > phi``, else 1
    (``docs/method.md``, "The adaptive mask").

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
        self.phi = check_real('phi', phi, minimum=0.0)
        self.tau = check_real('tau', tau, minimum=0.0, strict=True)

    @torch.no_grad()
    def attention(self, teacher: Tensor) -> Tensor:
        """Spatial attention ``A`` of Eq 2-3, shape ``(N, 1, H, W)``.

        Computed in float32 or float64 (autocast disabled), without
        gradient.
        """
        check_feature(teacher, 'the teacher feature of the masker')
        with torch.autocast(device_type=teacher.device.type, enabled=False):
            return spatial_attention(teacher, self.tau).unsqueeze(1)

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
        self.ratio = check_real('ratio', ratio, minimum=0.0, maximum=1.0)

    @torch.no_grad()
    def forward(self, teacher: Tensor) -> Tensor:
        """Random mask of shape ``(N, 1, H, W)``; uses only ``teacher``'s
        shape, device and dtype."""
        check_feature(teacher, 'the teacher feature of the masker')
        n, _, h, w = teacher.shape
        draw = torch.rand((n, 1, h, w), device=teacher.device)
        return (draw <= 1.0 - self.ratio).to(teacher.dtype)

    def extra_repr(self) -> str:
        return f'ratio={self.ratio}'
