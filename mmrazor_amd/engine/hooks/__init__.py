from .rng_state_hook import RNGStateHook
from .teacher_checkpoint_hook import TeacherCheckpointHook

__all__ = ['RNGStateHook', 'TeacherCheckpointHook']
