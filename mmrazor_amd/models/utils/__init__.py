from .attention import channel_attention, spatial_attention
from .pair_check import DistillPairError, check_distill_pair

__all__ = [
    'channel_attention', 'spatial_attention', 'DistillPairError',
    'check_distill_pair'
]
