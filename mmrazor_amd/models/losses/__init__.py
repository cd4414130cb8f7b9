from .amd_loss import AMDLoss
from .fgd_loss import FGDLoss

__all__ = ['AMDLoss', 'FGDLoss']
