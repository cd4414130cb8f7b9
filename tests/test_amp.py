"""Mixed precision: ``--amp`` and the distillation losses under autocast.

What ``--amp`` does (MMRazor's ``tools/train.py``): it turns the config's
``OptimWrapper`` into mmengine's ``AmpOptimWrapper`` with
``loss_scale='dynamic'``. That wrapper runs the forward under
``mmengine.runner.amp.autocast`` and scales the loss with
``torch.cuda.amp.GradScaler``. On this machine (torch 2.13 CPU, mmengine
0.10.7), found out here:

* mmengine refuses it: ``AmpOptimWrapper.__init__`` asserts
  ``is_cuda_available() or is_npu_available() or is_mlu_available() or
  is_musa_available()``, so ``--amp`` stops before the first step with
  ``AssertionError: ``AmpOptimizerWrapper`` is only available training on
  gpu, npu, mlu or musa``. That is outside this project; the test of the
  stock command skips with that reason when it happens
  (:data:`MMENGINE_REFUSES_CPU`).
* Were the assertion lifted, ``GradScaler`` disables itself without CUDA
  (a warning, ``is_enabled()`` False: the loss is not scaled and
  ``step`` is a plain ``optimizer.step``), and mmengine's ``autocast``
  picks ``device_type='cpu'`` with ``torch.bfloat16`` (the only dtype it
  allows on a CPU). :func:`test_cpu_amp_without_mmengine_s_cuda_check`
  (``test_amp_training.py``) runs the train command so, with only that
  assertion lifted in the training process, and compares it with float32.

The losses: all three compute their squared errors and sums in float32
with autocast disabled (the convolutions before, align and generation
blocks, run in the autocast dtype) and return float32. MultiLevelMGDLoss
runs MMRazor's stock ``MGDConnector`` (its convolutions in bfloat16 here)
and calls the stock ``MGDLoss`` on float32 inputs with autocast off, rather
than leaving the sum to autocast's op policy. The same at COCO size, in
fp16 and bf16: ``test_amp_coco_size.py``.
"""
import math
import warnings

import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor; registers)
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from conftest import MMENGINE_REFUSES_CPU
from mmrazor_amd.models.losses import (AMDLoss, FGDLoss, MultiLevelMGDLoss,
                                       NonFiniteLossError)

BF16 = torch.bfloat16
# unit roundoff of bfloat16 (8 significant bits): |bf16(x) - x| <= U |x|
U = 2.0**-8
SIZES = [(6, 5), (3, 3), (2, 1)]


# ---------------------------------------------------------------- helpers


def features(n, cs, ct, seed=0, positive_student=False):
    gen = torch.Generator().manual_seed(seed)
    students = [torch.randn(n, cs, h, w, generator=gen) for h, w in SIZES]
    if positive_student:  # ReLU(S) = S: the generation keeps it unchanged
        students = [s.abs() for s in students]
    teachers = [torch.randn(n, ct, h, w, generator=gen) for h, w in SIZES]
    return students, teachers


def samples(n, size=48):
    """FGD's data samples: one gt box per image, input images size^2."""
    out = []
    for i in range(n):
        sample = DetDataSample(metainfo=dict(img_shape=(size, size),
                                             batch_input_shape=(size, size)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4.0 + i, 6.0, 30.0, 40.0 - i]]),
            labels=torch.zeros(1, dtype=torch.long))
        out.append(sample)
    return out


def randomize_(module, seed=7, std=0.1):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * std)
    return module


def identity_3x3_(conv):
    """A 3x3 conv C -> C (padding 1) that returns its input."""
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.zero_()
        for c in range(conv.weight.shape[0]):
            conv.weight[c, c, 1, 1] = 1.0


def build(method, cs, ct, **kwargs):
    if method == 'amd':
        kwargs.setdefault('clue', dict(type='ChannelClue', ratio=4))
        return AMDLoss(student_channels=cs, teacher_channels=ct,
                       num_levels=len(SIZES), **kwargs)
    if method == 'fgd':
        return FGDLoss(student_channels=cs, teacher_channels=ct,
                       num_levels=len(SIZES), **kwargs)
    return MultiLevelMGDLoss(student_channels=cs, teacher_channels=ct,
                             num_levels=len(SIZES), **kwargs)


def call(loss, method, students, teachers):
    if method == 'fgd':
        return loss(students, teachers, samples(teachers[0].shape[0]))
    return loss(students, teachers)


# --------------------------------------------------- what --amp does here


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU case')
def test_what_amp_does_on_this_cpu():
    from mmengine.optim import AmpOptimWrapper
    from mmengine.runner.amp import autocast

    # mmengine 0.10.7 refuses the wrapper without an accelerator
    model = torch.nn.Conv2d(2, 2, 1)
    with pytest.raises(AssertionError) as refused:
        AmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=1))
    assert str(refused.value) == MMENGINE_REFUSES_CPU

    # the scaler it would use disables itself: no scaling, plain step
    from torch.cuda.amp import GradScaler
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        scaler = GradScaler()
    assert not scaler.is_enabled()
    assert any('CUDA is not available.  Disabling' in str(w.message)
               for w in caught)
    loss = torch.tensor(3.0)
    assert scaler.scale(loss) is loss

    # and its autocast (dtype None, as AmpOptimWrapper passes by default)
    # runs on the CPU in bfloat16
    x = torch.randn(1, 2, 4, 4)
    with autocast():
        assert torch.is_autocast_enabled('cpu')
        assert torch.get_autocast_dtype('cpu') == BF16
        assert model(x).dtype == BF16


# ------------------------------------------------------- losses, autocast


@pytest.mark.parametrize('method', ['amd', 'fgd', 'mgd'])
def test_losses_return_float32_under_autocast(method):
    torch.manual_seed(0)
    loss_fn = build(method, 8, 16)
    randomize_(loss_fn)
    students, teachers = features(2, 8, 16)
    students = [s.requires_grad_() for s in students]
    with torch.autocast('cpu', dtype=BF16):
        loss = call(loss_fn, method, students, teachers)
        if method == 'mgd':
            # the stock connector itself computes in bfloat16
            assert loss_fn.connectors[0](students[0]).dtype == BF16
    assert loss.dtype == torch.float32 and loss.dim() == 0
    assert math.isfinite(float(loss.detach()))
    loss.backward()
    # gradients reach the student and the loss's modules, in float32
    for s in students:
        assert s.grad is not None and s.grad.dtype == torch.float32
        assert s.grad.abs().sum() > 0
    trained = [p for p in loss_fn.parameters() if p.grad is not None]
    assert trained and all(p.grad.dtype == torch.float32 for p in trained)


def _bf16_bound(target, generated):
    """Largest change of ``sum (target - generated)^2`` when every element
    of ``generated`` is rounded to bfloat16 (relative error <= U), float64:
    ``sum 2 |target - g| U |g| + (U |g|)^2``."""
    d = U * generated.abs()
    return float((2 * (target - generated).abs() * d + d * d).sum())


def _ref_spatial_mask(teacher, phi=1.0, tau=0.5):
    """AMD's Eq 2-4 in float64: hide where H*W*softmax(mean_c|T|/tau) > phi."""
    t = teacher.double()
    n, c, h, w = t.shape
    logits = (t.abs().sum(dim=1) / c).reshape(n, h * w) / tau
    attention = h * w * torch.softmax(logits, dim=1)
    assert (attention - phi).abs().min() > 1e-4  # not on the threshold
    return (attention <= phi).double().reshape(n, 1, h, w)


def mixed_and_plain(expected, loss_fn, *inputs):
    """``loss_fn(*inputs)`` without gradients, under bfloat16 autocast and
    without it: both float32, and the plain one ``expected`` within float32
    rounding only (measured <= 5e-8 relative)."""
    with torch.no_grad():
        with torch.autocast('cpu', dtype=BF16):
            mixed = loss_fn(*inputs)
        plain = loss_fn(*inputs)
    assert mixed.dtype == plain.dtype == torch.float32
    assert float(plain) == pytest.approx(expected, rel=1e-5)
    return mixed, plain


@pytest.mark.parametrize('method,gated', [('amd', True), ('amd', False),
                                          ('mgd', False)])
def test_generated_loss_value_under_autocast_matches_float64(method, gated):
    """AMD and MGD with generation convs that copy their input, so that the
    loss is a plain squared error that is written here in float64:
    ``alpha * sum_l sum (T_l - g * M_l * S_l)^2 / N`` with ``S >= 0`` (the
    ReLU between the convs keeps it), ``M`` AMD's mask (all ones for MGD at
    ``lambda_mgd=0``) and ``g`` the channel gate: 0.5 when the SE's last
    conv is zero (sigmoid(0)), 1 without a clue. Under autocast the convs
    round ``M * S`` to bfloat16 once, which bounds the difference."""
    alpha, n, c = 0.25, 2, 8
    students, teachers = features(n, c, c, positive_student=True)
    if method == 'amd':
        loss_fn = build('amd', c, c, loss_weight=alpha,
                        **({} if gated else dict(clue=None)))
        for gen in loss_fn.generations:
            identity_3x3_(gen.block.conv1)
            identity_3x3_(gen.block.conv2)
            if gated:
                with torch.no_grad():
                    gen.clue.conv2.conv.weight.zero_()
                    gen.clue.conv2.conv.bias.zero_()
        masks = [_ref_spatial_mask(t) for t in teachers]
        gate = 0.5 if gated else 1.0
    else:
        loss_fn = build('mgd', c, c, alpha_mgd=alpha, lambda_mgd=0.0)
        for connector in loss_fn.connectors:
            identity_3x3_(connector.generation[0])
            identity_3x3_(connector.generation[2])
        masks = [torch.ones(1, dtype=torch.float64) for _ in teachers]
        gate = 1.0
    assert any(float(m.min()) == 0 for m in masks) or method == 'mgd'

    expected, bound = 0.0, 0.0
    for s, t, m in zip(students, teachers, masks):
        t, generated = t.double(), gate * m * s.double()
        expected += alpha * float(((t - generated)**2).sum()) / n
        bound += alpha * _bf16_bound(t, generated) / n

    mixed, plain = mixed_and_plain(expected, loss_fn, students, teachers)
    # bfloat16 convs: within the bound, and really in bfloat16 (measured
    # relative error 6e-5 (AMD gated), 1.5e-4 (AMD), 2e-4 (MGD); the bound
    # is 1.5e-3, 3.4e-3, 4.5e-3)
    error = abs(float(mixed) - expected)
    assert error <= bound + 1e-5 * expected
    assert error > 10 * abs(float(plain) - expected)


def test_fgd_loss_value_under_autocast():
    """FGD runs everything after the student's align conv in float32 with
    autocast off. With the global term alone and the context modules at
    their initialisation (their last conv is zero) the loss is the plain
    ``lambda * sum_l sum (align(S_l) - T_l)^2 / N``, written here in
    float64. Without align (Cs == C) nothing runs in bfloat16 and the value
    is the float32 one exactly; with align (a 1x1 conv, bfloat16 under
    autocast) it is within 4e-3 (relative; measured 8e-4)."""
    lam, n = 0.5, 3
    weights = dict(alpha_fgd=0.0, beta_fgd=0.0, gamma_fgd=0.0,
                   lambda_fgd=lam)
    data = samples(n)

    same = build('fgd', 8, 8, **weights)
    students, teachers = features(n, 8, 8)
    expected = sum(lam * float(((s.double() - t.double())**2).sum()) / n
                   for s, t in zip(students, teachers))
    mixed, plain = mixed_and_plain(expected, same, students, teachers, data)
    assert torch.equal(mixed, plain)

    aligned = build('fgd', 4, 8, **weights)
    randomize_(aligned.aligns, std=0.5)
    students, teachers = features(n, 4, 8, seed=1)
    expected = 0.0
    for level, (s, t) in enumerate(zip(students, teachers)):
        conv = aligned.aligns[level]
        weight = conv.weight.detach().double()[:, :, 0, 0]
        bias = conv.bias.detach().double()[None, :, None, None]
        a = torch.einsum('oc,nchw->nohw', weight, s.double()) + bias
        expected += lam * float(((a - t.double())**2).sum()) / n
    mixed, plain = mixed_and_plain(expected, aligned, students, teachers,
                                   data)
    assert float(mixed) == pytest.approx(expected, rel=4e-3)
    assert float(mixed) != float(plain)  # the align conv ran in bfloat16


@pytest.mark.parametrize('method', ['amd', 'fgd', 'mgd'])
@pytest.mark.parametrize('level', [0, 2])
def test_nan_names_level_and_student_under_autocast(method, level):
    loss_fn = build(method, 8, 16)
    students, teachers = features(2, 8, 16)
    students[level][1, 3, 0, 0] = float('nan')
    with torch.autocast('cpu', dtype=BF16):
        with pytest.raises(NonFiniteLossError) as error:
            call(loss_fn, method, students, teachers)
    message = str(error.value)
    assert f'FPN level {level} ' in message
    assert 'student feature' in message and 'teacher feature' not in message
