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
                       r'is \(1, 64, 18, 18\) and the teacher\'s '
                       r'\(1, 64, 36, 36\): their strides differ'):
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


def test_random_connectors_leave_the_random_generators_as_they_were():
    # MMRazor's stock MGD: a MGDConnector per level draws its random mask
    cfg = Config.fromfile(f'{ROOT}/tests/configs/tiny_mgd_retina.py')
    algorithm = MODELS.build(cfg.model)
    state = torch.random.get_rng_state()
    assert len(check_distill_pair(algorithm, image_size=160)) == 5
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_loss_that_does_not_compare_maps_is_checked_for_levels_only():
    # attention transfer compares H*W attention maps: the channels may differ
    algorithm_cfg = Config.fromfile(
        f'{ROOT}/configs/distill/pkd/pkd_fpn_{PAIR}.py')
    algorithm_cfg.model.teacher_ckpt = None
    student = algorithm_cfg.model.architecture
    student.neck.init_cfg = student.bbox_head.init_cfg = None
    student.neck.out_channels = 32
    student.bbox_head.in_channels = student.bbox_head.feat_channels = 32
    distiller = algorithm_cfg.model.distiller
    distiller.distill_losses = {
        name: dict(type='ATLoss') for name in distiller.distill_losses}
    distiller.loss_forward_mappings = {
        name: dict(s_feature=m['preds_S'], t_feature=m['preds_T'])
        for name, m in distiller.loss_forward_mappings.items()}
    algorithm = MODELS.build(algorithm_cfg.model)
    assert len(check_distill_pair(algorithm)) == 5


def test_a_level_read_from_a_single_map_is_named():
    cfg = Config.fromfile(f'{ROOT}/configs/distill/pkd/pkd_fpn_{PAIR}.py')
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.neck.init_cfg = None
    cfg.model.architecture.bbox_head.init_cfg = None
    # a recorder on one FPN conv records a tensor, not the tuple of levels
    cfg.model.distiller.student_recorders.fpn.source = 'neck.fpn_convs.0'
    algorithm = MODELS.build(cfg.model)
    with pytest.raises(DistillPairError,
                       match=r"preds_S reads element 0 of the student's "
                       r"record 'fpn' \(neck.fpn_convs.0\), which is a "
                       r'Tensor.*pair_check=None switches it off'):
        check_distill_pair(algorithm)
