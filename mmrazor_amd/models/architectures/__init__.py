from .contiguous import ContiguousConnector
from .generation import ChannelClue, GenerationBlock
from .maskers import AdaptiveMasker, RandomMasker

__all__ = [
    'AdaptiveMasker', 'RandomMasker', 'ChannelClue', 'ContiguousConnector',
    'GenerationBlock'
]
