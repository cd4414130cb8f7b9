"""Tests of the AMD maskers, generation block and loss.

Expected values come from float64 references written here from the
equations of the paper (Eq 2-7); they copy the modules' weights but never
call the modules' own methods.
"""
import itertools

import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor; registers)
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.layers import InvertedResidual
from mmrazor.registry import MODELS

from mmrazor_amd.models.architectures import (AdaptiveMasker, ChannelClue,
                                              GenerationBlock, RandomMasker)
from mmrazor_amd.models.losses import AMDLoss

# ---------------------------------------------------------------- configs


def adaptive(phi=1.0, tau=0.5):
    return dict(type='AdaptiveMasker', phi=phi, tau=tau)


def clue(ratio):
    return dict(type='ChannelClue', ratio=ratio)


def generation(variant='dense_x2', clue_position='after'):
    return dict(type='GenerationBlock', variant=variant,
                clue_position=clue_position)


# ---------------------------------------------------------------- references


def ref_attention(teacher, tau):
    """Eq 2-3 in float64: A = H*W * softmax(mean_c |T| / tau) per image."""
    t = teacher.detach().double()
    n, c, h, w = t.shape
    g = t.abs().sum(dim=1) / c
    logits = g.reshape(n, h * w) / tau
    e = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
    return (h * w * e / e.sum(dim=1, keepdim=True)).reshape(n, 1, h, w)


def ref_mask(attention, phi):
    """Eq 4: 0 (hidden) where A > phi, else 1."""
    return torch.where(attention > phi, 0.0, 1.0).double()


def ref_mgd_mask(n, h, w, ratio):
    """MMRazor MGDConnector's rule, drawn from the global CPU generator."""
    mat = torch.rand((n, 1, h, w))
    return torch.where(mat > 1 - ratio, 0.0, 1.0).double()


def ref_conv3x3(x, conv):
    return F.conv2d(
        x, conv.weight.detach().double(), conv.bias.detach().double(),
        padding=1)


def ref_conv1x1(x, conv):
    weight = conv.weight.detach().double()[:, :, 0, 0]
    bias = conv.bias.detach().double()
    return torch.einsum('oc,nchw->nohw', weight, x) + bias[None, :, None,
                                                           None]


def ref_se_gate(teacher, clue):
    """Eq 6 clue: sigmoid(FC2(ReLU(FC1(GAP(T))))), (N, C, 1, 1)."""
    t = teacher.detach().double()
    w1 = clue.conv1.conv.weight.detach().double()[:, :, 0, 0]
    b1 = clue.conv1.conv.bias.detach().double()
    w2 = clue.conv2.conv.weight.detach().double()[:, :, 0, 0]
    b2 = clue.conv2.conv.bias.detach().double()
    pooled = t.sum(dim=(2, 3)) / (t.shape[2] * t.shape[3])
    hidden = torch.clamp(pooled @ w1.T + b1, min=0)
    return (1 / (1 + torch.exp(-(hidden @ w2.T + b2))))[:, :, None, None]


def ref_amd_loss(module, students, teachers, masks, loss_weight):
    """Eq 5-7 (and 8's weight) in float64 from the module's weights."""
    total = torch.zeros((), dtype=torch.float64)
    for level, (s, t, m) in enumerate(zip(students, teachers, masks)):
        s, t = s.detach().double(), t.detach().double()
        if module.aligns is not None:
            s = ref_conv1x1(s, module.aligns[level])
        masked = s * m
        gen = module.generations[level]
        block = gen.block
        if gen.variant == 'dense_x1':
            y = ref_conv3x3(masked, block.conv1)
            if gen.clue is not None:
                y = ref_se_gate(t, gen.clue) * y
        elif gen.clue is None:
            y = ref_conv3x3(torch.relu(ref_conv3x3(masked, block.conv1)),
                            block.conv2)
        elif gen.clue_position == 'after':
            y = ref_se_gate(t, gen.clue) * ref_conv3x3(
                torch.relu(ref_conv3x3(masked, block.conv1)), block.conv2)
        else:  # within
            hidden = torch.relu(ref_conv3x3(masked, block.conv1))
            y = ref_conv3x3(ref_se_gate(t, gen.clue) * hidden, block.conv2)
        total = total + ((t - y)**2).sum() / t.shape[0]
    return loss_weight * total


def adaptive_ref_masks(teachers, phi, tau):
    masks = []
    for t in teachers:
        a = ref_attention(t, tau)
        # the test data must not sit on the threshold, where float32 and
        # float64 could legitimately disagree
        assert (a - phi).abs().min() > 1e-5
        masks.append(ref_mask(a, phi))
    return masks


def randomize_(module, std=0.1):
    """Non-trivial weights and biases (ConvModule zero-inits SE biases)."""
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * std)
    return module


SIZES = [(9, 7), (5, 3), (1, 1)]


@pytest.fixture(autouse=True)
def _seed_global_rng():
    torch.manual_seed(0)


def make_features(n, cs, ct, sizes=SIZES, seed=1):
    gen = torch.Generator().manual_seed(seed)
    students = [torch.randn(n, cs, h, w, generator=gen) for h, w in sizes]
    teachers = [torch.randn(n, ct, h, w, generator=gen) for h, w in sizes]
    return students, teachers


def assert_matches_adaptive_reference(loss_fn, cs, ct, phi):
    """``loss_fn`` (loss weight 1, adaptive masker at ``phi``, tau 0.5) on
    two random images equals the float64 reference."""
    students, teachers = make_features(2, cs, ct)
    masks = adaptive_ref_masks(teachers, phi, 0.5)
    expected = ref_amd_loss(loss_fn, students, teachers, masks, 1.0)
    torch.testing.assert_close(
        loss_fn(students, teachers).double(), expected, rtol=1e-5, atol=0)


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


# ------------------------------------------------------------ bad inputs


def test_bad_inputs_are_named():
    loss_fn = AMDLoss(8, 16, num_levels=3, clue=clue(4))
    students, teachers = make_features(2, 8, 16)
    with pytest.raises(ValueError, match='expected 3 student .*got 2'):
        loss_fn(students[:2], teachers)
    with pytest.raises(ValueError, match='expected 3 teacher .*got 1'):
        loss_fn(students, teachers[0])
    bad = list(teachers)
    bad[1] = torch.randn(2, 16, 5, 4)
    with pytest.raises(ValueError, match='level 1: spatial sizes differ'):
        loss_fn(students, bad)
    bad = list(students)
    bad[2] = torch.randn(2, 16, 1, 1)
    with pytest.raises(ValueError,
                       match='level 2: student has 16 channels'):
        loss_fn(bad, teachers)
    bad = list(teachers)
    bad[0] = torch.randn(2, 8, 9, 7)
    with pytest.raises(ValueError,
                       match='level 0: teacher has 8 channels'):
        loss_fn(students, bad)
    bad = list(teachers)
    bad[0] = torch.randn(3, 16, 9, 7)
    with pytest.raises(ValueError, match='level 0: batch sizes differ'):
        loss_fn(students, bad)
    bad = list(students)
    bad[1] = bad[1][0]
    with pytest.raises(TypeError, match='level 1: student .*4-d'):
        loss_fn(bad, teachers)
    with pytest.raises(TypeError, match='student features'):
        loss_fn({'a': 1}, teachers)


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(masker=adaptive(-0.1)), ValueError, 'phi=-0.1'),
    (dict(masker=adaptive(float('nan'))), ValueError, 'phi'),
    (dict(masker=adaptive(1.0, 0.0)), ValueError, 'tau=0.0'),
    (dict(masker=adaptive(1.0, -1)), ValueError, 'tau'),
    (dict(masker=dict(type='NoSuchMasker')), KeyError, 'NoSuchMasker'),
    (dict(generation=generation('conv')), ValueError,
     "unknown generation variant 'conv'.*dense_x2.*mbconv"),
    (dict(generation=generation(clue_position='before')), ValueError,
     "clue_position 'before'"),
    (dict(num_levels=0), ValueError, 'num_levels'),
    (dict(student_channels=0), ValueError, 'student_channels'),
    (dict(loss_weight=-1.0), ValueError, 'loss_weight'),
    (dict(masker=dict(type='RandomMasker', ratio=1.5)), ValueError,
     'ratio'),
    (dict(teacher_channels=8, clue=clue(16)), ValueError, 'SE ratio 16'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        AMDLoss(**kwargs)


def test_masker_argument_errors():
    with pytest.raises(ValueError, match='phi'):
        AdaptiveMasker(phi=-1)
    with pytest.raises(ValueError, match='tau'):
        AdaptiveMasker(tau=0)
    with pytest.raises(TypeError, match='phi'):
        AdaptiveMasker(phi='1')
    with pytest.raises(ValueError, match='ratio'):
        RandomMasker(-0.1)
    with pytest.raises(TypeError, match='N, C, H, W'):
        AdaptiveMasker()(torch.randn(4, 5, 6))


# ---------------------------------------------------------------- registry


def test_build_from_registry():
    """Also under mmdet's default scope (an mmdet runner, or another test,
    may have set it): configs name the loss ``mmrazor.AMDLoss`` there, and
    its sub-configs (``AdaptiveMasker``...) resolve in MMRazor's registry."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        scoped = MODELS.build(dict(type='mmrazor.AMDLoss', num_levels=1))
    assert isinstance(scoped.masker, AdaptiveMasker)
    assert scoped.generations[0].clue is not None
    with DefaultScope.overwrite_default_scope('mmrazor'):
        check_builds()


def check_builds():
    loss_fn = MODELS.build(
        dict(type='AMDLoss', student_channels=8, teacher_channels=16,
             num_levels=2, loss_weight=5e-7,
             clue=dict(type='ChannelClue', ratio=4),
             generation=dict(type='GenerationBlock',
                             clue_position='within')))
    assert isinstance(loss_fn, AMDLoss)
    assert len(loss_fn.generations) == 2 and len(loss_fn.aligns) == 2
    assert loss_fn.loss_weight == 5e-7
    assert isinstance(MODELS.build(dict(type='AdaptiveMasker', phi=2.0)),
                      AdaptiveMasker)
    assert isinstance(MODELS.build(dict(type='RandomMasker', ratio=0.5)),
                      RandomMasker)
    default = MODELS.build(dict(type='AMDLoss'))
    assert default.aligns is None and len(default.generations) == 5
    assert isinstance(default.masker, AdaptiveMasker)
    assert default.masker.phi == 1.0 and default.masker.tau == 0.5


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
