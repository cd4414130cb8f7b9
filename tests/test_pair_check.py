"""A student and a teacher that cannot be distilled feature to feature are
refused before the first step, with the cause: a different number of FPN
levels, other strides, other channels without an align conv. (A pair of
stock mmdet detectors that fits trains: test_own_detectors.py.)"""
import pytest
import torch

import mmrazor_amd  # noqa: F401  (registers the losses and hooks)
from conftest import ROOT
from mmengine.config import Config
from mmrazor.registry import MODELS

from mmrazor_amd.models.utils import DistillPairError, check_distill_pair

PAIR = 'retina_r50-mini_retina_r18-mini_synthetic'


def build(method, **student_neck):
    cfg = Config.fromfile(
        f'{ROOT}/configs/distill/{method}/{method}_fpn_{PAIR}.py')
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.neck.init_cfg = None
    cfg.model.architecture.bbox_head.init_cfg = None
    cfg.model.architecture.neck.update(student_neck)
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('method', ['amd', 'mgd', 'fgd', 'pkd', 'cwd'])
def test_the_repository_pair_fits_every_method(method):
    algorithm = build(method)
    algorithm.train()
    state = torch.random.get_rng_state()
    checked = check_distill_pair(algorithm)
    # every FPN loss was checked; the random generator and the modes kept
    assert checked == list(algorithm.distiller.distill_losses)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(m.training for m in algorithm.architecture.modules())


@pytest.mark.parametrize('method,match', [
    ('pkd', r'loss_pkd_fpn4: preds_S reads element 4 .* which holds 4: '
     'the student gives 4 level'),
    ('amd', r'loss_amd \(AMDLoss\): the student gives 4 feature level\(s\) '
     'and the teacher 5'),
])
def test_a_student_with_fewer_fpn_levels_is_named(method, match):
    algorithm = build(method, num_outs=4)
    with pytest.raises(DistillPairError, match=match):
        check_distill_pair(algorithm)


def test_other_strides_are_named():
    # the student's FPN starts one level later: P4-P8 against P3-P7
    algorithm = build('mgd', start_level=1)
    with pytest.raises(DistillPairError,
                       match=r'level 0: on the same image the student map '
                       r'is \(1, 64, 16, 16\) and the teacher\'s '
                       r'\(1, 64, 32, 32\): their strides differ'):
        check_distill_pair(algorithm)


@pytest.mark.parametrize('method', ['pkd', 'cwd'])
def test_other_channels_without_an_align_conv_are_named(method):
    algorithm = build(method, out_channels=32)
    with pytest.raises(DistillPairError,
                       match='the student has 32 channels and the teacher '
                       '64, and .* does not align them'):
        check_distill_pair(algorithm)


def test_a_loss_configured_for_other_channels_is_named():
    algorithm = build('amd', out_channels=32)
    with pytest.raises(DistillPairError,
                       match='the student has 32 channels, the loss is '
                       'configured with student_channels=64; set '
                       'student_channels=32'):
        check_distill_pair(algorithm)
