"""Float64 references of AMD's equations (Eq 2-7 of the paper), written
from the equations for the tests of ``test_amd_*.py``: they copy a module's
weights but never call its methods. Also the tests' small configs and
random features.
"""
import pytest
import torch
import torch.nn.functional as F

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

