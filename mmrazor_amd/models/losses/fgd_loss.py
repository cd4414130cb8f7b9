"""FGD loss: Focal and Global Knowledge Distillation over FPN levels.

Yang et al., "Focal and Global Knowledge Distillation for Detectors",
CVPR 2022. MMRazor 1.0.0 does not ship it; this module reproduces the
semantics of the authors' reference loss (one ``FeatureLoss`` per FPN level
in their configs) as a single multi-level MMRazor loss
(``docs/method.md``, "FGD").
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import constant_init, kaiming_init
from mmrazor.registry import MODELS
from torch import Tensor

from ..utils.attention import channel_attention, spatial_attention
from ..utils.checks import check_choice, check_real, check_weight
from .multi_level import Features, MultiLevelFeatureLoss


BOX_SCALES = ('img_shape', 'batch_input_shape')


class _GlobalContext(nn.Module):
    """GcBlock-style global context of one feature map (one side, one level).

    ``conv_mask``: 1x1 conv ``C -> 1``; its logits, softmax-normalised over
    the ``H*W`` positions, weight the pooling of the feature into a context
    vector ``(N, C, 1, 1)``. ``channel_add``: 1x1 conv ``C -> C//2``,
    ``LayerNorm([C//2, 1, 1])``, ReLU, 1x1 conv ``C//2 -> C``. The output,
    ``channel_add(context)`` ``(N, C, 1, 1)``, is broadcast-added to the
    feature by the caller.

    Initialisation follows the FGD reference: Kaiming normal (fan_in, ReLU
    gain, zero bias) for ``conv_mask``; zero weight and bias for the last
    conv of ``channel_add``, so the block first adds nothing and, while that
    conv is zero, ``conv_mask`` and the first layers of ``channel_add``
    receive zero gradient.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = channels // 2
        self.conv_mask = nn.Conv2d(channels, 1, kernel_size=1)
        self.channel_add = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1),
            nn.LayerNorm([hidden, 1, 1]),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, kernel_size=1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_init(self.conv_mask, mode='fan_in')
        constant_init(self.channel_add[-1], val=0)

    def forward(self, feat: Tensor) -> Tensor:
        """``(N, C, H, W) -> (N, C, 1, 1)``, the term added to ``feat``."""
        n, c, h, w = feat.shape
        # (N, 1, H*W): where to look, a distribution over positions
        weights = F.softmax(self.conv_mask(feat).reshape(n, 1, h * w), dim=2)
        # (N, C, H*W) @ (N, H*W, 1) -> (N, C, 1)
        context = torch.bmm(feat.reshape(n, c, h * w), weights.transpose(1, 2))
        return self.channel_add(context.reshape(n, c, 1, 1))


@MODELS.register_module()
class FGDLoss(MultiLevelFeatureLoss):
    r"""Focal and Global Distillation loss (FGD), summed over FPN levels.

    For each level with student feature ``S`` ``(N, Cs, H, W)`` (aligned to
    ``C`` channels by a 1x1 conv when ``Cs != C``) and teacher feature ``T``
    ``(N, C, H, W)`` (detached), with ``|F|`` the element-wise magnitude:

    * attentions of a feature ``F`` (temperature ``temp``)::

        A^S(F) = H*W * softmax_{hw}(mean_c |F| / temp)      (N, H, W)
        A^C(F) = C   * softmax_c  (mean_hw |F| / temp)      (N, C)

    * box masks ``M`` (foreground) and ``B`` (background), ``(N, H, W)``,
      from the gt boxes scaled to the ``H x W`` grid (see
      :meth:`box_masks`);
    * focal terms, weighted by the *teacher's* attentions::

        L_fg  = sum_{n,c,h,w} M * A^S(T) * A^C(T) * (S - T)^2 / N
        L_bg  = sum_{n,c,h,w} B * A^S(T) * A^C(T) * (S - T)^2 / N

    * attention term (L1, summed and divided by the batch size)::

        L_at  = sum_{n,c} |A^C(S) - A^C(T)| / N
              + sum_{n,h,w} |A^S(S) - A^S(T)| / N

    * global term, with the GcBlock context modules ``G_s`` (student) and
      ``G_t`` (teacher) of the level::

        L_gl  = sum_{n,c,h,w} ((S + G_s(S)) - (T + G_t(T)))^2 / N

    The returned loss is ``sum_levels (alpha_fgd * L_fg + beta_fgd * L_bg +
    gamma_fgd * L_at + lambda_fgd * L_gl)``, a float32 scalar (float64 when
    the features are float64), computed with autocast disabled. The
    reference writes the focal terms as an MSE between features multiplied
    by ``sqrt`` of the weights; that is the same quantity.

    Gradients reach the student features, ``align`` and both context modules
    (the teacher one through ``G_t(T)``, as in the reference, where they are
    trainable parameters of the loss); never the teacher features.

    Args:
        student_channels (int): ``Cs``, channels of every student level.
        teacher_channels (int): ``C``, channels of every teacher level, >= 2.
        num_levels (int): number of FPN levels in ``preds_S``/``preds_T``.
        alpha_fgd (float): weight of ``L_fg``. Defaults to 1e-3.
        beta_fgd (float): weight of ``L_bg``. Defaults to 5e-4.
        gamma_fgd (float): weight of ``L_at``. Defaults to 5e-4.
        lambda_fgd (float): weight of ``L_gl``. Defaults to 5e-6. (The
            defaults are the official RetinaNet values.)
        temp (float): attention temperature, > 0. Defaults to 0.5.
        box_scale (str): image size the gt boxes are divided by before being
            scaled to the feature grid: ``'img_shape'`` (default, as the
            reference: the unpadded, resized image) or
            ``'batch_input_shape'`` (the padded batch size, which is what the
            feature grid actually covers when images are padded).
        check_finite (bool): stop with ``NonFiniteLossError`` (iteration,
            level, culprit) when a level's loss is NaN/Inf. Defaults to True.
        init_cfg (dict, optional): mmengine initialisation config.
    """

    weight_names = ('alpha_fgd', 'beta_fgd', 'gamma_fgd', 'lambda_fgd')

    def __init__(self,
                 student_channels: int = 256,
                 teacher_channels: int = 256,
                 num_levels: int = 5,
                 alpha_fgd: float = 1e-3,
                 beta_fgd: float = 5e-4,
                 gamma_fgd: float = 5e-4,
                 lambda_fgd: float = 5e-6,
                 temp: float = 0.5,
                 box_scale: str = 'img_shape',
                 check_finite: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(student_channels, teacher_channels, num_levels,
                         min_teacher_channels=2, check_finite=check_finite,
                         init_cfg=init_cfg)
        self.alpha_fgd = check_weight('alpha_fgd', alpha_fgd)
        self.beta_fgd = check_weight('beta_fgd', beta_fgd)
        self.gamma_fgd = check_weight('gamma_fgd', gamma_fgd)
        self.lambda_fgd = check_weight('lambda_fgd', lambda_fgd)
        self.temp = check_real('temp', temp, minimum=0.0, strict=True)
        check_choice('box_scale', box_scale, BOX_SCALES)
        self.box_scale = box_scale

        self.context_s = nn.ModuleList(
            _GlobalContext(teacher_channels) for _ in range(num_levels))
        self.context_t = nn.ModuleList(
            _GlobalContext(teacher_channels) for _ in range(num_levels))

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def forward(self, preds_S: Features, preds_T: Features,
                data_samples: Sequence) -> Tensor:
        """Weighted FGD loss summed over levels, a scalar.

        Args:
            preds_S: student features, a sequence of ``num_levels`` tensors
                ``(N, Cs, H_l, W_l)`` (or one tensor when ``num_levels`` is
                1), e.g. the FPN outputs recorded on the student's ``neck``.
            preds_T: teacher features, same layout with ``C`` channels.
            data_samples (list[DetDataSample]): the ``N`` samples of the
                batch; ``gt_instances.bboxes`` (xyxy, input-image pixels) and
                the metainfo key named by ``box_scale`` are used.
        """
        pairs = self.paired_levels(preds_S, preds_T)
        samples = self._check_samples(data_samples, pairs[0][1].shape[0])
        losses = []
        for level, student, teacher in pairs:
            terms = self._level_terms(level, student, teacher, samples)
            losses.append(self.alpha_fgd * terms[0] +
                          self.beta_fgd * terms[1] +
                          self.gamma_fgd * terms[2] +
                          self.lambda_fgd * terms[3])
        return self.finite_sum(losses, pairs)

    def _level_terms(self, level: int, student: Tensor, teacher: Tensor,
                     samples: Sequence) -> Tuple[Tensor, ...]:
        """Unweighted ``(L_fg, L_bg, L_at, L_gl)`` of one level."""
        student = self.align(level, student)
        dtype = torch.promote_types(teacher.dtype, torch.float32)
        with torch.autocast(device_type=teacher.device.type, enabled=False):
            student = student.to(dtype)
            teacher = teacher.to(dtype)
            n, _, h, w = teacher.shape
            spatial_t, channel_t = self.attentions(teacher, self.temp)
            spatial_s, channel_s = self.attentions(student, self.temp)
            fg, bg = self.box_masks(samples, h, w, teacher.device, dtype)

            # (N, C, H, W) per-element weight shared by both focal terms
            focus = spatial_t[:, None] * channel_t[:, :, None, None]
            sq_err = (student - teacher).pow(2) * focus
            loss_fg = (sq_err * fg[:, None]).sum() / n
            loss_bg = (sq_err * bg[:, None]).sum() / n

            loss_at = ((channel_s - channel_t).abs().sum() / n +
                       (spatial_s - spatial_t).abs().sum() / n)

            out_s = student + self.context_s[level](student)
            out_t = teacher + self.context_t[level](teacher)
            loss_gl = (out_s - out_t).pow(2).sum() / n
        return loss_fg, loss_bg, loss_at, loss_gl

    # ------------------------------------------------------------------
    # attentions and masks
    # ------------------------------------------------------------------
    @staticmethod
    def attentions(feat: Tensor, temp: float) -> Tuple[Tensor, Tensor]:
        """Spatial ``(N, H, W)`` and channel ``(N, C)`` attentions of a map
        (:mod:`mmrazor_amd.models.utils.attention`)."""
        return spatial_attention(feat, temp), channel_attention(feat, temp)

    def box_masks(self,
                  data_samples: Sequence,
                  height: int,
                  width: int,
                  device: Optional[torch.device] = None,
                  dtype: torch.dtype = torch.float32
                  ) -> Tuple[Tensor, Tensor]:
        """Foreground and background masks, ``(N, height, width)`` of dtype.

        Each gt box ``(x1, y1, x2, y2)`` is mapped to the grid with the
        reference's rounding, ``(Hi, Wi)`` being the sample's ``box_scale``
        shape::

            w0 = floor(x1 / Wi * width),   w1 = ceil(x2 / Wi * width)
            h0 = floor(y1 / Hi * height),  h1 = ceil(y2 / Hi * height)

        and covers the cells ``h0 <= row <= h1``, ``w0 <= col <= w1`` (both
        ends included, cells past the grid dropped) with the value
        ``1 / (h1 + 1 - h0) / (w1 + 1 - w0)``; where boxes overlap, the
        largest value (the smallest box) wins. So a box smaller than one cell
        still covers 2x2 cells (1x1 when its scaled corners lie on the same
        integer), and a box touching the right/bottom border keeps the
        denominator of its unclipped extent, as in the reference.

        The background mask is 1 where the foreground is 0 and 0 elsewhere,
        divided by its sum per image when that sum is nonzero: an image
        without boxes gets ``1 / (height * width)`` everywhere, an image
        fully covered by boxes an all-zero background.

        Difference from the reference, only for boxes reaching outside the
        image on the top/left (negative coordinates): a negative start
        index is clamped to 0 here, where the reference's slicing would wrap
        around.
        """
        masks_fg = []
        for sample in data_samples:
            boxes = self._gt_boxes(sample)
            if device is not None:
                boxes = boxes.to(device)
            ref_h, ref_w = self._reference_shape(sample)
            mask = torch.zeros(height, width, dtype=dtype, device=boxes.device)
            if boxes.shape[0] > 0:
                # grid indices, rounded in the boxes' own dtype as the
                # reference does (float32 for mmdet boxes)
                w0 = torch.floor(boxes[:, 0] / ref_w * width)
                w1 = torch.ceil(boxes[:, 2] / ref_w * width)
                h0 = torch.floor(boxes[:, 1] / ref_h * height)
                h1 = torch.ceil(boxes[:, 3] / ref_h * height)
                # extents are small integers: exact in any float dtype
                value = 1.0 / (h1 + 1 - h0).to(dtype) / (w1 + 1 - w0).to(dtype)
                rows = torch.arange(height, device=boxes.device)
                cols = torch.arange(width, device=boxes.device)
                in_rows = (rows >= h0[:, None]) & (rows <= h1[:, None])
                in_cols = (cols >= w0[:, None]) & (cols <= w1[:, None])
                inside = in_rows[:, :, None] & in_cols[:, None, :]  # (K,H,W)
                # max over boxes, starting from 0 (cells outside every box)
                mask = torch.where(inside, value[:, None, None],
                                   mask.new_zeros(())).amax(dim=0)
            masks_fg.append(mask)
        fg = torch.stack(masks_fg)
        bg = (fg == 0).to(dtype)
        total = bg.sum(dim=(1, 2), keepdim=True)
        bg = torch.where(total > 0, bg / total.clamp(min=1), bg)
        return fg, bg

    def _gt_boxes(self, sample) -> Tensor:
        gt = getattr(sample, 'gt_instances', None)
        if gt is None or 'bboxes' not in gt:
            raise ValueError(
                'FGDLoss needs gt boxes: every data sample must have '
                '`gt_instances.bboxes`')
        boxes = gt.bboxes
        boxes = getattr(boxes, 'tensor', boxes)  # mmdet BaseBoxes
        boxes = torch.as_tensor(boxes).detach()
        if not boxes.is_floating_point():
            boxes = boxes.float()
        if boxes.numel() == 0:
            return boxes.reshape(0, 4)
        if boxes.dim() != 2 or boxes.shape[1] != 4:
            raise ValueError('gt_instances.bboxes must be (K, 4) xyxy boxes, '
                             f'got shape {tuple(boxes.shape)}')
        return boxes

    def _reference_shape(self, sample) -> Tuple[int, int]:
        metainfo = getattr(sample, 'metainfo', {})
        shape = metainfo.get(self.box_scale)
        if shape is None:
            raise ValueError(
                f'FGDLoss(box_scale={self.box_scale!r}) needs the metainfo '
                f'key {self.box_scale!r} in every data sample, found '
                f'{sorted(metainfo)}')
        return int(shape[0]), int(shape[1])

    # ------------------------------------------------------------------
    # input checks (the feature checks are MultiLevelFeatureLoss's)
    # ------------------------------------------------------------------
    @staticmethod
    def _check_samples(data_samples, batch_size: int) -> Sequence:
        if data_samples is None or not isinstance(data_samples,
                                                  (list, tuple)):
            raise TypeError(
                'data_samples must be the list of DetDataSample of the batch, '
                f'got {type(data_samples).__name__}')
        if len(data_samples) != batch_size:
            raise ValueError(
                f'got {len(data_samples)} data samples for a batch of '
                f'{batch_size} feature maps')
        return data_samples
