"""What a COCO user gets from the distillation configs of the paper's three
settings (every method and ablation): the optimizer and the 2x schedule as
they act on a model, the teacher checkpoint of OpenMMLab's model zoo, and
the two-stage mask ratio in the built loss module.

The expected values come from the paper's set-up (MGD's 2x recipe: SGD,
momentum 0.9, weight decay 1e-4, 24 epochs, lr / 10 after epochs 16 and 22,
8 GPUs x 2 images; lr 0.01 for the one-stage detectors, 0.02 for Faster
R-CNN) and from mmdet's own model-zoo metafiles (the teacher's weights URL
and box AP), not from the configs under test.
"""
import glob
import os.path as osp

import pytest
import torch

import mmrazor_amd  # noqa: F401
from conftest import ROOT
from mmengine.config import Config

CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'distill', '*',
                                    '*_2x_coco.py')))
# setting (a part of the file name) -> lr, teacher's model-zoo entry, mAP
SETTINGS = {
    'retina_x101_retina_r50': (0.01, 'retinanet', 'retinanet_x101-64x4d_'
                               'fpn_1x_coco', 41.0),
    'reppoints_x101-dcn_reppoints_r50': (
        0.01, 'reppoints',
        'reppoints-moment_x101-dconv-c3-c5_fpn-gn_head-gn_2x_coco', 44.2),
    'cascade-mask-rcnn_x101-dcn_faster-rcnn_r50': (
        0.02, 'dcn', 'cascade-mask-rcnn_x101-32x4d-dconv-c3-c5_fpn_1x_coco',
        47.3),
}


def setting_of(path):
    matches = [key for key in SETTINGS if key in osp.basename(path)]
    assert len(matches) == 1, path
    return SETTINGS[matches[0]]


def config_id(path):
    return osp.relpath(path, osp.join(ROOT, 'configs', 'distill'))


def test_every_method_and_ablation_of_the_three_settings_is_covered():
    methods = {osp.basename(osp.dirname(p)) for p in CONFIGS}
    assert methods >= {'amd', 'mgd', 'fgd'}
    for key in SETTINGS:
        assert sum(key in p for p in CONFIGS) >= 5, key


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_optimizer_and_2x_schedule_as_they_act(path):
    """The optimizer built from the config on a stand-in module, and the lr
    that the config's schedulers give it after each epoch of the run."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS
    from mmrazor.utils import register_all_modules
    register_all_modules()
    lr, *_ = setting_of(path)
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == 24
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.auto_scale_lr.base_batch_size == 16  # 8 GPUs x 2 images
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    optimizer = wrapper.optimizer
    assert type(optimizer) is torch.optim.SGD
    group = optimizer.param_groups[0]
    assert (group['lr'], group['momentum'], group['weight_decay']) == (
        lr, 0.9, 1e-4)
    assert wrapper.clip_grad_kwargs == dict(max_norm=35, norm_type=2)

    # the schedulers stepped as mmengine's ParamSchedulerHook does: the
    # iteration-based ones (the warm-up) after every iteration, the
    # epoch-based ones after every epoch (1000 iterations); the lr of the
    # last iteration of each epoch
    iters = 1000
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer))
                  for s in cfg.param_scheduler]
    used = []
    for epoch in range(cfg.train_cfg.max_epochs):
        for _ in range(iters):
            used_lr = optimizer.param_groups[0]['lr']
            optimizer.step()  # no gradients: only the order of the runner
            for scheduler in schedulers:
                if not scheduler.by_epoch:
                    scheduler.step()
        used.append(used_lr)
        for scheduler in schedulers:
            if scheduler.by_epoch:
                scheduler.step()
    expected = [lr] * 16 + [lr / 10] * 6 + [lr / 100] * 2
    assert used == pytest.approx(expected, rel=1e-9)
    warmup = [s for s in schedulers if not s.by_epoch]
    assert len(warmup) == 1 and warmup[0].end == 500


@pytest.mark.parametrize('path', CONFIGS, ids=config_id)
def test_teacher_is_the_model_zoo_checkpoint_of_its_config(path):
    """The teacher config and checkpoint URL are one entry of mmdet's
    model-zoo metafile, with the teacher mAP the paper reports."""
    import yaml
    import mmdet
    _, folder, name, box_ap = setting_of(path)
    cfg = Config.fromfile(path)
    metafile = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs',
                        folder, 'metafile.yml')
    with open(metafile) as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    entry = models[name]
    assert cfg.teacher_ckpt == entry['Weights']
    assert cfg.model.teacher_ckpt == entry['Weights']
    assert cfg.model.teacher.cfg_path == f'mmdet::{folder}/{name}.py'
    assert osp.basename(entry['Config']) == f'{name}.py'
    boxes = [r['Metrics']['box AP'] for r in entry['Results']
             if r['Task'] == 'Object Detection']
    assert boxes == [box_ap]


def _masker_and_mgd(path):
    from test_configs import build
    _, model = build(path)
    return model.distiller.distill_losses


@pytest.mark.parametrize('setting,ratio', [
    ('cascade-mask-rcnn_x101-dcn_faster-rcnn_r50', 0.45),
    ('retina_x101_retina_r50', 0.65)])
def test_the_random_mask_ratio_reaches_the_built_module(setting, ratio):
    """The Ada-Mask ablation (MGD's random mask): 45 % of the positions
    hidden on Faster R-CNN, 65 % on RetinaNet, in the module a run builds,
    and so in the masks it draws; MGD's own ratio likewise."""
    from mmrazor_amd.models.architectures.maskers import RandomMasker
    torch.manual_seed(0)
    configs = osp.join(ROOT, 'configs', 'distill')
    amd = _masker_and_mgd(osp.join(
        configs, 'amd', f'amd-no-ada-mask_fpn_{setting}_2x_coco.py'))
    masker = amd['loss_amd'].masker
    assert type(masker) is RandomMasker and masker.ratio == ratio
    hidden = 1 - float(masker(torch.zeros(8, 1, 100, 168)).mean())
    assert hidden == pytest.approx(ratio, abs=0.01)
    mgd = _masker_and_mgd(osp.join(configs, 'mgd',
                                   f'mgd_fpn_{setting}_2x_coco.py'))
    connectors = mgd['loss_mgd'].connectors
    assert len(connectors) == 5
    assert all(c.lambda_mgd == ratio for c in connectors)
