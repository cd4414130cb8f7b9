from .amd_loss import AMDLoss
from .fgd_loss import FGDLoss
from .multi_level import NonFiniteLossError
from .multi_level_mgd import MultiLevelMGDLoss
from .weights import loss_weights

__all__ = [
    'AMDLoss', 'FGDLoss', 'MultiLevelMGDLoss', 'NonFiniteLossError',
    'loss_weights'
]
