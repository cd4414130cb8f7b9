"""Which attributes of a distillation loss are its weights.

:class:`~mmrazor_amd.engine.DistillBalanceHook` scales every weight of a
loss by one factor and reports the loss "at unit leading weight". For that
it needs to know, per loss class, the weight attributes and which one leads
(``docs/method.md``, "Loss balance"):

* our losses declare them in a class attribute ``weight_names`` (leading
  weight first): ``AMDLoss`` has ``('loss_weight',)``, ``FGDLoss`` has
  ``('alpha_fgd', 'beta_fgd', 'gamma_fgd', 'lambda_fgd')``;
* MMRazor's own losses are listed in :data:`FOREIGN_WEIGHT_NAMES`:
  ``MGDLoss`` (``alpha_mgd``), ``PKDLoss`` and ``ChannelWiseDivergence``
  (CWD), both ``loss_weight``; any other loss with a ``loss_weight``
  attribute is taken to be weighted by it alone.

Every loss listed is linear in each of its weights, so multiplying all of
them by ``s`` multiplies the loss by ``s``, which is how the hook applies
the scale (on the module's output). For PKD and CWD, with one module per
FPN level ``l`` (feature maps ``S_l``, ``T_l`` of shape ``(N, C, H, W)``):

* PKD: ``w * mean((norm(S_l) - norm(T_l))^2) / 2``, ``norm`` standardising
  each channel over ``N*H*W`` (mean 0, std 1);
* CWD: ``w * tau^2 / (N*C) * sum_{n,c} KL(p_T || p_S)``, ``p`` the softmax
  over the ``H*W`` positions of ``map[n, c] / tau``;

so their raw loss ("at unit leading weight") is the loss at ``w = 1``.
"""
from typing import Dict, NamedTuple

from torch import nn

FOREIGN_WEIGHT_NAMES = {
    'MGDLoss': ('alpha_mgd', ),
    'PKDLoss': ('loss_weight', ),
    'ChannelWiseDivergence': ('loss_weight', ),
}


class LossWeights(NamedTuple):
    """The weights of one loss module, leading weight first."""
    values: Dict[str, float]

    @property
    def lead(self) -> float:
        return next(iter(self.values.values()))


def loss_weights(module: nn.Module) -> LossWeights:
    """The weight attributes of ``module`` and their current values.

    Raises:
        TypeError: the loss has no weight this module knows of.
    """
    cls = type(module)
    names = getattr(cls, 'weight_names', None) or FOREIGN_WEIGHT_NAMES.get(
        cls.__name__)
    if names is None and hasattr(module, 'loss_weight'):
        names = ('loss_weight', )
    if not names:
        raise TypeError(
            f'{cls.__name__} has no known weight attribute: give the class a '
            "`weight_names` tuple (leading weight first), or a `loss_weight`")
    return LossWeights({name: float(getattr(module, name)) for name in names})
