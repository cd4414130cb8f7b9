"""MGD on every FPN level, from MMRazor's stock MGD modules.

MMRazor configures MGD with one ``MGDConnector`` and one ``MGDLoss`` per
level, five entries each in the distiller's ``connectors``,
``distill_losses`` and ``loss_forward_mappings``. This module holds the
same stock modules for all levels behind one loss, like :class:`AMDLoss`
and :class:`FGDLoss`, so that an MGD config sets its weights once and the
three methods log, scale and check their losses the same way. Per level
``l``, in level order (the order in which the stock set-up draws the random
masks)::

    L_l = alpha_mgd * sum (T_l - MGDConnector_l(S_l))^2 / N

``MGDConnector_l`` aligns the channels when ``Cs != C``, hides each
position with probability ``lambda_mgd`` and regenerates the map with two
3x3 convs (``docs/method.md``, "MGD").

Under autocast the connector's convs run in the autocast dtype (fp16 or
bf16), as AMD's generation blocks do; the squared error, its sum over
``N x C x H x W`` and the weight are computed here in float32 with autocast
off, whatever the dtype of the generated and the recorded teacher maps
(MMRazor's ``MGDLoss`` would leave that to autocast's own op policy, which
runs ``mse_loss`` in float32 on CPU and CUDA, and to the input dtype
elsewhere, where a sum of ``C*H*W ~ 4e6`` squares exceeds fp16's 65504).
"""
import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors import MGDConnector
from mmrazor.models.losses import MGDLoss
from mmrazor.registry import MODELS
from torch import Tensor

from ..utils.checks import check_real, check_weight
from .multi_level import Features, MultiLevelFeatureLoss


@MODELS.register_module()
class MultiLevelMGDLoss(MultiLevelFeatureLoss):
    """MGD over ``num_levels`` FPN levels, summed (a float32 scalar; float64
    for float64 features).

    Args:
        alpha_mgd (float): ``alpha`` of every level. Defaults to 2e-5 (MGD's
            one-stage value; 5e-7 for two-stage detectors).
        lambda_mgd (float): probability that a position is hidden. Defaults
            to 0.65 (one-stage; 0.45 for two-stage detectors).
        **kwargs: ``student_channels`` (``Cs``, default 256),
            ``teacher_channels`` (``C``, 256), ``num_levels`` (5),
            ``check_finite`` and ``init_cfg`` of
            :class:`MultiLevelFeatureLoss`.
    """

    weight_names = ('alpha_mgd', )

    def __init__(self, alpha_mgd: float = 2e-5, lambda_mgd: float = 0.65,
                 **kwargs) -> None:
        kwargs = dict(dict(student_channels=256, teacher_channels=256,
                           num_levels=5), **kwargs)
        # the stock connectors align the channels themselves
        super().__init__(align=False, **kwargs)
        self.alpha_mgd = check_weight('alpha_mgd', alpha_mgd)
        lambda_mgd = check_real('lambda_mgd', lambda_mgd, 0.0, 1.0)
        self.connectors = nn.ModuleList(
            MGDConnector(self.student_channels, self.teacher_channels,
                         lambda_mgd) for _ in range(self.num_levels))
        self.losses = nn.ModuleList(
            MGDLoss(alpha_mgd=self.alpha_mgd)
            for _ in range(self.num_levels))

    def forward(self, preds_S: Features, preds_T: Features) -> Tensor:
        """Weighted MGD loss summed over levels.

        Args:
            preds_S: student features, ``num_levels`` tensors
                ``(N, Cs, H_l, W_l)`` (the student's neck outputs).
            preds_T: teacher features, same layout with ``C`` channels.
        """
        pairs = self.paired_levels(preds_S, preds_T)
        losses = []
        for level, student, teacher in pairs:
            generated = self.connectors[level](student)
            with torch.autocast(device_type=teacher.device.type,
                                enabled=False):
                dtype = torch.promote_types(teacher.dtype, torch.float32)
                losses.append(self.losses[level](generated.to(dtype),
                                                 teacher.to(dtype)))
        return self.finite_sum(losses, pairs)
