"""A connector that hands a loss its feature map in the default layout.

MMRazor's ``ChannelWiseDivergence`` (CWD) flattens each channel of a map of
shape ``(N, C, H, W)`` with ``preds.view(-1, W * H)``, which needs the map
to be contiguous in the default (NCHW) layout. The frozen teacher of the
embedded configs runs in channels-last layout (``FastFrozenTeacherHook``):
its FPN maps have the same shape but NHWC strides
``(H*W*C, 1, W*C, C)``, on which that ``view`` raises. A distiller's
connector sits between a recorder and a loss (``connector=<name>`` in a
``loss_forward_mappings`` entry), so the loss is used as MMRazor registers
it and only its input is copied to NCHW.
"""
import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from mmrazor.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class ContiguousConnector(BaseConnector):
    """``x -> x.contiguous()``: the same values, shape ``(N, C, H, W)`` and
    autograd graph, in NCHW memory layout. A map already in that layout is
    returned as it is (no copy); no parameters."""

    def forward_train(self, feature: Tensor) -> Tensor:
        if not isinstance(feature, Tensor):
            raise TypeError('ContiguousConnector takes one tensor (give the '
                            'mapping a data_idx), got '
                            f'{type(feature).__name__}')
        return feature.contiguous(memory_format=torch.contiguous_format)
