"""FastFrozenTeacherHook: the teacher runs a norm-folded NHWC backbone,
computes what a float64 copy of the original teacher computes, keeps its
state dict, and refuses what it cannot speed up safely."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from mmrazor_amd.engine import FastFrozenTeacherHook
from mmrazor_amd.engine.hooks.fast_frozen_teacher_hook import (
    FastTeacherError, folded_copy)
from test_distill_foundation import build_algorithm

NHWC = torch.channels_last


def fake_runner(model):
    return SimpleNamespace(model=model,
                           logger=MMLogger.get_instance('fast-teacher'))


def conv_weights(module):
    return [p for p in module.parameters() if p.dim() == 4]


def norms(module):
    return [m for m in module.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@pytest.fixture(scope='module')
def sped_up():
    algorithm, data = build_algorithm('tiny_mgd_retina.py')
    algorithm.train()  # the teacher's norms stay in eval mode
    with torch.no_grad():  # give the norms statistics worth folding
        for index, norm in enumerate(norms(algorithm.teacher.backbone)):
            g = torch.Generator().manual_seed(index)
            c = norm.num_features
            norm.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
            norm.running_var.copy_(torch.rand(c, generator=g) + 0.5)
            norm.weight.copy_(torch.rand(c, generator=g) + 0.5)
            norm.bias.copy_(torch.randn(c, generator=g) * 0.1)
        reference = copy.deepcopy(algorithm.teacher).double().eval()
        expected = reference.extract_feat(data['inputs'].double())
    state = {k: v.clone() for k, v in algorithm.state_dict().items()}
    rng = torch.get_rng_state()
    FastFrozenTeacherHook().before_train(fake_runner(algorithm))
    assert torch.equal(rng, torch.get_rng_state())  # global draws untouched
    return algorithm, data, expected, state


def test_features_match_a_float64_reference_and_come_out_nhwc(sped_up):
    algorithm, data, expected, _ = sped_up
    with torch.no_grad():
        features = algorithm.teacher.extract_feat(data['inputs'])
    assert len(features) == len(expected)
    for got, want in zip(features, expected):
        assert got.shape == want.shape
        assert got.is_contiguous(memory_format=NHWC)
        scale = want.abs().max().item()
        assert (got.double() - want).abs().max().item() <= 1e-5 * scale


def test_the_registered_norms_no_longer_run(sped_up):
    algorithm, data, _, _ = sped_up
    calls = []
    handles = [n.register_forward_hook(lambda *a: calls.append(1))
               for n in norms(algorithm.teacher.backbone)]
    try:
        with torch.no_grad():
            algorithm.teacher.extract_feat(data['inputs'])
    finally:
        for handle in handles:
            handle.remove()
    assert handles and not calls


def test_weights_state_dict_and_student_are_unchanged(sped_up):
    algorithm, _, _, state = sped_up
    after = algorithm.state_dict()
    assert list(after) == list(state)
    assert all(torch.equal(after[k], state[k]) for k in state)
    assert all(w.is_contiguous(memory_format=NHWC)
               for w in conv_weights(algorithm.teacher))
    assert any(not w.is_contiguous()  # 3x3 over several channels: NHWC only
               for w in conv_weights(algorithm.teacher))
    assert all(w.is_contiguous() for w in conv_weights(algorithm.student))
    algorithm.load_state_dict(state)  # what resume and load_from do
    assert all(w.is_contiguous(memory_format=NHWC)
               for w in conv_weights(algorithm.teacher))


def test_a_distillation_step_runs_on_the_fast_teacher(sped_up):
    algorithm, data, _, _ = sped_up
    losses = algorithm(**data, mode='loss')
    distill = [v for k, v in losses.items() if k.startswith('distill.')]
    assert distill and all(torch.isfinite(v) and v > 0 for v in distill)


def test_channels_last_alone_keeps_the_norms_running():
    algorithm, data = build_algorithm('tiny_mgd_retina.py')
    algorithm.train()
    FastFrozenTeacherHook(fuse_conv_bn=False).before_train(
        fake_runner(algorithm))
    calls = []
    norms(algorithm.teacher.backbone)[0].register_forward_hook(
        lambda *a: calls.append(1))
    with torch.no_grad():
        features = algorithm.teacher.extract_feat(data['inputs'])
    assert calls and features[0].is_contiguous(memory_format=NHWC)


class Misordered(nn.Module):
    """norm2 is registered right after conv1 but runs after conv2."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.norm2 = nn.BatchNorm2d(4)
        self.norm1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        with torch.no_grad():
            for norm in (self.norm1, self.norm2):
                norm.running_mean.uniform_(-1, 1)
                norm.running_var.uniform_(0.5, 2)

    def forward(self, x):
        return self.norm2(self.conv2(self.norm1(self.conv1(x)).relu()))


def algorithm_with(teacher, **flags):
    model = nn.Module()
    model.teacher = teacher
    for key, value in flags.items():
        setattr(model, key, value)
    return model


def test_a_backbone_that_folding_would_break_is_refused():
    teacher = nn.Module()
    teacher.backbone = Misordered()
    with pytest.raises(FastTeacherError, match='not registered in the order'):
        FastFrozenTeacherHook().before_train(
            fake_runner(algorithm_with(teacher)))


@pytest.mark.parametrize('model, reason', [
    (nn.Conv2d(3, 4, 3), 'needs a distillation algorithm'),
    (algorithm_with(nn.Module(), teacher_trainable=True), 'frozen teacher'),
    (algorithm_with(nn.Module(), teacher_norm_eval=False), 'frozen teacher'),
    (algorithm_with(nn.Module()), 'has no backbone'),
])
def test_what_cannot_be_sped_up_is_refused_with_the_reason(model, reason):
    with pytest.raises(FastTeacherError, match=reason):
        FastFrozenTeacherHook().before_train(fake_runner(model))


def test_the_fold_check_runs_cudnn_convolutions_without_tf32():
    """With TF32 (torch's default for cuDNN convolutions on recent GPUs)
    the original and the folded backbone would round differently; the check
    compares them in full float32 and leaves the setting as it found it."""
    backbone = Misordered()
    seen = []
    backbone.register_forward_pre_hook(
        lambda *a: seen.append(torch.backends.cudnn.allow_tf32))
    before = torch.backends.cudnn.allow_tf32
    with pytest.raises(FastTeacherError):  # (Misordered: checked, refused)
        folded_copy(backbone, channels_last=False)
    assert seen == [False]
    assert torch.backends.cudnn.allow_tf32 == before
