"""DistillBalanceHook's rule on ``--resume`` (``balance_resume.py``), on the
toy distillation model of ``toy_distill.py``: every case of the rule, each
with what the resumed run applies, computed here from the logged losses.
The two-rank runs of the tiny config resumed into the window, another
ratio and the control are in ``test_distill_balance_dist.py``."""
import pytest

from mmrazor_amd.engine import DistillBalanceError, DistillBalanceHook
from mmrazor_amd.engine.hooks.balance_resume import resume_plan
from test_distill_balance_faults import Recorder
from toy_distill import make_runner


def first_run(work_dir, hook, max_iters=4):
    """Train to ``max_iters`` with a checkpoint every 2 iterations."""
    recorder = Recorder()
    make_runner(work_dir, hook, max_iters=max_iters, checkpoint_interval=2,
                hooks=[recorder]).train()
    return recorder.rows


def resumed(work_dir, checkpoint, hook, max_iters=8):
    recorder = Recorder()
    runner = make_runner(work_dir, hook, max_iters=max_iters,
                         resume=True, load_from=str(checkpoint),
                         hooks=[recorder])
    return runner, recorder


def hand_scale(rows, ratio=1.0):
    return ratio * sum(r['loss_det'] for r in rows) / sum(
        r['distill.loss_toy_raw'] for r in rows)


@pytest.mark.parametrize('stored', ['no meta', 'fixed scale'])
def test_a_ratio_cannot_resume_what_was_never_measured(stored, tmp_path):
    hook = None if stored == 'no meta' else DistillBalanceHook(scale=1.0)
    first_run(tmp_path / 'first', hook)
    runner, recorder = resumed(
        tmp_path / 'second', tmp_path / 'first' / 'iter_4.pth',
        DistillBalanceHook(target_ratio=1.0, calibration_iters=2))
    with pytest.raises(DistillBalanceError) as error:
        runner.train()
    assert recorder.rows == []  # before the first iteration
    message = str(error.value)
    assert 'resumed at iteration 4 from a checkpoint with ' + (
        'no meta.distill_balance' if stored == 'no meta' else
        'a fixed scale 1') in message
    assert 'default_hooks.distill_balance.target_ratio=None' in message
    assert 'load_from' in message


def test_a_fixed_scale_resumes_any_checkpoint(tmp_path):
    first_run(tmp_path / 'first', None)
    runner, recorder = resumed(tmp_path / 'second',
                               tmp_path / 'first' / 'iter_4.pth',
                               DistillBalanceHook(scale=0.5))
    runner.train()
    assert len(recorder.rows) == 4
    for row in recorder.rows:
        assert row['distill.scale'] == 0.5
        assert row['distill.loss_toy'] == pytest.approx(
            0.5 * row['distill.loss_toy_raw'], rel=1e-6)


def test_a_window_resumed_with_fewer_iterations_ends_at_once(tmp_path):
    """Checkpoint at iteration 2 of a 4-iteration window; resumed with
    ``calibration_iters=2`` and ratio 2: the scale of those 2 stored
    iterations applies from the first resumed iteration."""
    rows = first_run(tmp_path / 'first',
                     DistillBalanceHook(target_ratio=1.0,
                                        calibration_iters=4))
    runner, recorder = resumed(
        tmp_path / 'second', tmp_path / 'first' / 'iter_2.pth',
        DistillBalanceHook(target_ratio=2.0, calibration_iters=2))
    runner.train()
    expected = hand_scale(rows[:2], ratio=2.0)
    assert [r['distill.scale'] for r in recorder.rows] == pytest.approx(
        [expected] * 6, rel=1e-6)


def test_load_from_without_resume_calibrates_anew(tmp_path):
    rows = first_run(tmp_path / 'first',
                     DistillBalanceHook(target_ratio=1.0,
                                        calibration_iters=2))
    recorder = Recorder()
    make_runner(tmp_path / 'second',
                DistillBalanceHook(target_ratio=1.0, calibration_iters=3),
                load_from=str(tmp_path / 'first' / 'iter_4.pth'),
                hooks=[recorder]).train()
    new = recorder.rows
    assert [r['distill.scale'] for r in new[:3]] == [0.0] * 3
    assert new[3]['distill.scale'] == pytest.approx(hand_scale(new[:3]),
                                                    rel=1e-6)
    assert new[3]['distill.scale'] != pytest.approx(
        rows[-1]['distill.scale'], rel=1e-3)


# ------------------------------------------------- the rule, case by case
MEASURED = dict(detection_loss=3.0, distill_loss=12.0, iters=5)
CALIBRATED = dict(scale=0.25, calibrated=True, target_ratio=1.0,
                  sums=dict(detection=30.0, distill=120.0, count=10,
                            iters=5), measured=MEASURED)
CALIBRATING = dict(scale=0.0, calibrated=False, target_ratio=1.0,
                   sums=dict(detection=6.0, distill=24.0, count=4, iters=2),
                   measured={})
FIXED = dict(scale=1.0, calibrated=True, target_ratio=None,
             sums=dict(detection=0.0, distill=0.0, count=0, iters=0),
             measured={})


@pytest.mark.parametrize('state,ratio,scale,expected', [
    # this run: fixed scale -> it applies; a switch is a warning
    (None, None, 2.0, (2.0, True, False, False)),
    (FIXED, None, 1.0, (1.0, True, False, False)),
    (FIXED, None, 0.0, (0.0, True, True, False)),
    (CALIBRATED, None, 0.0, (0.0, True, True, False)),  # into the control
    (CALIBRATING, None, 1.0, (1.0, True, True, False)),
    # this run: a ratio
    (CALIBRATED, 1.0, 1.0, (0.25, True, False, False)),  # kept
    (CALIBRATED, 0.5, 1.0, (0.5 * 3.0 / 12.0, True, True, False)),
    (CALIBRATING, 1.0, 1.0, (0.0, False, False, False)),  # goes on
    (CALIBRATING, 3.0, 1.0, (0.0, False, True, False)),
    (FIXED, 1.0, 1.0, (None, None, None, True)),
    (None, 1.0, 1.0, (None, None, None, True)),
])
def test_resume_rule(state, ratio, scale, expected):
    plan = resume_plan(state, 8, ratio, scale)
    new_scale, calibrated, warning, error = expected
    assert plan.error == error
    if error:
        return
    assert plan.scale == pytest.approx(new_scale, rel=1e-12)
    assert (plan.calibrated, plan.warning) == (calibrated, warning)
    if state is CALIBRATING and ratio is not None:
        assert plan.sums == CALIBRATING['sums']
