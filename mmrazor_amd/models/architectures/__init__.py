from .generation import ChannelClue, GenerationBlock
from .maskers import AdaptiveMasker, RandomMasker

__all__ = ['AdaptiveMasker', 'RandomMasker', 'ChannelClue', 'GenerationBlock']
