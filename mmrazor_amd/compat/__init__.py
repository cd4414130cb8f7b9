"""Fixes that make the OpenMMLab stack work on torch 2.x.

See ``torch2.py`` (MMRazor 1.0.0 import) and ``checkpoint.py`` (mmengine
checkpoints under ``weights_only``). Both are normally applied by the
start-up hook ``_mmrazor_amd_hook.py``; :func:`apply_all` applies them again
for processes where the hook is not installed (e.g. running from a source
tree), and is idempotent.
"""
from . import torch2


def apply_all() -> None:
    torch2.apply()
    from . import checkpoint  # imports mmengine, hence after torch2
    checkpoint.apply()


__all__ = ['apply_all']
