"""Kill a distillation run in the middle, resume it with ``--resume``, and
end with exactly the weights of a run that was never interrupted.

The tiny embedded config trains 3 epochs of 4 steps with random flips drawn
in the main process; MGD also draws a random mask every step. Checkpoints
(every epoch) carry the optimizer, the scheduler, the distiller's
parameters and, through RNGStateHook, the random generators; the sampler
re-shuffles by epoch. On the CPU every step is deterministic, so the
comparison is exact (``torch.equal``).
"""
import os.path as osp
import signal
import subprocess
import time

import pytest
import torch

from conftest import tiny_train_command, tiny_train_env


def wait_for(path, process, timeout=600):
    start = time.time()
    while not osp.exists(path):
        assert process.poll() is None, 'the run ended before the checkpoint'
        assert time.time() - start < timeout
        time.sleep(0.02)


# AMD only: what resume restores (distiller modules, optimizer, scheduler,
# the balance scale) does not depend on the method, and each method's run
# costs minutes
@pytest.mark.slow
@pytest.mark.parametrize('method', ['amd'])
def test_killed_and_resumed_run_ends_like_an_uninterrupted_one(
        method, synthetic_tiny, tmp_path):
    env = tiny_train_env(method)
    reference, interrupted = tmp_path / 'reference', tmp_path / 'interrupted'
    done = subprocess.run(
        tiny_train_command(reference, synthetic_tiny), env=env,
        capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]

    # kill -9 once the first epoch's checkpoint is complete (last_checkpoint
    # is written after it), i.e. during the second epoch
    process = subprocess.Popen(
        tiny_train_command(interrupted, synthetic_tiny), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(str(interrupted / 'last_checkpoint'), process)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not (interrupted / 'final_rank0.pt').exists()

    resumed = subprocess.run(
        tiny_train_command(interrupted, synthetic_tiny, resume=True),
        env=env, capture_output=True, text=True, timeout=900)
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-4000:]
    assert 'resumed epoch: ' in log
    assert 'RNGStateHook: random generators restored' in log

    expected = torch.load(str(reference / 'final_rank0.pt'),
                          weights_only=True)
    actual = torch.load(str(interrupted / 'final_rank0.pt'),
                        weights_only=True)
    assert actual.keys() == expected.keys()
    assert any(k.startswith('distiller.') for k in expected)
    different = [k for k in expected if not torch.equal(actual[k],
                                                          expected[k])]
    assert different == []
