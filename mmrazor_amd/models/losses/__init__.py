from .amd_loss import AMDLoss
from .fgd_loss import FGDLoss
from .multi_level import NonFiniteLossError

__all__ = ['AMDLoss', 'FGDLoss', 'NonFiniteLossError']
