"""MMRazor's stock distillation path runs on torch 2.x through the compat
layer: ``FpnTeacherDistill`` + ``ConfigurableDistiller`` from a config, one
``loss`` step on a tiny mmdet detector, and ``mim train mmrazor``."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

import mmrazor_amd  # noqa: F401
from conftest import CONFIGS
from mmengine.config import Config


def build_algorithm(config):
    from mmdet.testing import demo_mm_inputs
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(CONFIGS, config))
    torch.manual_seed(0)
    algorithm = MODELS.build(cfg.model)
    packed = demo_mm_inputs(
        batch_size=2, image_shapes=[(3, 64, 64), (3, 48, 64)],
        num_items=[2, 1], num_classes=2)
    data = algorithm.data_preprocessor(packed, True)
    return algorithm, data


def test_fpn_teacher_distill_runs_one_loss_step_with_mgd():
    algorithm, data = build_algorithm('tiny_mgd_retina.py')
    assert type(algorithm).__name__ == 'FpnTeacherDistill'
    assert type(algorithm.distiller).__name__ == 'ConfigurableDistiller'
    algorithm.train()
    losses = algorithm(**data, mode='loss')
    distill = {k: v for k, v in losses.items() if k.startswith('distill.')}
    assert sorted(distill) == [f'distill.loss_mgd_fpn{i}' for i in range(5)]
    assert all(torch.isfinite(v) and v > 0 for v in distill.values())
    assert any(k.startswith('student.loss_cls') for k in losses)

    total = sum(v if torch.is_tensor(v) else sum(v) for v in losses.values())
    total.backward()
    connector = algorithm.distiller.connectors['s_fpn0_connector']
    assert connector.generation[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in algorithm.teacher.parameters())
    assert all(not p.requires_grad for p in algorithm.teacher.parameters())


def mim_train(config, work_dir, data_root, *options):
    command = [
        sys.executable, '-m', 'mim', 'train', 'mmrazor', config,
        '--work-dir', str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.data_root={data_root}/', *options
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900,
        env={**os.environ, 'PYTHONUNBUFFERED': '1'})


@pytest.mark.slow
def test_mim_train_mmrazor_writes_a_checkpoint(tiny_coco, tmp_path):
    result = mim_train(
        osp.join(CONFIGS, 'tiny_mgd_retina.py'), tmp_path, tiny_coco)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert (tmp_path / 'iter_2.pth').is_file()
    assert 'distill.loss_mgd_fpn0' in result.stdout + result.stderr
    checkpoint = torch.load(str(tmp_path / 'iter_2.pth'), weights_only=True)
    assert any(k.startswith('distiller.connectors.') for k in
               checkpoint['state_dict'])

    # resume from it in a second process: the run continues at iter 2
    resumed = mim_train(
        osp.join(CONFIGS, 'tiny_mgd_retina.py'), tmp_path, tiny_coco,
        'train_cfg.max_iters=3', '--resume')
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-4000:]
    assert 'resumed epoch: 0, iter: 2' in log
    assert (tmp_path / 'iter_3.pth').is_file()
