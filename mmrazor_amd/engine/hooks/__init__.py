from .distill_balance_hook import DistillBalanceError, DistillBalanceHook
from .rng_state_hook import RNGStateHook
from .teacher_checkpoint_hook import TeacherCheckpointHook

__all__ = [
    'DistillBalanceError', 'DistillBalanceHook', 'RNGStateHook',
    'TeacherCheckpointHook'
]
