"""DistillBalanceHook on two gloo ranks (``scripts/dist_train.sh``) with
checkpoints inside the calibration window, and resumed into the window,
into another ratio and into the control.

The runs are the tiny distillation config (``distill_synthetic_tiny.py``,
3 epochs of 4 iterations at 2 images per rank, a checkpoint every epoch)
with ``calibration_iters=6``: the epoch-1 checkpoint falls inside the
window. mmengine saves on rank 0 alone, so a collective there would pair
with another one of rank 1 (before the fix, gloo aborted: "Received data
size doesn't match expected size"). The process group's timeout is cut to
120 s, so a rank left waiting fails the run instead of hanging it. The
expected scale is computed here from both ranks' logged losses
(``tests/probe_hooks.py``)::

    scale = target_ratio * sum_{ranks, window} L_det
            / sum_{ranks, window} (w * distill.loss_amd_raw)
"""
import pytest

from test_distill_balance import (AMD_WEIGHT, HOOK, checkpoint_meta,
                                  detection, rows, train)

WINDOW = 6  # calibration iterations; 4 iterations an epoch
TWO_RANKS = ('train_dataloader.batch_size=2', 'env_cfg.dist_cfg.timeout=120',
             'default_hooks.checkpoint.max_keep_ckpts=-1')
CALIBRATE = (f'{HOOK}.target_ratio=1.0', f'{HOOK}.calibration_iters={WINDOW}')


def both_ranks(work_dir):
    ranks = [rows(work_dir / f'losses_rank{r}.jsonl') for r in (0, 1)]
    assert [row['iter'] for row in ranks[0]] == [
        row['iter'] for row in ranks[1]]
    return ranks


def hand_scale(window_rows, ratio=1.0):
    """The scale from the rows of the window, all ranks together."""
    return ratio * sum(map(detection, window_rows)) / sum(
        AMD_WEIGHT * row['distill.loss_amd_raw'] for row in window_rows)


def check_window(ranks, window_rows, ratio=1.0):
    """While calibrating no distillation; after it, both ranks apply the
    scale of the hand computation; returns it."""
    expected = hand_scale(window_rows, ratio)
    for rank in ranks:
        for row in rank:
            if row['iter'] < WINDOW:  # 0-based
                assert row['distill.scale'] == 0.0
                assert row['distill.loss_amd'] == 0.0
            else:
                assert row['distill.scale'] == pytest.approx(expected,
                                                             rel=1e-6)
    assert [r['distill.scale'] for r in ranks[0]] == [
        r['distill.scale'] for r in ranks[1]]
    return expected


@pytest.fixture(scope='module')
def window_run(synthetic_tiny, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('window')
    log = train(work_dir, synthetic_tiny, *CALIBRATE, *TWO_RANKS, nproc=2)
    return work_dir, log


@pytest.mark.slow
def test_two_ranks_save_inside_the_window_by_epoch(window_run):
    """2 ranks, epoch checkpoints, the first inside the window;
    the run ends, both ranks log the same scale, the hand computation's."""
    work_dir, log = window_run
    assert 'Saving checkpoint at 1 epochs' in log
    assert f'calibrated over {WINDOW} iterations of 2 ranks' in log
    ranks = both_ranks(work_dir)
    assert len(ranks[0]) == 12
    scale = check_window(ranks, ranks[0][:WINDOW] + ranks[1][:WINDOW])
    # the epoch-1 checkpoint holds the window so far, of both ranks
    first = ranks[0][:4] + ranks[1][:4]
    stored = checkpoint_meta(work_dir / 'epoch_1.pth')['distill_balance']
    assert not stored['calibrated'] and stored['scale'] == 0.0
    assert stored['sums']['iters'] == 4 and stored['sums']['count'] == 8
    assert stored['sums']['detection'] == pytest.approx(
        sum(map(detection, first)), rel=1e-6)
    assert stored['sums']['distill'] == pytest.approx(
        sum(AMD_WEIGHT * r['distill.loss_amd_raw'] for r in first), rel=1e-6)
    later = checkpoint_meta(work_dir / 'epoch_2.pth')['distill_balance']
    assert later['calibrated'] and later['scale'] == pytest.approx(
        scale, rel=1e-6)


@pytest.mark.slow
def test_two_ranks_save_inside_the_window_by_iteration(synthetic_tiny,
                                                       tmp_path):
    """An iteration-based checkpoint interval (every 5) inside the window."""
    train(tmp_path, synthetic_tiny, *CALIBRATE, *TWO_RANKS,
          'default_hooks.checkpoint.by_epoch=False',
          'default_hooks.checkpoint.interval=5', nproc=2)
    ranks = both_ranks(tmp_path)
    assert len(ranks[0]) == 12
    check_window(ranks, ranks[0][:WINDOW] + ranks[1][:WINDOW])
    stored = checkpoint_meta(tmp_path / 'iter_5.pth')['distill_balance']
    first = ranks[0][:5] + ranks[1][:5]
    assert not stored['calibrated'] and stored['sums']['iters'] == 5
    assert stored['sums']['detection'] == pytest.approx(
        sum(map(detection, first)), rel=1e-6)


def resume(window_run, checkpoint, work_dir, data, *options):
    source, _ = window_run
    log = train(work_dir, data, *TWO_RANKS, *options,
                f'load_from={source / checkpoint}', nproc=2, resume=True)
    return log, both_ranks(source), both_ranks(work_dir)


@pytest.mark.slow
def test_two_ranks_resume_into_the_window(window_run, synthetic_tiny,
                                          tmp_path):
    """Resumed from epoch 1 (4 of 6 iterations measured): the window goes
    on with the stored sums; the scale is that of the checkpoint's 4
    iterations and the resumed run's first 2, on both ranks."""
    log, before, after = resume(window_run, 'epoch_1.pth', tmp_path,
                                synthetic_tiny, *CALIBRATE)
    assert 'the calibration goes on with target ratio 1' in log
    assert [row['iter'] for row in after[0]] == list(range(4, 12))
    window = (before[0][:4] + before[1][:4] + after[0][:2] + after[1][:2])
    scale = check_window(after, window)
    # the random generators were restored: the same run as without a stop
    assert scale == pytest.approx(before[0][-1]['distill.scale'], rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize('switch', ['ratio', 'control'])
def test_two_ranks_resume_into_another_ratio_or_the_control(
        switch, window_run, synthetic_tiny, tmp_path):
    """Resumed from epoch 2 (calibrated at ratio 1): at ratio 0.5 the scale
    is half the checkpoint's, from its measurement, without measuring
    again; into the control (a fixed scale 0) distillation stops and the
    raw loss is still logged. Both are logged as switches."""
    options = ((f'{HOOK}.target_ratio=0.5', f'{HOOK}.calibration_iters=6')
               if switch == 'ratio' else
               (f'{HOOK}.target_ratio=None', f'{HOOK}.scale=0.0'))
    log, before, after = resume(window_run, 'epoch_2.pth', tmp_path,
                                synthetic_tiny, *options)
    assert 'WARNING - DistillBalanceHook: resumed at iteration 8' in log
    assert [row['iter'] for row in after[0]] == list(range(8, 12))
    calibrated = hand_scale(before[0][:WINDOW] + before[1][:WINDOW])
    for rank in after:
        for row in rank:
            if switch == 'ratio':
                assert row['distill.scale'] == pytest.approx(
                    0.5 * calibrated, rel=1e-6)
                assert row['distill.loss_amd'] == pytest.approx(
                    row['distill.scale'] * AMD_WEIGHT *
                    row['distill.loss_amd_raw'], rel=1e-5)
            else:
                assert row['distill.scale'] == 0.0
                assert row['distill.loss_amd'] == 0.0
                assert row['distill.loss_amd_raw'] > 0
    if switch == 'control':
        assert "this run's fixed scale 0 applies from here on" in log
