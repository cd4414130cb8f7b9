"""``--amp`` through the README's train command of the tiny config, against
float32 with the same seed. What ``--amp`` does on this stack, and why
mmengine 0.10.7 refuses it without an accelerator: ``test_amp.py``."""
import glob
import json
import math
import os.path as osp
import subprocess
import sys

import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor; registers)
import pytest
import torch

from conftest import (CONFIGS, MMENGINE_REFUSES_CPU, relative_weight_gap,
                      tiny_train_command, tiny_train_env)

# The tiny config trains 12 steps (3 epochs of 4). Measured on this CPU
# against float32 with the same seed, bfloat16 autocast without loss
# scaling (test_cpu_amp_without_mmengine_s_cuda_check):
# * first step (same weights, only the forward's precision differs): every
#   logged loss within 1.7e-3 (relative) of float32 (AMD at most 9.5e-4,
#   FGD 1.7e-3, both student.loss_bbox / the distillation loss);
# * after 12 steps, |w_amp - w_fp32| / |w_fp32 - w_initial| over the
#   trained tensors: AMD 0.21, FGD 0.16 (by part 0.15-0.29). AdamW divides
#   each gradient by its running magnitude, so rounding in small gradients
#   moves the weights by a visible fraction of the update; a run that
#   followed another course would be at ~1 or more.
FIRST_STEP_RTOL = 5e-3
UPDATE_FRACTION = 0.6
# mmengine's assertion lifted in the training process, nothing else: the
# command is the train command's own (python SCRIPT ... or -m MODULE ...)
LIFT_CUDA_CHECK = """
import runpy, sys
import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
amp.is_cuda_available = lambda: True
if sys.argv[1] == '-m':
    sys.argv = sys.argv[2:]
    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)
else:
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name='__main__')
"""


def amp_command(work_dir, data_root):
    """The README's train command of the tiny config, with ``--amp``."""
    command = tiny_train_command(work_dir, data_root)
    config = command.index(osp.join(CONFIGS, 'distill_synthetic_tiny.py'))
    return command[:config + 1] + ['--amp'] + command[config + 1:]


def train(command, method):
    done = subprocess.run(command, capture_output=True, text=True,
                          timeout=1800, env=tiny_train_env(method))
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope='module')
def float32_run(synthetic_tiny, tmp_path_factory):
    runs = {}

    def run(method):
        if method not in runs:
            work_dir = tmp_path_factory.mktemp(f'float32_{method}')
            code, log = train(tiny_train_command(work_dir, synthetic_tiny),
                              method)
            assert code == 0, log[-4000:]
            runs[method] = work_dir
        return runs[method]

    return run


def rows(work_dir):
    with open(osp.join(work_dir, 'losses_rank0.jsonl')) as f:
        return [json.loads(line) for line in f]


def load(work_dir, name):
    return torch.load(osp.join(work_dir, f'{name}_rank0.pt'),
                      weights_only=True)


def check_against_float32(work_dir, log, reference, method):
    from mmengine.config import Config

    # the run used AmpOptimWrapper: the config it dumped, and its log
    dumped = glob.glob(osp.join(work_dir, '*', 'vis_data', 'config.py'))
    assert len(dumped) == 1, dumped
    cfg = Config.fromfile(dumped[0], import_custom_modules=False)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert "type='AmpOptimWrapper'" in log

    # every logged loss is finite: per step (ProbeHook) and in scalars.json
    amp_rows, fp32_rows = rows(work_dir), rows(reference)
    assert len(amp_rows) == len(fp32_rows) == 12
    assert f'distill.loss_{method}' in amp_rows[0]
    for row in amp_rows:
        for key, value in row.items():
            assert math.isfinite(value), (row['iter'], key, value)
    scalars = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars[0]) as f:
        logged = [json.loads(line) for line in f]
    losses = [(key, value) for row in logged for key, value in row.items()
              if 'loss' in key]
    assert len(losses) >= 12 and all(math.isfinite(v) for _, v in losses)

    # first step, same weights: the losses of float32 within rounding, and
    # not equal to them (the forward ran in the lower precision)
    first = {k: v for k, v in amp_rows[0].items() if 'loss' in k}
    for key, value in first.items():
        assert value == pytest.approx(fp32_rows[0][key],
                                      rel=FIRST_STEP_RTOL), key
    assert any(value != fp32_rows[0][key] for key, value in first.items())

    # after the 12 steps: the same seed gave the same start, and the
    # weights differ from float32's by less than UPDATE_FRACTION of what
    # training changed
    initial, final = load(reference, 'initial'), load(reference, 'final')
    amp_initial, amp_final = load(work_dir, 'initial'), load(work_dir,
                                                             'final')
    assert amp_final.keys() == final.keys()
    assert all(torch.equal(amp_initial[k], initial[k]) for k in initial)
    fraction, trained = relative_weight_gap(initial, final, amp_final)
    assert any(k.startswith('distiller.') for k in trained)
    assert any(k.startswith('architecture.backbone.') for k in trained)
    assert 0 < fraction < UPDATE_FRACTION, fraction


# AMD through the train command (the optimizer wrapper does not depend on
# the method); FGD's float32 squared errors under autocast and its NaN check
# are tested above at the loss level
@pytest.mark.slow
@pytest.mark.parametrize('method', ['amd'])
def test_amp_through_the_train_command(method, synthetic_tiny, tmp_path,
                                       float32_run):
    code, log = train(amp_command(tmp_path, synthetic_tiny), method)
    if code != 0 and MMENGINE_REFUSES_CPU in log:
        assert not torch.cuda.is_available(), log[-4000:]
        pytest.skip('--amp cannot run on this machine, outside this '
                    'project: mmengine 0.10.7 AmpOptimWrapper: '
                    f'AssertionError: {MMENGINE_REFUSES_CPU}')
    assert code == 0, log[-4000:]
    check_against_float32(tmp_path, log, float32_run(method), method)


@pytest.mark.slow
@pytest.mark.parametrize('method', ['amd'])
def test_cpu_amp_without_mmengine_s_cuda_check(method, synthetic_tiny,
                                               tmp_path, float32_run):
    """``--amp`` as it would run on a CPU if mmengine did not refuse it: the
    same train command, with only ``AmpOptimWrapper``'s accelerator
    assertion lifted in the training process. The GradScaler disables
    itself and the forward runs under bfloat16 autocast; the run finishes
    with finite losses and stays close to float32."""
    command = amp_command(tmp_path, synthetic_tiny)
    assert command[0] == sys.executable
    code, log = train([sys.executable, '-c', LIFT_CUDA_CHECK] + command[1:],
                      method)
    assert code == 0, log[-4000:]
    if not torch.cuda.is_available():
        assert 'GradScaler is enabled, but CUDA is not available.  ' \
            'Disabling.' in log
    check_against_float32(tmp_path, log, float32_run(method), method)
