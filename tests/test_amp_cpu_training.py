"""``--amp`` as on a GPU, on this CPU: the tiny distillation config trained
12 steps under fp16 autocast (bf16 where torch has no fp16 CPU autocast)
with a dynamic loss scale (``cpu_amp.CpuAmpOptimWrapper``: mmengine's
``AmpOptimWrapper`` with torch's CPU ``GradScaler``, initial scale 2^16).

Measured here (fp16, the config's weights, its random detection head: a
focal loss of ~500 at the start): the first 8 steps overflow fp16 and are
skipped while the scale falls from 2^16 to 2^8, with or without
distillation (the detection loss alone overflows; so does each
distillation loss at 2^16), then no step is skipped. So the test asserts,
per method: every logged loss finite; the skipped steps are the scale's
first search only, the same steps as in the control (the same run without
distillation gradient, for MGD); the first step's losses those of float32
within rounding.
"""
import math

import pytest

from test_amp_training import FIRST_STEP_RTOL
from test_distill_balance import HOOK, rows, train

AMP = ('optim_wrapper.type=mmengine.CpuAmpOptimWrapper', )


def check_finite(logged):
    for row in logged:
        for key, value in row.items():
            assert math.isfinite(value), (row['iter'], key, value)


def skipped(logged):
    """The steps after which the scale fell: their gradients overflowed
    and the optimizer did not step."""
    return [row['iter'] for row in logged
            if row['amp.scale_after'] < row['amp.scale_before']]


def check_scale(logged):
    """Skips only at the start (the scale's search), then the scale holds:
    at least the last 4 of the 12 steps update the weights."""
    steps = skipped(logged)
    assert steps == list(range(len(steps))), steps
    assert len(steps) <= 8
    scales = [row['amp.scale_before'] for row in logged]
    assert scales[0] == 2.0**16
    assert all(b == a / 2 for a, b in zip(scales[:len(steps)],
                                          scales[1:len(steps) + 1]))
    assert len(set(scales[len(steps):])) == 1


@pytest.fixture(scope='module')
def float32_rows(synthetic_tiny, tmp_path_factory):
    runs = {}

    def run(method):
        if method not in runs:
            work_dir = tmp_path_factory.mktemp(f'float32_{method}')
            train(work_dir, synthetic_tiny, method=method)
            runs[method] = rows(work_dir / 'losses_rank0.jsonl')
        return runs[method]

    return run


@pytest.mark.slow
@pytest.mark.parametrize('method', ['amd', 'mgd', 'fgd'])
def test_fp16_autocast_with_a_dynamic_loss_scale(method, synthetic_tiny,
                                                 tmp_path, float32_rows):
    from cpu_amp import cpu_autocast_dtype
    log = train(tmp_path / 'amp', synthetic_tiny, *AMP, method=method)
    assert 'CpuAmpOptimWrapper' in log
    logged = rows(tmp_path / 'amp' / 'losses_rank0.jsonl')
    assert len(logged) == 12
    assert f'distill.loss_{method}' in logged[0]
    check_finite(logged)
    check_scale(logged)
    # the first step: float32's losses within rounding, not equal to them
    reference = float32_rows(method)[0]
    first = {k: v for k, v in logged[0].items()
             if k.startswith(('student.', 'distill.loss_')) and 'loss' in k}
    for key, value in first.items():
        assert value == pytest.approx(reference[key],
                                      rel=FIRST_STEP_RTOL), key
    assert any(value != reference[key] for key, value in first.items())
    # the GPU check's record of these rows (scripts/gpu_check.py)
    from mmrazor_amd_bench.commands.gpu_check import method_record
    record = method_record(method, float32_rows(method), logged)
    assert record['finite'] and record['steps'] == 12
    assert record['loss_scale']['skipped_steps'] == skipped(logged)
    assert record['first_step']['amp_over_fp32'][
        f'distill.loss_{method}'] == pytest.approx(1, rel=FIRST_STEP_RTOL)
    if method == 'mgd':  # the control skips the very same steps
        train(tmp_path / 'control', synthetic_tiny, *AMP,
              f'{HOOK}.scale=0.0', method=method)
        control = rows(tmp_path / 'control' / 'losses_rank0.jsonl')
        check_finite(control)
        assert skipped(control) == skipped(logged)
    print(f'{method} ({cpu_autocast_dtype()}): skipped steps '
          f'{skipped(logged)}, scale then {logged[-1]["amp.scale_after"]:g}')
