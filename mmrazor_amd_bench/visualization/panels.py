"""The arrays of one figure: per FPN level, the teacher's attention, the
masks and the channel-mean features of the three detectors.

Everything is computed by the project's modules: ``A`` and AMD's mask by
:class:`AdaptiveMasker` (Eq 2-4), MGD's mask by :class:`RandomMasker`.
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from mmrazor_amd.models.architectures.maskers import AdaptiveMasker, RandomMasker
from .data import Sample

MGD_RATIO = 0.65  # MGD's one-stage lambda


def _prior_generator(detector):
    """The anchor (prior) generator of a one-stage head or of the RPN."""
    head = getattr(detector, 'bbox_head', None) or getattr(
        detector, 'rpn_head', None)
    return getattr(head, 'prior_generator', None)


def level_strides(detector, num_levels: int) -> List[int]:
    """Strides of the detector's FPN levels (its prior generator), else
    8, 16, ... ."""
    strides = getattr(_prior_generator(detector), 'strides', None)
    if strides and len(strides) == num_levels:
        return [int(s[0]) if isinstance(s, (tuple, list)) else int(s)
                for s in strides]
    return [8 * 2**i for i in range(num_levels)]


def center_offset(detector) -> float:
    """Where the detector centres the anchor of cell ``i``: at
    ``(i + offset) * stride`` (its prior generator's ``center_offset``)."""
    return float(getattr(_prior_generator(detector), 'center_offset', 0.0))


@torch.no_grad()
def neck_features(detector, sample: Sample) -> Tuple[Tensor, ...]:
    """FPN outputs of ``detector`` for one image, each ``(1, C, H_l, W_l)``
    (batch of 1, eval mode)."""
    device = next(detector.parameters()).device
    data = detector.data_preprocessor(
        dict(inputs=[sample.inputs.to(device)],
             data_samples=[sample.data_sample]), False)
    return tuple(detector.extract_feat(data['inputs']))


def exact_random_mask(shape: Tuple[int, int], hidden: int,
                      generator: torch.Generator) -> Tensor:
    """``(1, 1, H, W)`` mask hiding ``hidden`` positions drawn uniformly."""
    h, w = shape
    mask = torch.ones(h * w)
    mask[torch.randperm(h * w, generator=generator)[:hidden]] = 0
    return mask.reshape(1, 1, h, w)


def channel_mean_magnitude(features: Optional[Sequence[Tensor]],
                           level: int) -> Optional[np.ndarray]:
    """``mean_c |F|`` of image 0 at ``level``, ``(H, W)``; None for no
    features."""
    if features is None:
        return None
    feature = features[level][:1].float()
    return feature.abs().mean(dim=1)[0].cpu().numpy()


@dataclass
class LevelPanels:
    """Arrays of one FPN level, all ``(H, W)`` float numpy arrays (masks:
    1 visible, 0 hidden)."""
    name: str  # 'P3' for stride 8
    shape: Tuple[int, int]  # (H, W)
    stride: int
    attention: np.ndarray  # teacher's A (Eq 3)
    amd_mask: np.ndarray  # Eq 4
    random_same: np.ndarray  # as many hidden cells as amd_mask, at random
    mgd_mask: np.ndarray  # each cell hidden with probability lambda
    teacher: np.ndarray  # mean_c |T| (Eq 2)
    baseline: Optional[np.ndarray]  # mean_c |S| of the baseline student
    amd_student: Optional[np.ndarray]  # mean_c |S| of the AMD student

    @staticmethod
    def hidden(mask: np.ndarray) -> float:
        """Fraction of the positions ``mask`` hides."""
        return float((mask == 0).mean())


def compute_panels(teacher: Sequence[Tensor],
                   masker: AdaptiveMasker,
                   strides: Sequence[int],
                   baseline: Optional[Sequence[Tensor]] = None,
                   amd_student: Optional[Sequence[Tensor]] = None,
                   mgd_ratio: float = MGD_RATIO,
                   seed: int = 0) -> List[LevelPanels]:
    """Per-level arrays of the figure for image 0 of the batch.

    ``teacher``, ``baseline`` and ``amd_student`` are FPN outputs, one
    ``(N, C, H_l, W_l)`` tensor per level. ``A`` and AMD's mask come from
    ``masker`` (the module AMD trains with); MGD's mask from
    :class:`RandomMasker` under ``torch.manual_seed(seed)`` (the global
    generator, as MMRazor's ``MGDConnector`` draws it; its state is restored
    afterwards).
    """
    panels = []
    generator = torch.Generator().manual_seed(seed)
    mgd_masker = RandomMasker(ratio=mgd_ratio)
    rng_state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        for level, feat_t in enumerate(teacher):
            feat_t = feat_t[:1]
            _, _, h, w = feat_t.shape
            attention = masker.attention(feat_t)
            amd_mask = masker(feat_t)
            hidden = int((amd_mask == 0).sum())
            random_same = exact_random_mask((h, w), hidden, generator)
            mgd_mask = mgd_masker(feat_t.float())
            stride = strides[level]
            panels.append(
                LevelPanels(
                    name=f'P{int(round(math.log2(stride)))}',
                    shape=(h, w),
                    stride=stride,
                    attention=attention[0, 0].cpu().numpy(),
                    amd_mask=amd_mask[0, 0].float().cpu().numpy(),
                    random_same=random_same[0, 0].numpy(),
                    mgd_mask=mgd_mask[0, 0].cpu().numpy(),
                    teacher=channel_mean_magnitude(teacher, level),
                    baseline=channel_mean_magnitude(baseline, level),
                    amd_student=channel_mean_magnitude(amd_student, level)))
    finally:
        torch.set_rng_state(rng_state)
    return panels
