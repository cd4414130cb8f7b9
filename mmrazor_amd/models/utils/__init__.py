from .attention import channel_attention, spatial_attention

__all__ = ['channel_attention', 'spatial_attention']
