"""Tests of FGDLoss against the independent float64 references of
``fgd_reference.py`` (written from FGD's formulas; none of them calls a
method of the module under test).
"""
import os.path as osp

import mmrazor_amd  # noqa: F401  (torch 2.x compat; must precede mmrazor)
import pytest
import torch
from fgd_reference import (BOXES, IMG, LEVEL_SHAPES, batch_samples, build,
                           make_sample, random_feats, randomise_context,
                           ref_attention, ref_attention_loss, ref_focal,
                           ref_global, ref_masks)
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmrazor.registry import MODELS

from mmrazor_amd.models.losses import FGDLoss

FGD_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'distill',
    'fgd', '_base_', 'fgd_fpn.py')


# ----------------------------------------------------------------------
# masks
# ----------------------------------------------------------------------
def test_masks_hand_computed():
    """Square 32x32 image, 4x4 grid (stride 8), values worked out by hand."""
    boxes = [
        [0, 0, 8, 8],  # cols 0..1, rows 0..1 -> 1/4
        [0, 0, 16, 24],  # cols 0..2, rows 0..3 -> 1/12, overlaps the first
        [26, 27, 32, 32],  # border: cols 3..4, rows 3..4 -> 1/4, one cell
    ]
    tiny = [[18, 9, 19, 10]]  # inside one cell: cols 2..3, rows 1..2 -> 1/4
    samples = [
        make_sample(boxes, (32, 32)),
        make_sample(tiny, (32, 32)),
        make_sample([], (32, 32)),
    ]
    fg, bg = build().box_masks(samples, 4, 4)
    q, t = 1 / 4, 1 / 12
    expected_fg0 = torch.tensor([[q, q, t, 0], [q, q, t, 0], [t, t, t, 0],
                                 [t, t, t, q]])
    expected_bg0 = torch.tensor([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1],
                                 [0, 0, 0, 0]]) / 3
    expected_fg1 = torch.zeros(4, 4)
    expected_fg1[1:3, 2:4] = q
    expected_bg1 = (expected_fg1 == 0).float() / 12
    assert fg.shape == bg.shape == (3, 4, 4)
    assert fg.dtype == bg.dtype == torch.float32
    torch.testing.assert_close(fg[0], expected_fg0)
    torch.testing.assert_close(bg[0], expected_bg0)
    torch.testing.assert_close(fg[1], expected_fg1)
    torch.testing.assert_close(bg[1], expected_bg1)
    torch.testing.assert_close(fg[2], torch.zeros(4, 4))
    torch.testing.assert_close(bg[2], torch.full((4, 4), 1 / 16))


@pytest.mark.parametrize('level_shape', LEVEL_SHAPES)
def test_masks_match_reference(level_shape):
    h, w = level_shape
    fg, bg = build().box_masks(batch_samples(), h, w)
    ref_fg, ref_bg = ref_masks(BOXES, [IMG] * 3, h, w)
    torch.testing.assert_close(fg.double(), ref_fg)
    torch.testing.assert_close(bg.double(), ref_bg)
    # the whole-image box leaves no background: all zero, no NaN
    assert torch.all(bg[2] == 0)
    # the image without boxes: uniform background summing to 1
    assert torch.all(fg[1] == 0)
    torch.testing.assert_close(bg[1].sum(), torch.tensor(1.0))


def test_masks_accept_mmdet_box_type():
    plain = [make_sample(BOXES[0], IMG)]
    typed = [make_sample(BOXES[0], IMG, box_type=HorizontalBoxes)]
    loss = build()
    for a, b in zip(loss.box_masks(plain, 4, 8), loss.box_masks(typed, 4, 8)):
        torch.testing.assert_close(a, b)


def test_box_scale_on_padded_batch():
    """img_shape (16, 32) padded to batch_input_shape (32, 32), grid 4x4.

    The box covers image rows 8..16 and cols 0..8. Divided by img_shape
    (the reference's choice) it lands on grid rows 2..4 (3 rows, the last
    off the grid); divided by batch_input_shape on rows 1..2, the cells the
    stride-8 features actually cover.
    """
    boxes = [[0, 8, 8, 16]]
    samples = [make_sample(boxes, (16, 32), batch_input_shape=(32, 32))]
    fg_img, bg_img = build(box_scale='img_shape').box_masks(samples, 4, 4)
    fg_pad, bg_pad = build(box_scale='batch_input_shape').box_masks(
        samples, 4, 4)

    expected_img = torch.zeros(4, 4)
    expected_img[2:4, 0:2] = 1 / 6  # rows 2..4 x cols 0..1 -> 3 * 2 cells
    expected_pad = torch.zeros(4, 4)
    expected_pad[1:3, 0:2] = 1 / 4  # rows 1..2 x cols 0..1
    torch.testing.assert_close(fg_img[0], expected_img)
    torch.testing.assert_close(fg_pad[0], expected_pad)
    assert not torch.equal(fg_img, fg_pad)
    for fg, bg, shape in ((fg_img, bg_img, (16, 32)),
                          (fg_pad, bg_pad, (32, 32))):
        ref_fg, ref_bg = ref_masks([boxes], [shape], 4, 4)
        torch.testing.assert_close(fg.double(), ref_fg)
        torch.testing.assert_close(bg.double(), ref_bg)

    # and through the full loss: only the focal terms see the boxes
    gen = torch.Generator().manual_seed(3)
    preds_s = torch.randn(1, 8, 4, 4, generator=gen, dtype=torch.float64)
    preds_t = torch.randn(1, 8, 4, 4, generator=gen, dtype=torch.float64)
    for scale, shape in (('img_shape', (16, 32)),
                         ('batch_input_shape', (32, 32))):
        loss = build(num_levels=1, alpha_fgd=1.0, box_scale=scale).double()
        ref_fg, _ = ref_masks([boxes], [shape], 4, 4)
        torch.testing.assert_close(
            loss(preds_s, preds_t, samples),
            ref_focal(preds_s, preds_t, ref_fg))


# ----------------------------------------------------------------------
# terms
# ----------------------------------------------------------------------
def _per_level_masks():
    return [ref_masks(BOXES, [IMG] * 3, h, w) for h, w in LEVEL_SHAPES]


@pytest.mark.parametrize('weight, seed, ref_term', [
    ('alpha_fgd', 0, lambda s, t, fg, bg: ref_focal(s, t, fg)),
    ('beta_fgd', 1, lambda s, t, fg, bg: ref_focal(s, t, bg)),
    ('gamma_fgd', 2, lambda s, t, fg, bg: ref_attention_loss(s, t)),
], ids=['foreground', 'background', 'attention'])
def test_single_term(weight, seed, ref_term):
    """Each weight alone gives its term: the per-level reference sum."""
    preds_s, preds_t = random_feats(seed=seed)
    loss = build(**{weight: 1.0}).double()
    expected = sum(
        ref_term(s, t, fg, bg)
        for s, t, (fg, bg) in zip(preds_s, preds_t, _per_level_masks()))
    torch.testing.assert_close(loss(preds_s, preds_t, batch_samples()),
                               expected)


def test_attention_reference_properties():
    """Sanity of the reference itself: H*W*softmax / C*softmax means are 1."""
    _, preds_t = random_feats(seed=2)
    spatial, channel = ref_attention(preds_t[0])
    torch.testing.assert_close(spatial.mean(dim=(1, 2)),
                               torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(channel.mean(dim=1),
                               torch.ones(3, dtype=torch.float64))


def test_global_term_with_random_context_weights():
    preds_s, preds_t = random_feats(seed=4)
    loss = build(lambda_fgd=1.0).double()
    randomise_context(loss)
    expected = sum(
        ref_global(s, t, loss.context_s[i], loss.context_t[i])
        for i, (s, t) in enumerate(zip(preds_s, preds_t)))
    torch.testing.assert_close(loss(preds_s, preds_t, batch_samples()),
                               expected)


def test_global_term_at_init_is_plain_squared_error():
    """Last conv of channel_add zero-initialised: G(F) = 0 at start."""
    preds_s, preds_t = random_feats(seed=5)
    loss = build(lambda_fgd=1.0).double()
    for ctx in list(loss.context_s) + list(loss.context_t):
        assert torch.all(ctx.channel_add[-1].weight == 0)
        assert torch.all(ctx.channel_add[-1].bias == 0)
        assert torch.all(ctx.conv_mask.bias == 0)
        assert ctx.conv_mask.weight.abs().sum() > 0
    expected = sum(((s - t)**2).sum() / 3 for s, t in zip(preds_s, preds_t))
    torch.testing.assert_close(loss(preds_s, preds_t, batch_samples()),
                               expected)


def test_total_with_official_weights_and_align():
    """All four terms, RetinaNet weights, student 6 -> teacher 8 channels."""
    preds_s, preds_t = random_feats(channels_s=6, seed=6)
    loss = FGDLoss(
        student_channels=6, teacher_channels=8, num_levels=2).double()
    randomise_context(loss, seed=1)
    assert loss.alpha_fgd == 1e-3 and loss.beta_fgd == 5e-4
    assert loss.gamma_fgd == 5e-4 and loss.lambda_fgd == 5e-6
    assert loss.temp == 0.5 and loss.box_scale == 'img_shape'
    expected = 0
    for level, (s, t, (fg, bg)) in enumerate(
            zip(preds_s, preds_t, _per_level_masks())):
        conv = loss.aligns[level]
        weight = conv.weight.detach().double().reshape(8, 6)
        aligned = (torch.einsum('oc,nchw->nohw', weight, s) +
                   conv.bias.detach().double()[None, :, None, None])
        expected = expected + (
            1e-3 * ref_focal(aligned, t, fg) +
            5e-4 * ref_focal(aligned, t, bg) +
            5e-4 * ref_attention_loss(aligned, t) + 5e-6 * ref_global(
                aligned, t, loss.context_s[level], loss.context_t[level]))
    total = loss(preds_s, preds_t, batch_samples())
    assert total.dim() == 0
    torch.testing.assert_close(total, expected)


def test_single_level_accepts_a_tensor():
    preds_s, preds_t = random_feats(seed=7)
    loss = build(num_levels=1, alpha_fgd=1.0, gamma_fgd=1.0).double()
    fg, _ = _per_level_masks()[0]
    expected = (ref_focal(preds_s[0], preds_t[0], fg) +
                ref_attention_loss(preds_s[0], preds_t[0]))
    torch.testing.assert_close(
        loss(preds_s[0], preds_t[0], batch_samples()), expected)
    torch.testing.assert_close(
        loss((preds_s[0], ), [preds_t[0]], batch_samples()), expected)


# ----------------------------------------------------------------------
# gradients, finiteness
# ----------------------------------------------------------------------
def test_gradients_reach_student_and_context_never_teacher():
    preds_s, preds_t = random_feats(dtype=torch.float32, seed=8)
    preds_s = tuple(p.requires_grad_() for p in preds_s)
    preds_t = tuple(p.requires_grad_() for p in preds_t)
    loss = FGDLoss(student_channels=8, teacher_channels=8, num_levels=2)
    randomise_context(loss, seed=2)
    total = loss(preds_s, preds_t, batch_samples())
    assert torch.isfinite(total)
    total.backward()
    for p in preds_s:
        assert p.grad is not None and p.grad.abs().sum() > 0
        assert torch.isfinite(p.grad).all()
    for p in preds_t:
        assert p.grad is None
    for side in (loss.context_s, loss.context_t):
        for name, param in side.named_parameters():
            assert param.grad is not None, name
            assert param.grad.abs().sum() > 0, name


def test_default_init_gradients():
    """At init the zero last conv still learns; conv_mask waits for it."""
    preds_s, preds_t = random_feats(dtype=torch.float32, seed=9)
    loss = FGDLoss(student_channels=8, teacher_channels=8, num_levels=2)
    loss(preds_s, preds_t, batch_samples()).backward()
    for ctx in loss.context_s:
        assert ctx.channel_add[-1].weight.grad.abs().sum() > 0
        assert torch.all(ctx.conv_mask.weight.grad == 0)


def test_finite_with_empty_and_full_images_float32():
    preds_s, preds_t = random_feats(dtype=torch.float32, seed=10)
    samples = batch_samples(boxes=[[], [], [[0, 0, 64, 32]]])
    loss = FGDLoss(student_channels=8, teacher_channels=8, num_levels=2)
    preds_s = tuple(p.requires_grad_() for p in preds_s)
    total = loss(preds_s, preds_t, samples)
    assert total.dtype == torch.float32
    assert torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in preds_s)


# ----------------------------------------------------------------------
# registry and errors
# ----------------------------------------------------------------------
def test_registry_build():
    """The RepPoints setting's FGD loss of the config, other channels."""
    cfg = Config.fromfile(FGD_CONFIG).fgd_losses['reppoints']
    loss = MODELS.build(
        dict(cfg, student_channels=4, teacher_channels=8, num_levels=3,
             box_scale='batch_input_shape'))
    assert isinstance(loss, FGDLoss)
    assert (loss.alpha_fgd, loss.beta_fgd, loss.gamma_fgd,
            loss.lambda_fgd) == (1.6e-3, 8e-4, 8e-4, 8e-6)
    assert len(loss.aligns) == len(loss.context_s) == len(loss.context_t) == 3
    assert loss.aligns[0].in_channels == 4 and loss.aligns[0].out_channels == 8
    assert loss.context_s[0].channel_add[0].out_channels == 4
    assert loss.box_scale == 'batch_input_shape'
    assert build().aligns is None


@pytest.mark.parametrize('kwargs, match', [
    (dict(temp=0), 'temp'),
    (dict(temp=-1.0), 'temp'),
    (dict(box_scale='pad_shape'), 'box_scale'),
    (dict(num_levels=0), 'num_levels'),
    (dict(teacher_channels=1, student_channels=1), 'teacher_channels'),
    (dict(alpha_fgd=-1.0), 'alpha_fgd'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_input_errors():
    loss = build()
    preds_s, preds_t = random_feats(dtype=torch.float32)
    samples = batch_samples()
    with pytest.raises(ValueError, match='expected 2 student'):
        loss(preds_s[:1], preds_t, samples)
    with pytest.raises(ValueError, match='expected 2 teacher'):
        loss(preds_s, preds_t + preds_t, samples)
    with pytest.raises(ValueError, match=r'level 1: spatial sizes differ'):
        loss((preds_s[0], preds_s[1][..., :3]), preds_t, samples)
    with pytest.raises(ValueError, match=r'level 0: batch sizes differ'):
        loss((preds_s[0][:2], preds_s[1]), preds_t, samples[:2])
    with pytest.raises(ValueError, match=r'level 1: teacher has 4 channels'):
        loss(preds_s, (preds_t[0], preds_t[1][:, :4]), samples)
    with pytest.raises(ValueError, match=r'level 0: student has 5'):
        loss((preds_s[0][:, :5], preds_s[1]), preds_t, samples)
    with pytest.raises(ValueError, match=r'\(3, 8, 2, 3\)'):
        loss((preds_s[0], preds_s[1][..., :3]), preds_t, samples)
    with pytest.raises(ValueError, match='2 data samples'):
        loss(preds_s, preds_t, samples[:2])
    with pytest.raises(TypeError, match='4-d'):
        loss((preds_s[0], preds_s[1][0]), preds_t, samples)
    no_meta = DetDataSample()
    no_meta.gt_instances = InstanceData(bboxes=torch.zeros(0, 4))
    with pytest.raises(ValueError, match='img_shape'):
        loss(preds_s, preds_t, [no_meta] * 3)
