"""Checkpoints written by mmengine load again with ``weights_only`` in force,
and a checkpoint carrying a foreign pickled object is refused. What
OpenMMLab's model-zoo files carry: ``test_zoo_checkpoints.py``."""
import os
import pickle
import subprocess
import sys

import pytest
import torch

import mmrazor_amd  # noqa: F401  (installs the policy)
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint

from toy_runner import ToyModel, make_runner


def test_runner_checkpoint_loads_with_weights_only(runner_checkpoint):
    path, _ = runner_checkpoint
    checkpoint = torch.load(str(path), weights_only=True)
    log_scalars = checkpoint['message_hub']['log_scalars']
    buffer = log_scalars['train/loss']
    assert type(buffer).__name__ == 'HistoryBuffer'
    assert len(buffer.data[0]) == 2 and buffer.statistics('mean') > 0


def test_without_the_policy_torch_refuses_runner_checkpoints(
        runner_checkpoint):
    # The premise: torch's own allow-list refuses what mmengine writes.
    path, _ = runner_checkpoint
    result = subprocess.run(
        [sys.executable, '-c',
         f'import torch; torch.load({str(path)!r}, weights_only=True)'],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, 'MMRAZOR_AMD_NO_HOOK': '1'})
    assert result.returncode != 0
    assert 'Weights only load failed' in result.stderr


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save(dict(f=GetattrPayload()), str(path))
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        load_checkpoint(ToyModel(), str(path))


def test_load_from_restores_weights(runner_checkpoint, tmp_path):
    path, weights = runner_checkpoint
    model = ToyModel()
    load_checkpoint(model, str(path))
    for key, value in model.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_resume_continues_from_the_checkpoint(runner_checkpoint, tmp_path):
    path, weights = runner_checkpoint
    runner = make_runner(tmp_path, max_iters=4, resume=True, load_from=str(path))
    runner.train()
    assert runner.iter == 4
    # The message hub and the optimizer state came back from the checkpoint.
    assert runner.message_hub.get_info('iter') == 3
    assert runner.optim_wrapper.optimizer.state  # momentum buffers restored


class Payload:

    def __reduce__(self):
        return (print, ('this must never run',))


def test_foreign_object_is_refused_with_its_name(tmp_path, capsys):
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict=ToyModel().state_dict(), extra=Payload()),
               str(path))
    with pytest.raises(pickle.UnpicklingError) as info:
        load_checkpoint(ToyModel(), str(path))
    assert type(info.value).__name__ == 'UnsafeCheckpointError'
    message = str(info.value)
    assert 'builtins.print' in message and 'Refusing' in message
    assert 'this must never run' not in capsys.readouterr().out


def test_foreign_class_is_named(tmp_path):
    path = tmp_path / 'foreign.pth'
    torch.save(dict(meta=pickle.loads(pickle.dumps(Foreign()))), str(path))
    with pytest.raises(pickle.UnpicklingError, match='Foreign'):
        load_checkpoint(ToyModel(), str(path))


class Foreign:
    pass


class GetattrPayload:

    def __reduce__(self):
        # An allowed class, but not one of its statistics methods.
        return (getattr, (HistoryBuffer, '__init__'))


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_checkpoint(ToyModel(), str(tmp_path / 'nowhere.pth'))
