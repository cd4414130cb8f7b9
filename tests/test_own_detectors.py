"""Distilling one's own detectors (docs/own_detectors.md): a pair that is
not in the repository, two stock mmdet configs of different families (a
Cascade R-CNN R50 teacher, an ATSS student on a ResNet-18), trains two
steps with each of the five methods on generated data; an incompatible
pair stops before the first step with an error that names the cause."""
import copy
import math

import pytest
import torch

import mmrazor_amd  # noqa: F401  (registers the losses and hooks)
from conftest import CONFIGS, ROOT
from mmengine.config import Config

from mmrazor_amd.models.utils import DistillPairError

PAIR = f'{CONFIGS}/own_pair_cascade_atss.py'
METHODS = ('amd', 'mgd', 'fgd', 'pkd', 'cwd')


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    """A checkpoint of the stock Cascade R-CNN (random weights: the test is
    about the pairing, not the teacher's quality)."""
    from mmengine.hub import get_model
    torch.manual_seed(0)
    teacher = get_model(Config.fromfile(PAIR).teacher_config,
                        pretrained=False)
    path = tmp_path_factory.mktemp('teacher') / 'cascade.pth'
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return str(path)


def method_distiller(method, student_channels):
    """The distiller of ``method`` as its configs define it, for this pair:
    the RetinaNet-setting losses, told the channels of both FPNs."""
    base = Config.fromfile(
        f'{ROOT}/configs/distill/{method}/_base_/{method}_fpn.py')
    distiller = copy.deepcopy(base[f'{method}_distillers']['retina'])
    for loss in distiller['distill_losses'].values():
        if 'student_channels' in loss:  # AMD, MGD and FGD align channels
            loss.update(student_channels=student_channels,
                        teacher_channels=256)
    return distiller


def pair_config(tmp_path, data_root, teacher_ckpt, method='mgd',
                student_channels=128, **student_neck):
    cfg = Config.fromfile(PAIR)
    cfg.work_dir = str(tmp_path)
    cfg.model.teacher_ckpt = teacher_ckpt
    student = cfg.model.architecture
    student.neck.update(out_channels=student_channels, **student_neck)
    student.bbox_head.update(in_channels=student_channels,
                             feat_channels=student_channels)
    if student_neck.get('start_level') == 1:  # the stock ATSS: P3-P7
        student.bbox_head.anchor_generator.strides = [8, 16, 32, 64, 128]
    recorders = {k: cfg.model.distiller[k]
                 for k in ('type', 'student_recorders', 'teacher_recorders')}
    cfg.model.distiller = dict(
        recorders, **method_distiller(method, student_channels))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = f'{data_root}/'
    dataset.indices = 4  # two steps of two images
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    # calibrate the weights on the first step (the config: 50 iterations),
    # distil with them on the second
    cfg.default_hooks.distill_balance.calibration_iters = 1
    return cfg


@pytest.mark.parametrize('method', METHODS)
def test_a_pair_of_stock_mmdet_detectors_trains(
        method, synthetic_tiny, teacher_ckpt, tmp_path):
    from mmengine.runner import Runner
    # MMRazor's PKD and CWD compare the maps as they are: same channels
    channels = 256 if method in ('pkd', 'cwd') else 128
    cfg = pair_config(tmp_path, synthetic_tiny, teacher_ckpt, method,
                      channels)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert type(model.teacher).__name__ == 'CascadeRCNN'
    assert type(model.student).__name__ == 'ATSS'
    student_before = {k: v.clone() for k, v in
                      model.student.state_dict().items()}
    runner.train()
    scalars = runner.message_hub.log_scalars
    distill = [k for k in scalars if k.startswith('train/distill.loss_')
               and not k.endswith('_raw')]
    assert distill, sorted(scalars)
    for key in distill:
        value = scalars[key].current()
        assert math.isfinite(value) and value > 0, (key, value)
    changed = [k for k, v in model.student.state_dict().items()
               if v.is_floating_point()
               and not torch.equal(v, student_before[k])]
    assert any(k.startswith('neck.') for k in changed)
    # the teacher is the checkpoint's, untouched
    saved = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, saved[key]), key


@pytest.mark.parametrize('method,neck,channels,match', [
    # the stock ATSS FPN (C3-C5, P3-P7) against the teacher's P2-P6
    ('amd', dict(start_level=1), 128,
     r"level 0: on the same image the student map is \(1, 128, 36, 36\) "
     r"and the teacher's \(1, 256, 72, 72\): their strides differ"),
    # four levels against five
    ('mgd', dict(num_outs=4), 128,
     r'the student gives 4 feature level\(s\) and the teacher 5'),
    # PKD without an align conv: 128 channels against 256
    ('pkd', {}, 128, 'the student has 128 channels and the teacher 256, '
     'and PKDLoss does not align them'),
])
def test_an_incompatible_pair_stops_before_the_first_step(
        method, neck, channels, match, synthetic_tiny, teacher_ckpt,
        tmp_path):
    from mmengine.runner import Runner
    cfg = pair_config(tmp_path, synthetic_tiny, teacher_ckpt, method,
                      channels, **neck)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(DistillPairError, match=match):
        runner.train()
    # before the first step
    assert runner.iter == 0
    assert 'train/loss' not in runner.message_hub.log_scalars
