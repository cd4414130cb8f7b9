"""A hook for the multi-process and resume tests (imported by the training
subprocesses through ``custom_imports``; ``tests/`` is put on PYTHONPATH).

Per rank it appends every iteration's losses, and the ``distill.*``
scalars that DistillBalanceHook logged, to ``losses_rank<r>.jsonl`` (under
AMP also the dynamic loss scale before and after the step,
``amp.scale_before`` and ``amp.scale_after``: a step that overflowed is
skipped and halves it) and
saves the model's state dict (wrapper removed) before training and after it
to ``initial_rank<r>.pt`` and ``final_rank<r>.pt`` in the work dir.
Importing it also registers ``cpu_amp.CpuAmpOptimWrapper`` (the config's
``custom_imports`` are imported before ``--cfg-options`` apply).
"""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmrazor.registry import HOOKS

import cpu_amp  # noqa: F401  (registers CpuAmpOptimWrapper for the runs)


@HOOKS.register_module()
class ProbeHook(Hook):
    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        row = {k: float(v) for k, v in (outputs or {}).items()}
        for key, buffer in runner.message_hub.log_scalars.items():
            if key.startswith('train/distill.') and key[6:] not in row:
                row[key[6:]] = float(buffer.current())
        scale = _loss_scale(runner)
        if scale is not None:
            row['amp.scale_before'] = self._scale_before
            row['amp.scale_after'] = scale
        row['iter'] = runner.iter
        path = osp.join(runner.work_dir, f'losses_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(row) + '\n')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._scale_before = _loss_scale(runner)

    def before_train(self, runner):
        self._save(runner, 'initial')

    def after_train(self, runner):
        self._save(runner, 'final')

    def _save(self, runner, name):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        state = {k: v.detach().cpu().clone()
                 for k, v in model.state_dict().items()}
        torch.save(state, osp.join(runner.work_dir,
                                   f'{name}_rank{get_rank()}.pt'))


def _loss_scale(runner):
    """The dynamic loss scale of an AMP optimizer wrapper, or None."""
    scaler = getattr(runner.optim_wrapper, 'loss_scaler', None)
    if scaler is None or not scaler.is_enabled():
        return None
    return float(scaler.get_scale())
