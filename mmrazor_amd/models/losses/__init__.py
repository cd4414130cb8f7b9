from .amd_loss import AMDLoss

__all__ = ['AMDLoss']
