"""A hook for the multi-process and resume tests (imported by the training
subprocesses through ``custom_imports``; ``tests/`` is put on PYTHONPATH).

Per rank it appends every iteration's losses, and the ``distill.*``
scalars that DistillBalanceHook logged (and the ``amp.*`` ones of
``cpu_amp.py``), to ``losses_rank<r>.jsonl`` and
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
            if key.startswith(('train/distill.', 'train/amp.')) and (
                    key[6:] not in row):
                row[key[6:]] = float(buffer.current())
        row['iter'] = runner.iter
        path = osp.join(runner.work_dir, f'losses_rank{get_rank()}.jsonl')
        with open(path, 'a') as f:
            f.write(json.dumps(row) + '\n')

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
