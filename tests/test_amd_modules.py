"""Tests of the AMD maskers, generation block and loss.

Expected values come from the float64 references of ``amd_reference.py``,
written from the equations of the paper (Eq 2-7); they copy the modules'
weights but never call the modules' own methods. Errors and the registry:
``test_amd_errors.py``.
"""
import itertools

import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor; registers)
import pytest
import torch
from amd_reference import (SIZES, _seed_global_rng,  # noqa: F401
                           adaptive, adaptive_ref_masks,
                           assert_matches_adaptive_reference, clue,
                           generation, make_features, randomize_,
                           ref_amd_loss, ref_attention, ref_mask,
                           ref_mgd_mask)
from mmdet.models.layers import InvertedResidual

from mmrazor_amd.models.architectures import (AdaptiveMasker, ChannelClue,
                                              GenerationBlock, RandomMasker)
from mmrazor_amd.models.losses import AMDLoss


# ------------------------------------------------------ Eq 2-4: the maskers


@pytest.mark.parametrize('n,c,hw', list(
    itertools.product([1, 3], [4, 16], [(7, 5), (1, 1), (13, 9)])))
def test_attention_and_mask_match_reference(n, c, hw):
    h, w = hw
    teacher = torch.randn(n, c, h, w) * 2 + 0.3
    for tau in (0.5, 1.0):
        masker = AdaptiveMasker(phi=1.0, tau=tau)
        attention = masker.attention(teacher)
        expected = ref_attention(teacher, tau)
        assert attention.shape == (n, 1, h, w)
        assert attention.dtype == torch.float32
        torch.testing.assert_close(
            attention.double(), expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(
            attention.sum(dim=(1, 2, 3)).double(),
            torch.full((n, ), float(h * w), dtype=torch.float64),
            rtol=1e-5, atol=1e-5)
        for phi in (0.0, 0.8, 1.0, 1.5, 3.0):
            mask = AdaptiveMasker(phi=phi, tau=tau)(teacher)
            expected_mask = ref_mask(expected, phi)
            assert mask.shape == (n, 1, h, w)
            clear = (expected - phi).abs() > 1e-5
            assert torch.equal(mask.double()[clear], expected_mask[clear])
            assert set(mask.unique().tolist()) <= {0.0, 1.0}


def test_single_position_has_unit_attention():
    teacher = torch.randn(3, 4, 1, 1)
    assert torch.equal(AdaptiveMasker(phi=1.0)(teacher), torch.ones(3, 1, 1,
                                                                    1))
    assert torch.equal(AdaptiveMasker(phi=0.99)(teacher), torch.zeros(3, 1, 1,
                                                                      1))


def test_mask_dtype_device_and_no_grad():
    teacher = torch.randn(2, 4, 5, 3, dtype=torch.float64, requires_grad=True)
    mask = AdaptiveMasker()(teacher)
    assert mask.dtype == torch.float64 and not mask.requires_grad
    bf16 = teacher.detach().to(torch.bfloat16)
    assert AdaptiveMasker()(bf16).dtype == torch.bfloat16
    assert RandomMasker()(bf16).dtype == torch.bfloat16
    assert teacher.grad is None


def test_hidden_fraction_follows_phi():
    teacher = torch.randn(3, 16, 13, 9)
    tau = 0.5
    expected = ref_attention(teacher, tau)
    a_min, a_max = expected.min().item(), expected.max().item()
    assert a_min < 1.0 < a_max

    def hidden_fraction(phi):
        return 1.0 - AdaptiveMasker(phi=phi, tau=tau)(teacher).mean().item()

    assert hidden_fraction(0.0) == 1.0
    assert hidden_fraction(0.99 * a_min) == 1.0
    assert hidden_fraction(1.01 * a_max) == 0.0
    phis = torch.linspace(0.0, a_max * 1.2, 60).tolist()
    fractions = [hidden_fraction(phi) for phi in phis]
    assert all(b <= a for a, b in zip(fractions, fractions[1:]))
    for phi, fraction in zip(phis, fractions):
        if (expected - phi).abs().min() > 1e-5:
            assert fraction == pytest.approx(
                (expected > phi).double().mean().item(), abs=1e-6)


def test_random_masker_is_mgd_rule():
    teacher = torch.randn(3, 4, 7, 5)
    for ratio in (0.0, 0.45, 0.65):
        torch.manual_seed(123)
        mask = RandomMasker(ratio)(teacher)
        torch.manual_seed(123)
        expected = ref_mgd_mask(3, 7, 5, ratio)
        assert mask.shape == (3, 1, 7, 5)
        assert torch.equal(mask.double(), expected)
    assert torch.equal(RandomMasker(0.0)(teacher), torch.ones(3, 1, 7, 5))
    torch.manual_seed(0)
    big = RandomMasker(0.65)(torch.zeros(2, 1, 64, 64))
    assert 1 - big.mean().item() == pytest.approx(0.65, abs=0.03)


# ----------------------------------------------- Eq 5-7: the full loss


@pytest.mark.parametrize('cs,ct,position', [(8, 16, 'after'),
                                            (16, 16, 'after'),
                                            (8, 16, 'within'),
                                            (16, 16, 'within')])
def test_amd_loss_matches_reference(cs, ct, position):
    phi, tau, weight = 1.1, 0.5, 0.5
    loss_fn = randomize_(
        AMDLoss(cs, ct, num_levels=3, loss_weight=weight,
                masker=adaptive(phi, tau), clue=clue(4),
                generation=generation(clue_position=position)))
    assert (loss_fn.aligns is None) == (cs == ct)
    students, teachers = make_features(3, cs, ct)
    loss = loss_fn(tuple(students), tuple(teachers))
    masks = adaptive_ref_masks(teachers, phi, tau)
    # the masks are neither empty nor full on the larger levels
    assert 0 < masks[0].mean() < 1 and 0 < masks[1].mean() < 1
    expected = ref_amd_loss(loss_fn, students, teachers, masks, weight)
    assert loss.dim() == 0 and loss.dtype == torch.float32
    torch.testing.assert_close(loss.double(), expected, rtol=1e-5, atol=0)


def test_single_level_accepts_a_tensor():
    loss_fn = randomize_(AMDLoss(4, 4, num_levels=1, loss_weight=1.0,
                                 clue=clue(2)))
    students, teachers = make_features(2, 4, 4, sizes=[(7, 5)])
    loss = loss_fn(students[0], teachers[0])
    masks = adaptive_ref_masks(teachers, 1.0, 0.5)
    expected = ref_amd_loss(loss_fn, students, teachers, masks, 1.0)
    torch.testing.assert_close(loss.double(), expected, rtol=1e-5, atol=0)
    torch.testing.assert_close(loss_fn(students, teachers), loss)


# ---------------------------------------------------- ablation switches


def test_ada_channel_off_is_plain_generation():
    loss_fn = randomize_(AMDLoss(8, 16, num_levels=3, loss_weight=1.0,
                                 masker=adaptive(1.1), clue=None))
    assert all(g.clue is None for g in loss_fn.generations)
    assert not any('clue' in name for name, _ in loss_fn.named_parameters())
    assert_matches_adaptive_reference(loss_fn, 8, 16, phi=1.1)


def test_ada_mask_off_uses_mgd_random_mask():
    ratio = 0.45
    loss_fn = randomize_(AMDLoss(8, 16, num_levels=3, loss_weight=1.0,
                                 masker=dict(type='RandomMasker',
                                             ratio=ratio),
                                 clue=clue(4)))
    assert isinstance(loss_fn.masker, RandomMasker)
    students, teachers = make_features(2, 8, 16)
    torch.manual_seed(2024)
    loss = loss_fn(students, teachers)
    torch.manual_seed(2024)
    masks = [ref_mgd_mask(2, h, w, ratio) for h, w in SIZES]
    expected = ref_amd_loss(loss_fn, students, teachers, masks, 1.0)
    torch.testing.assert_close(loss.double(), expected, rtol=1e-5, atol=0)


def test_dense_x1_variant():
    loss_fn = randomize_(AMDLoss(16, 16, num_levels=3, loss_weight=1.0,
                                 masker=adaptive(1.1), clue=clue(4),
                                 generation=generation('dense_x1')))
    convs = [m for m in loss_fn.generations[0].block.modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1
    assert convs[0].kernel_size == (3, 3) and convs[0].bias is not None
    assert (convs[0].in_channels, convs[0].out_channels) == (16, 16)
    assert_matches_adaptive_reference(loss_fn, 16, 16, phi=1.1)


def test_dense_x2_structure_matches_mgd_generation():
    block = GenerationBlock(8).block
    convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding)
            for c in convs] == [(8, 8, (3, 3), (1, 1))] * 2
    assert all(c.bias is not None for c in convs)
    assert isinstance(block.relu, torch.nn.ReLU)


def test_mbconv_variant():
    loss_fn = AMDLoss(8, 16, num_levels=3, loss_weight=1.0, clue=clue(4),
                      generation=generation('mbconv'))
    block = loss_fn.generations[0].block
    assert isinstance(block, InvertedResidual)
    assert block.with_res_shortcut and not block.with_se
    assert block.expand_conv.conv.out_channels == 64
    depthwise = block.depthwise_conv.conv
    assert depthwise.kernel_size == (3, 3) and depthwise.stride == (1, 1)
    assert depthwise.groups == 64
    assert block.linear_conv.conv.out_channels == 16
    students, teachers = make_features(2, 8, 16)
    students = [s.requires_grad_() for s in students]
    loss = loss_fn(students, teachers)
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    assert students[0].grad is not None


def test_within_needs_dense_x2():
    for variant in ('dense_x1', 'mbconv'):
        with pytest.raises(ValueError, match='within'):
            AMDLoss(16, 16, generation=generation(variant, 'within'))
        with pytest.raises(ValueError, match='within'):
            GenerationBlock(16, variant=variant, clue_position='within')


def test_clue_is_computed_once_per_call():
    block = GenerationBlock(8, clue=ChannelClue(8, ratio=2))
    calls = []
    block.clue.register_forward_hook(lambda *args: calls.append(1))
    block(torch.randn(2, 8, 5, 3), torch.randn(2, 8, 5, 3))
    assert len(calls) == 1


# --------------------------------------------------------------- gradients


def test_gradients_reach_student_side_never_teacher():
    loss_fn = AMDLoss(8, 16, num_levels=3, loss_weight=1.0,
                      masker=adaptive(1.1), clue=clue(4))
    students, teachers = make_features(2, 8, 16)
    students = [s.requires_grad_() for s in students]
    teachers = [t.requires_grad_() for t in teachers]
    loss_fn(students, teachers).backward()
    assert all(t.grad is None for t in teachers)
    for level, (s, t) in enumerate(zip(students, teachers)):
        assert s.grad is not None and s.grad.abs().sum() > 0
        # align is a 1x1 conv: the hidden positions get exactly no gradient
        hidden = ref_mask(ref_attention(t, 0.5), 1.1) == 0
        assert (s.grad * hidden).abs().sum() == 0
        gen = loss_fn.generations[level]
        for module in (loss_fn.aligns[level], gen.block.conv1,
                       gen.block.conv2, gen.clue.conv1.conv,
                       gen.clue.conv2.conv):
            assert module.weight.grad is not None
            assert module.weight.grad.abs().sum() > 0, module


# ---------------------------------------------------------------- autocast


def test_autocast_loss_is_float32():
    loss_fn = AMDLoss(8, 16, num_levels=3, loss_weight=1.0,
                      masker=adaptive(1.1), clue=clue(4))
    students, teachers = make_features(2, 8, 16)
    reference = loss_fn(students, teachers).detach()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(students, teachers)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss.detach(), reference, rtol=5e-2, atol=0)
    loss.backward()
    assert loss_fn.generations[0].block.conv1.weight.grad is not None



def test_gated_squared_error_matches_the_plain_expression_in_float64():
    from mmrazor_amd.models.losses.amd_loss import gated_squared_error
    torch.manual_seed(0)
    block = torch.randn(2, 3, 5, 4, dtype=torch.float64, requires_grad=True)
    gate = torch.rand(2, 3, 1, 1, dtype=torch.float64, requires_grad=True)
    teacher = torch.randn(2, 3, 5, 4, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda b, g: gated_squared_error(b, g, teacher), (block, gate))
    # value and gradients of sum((T - g * B)^2), written out
    value = gated_squared_error(block, gate, teacher)
    value.backward()
    error = teacher - gate.detach() * block.detach()
    assert value.item() == pytest.approx(float((error**2).sum()), rel=1e-12)
    assert torch.allclose(block.grad, -2 * gate.detach() * error)
    assert torch.allclose(gate.grad,
                          (-2 * block.detach() * error).sum((2, 3),
                                                            keepdim=True))
