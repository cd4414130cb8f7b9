from .distill_balance_hook import DistillBalanceError, DistillBalanceHook
from .distill_pair_check_hook import DistillPairCheckHook
from .rng_state_hook import RNGStateHook
from .teacher_checkpoint_hook import TeacherCheckpointHook
from .fast_frozen_teacher_hook import (FastFrozenTeacherHook,
                                         speed_up_frozen_teacher)

__all__ = [
    'DistillBalanceError', 'DistillBalanceHook', 'DistillPairCheckHook',
    'RNGStateHook', 'TeacherCheckpointHook', 'FastFrozenTeacherHook',
    'speed_up_frozen_teacher'
]
