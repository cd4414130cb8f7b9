"""Building the sub-modules that a loss or block takes as configs."""
from typing import Any

from mmengine.registry import DefaultScope
from mmrazor.registry import MODELS
from torch import nn


def build_module(cfg: dict, **kwargs: Any) -> nn.Module:
    """``MODELS.build(dict(cfg, **kwargs))`` in MMRazor's scope.

    A config such as ``masker=dict(type='AdaptiveMasker')`` names a module
    of MMRazor's registry; mmengine would look it up in the *default* scope
    (e.g. mmdet's, when the loss is built while an mmdet runner is active)
    and not find it.
    """
    with DefaultScope.overwrite_default_scope('mmrazor'):
        return MODELS.build(dict(cfg, **kwargs))
