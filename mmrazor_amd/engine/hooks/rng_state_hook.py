"""Save the random generators' states in checkpoints, restore them on
resume, so that a resumed run draws the same random numbers as one that was
never interrupted (MGD's random masks, augmentations drawn in the main
process).

mmengine re-seeds the generators when a run starts, resumed or not, and does
not store their states. This hook keeps python's ``random``, numpy's
global generator and torch's CPU generator (plus the CUDA ones when CUDA is
in use) under ``checkpoint['rng_state']``. The checkpoint is written by rank
0, so it holds rank 0's states; with mmengine's default
``randomness.diff_rank_seed=False`` every rank is seeded alike and draws
alike, so every rank restores them. With ``diff_rank_seed=True`` only rank 0
restores its states and the others start from their seeds. Generators inside
dataloader worker processes are not reachable from here: with
``num_workers > 0`` the augmentations after a resume follow the workers'
seeds again (same distribution, other draws).
"""
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmrazor.registry import HOOKS


def _capture() -> dict:
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def _restore(state: dict) -> None:
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(tuple(state['numpy']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Checkpoint the RNG states (``checkpoint['rng_state']``) and restore
    them when the run resumes."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = _capture()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('rng_state')
        diff_rank_seed = runner.cfg.get('randomness', {}).get(
            'diff_rank_seed', False)
        if state is not None and (get_rank() == 0 or not diff_rank_seed):
            self._pending = state

    def before_train(self, runner) -> None:
        # after the runner's own seeding, just before the first batch; only
        # when resuming (``load_from`` also loads a checkpoint, at iter 0)
        if self._pending is not None and runner.iter > 0:
            _restore(self._pending)
            runner.logger.info('RNGStateHook: random generators restored')
        self._pending = None
