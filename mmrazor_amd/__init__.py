"""AMD (Adaptive Masked Distillation) for MMRazor.

Importing this package makes MMRazor 1.0.0 work on torch 2.x (``compat``)
and registers the AMD, MGD (multi-level) and FGD modules in MMRazor's
``MODELS`` registry, and the hooks and DDP wrapper of ``engine``, so a config
only needs ``custom_imports=dict(imports=['mmrazor_amd'])``.
"""
from .compat import apply_all as _apply_compat
from .version import __version__

_apply_compat()

from . import models  # noqa: E402,F401  (registers modules)
from . import engine  # noqa: E402,F401  (registers hooks, DDP wrapper)

__all__ = ['__version__']
