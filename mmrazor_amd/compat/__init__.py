"""Fixes that make the OpenMMLab stack work on torch 2.x.

See ``torch2.py`` (MMRazor 1.0.0 import), ``checkpoint.py`` (mmengine
checkpoints under ``weights_only``, atomic writes), ``distributed.py``
(``--launcher pytorch`` with torch 2.x launchers and without CUDA) and
``config_text.py`` (a config's text formatted once per process, not at
every checkpoint save), ``default_hooks.py`` (``None`` removes any named
default hook) and ``deform_conv.py`` (mmcv's deformable convolution on CPU
tensors computed with ``grid_sample``, about 10x faster). They are normally applied by the start-up hook
``_mmrazor_amd_hook.py``, which executes them as private modules
(``_mmrazor_amd_compat_<name>``) before this package can be imported;
this package then adopts those modules, so that there is one copy of each
and its exception classes are the ones raised. :func:`apply_all` applies
the fixes for processes where the hook is not installed (e.g. running
from a source tree), and is idempotent.
"""
import sys


def _adopt(name: str) -> None:
    """Use the start-up hook's copy of ``<name>.py`` as this submodule."""
    early = sys.modules.get(f'_mmrazor_amd_compat_{name}')
    if early is not None:
        sys.modules.setdefault(f'{__name__}.{name}', early)


_adopt('torch2')
from . import torch2  # noqa: E402


def apply_all() -> None:
    torch2.apply()
    # runs the hook's copy of checkpoint.py first, when the hook is installed
    import mmengine.runner.checkpoint  # noqa: F401
    _adopt('checkpoint')
    from . import checkpoint  # imports mmengine, hence after torch2
    checkpoint.apply()
    import mmengine.runner.runner  # noqa: F401  (the hook's patches first)
    _adopt('distributed')
    from . import distributed
    distributed.apply()
    _adopt('default_hooks')
    from . import default_hooks
    default_hooks.apply()
    import mmengine.config.config  # noqa: F401
    _adopt('config_text')
    from . import config_text
    config_text.apply()
    import mmcv.ops.deform_conv  # noqa: F401
    _adopt('deform_conv')
    from . import deform_conv
    deform_conv.apply()


__all__ = ['apply_all']
