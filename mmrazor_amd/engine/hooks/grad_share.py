"""The distillation share of a module's gradient, for DistillBalanceHook.

On a measured iteration, for the parameters ``p`` of one module (the
student's neck by default), with ``G`` the gradient that this iteration's
backward adds to ``p.grad`` (taken before clipping, without AMP's loss
scale and with the optimizer wrapper's ``1 / accumulative_counts``):

* ``g_d``: the part of ``G`` due to the weighted distillation losses,
  ``d (sum_m scale * L_m) / dp`` times the same loss factor, from one
  extra partial backward pass through the graph of the distillation
  losses alone;
* ``g_det = G - g_d``: the rest (the detection loss);
* ``share = |g_d| / (|g_d| + |g_det|)`` over all those parameters (2-norms).

Under gradient accumulation (``optim_wrapper.accumulative_counts > 1``)
``p.grad`` holds the sum over the micro-batches since the last optimizer
step; ``G`` is ``p.grad`` after this backward minus ``p.grad`` before it
(kept at the start of the iteration), so both parts come from the same
micro-batch.
"""
import math
from typing import Dict, List, Optional

import torch


class GradShareMeter:
    """Measures ``share`` for the parameters ``params`` on one iteration.

    Call :meth:`start` before the forward, :meth:`distill` with the
    weighted distillation losses once they are all computed (before the
    backward), and :meth:`finish` after the backward.
    """

    def __init__(self, params: List[torch.nn.Parameter]) -> None:
        self.params = params
        self._handles: list = []
        self._before: Dict[torch.nn.Parameter, torch.Tensor] = {}
        self._distill: Dict[torch.nn.Parameter, torch.Tensor] = {}
        self._norms_sq = dict(distill=0.0, detection=0.0)
        self._factor = 1.0

    def start(self, optim_wrapper) -> None:
        """Keep ``p.grad`` (accumulated so far), the factor by which the
        backward will multiply the gradients, and hook the parameters."""
        self._distill = {}
        self._norms_sq = dict(distill=0.0, detection=0.0)
        self._before = {
            p: p.grad.detach().float().clone()
            for p in self.params if p.grad is not None
        }
        self._factor = backward_factor(optim_wrapper)
        self._handles = [
            p.register_post_accumulate_grad_hook(self._complete)
            for p in self.params
        ]

    def distill(self, weighted: List[torch.Tensor]) -> None:
        """``g_d`` from the graph of the weighted distillation losses (the
        full backward follows and keeps the graph it needs)."""
        total = torch.stack([g.float() for g in weighted]).sum()
        if not total.requires_grad:
            return
        grads = torch.autograd.grad(total, self.params, retain_graph=True,
                                    allow_unused=True)
        self._distill = {
            p: grad.detach().float() * self._factor
            for p, grad in zip(self.params, grads) if grad is not None
        }

    def _complete(self, param) -> None:
        """``p.grad`` is complete: add ``|g_d|^2`` and ``|G - g_d|^2``."""
        total = param.grad.detach().float()
        before = self._before.get(param)
        if before is not None:
            total = total - before
        distill = self._distill.get(param)
        if distill is None:
            self._norms_sq['detection'] += float(total.pow(2).sum())
            return
        self._norms_sq['distill'] += float(distill.pow(2).sum())
        self._norms_sq['detection'] += float((total - distill).pow(2).sum())

    def finish(self) -> Optional[float]:
        """The share, or None when no gradient reached the parameters."""
        for handle in self._handles:
            handle.remove()
        self._handles, self._before, self._distill = [], {}, {}
        distill, rest = (math.sqrt(self._norms_sq[k])
                         for k in ('distill', 'detection'))
        return distill / (distill + rest) if distill + rest > 0 else None


def backward_factor(optim_wrapper) -> float:
    """What the optimizer wrapper's backward multiplies the gradients of
    the loss by on this iteration: ``1 / accumulative_counts`` (or the
    remainder at the end of the run; ``OptimWrapper.scale_loss``) times
    AMP's dynamic loss scale when it is enabled."""
    factor = 1.0
    scale_loss = getattr(optim_wrapper, 'scale_loss', None)
    if scale_loss is not None and hasattr(optim_wrapper, '_max_counts'):
        factor = float(scale_loss(torch.ones((), dtype=torch.float64)))
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is not None and scaler.is_enabled():
        factor *= float(scaler.get_scale())
    return factor
