"""DistillBalanceHook: logging, calibration, resume and DDP of the loss scale.

The runs are the embedded distillation config at test size
(``tests/configs/distill_synthetic_tiny.py``: 3 epochs of 4 iterations),
trained through the README's train command; ``tests/probe_hooks.py`` writes
every iteration's logged values. Expected values are computed here by hand
from those logs.
"""
import json
import subprocess

import pytest
import torch

from conftest import tiny_train_command, tiny_train_env

HOOK = 'default_hooks.distill_balance'
AMD_WEIGHT = 2e-5  # loss_weight of configs/distill/amd/_base_/amd_fpn.py


def rows(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def detection(row):
    return row['student.loss_cls'] + row['student.loss_bbox']


def train(work_dir, data, *options, method='amd', nproc=1, resume=False):
    result = subprocess.run(
        tiny_train_command(work_dir, data, *options, nproc=nproc,
                           resume=resume),
        capture_output=True, text=True, timeout=900,
        env=tiny_train_env(method))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    return log


def checkpoint_meta(path):
    from mmengine.runner.checkpoint import _load_checkpoint
    return _load_checkpoint(str(path), map_location='cpu')['meta']


@pytest.mark.slow
@pytest.mark.parametrize('method,loss', [('amd', 'loss_amd'),
                                         ('mgd', 'loss_mgd'),
                                         ('fgd', 'loss_fgd')])
def test_calibration_scales_every_method_from_its_first_iterations(
        method, loss, synthetic_tiny, tmp_path):
    """Also: the logged raw and weighted losses and their ratio to the
    detection loss match, and the gradient share is measured at its
    interval."""
    ratio, iters = 0.5, 3
    log = train(tmp_path, synthetic_tiny, f'{HOOK}.target_ratio={ratio}',
                f'{HOOK}.calibration_iters={iters}',
                f'{HOOK}.grad_share_interval=4', method=method)
    assert 'DistillBalanceHook: calibrated over 3 iterations' in log
    logged = rows(tmp_path / 'losses_rank0.jsonl')
    assert len(logged) == 12
    window, after = logged[:iters], logged[iters:]
    # while calibrating, no distillation: the weighted loss is exactly 0
    assert all(row[f'distill.{loss}'] == 0.0 for row in window)
    # the loss at the config's weights is raw * leading weight; the scale
    # makes its mean over the window `ratio` times the detection loss's
    weight = {'amd': AMD_WEIGHT, 'mgd': 2e-5, 'fgd': 1e-3}[method]
    unscaled = [weight * row[f'distill.{loss}_raw'] for row in window]
    assert min(unscaled) > 0
    expected = ratio * sum(map(detection, window)) / sum(unscaled)
    scales = {row['distill.scale'] for row in after}
    assert len(scales) == 1  # frozen
    scale = scales.pop()
    assert scale == pytest.approx(expected, rel=1e-5)
    for row in after:
        # the distiller logs the weighted loss; the hook the raw one (the
        # loss at unit weight) and their ratio to the detection loss
        assert row[f'distill.{loss}'] == pytest.approx(
            scale * weight * row[f'distill.{loss}_raw'], rel=1e-5)
        assert row['distill.ratio'] == pytest.approx(
            row[f'distill.{loss}'] / detection(row), rel=1e-5)
    # the gradient share: measured at iterations 0 (calibrating, so no
    # distillation gradient: 0), 4 and 8; the hub repeats the last value
    shares = [row.get('distill.grad_share') for row in logged]
    assert shares[:4] == [0.0] * 4
    assert 0.0 < shares[4] < 1.0 and 0.0 < shares[8] < 1.0
    assert shares[5:8] == [shares[4]] * 3 and shares[8] != shares[4]
    # stored in the checkpoint, with the effective weights
    stored = checkpoint_meta(tmp_path / 'epoch_3.pth')['distill_balance']
    assert stored['scale'] == pytest.approx(scale, rel=1e-12)
    assert stored['calibrated'] and stored['target_ratio'] == ratio
    effective = stored['measured']['effective_weights']
    lead_name = {'amd': 'loss_weight', 'mgd': 'alpha_mgd',
                 'fgd': 'alpha_fgd'}[method]
    assert effective[f'{loss}.{lead_name}'] == pytest.approx(
        scale * weight, rel=1e-9)
    if method == 'fgd':  # FGD's four weights keep their ratios
        assert effective['loss_fgd.beta_fgd'] == pytest.approx(
            effective['loss_fgd.alpha_fgd'] / 2, rel=1e-9)


@pytest.mark.slow
def test_scale_zero_trains_without_distillation_but_logs_it(
        synthetic_tiny, tmp_path):
    train(tmp_path, synthetic_tiny, f'{HOOK}.scale=0.0')
    logged = rows(tmp_path / 'losses_rank0.jsonl')
    assert all(row['distill.loss_amd'] == 0.0 for row in logged)
    assert all(row['distill.loss_amd_raw'] > 0 for row in logged)
    initial = torch.load(str(tmp_path / 'initial_rank0.pt'),
                         weights_only=True)
    final = torch.load(str(tmp_path / 'final_rank0.pt'), weights_only=True)
    generation = [k for k in final if '.generations.' in k
                  and k.endswith('conv1.weight')]
    # no gradient reaches the generation blocks (AdamW's weight decay
    # still shrinks them a little)
    for key in generation:
        torch.testing.assert_close(final[key], initial[key], rtol=1e-2,
                                   atol=0)


@pytest.mark.slow
def test_resumed_run_keeps_the_calibration(synthetic_tiny, tmp_path):
    """Calibration still running at the epoch-1 checkpoint (6 iterations
    of which 4 are done): a run resumed from it finishes the window and
    ends with the scale and the weights of the uninterrupted run. (The
    two-rank runs: test_distill_balance_dist.py.)"""
    options = (f'{HOOK}.target_ratio=1.0', f'{HOOK}.calibration_iters=6',
               'default_hooks.checkpoint.max_keep_ckpts=-1')
    reference, resumed = tmp_path / 'reference', tmp_path / 'resumed'
    train(reference, synthetic_tiny, *options)
    log = train(resumed, synthetic_tiny, *options,
                f'load_from={reference / "epoch_1.pth"}', resume=True)
    assert 'the calibration goes on with target ratio 1' in log
    expected = rows(reference / 'losses_rank0.jsonl')
    actual = rows(resumed / 'losses_rank0.jsonl')
    assert [r['iter'] for r in actual] == list(range(4, 12))
    assert [r['distill.scale'] for r in actual] == [
        r['distill.scale'] for r in expected[4:]]
    final = torch.load(str(resumed / 'final_rank0.pt'), weights_only=True)
    reference_final = torch.load(str(reference / 'final_rank0.pt'),
                                 weights_only=True)
    assert [k for k in final if not torch.equal(final[k],
                                                reference_final[k])] == []


def test_bad_hook_arguments_are_named():
    from mmrazor_amd.engine import DistillBalanceHook
    with pytest.raises(ValueError, match='target_ratio'):
        DistillBalanceHook(target_ratio=0)
    with pytest.raises(ValueError, match='not both'):
        DistillBalanceHook(target_ratio=1.0, scale=2.0)
    with pytest.raises(ValueError, match='scale'):
        DistillBalanceHook(scale=-1.0)
    with pytest.raises(ValueError, match='calibration_iters'):
        DistillBalanceHook(calibration_iters=0)


def test_loss_weights_of_every_method():
    from mmrazor.models.losses import MGDLoss

    from mmrazor_amd.models import AMDLoss, FGDLoss, MultiLevelMGDLoss
    from mmrazor_amd.models.losses import loss_weights
    assert loss_weights(AMDLoss(16, 16, 1, loss_weight=3.0)).values == {
        'loss_weight': 3.0}
    fgd = loss_weights(FGDLoss(8, 8, 1, alpha_fgd=2.0, beta_fgd=1.0))
    assert list(fgd.values) == ['alpha_fgd', 'beta_fgd', 'gamma_fgd',
                                'lambda_fgd'] and fgd.lead == 2.0
    mgd = MultiLevelMGDLoss(alpha_mgd=4.0, student_channels=8,
                            teacher_channels=8, num_levels=1)
    assert loss_weights(mgd).lead == 4.0
    assert loss_weights(MGDLoss(alpha_mgd=5.0)).lead == 5.0
    with pytest.raises(TypeError, match='weight_names'):
        loss_weights(torch.nn.MSELoss())
