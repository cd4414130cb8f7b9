"""Attention maps of a feature map, shared by AMD's mask and FGD's loss.

For a feature ``F`` of shape ``(N, C, H, W)`` and a temperature ``tau``
(``docs/method.md``, "The adaptive mask", Eq 2-3, and "FGD")::

    G[n, h, w]   = mean_c  |F[n, c, h, w]|                          (Eq 2)
    A^S[n, h, w] = H * W * softmax_{h, w}(G[n] / tau)[h, w]         (Eq 3)
    A^C[n, c]    = C     * softmax_c(mean_{h, w} |F[n, c]| / tau)[c]

Each attention averages to 1 over its axis, so a threshold ``phi`` on
``A^S`` is a multiple of the uniform attention. AMD hides the positions
where ``A^S(T) > phi``; FGD weights its focal terms with ``A^S(T) A^C(T)``
and matches ``A^S``, ``A^C`` of student and teacher. Both maps are
differentiable (FGD's attention term needs the student's gradient); they
are computed in float32 at least, float64 stays float64.
"""
import torch
import torch.nn.functional as F
from torch import Tensor


def _real(feature: Tensor) -> Tensor:
    return feature.to(torch.promote_types(feature.dtype, torch.float32))


def spatial_attention(feature: Tensor, tau: float) -> Tensor:
    """``A^S``: ``(N, C, H, W) -> (N, H, W)``, each map summing to ``H*W``."""
    n, c, h, w = feature.shape
    # Eq 2 as one L1-norm pass over the channels: abs().mean() would write
    # and reread a full-size |F|
    mean_abs = torch.linalg.vector_norm(_real(feature), ord=1, dim=1) / c
    weights = F.softmax(mean_abs.reshape(n, h * w) / tau, dim=1)
    return (h * w * weights).reshape(n, h, w)


def channel_attention(feature: Tensor, tau: float) -> Tensor:
    """``A^C``: ``(N, C, H, W) -> (N, C)``, each row summing to ``C``."""
    c = feature.shape[1]
    mean_abs = _real(feature).abs().mean(dim=(2, 3))
    return c * F.softmax(mean_abs / tau, dim=1)
