"""DistillBalanceHook under faults, on the toy distillation model of
``toy_distill.py`` (a real mmengine Runner, losses written by hand): the
collectives it calls, the errors of a zero or non-finite loss and of a run
too short to calibrate, and the gradient share under accumulation.
Expected values are sums of the losses logged per iteration, or float64
gradients of the toy losses written here."""
import math
import os
import subprocess
import sys

import pytest
import torch
from mmengine.hooks import Hook

import mmrazor_amd  # noqa: F401  (compat fixes, registries)
from conftest import ROOT, free_port, tiny_train_env
from mmrazor_amd.engine import DistillBalanceError, DistillBalanceHook
from mmrazor_amd.engine.hooks import distill_balance_hook as balance_module
from toy_distill import make_runner

NAN, INF = float('nan'), float('inf')


class Recorder(Hook):
    """Every iteration's logged losses and the hook's ``distill.*``
    scalars (after DistillBalanceHook, which is NORMAL)."""
    priority = 'LOW'

    def __init__(self):
        self.rows = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        row = {k: float(torch.as_tensor(v).detach())
               for k, v in outputs.items()}
        for key, buffer in runner.message_hub.log_scalars.items():
            if key.startswith('train/distill.') and key[6:] not in row:
                row[key[6:]] = float(buffer.current())
        self.rows.append(row)


def calibrate(**kwargs):
    return DistillBalanceHook(target_ratio=1.0, **kwargs)


def test_collective_once_per_calibration_iteration_never_at_a_save(
        tmp_path, monkeypatch):
    """Checkpoints at iterations 2 and 4 fall inside a 6-iteration window:
    the hook all-reduces once per window iteration (every rank does the
    same, in after_train_iter) and not when rank 0 alone saves; what the
    checkpoint stores is the window so far, summed from the logged
    losses."""
    calls = []
    real = balance_module.all_reduce

    def counted(data, *args, **kwargs):
        import inspect
        calls.append([f.function for f in inspect.stack()[1:4]])
        return real(data, *args, **kwargs)

    monkeypatch.setattr(balance_module, 'all_reduce', counted)
    recorder = Recorder()
    runner = make_runner(tmp_path, calibrate(calibration_iters=6),
                         checkpoint_interval=2, hooks=[recorder])
    runner.train()
    assert len(calls) == 6
    assert all(stack[0] == '_calibrate' for stack in calls)
    rows = recorder.rows
    from mmengine.runner.checkpoint import _load_checkpoint
    stored = _load_checkpoint(str(tmp_path / 'iter_4.pth'),
                              map_location='cpu')['meta']['distill_balance']
    assert not stored['calibrated'] and stored['sums']['iters'] == 4
    assert stored['sums']['detection'] == pytest.approx(
        sum(r['loss_det'] for r in rows[:4]), rel=1e-6)
    # the distiller logs the loss as the hook returned it (0 meanwhile);
    # the raw loss is the module's output at unit weight (weight 1 here)
    assert all(r['distill.loss_toy'] == 0.0 for r in rows[:6])
    assert stored['sums']['distill'] == pytest.approx(
        sum(r['distill.loss_toy_raw'] for r in rows[:4]), rel=1e-6)
    scale = sum(r['loss_det'] for r in rows[:6]) / sum(
        r['distill.loss_toy_raw'] for r in rows[:6])
    assert rows[6]['distill.scale'] == pytest.approx(scale, rel=1e-6)


@pytest.mark.parametrize('value', [0.0, NAN, INF])
def test_a_bad_detection_loss_stops_calibration_with_its_cause(
        value, tmp_path):
    recorder = Recorder()
    if value == 0.0:  # every sample: the window's mean is 0
        faults = {i: 0.0 for i in range(8)}
    else:  # samples 4 and 5: the third batch
        faults = {4: value}
    runner = make_runner(tmp_path, calibrate(calibration_iters=4),
                         faults=faults, hooks=[recorder])
    with pytest.raises(DistillBalanceError) as error:
        runner.train()
    message = str(error.value)
    if value == 0.0:
        assert len(recorder.rows) == 3  # raised at the 4th, the window's end
        assert all(r['loss_det'] == 0.0 for r in recorder.rows)
        assert 'detection loss summed to 0.0 over the 4 calibration' in message
        assert 'scale would be 0' in message
    else:
        assert len(recorder.rows) == 2  # raised at the 3rd iteration
        assert f'detection loss is {value} at iteration 3' in message
    assert 'default_hooks.distill_balance.target_ratio=None' in message


def test_a_non_finite_distillation_loss_is_not_multiplied_into_nan(
        tmp_path):
    """With the loss's own NaN check off (``check_finite=False``), an Inf
    distillation loss while calibrating: the loss added to the detection
    loss is 0, not Inf * 0 = NaN, and the hook stops the run naming it."""
    seen = []

    class Total(Hook):  # before DistillBalanceHook's check
        priority = 'HIGH'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            seen.append((float(outputs['loss']),
                         float(outputs['distill.loss_toy'])))

    runner = make_runner(tmp_path, calibrate(calibration_iters=4),
                         teacher_faults={2: INF}, hooks=[Total()])
    with pytest.raises(DistillBalanceError, match='check_finite=True') as e:
        runner.train()
    assert 'distillation losses sum to' in str(e.value)
    assert 'at iteration 2' in str(e.value)
    assert len(seen) == 2 and seen[1][1] == 0.0
    assert all(math.isfinite(total) for total, _ in seen)


def test_a_run_shorter_than_the_window_stops_before_training(tmp_path):
    recorder = Recorder()
    runner = make_runner(tmp_path, calibrate(calibration_iters=6),
                         max_iters=4, hooks=[recorder])
    with pytest.raises(DistillBalanceError) as error:
        runner.train()
    assert recorder.rows == []
    message = str(error.value)
    assert 'calibration_iters=6 but the run trains 4 more iterations' in (
        message)
    assert 'default_hooks.distill_balance.calibration_iters' in message


def test_zero_distillation_weights_stop_before_training(tmp_path):
    recorder = Recorder()
    runner = make_runner(tmp_path, calibrate(calibration_iters=2),
                         loss_weight=0.0, hooks=[recorder])
    with pytest.raises(DistillBalanceError, match='every weight'):
        runner.train()
    assert recorder.rows == []


def _share_reference(neck, head, gen, weight, scale, batch):
    """|g_d| / (|g_d| + |g_det|) over the neck's weight and bias, float64,
    from the toy losses of ``toy_distill.py``."""
    w = neck.weight.detach().double().requires_grad_()
    b = neck.bias.detach().double().requires_grad_()
    x = torch.stack(batch['inputs']).double()
    f = x @ w.T + b
    v, c = head.weight.detach().double(), head.bias.detach().double()
    det = ((f @ v.T)[:, 0] + c - x.sum(dim=1)).pow(2).mean()
    g, e = gen.weight.detach().double(), gen.bias.detach().double()
    dist = scale * weight * (f @ g.T + e - x.flip(1)).pow(2).sum() / len(x)
    g_det = torch.autograd.grad(det, (w, b), retain_graph=True)
    g_d = torch.autograd.grad(dist, (w, b))
    norm = lambda grads: math.sqrt(sum(float(t.pow(2).sum()) for t in grads))
    return norm(g_d) / (norm(g_d) + norm(g_det))


@pytest.mark.parametrize('counts', [1, 2])
def test_gradient_share_of_each_micro_batch_under_accumulation(
        counts, tmp_path):
    """``accumulative_counts=2``: the second micro-batch's ``.grad`` also
    holds the first's; the logged share is still that of its own batch
    (with the neck's weights of that iteration), as without accumulation."""
    expected = []

    class Reference(Hook):
        priority = 'HIGHEST'

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            model = runner.model
            expected.append(_share_reference(
                model.architecture.neck, model.architecture.head,
                model.distiller.distill_losses['loss_toy'].gen, 1.0, 0.5,
                data_batch))

    recorder = Recorder()
    hook = DistillBalanceHook(scale=0.5, grad_share_interval=1)
    make_runner(tmp_path, hook, accumulative_counts=counts,
                hooks=[Reference(), recorder]).train()
    shares = [r['distill.grad_share'] for r in recorder.rows]
    assert len(shares) == 8
    assert shares == pytest.approx(expected, rel=1e-5)
    assert len(set(round(s, 6) for s in shares)) == 8


@pytest.mark.slow
def test_a_nan_on_one_rank_stops_both_at_once(tmp_path):
    """Two gloo ranks; only rank 1's second batch (samples 5 and 7: the
    default sampler gives rank r the samples r, r+2, ...) has a NaN
    detection loss. The per-iteration all-reduce gives both ranks the NaN:
    each raises the error itself at iteration 2. (Had one rank been left
    waiting in a collective, torchrun would have ended it when the other
    failed, and its log would hold no error of its own.)"""
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}',
         os.path.join(ROOT, 'tests', 'toy_distill.py'), str(tmp_path),
         '5:nan', '4'], capture_output=True, text=True, timeout=300,
        env=tiny_train_env())
    log = done.stdout + done.stderr
    assert done.returncode != 0
    for rank in (0, 1):
        assert (f'[rank{rank}]: mmrazor_amd.engine.hooks.distill_balance_'
                'hook.DistillBalanceError: DistillBalanceHook: the detection '
                'loss is nan at iteration 2') in log, log[-3000:]
