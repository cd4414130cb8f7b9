"""Every distillation config loads, builds the full model with checkpoint
downloads switched off, and runs one CPU training step on a tiny batch."""
import glob
import os.path as osp
import warnings

import pytest
import torch

import mmrazor_amd  # noqa: F401
from conftest import ROOT
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.runner.checkpoint import CheckpointLoader

from mmrazor_amd.models.utils import check_distill_pair

CONFIG_DIR = osp.join(ROOT, 'configs', 'distill')
CONFIGS = sorted(
    path for path in glob.glob(osp.join(CONFIG_DIR, '*', '*.py'))
    if osp.basename(osp.dirname(path)) != '_base_')


def config_id(path):
    return osp.relpath(path, CONFIG_DIR)


@pytest.fixture
def no_downloads(monkeypatch):
    """Any checkpoint that is not a local file fails the test."""

    def refuse(filename, *args, **kwargs):
        raise AssertionError(f'checkpoint download attempted: {filename}')

    schemes = dict(CheckpointLoader._schemes)
    for prefix in schemes:
        if prefix:
            schemes[prefix] = refuse
    monkeypatch.setattr(CheckpointLoader, '_schemes', schemes)
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)


def build(path, **options):
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(dict(options, **{'model.teacher_ckpt': None}))
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return cfg, MODELS.build(cfg.model)


def tiny_batch(num_classes=6):
    from mmdet.testing import demo_mm_inputs
    return demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 96, 128), (3, 80, 112)],
        num_items=[3, 1],
        num_classes=num_classes)


def test_every_setting_and_ablation_has_a_config():
    names = {config_id(p) for p in CONFIGS}
    settings = ['fpn_retina_x101_retina_r50_2x_coco',
                'fpn_reppoints_x101-dcn_reppoints_r50_2x_coco',
                'fpn_cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco']
    for setting in settings:
        for method in ('amd', 'mgd', 'fgd', 'pkd', 'cwd'):
            assert f'{method}/{method}_{setting}.py' in names
        for ablation in ('amd-no-ada-mask', 'amd-no-ada-channel'):
            assert f'amd/{ablation}_{setting}.py' in names
    # the embedded pairs of settings 2 and 3: every method and ablation
    for setting in ('fpn_reppoints_r50-mini_reppoints_r18-mini_synthetic',
                    'fpn_cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic'):
        for method in ('amd', 'mgd', 'fgd', 'pkd', 'cwd', 'amd-no-ada-mask',
                       'amd-no-ada-channel'):
            assert f'{method.split("-")[0]}/{method}_{setting}.py' in names
    assert f'amd/amd-mbconv_{settings[0]}.py' in names
    assert f'amd/amd-dense-x1_{settings[0]}.py' in names
    assert f'amd/amd-clue-within_{settings[2]}.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_config_builds_and_trains_one_step(path, no_downloads):
    torch.manual_seed(0)
    cfg, model = build(path)
    assert type(model).__name__ == 'FpnTeacherDistill'
    if 'synthetic' in path:  # the embedded pair's locally trained teacher
        family = ('reppoints' if 'reppoints' in path else
                  'faster-rcnn' if 'faster-rcnn' in path else 'long')
        assert cfg.teacher_ckpt == \
            f'results/embedded-{family}/teacher/teacher.pth'
    else:  # OpenMMLab URLs, not fetched here
        assert cfg.teacher_ckpt.startswith('https://download.openmmlab.com/')
    # the pair's features fit every loss (DistillPairCheckHook's check)
    assert check_distill_pair(model, image_size=128) == list(
        model.distiller.distill_losses)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert optim_wrapper.clip_grad_kwargs == dict(max_norm=35, norm_type=2)

    distill_params = {
        name: p.detach().clone()
        for name, p in model.distiller.named_parameters()
    }
    teacher_before = [p.detach().clone() for p in model.teacher.parameters()]
    model.train()
    log_vars = model.train_step(tiny_batch(), optim_wrapper)

    distill_keys = [k for k in log_vars if k.startswith('distill.')]
    assert distill_keys, sorted(log_vars)
    assert all(torch.isfinite(torch.as_tensor(log_vars[k]))
               for k in distill_keys)
    moved = [
        name for name, p in model.distiller.named_parameters()
        if not torch.equal(p.detach(), distill_params[name])
    ]
    # PKD and CWD (MMRazor's losses as they are) have no parameters
    assert moved or not distill_params, 'no distiller parameter was updated'
    for before, after in zip(teacher_before, model.teacher.parameters()):
        assert torch.equal(before, after.detach())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    assert all(not m.training for m in model.teacher.modules()
               if isinstance(m, torch.nn.modules.batchnorm._BatchNorm))
    # every distillation config names its hooks: they log (and may
    # calibrate) the loss balance, check the teacher, keep the generators
    assert cfg.default_hooks.distill_balance.type == \
        'mmrazor.DistillBalanceHook'
    assert cfg.default_hooks.teacher_checkpoint.type == \
        'mmrazor.TeacherCheckpointHook'
    assert cfg.default_hooks.rng_state.type == 'mmrazor.RNGStateHook'
    assert cfg.default_hooks.pair_check.type == \
        'mmrazor.DistillPairCheckHook'
    assert cfg.default_hooks.logger.type == 'LoggerHook'  # mmdet's stay


def test_one_stage_students_inherit_the_teachers_neck_and_head():
    for path in CONFIGS:
        cfg = Config.fromfile(path)
        student = cfg.model.architecture
        if 'faster-rcnn' in path:  # other heads: their own initialisation
            assert 'init_cfg' not in student.roi_head.bbox_head
            continue
        for part in ('neck', 'bbox_head'):
            assert student[part].init_cfg == dict(
                type='Pretrained', prefix=f'{part}.',
                checkpoint=cfg.teacher_ckpt), (path, part)


def test_phi_is_one_override_away():
    path = osp.join(CONFIG_DIR, 'amd',
                    'amd_fpn_reppoints_x101-dcn_reppoints_r50_2x_coco.py')
    _, model = build(path, **{
        'model.distiller.distill_losses.loss_amd.masker.phi': 2.5
    })
    assert model.distiller.distill_losses['loss_amd'].masker.phi == 2.5


def test_a_recorder_source_missing_from_the_model_is_named():
    path = osp.join(CONFIG_DIR, 'amd', 'amd_fpn_retina_x101_retina_r50_2x_coco.py')
    with pytest.raises(AssertionError, match='neck.no_such_module'):
        build(path, **{
            'model.distiller.student_recorders.fpn.source':
            'neck.no_such_module'
        })


def test_channel_counts_that_do_not_match_the_config_are_named():
    path = osp.join(CONFIG_DIR, 'amd', 'amd_fpn_retina_x101_retina_r50_2x_coco.py')
    _, model = build(path, **{
        'model.distiller.distill_losses.loss_amd.student_channels': 128
    })
    data = model.data_preprocessor(tiny_batch(), True)
    with pytest.raises(ValueError, match='student has 256 channels'):
        model(**data, mode='loss')
