"""The distillation losses under fp16 and bf16 autocast at COCO size.

One FPN level of 256 x 100 x 168 (P3 of an 800 x 1333 COCO image), teacher
features of a trained FPN's magnitude (mostly |T| of a few units, 1 % of
the positions ten times larger: values up to ~150), a student partly
aligned with it. The features are *recorded* in the autocast dtype, as the
student's and the teacher's necks return them under ``--amp``; the loss
runs under autocast of that dtype, so the generation convs (AMD, MGD) run
in half precision. The sum of squared errors over the level is ~1e7, far
beyond fp16's largest value, 65504: a reduction in half precision would be
Inf. Each loss must return float32 within 1e-3 (relative) of the float64
value of the same formula on the same (rounded) feature values, written
here from the equations (``amd_reference.py``, ``fgd_reference.py``).

The fp16 convolutions are slow on a CPU (about 25 s per loss here), hence
``slow``.
"""
import pytest
import torch

import mmrazor_amd  # noqa: F401  (registers the losses)
from amd_reference import (adaptive_ref_masks, ref_amd_loss, ref_conv3x3,
                           ref_mgd_mask)
from fgd_reference import (make_sample, ref_attention_loss, ref_focal,
                           ref_global, ref_masks)
from mmrazor_amd.models.losses import AMDLoss, FGDLoss, MultiLevelMGDLoss

N, C, H, W = 1, 256, 100, 168
FP16_MAX = 65504.0
DTYPES = [torch.float16, torch.bfloat16]
BOXES = [[[120.0, 200.0, 420.0, 560.0], [900.0, 100.0, 1100.0, 300.0]]]
IMAGE = (800, 1344)  # stride 8: the 100 x 168 grid


def coco_like_features(seed=0):
    """``(S, T)`` float32, ``(N, C, H, W)``."""
    gen = torch.Generator().manual_seed(seed)
    teacher = torch.randn(N, C, H, W, generator=gen) * 3.0
    spikes = torch.rand(N, 1, H, W, generator=gen) < 0.01
    teacher = torch.where(spikes, teacher * 10.0, teacher)
    student = 0.7 * teacher + torch.randn(N, C, H, W, generator=gen) * 2.0
    return student, teacher


def recorded(dtype):
    """The features as an autocast forward records them, and their values
    in float64 (the references' inputs)."""
    student, teacher = coco_like_features()
    student, teacher = student.to(dtype), teacher.to(dtype)
    return (student, teacher), (student.double(), teacher.double())


def under_autocast(loss_fn, dtype, *args):
    with torch.no_grad(), torch.autocast('cpu', dtype=dtype):
        return loss_fn(*args)


def assert_close_float32(value, expected, squares):
    assert value.dtype == torch.float32 and value.dim() == 0
    assert squares > 100 * FP16_MAX  # a half-precision sum would be Inf
    assert float(value) == pytest.approx(expected, rel=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize('dtype', DTYPES)
def test_amd_at_coco_size(dtype):
    (s, t), (s64, t64) = recorded(dtype)
    loss_fn = AMDLoss(C, C, num_levels=1, loss_weight=2e-5)
    masks = adaptive_ref_masks([t64], phi=1.0, tau=0.5)
    expected = float(ref_amd_loss(loss_fn, [s64], [t64], masks, 2e-5))
    value = under_autocast(loss_fn, dtype, [s], [t])
    assert_close_float32(value, expected, expected / 2e-5 * N)


@pytest.mark.slow
@pytest.mark.parametrize('dtype', DTYPES)
def test_mgd_at_coco_size(dtype):
    (s, t), (s64, t64) = recorded(dtype)
    loss_fn = MultiLevelMGDLoss(alpha_mgd=2e-5, lambda_mgd=0.65,
                                student_channels=C, teacher_channels=C,
                                num_levels=1)
    torch.manual_seed(3)
    mask = ref_mgd_mask(N, H, W, 0.65)  # the connector's draw, replayed
    generation = loss_fn.connectors[0].generation
    y = ref_conv3x3(torch.relu(ref_conv3x3(s64 * mask, generation[0])),
                    generation[2])
    squares = float(((t64 - y)**2).sum())
    torch.manual_seed(3)
    value = under_autocast(loss_fn, dtype, [s], [t])
    assert_close_float32(value, 2e-5 * squares / N, squares)


@pytest.mark.slow
@pytest.mark.parametrize('dtype', DTYPES)
def test_fgd_at_coco_size(dtype):
    """FGD's four terms at the official RetinaNet weights; its context
    modules at their initialisation."""
    (s, t), (s64, t64) = recorded(dtype)
    loss_fn = FGDLoss(C, C, num_levels=1)
    samples = [make_sample(BOXES[0], IMAGE)]
    fg, bg = ref_masks(BOXES, [IMAGE], H, W)
    expected = float(
        1e-3 * ref_focal(s64, t64, fg) + 5e-4 * ref_focal(s64, t64, bg) +
        5e-4 * ref_attention_loss(s64, t64) +
        5e-6 * ref_global(s64, t64, loss_fn.context_s[0],
                          loss_fn.context_t[0]))
    value = under_autocast(loss_fn, dtype, [s], [t], samples)
    assert_close_float32(value, expected,
                         float(((s64 - t64)**2).sum()))
