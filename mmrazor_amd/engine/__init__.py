"""Runner pieces: hooks registered in MMRazor's ``HOOKS`` and a DDP wrapper
registered in its ``MODEL_WRAPPERS``."""
from .hooks import (DistillBalanceError, DistillBalanceHook,
                    DistillPairCheckHook, RNGStateHook,
                    TeacherCheckpointHook, FastFrozenTeacherHook,
                    speed_up_frozen_teacher)
from .wrappers import DeviceAwareDistributedDataParallel

__all__ = [
    'DeviceAwareDistributedDataParallel', 'DistillBalanceError',
    'DistillBalanceHook', 'DistillPairCheckHook', 'RNGStateHook',
    'TeacherCheckpointHook', 'FastFrozenTeacherHook',
    'speed_up_frozen_teacher'
]
