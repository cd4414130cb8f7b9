"""Make MMRazor 1.0.0 importable on torch >= 2.0.

MMRazor 1.0.0 (the last release, 2023) breaks on torch 2.x in two places,
both at import time, so ``import mmrazor.models`` fails before any
distillation code is reached:

1. ``backend_config/common_operator_config_utils.py`` imports ``reverse2``,
   ``reverse3`` and ``reverse_sequential_wrapper2`` from
   ``torch.ao.quantization.fuser_method_mappings``; torch 2.0 renamed them to
   ``_reverse2``, ``_reverse3`` and ``_sequential_wrapper2``.
2. ``backend_config/mapping.py`` builds all four quantization backends
   (academic, native, tensorrt, openvino) when it is imported, through
   private ``BackendPatternConfig`` methods that later torch releases removed.

:func:`apply` publishes the renamed helpers under their old names (same
functions, same signatures) and makes ``BackendConfigs`` lazy: a backend is
built when a quantizer asks for it, and if torch cannot build it the
quantizer gets :class:`QuantizationUnavailableError` that says so. Distillation
never touches these backends. Nothing of MMRazor or torch is edited on disk.

:func:`apply` must run before MMRazor is imported; the start-up hook in
``mmrazor_amd.pth`` takes care of that for every process, ``mim train
mmrazor`` included.
"""
import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Mapping

# old public name -> name in torch >= 2.0
RENAMED_FUSER_HELPERS = {
    'reverse2': '_reverse2',
    'reverse3': '_reverse3',
    'reverse_sequential_wrapper2': '_sequential_wrapper2',
}
BACKEND_PACKAGE = 'mmrazor.structures.quantization.backend_config'
MAPPING_MODULE = f'{BACKEND_PACKAGE}.mapping'
BACKENDS = ('academic', 'native', 'tensorrt', 'openvino')


class QuantizationUnavailableError(RuntimeError):
    """An MMRazor 1.0.0 quantization backend cannot be built on this torch."""


class LazyBackendConfigs(Mapping):
    """``BackendConfigs`` of MMRazor, built on first use of each backend."""

    def __init__(self):
        self._built = {}

    def __getitem__(self, name):
        if name not in BACKENDS:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = self._build(name)
        return self._built[name]

    def __iter__(self):
        return iter(BACKENDS)

    def __len__(self):
        return len(BACKENDS)

    @staticmethod
    def _build(name):
        module = importlib.import_module(f'{BACKEND_PACKAGE}.{name}')
        try:
            return getattr(module, f'get_{name}_backend_config')()
        except Exception as error:
            import torch
            raise QuantizationUnavailableError(
                f"MMRazor 1.0.0's '{name}' quantization backend cannot be "
                f'built on torch {torch.__version__} ({type(error).__name__}: '
                f'{error}). MMRazor 1.0.0 quantization was written for torch '
                '1.13 and is unavailable with this torch; distillation is not '
                'affected. Use a torch 1.13 environment for MMRazor '
                'quantization.') from error


class _LazyMappingLoader(importlib.abc.Loader):

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.BackendConfigs = LazyBackendConfigs()
        module.QuantizationUnavailableError = QuantizationUnavailableError


class _LazyMappingFinder(importlib.abc.MetaPathFinder):
    """Serves MMRazor's ``backend_config/mapping.py`` with the lazy mapping."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != MAPPING_MODULE:
            return None
        return importlib.util.spec_from_loader(
            fullname, _LazyMappingLoader(), origin='mmrazor_amd.compat.torch2')


def _restore_fuser_helpers():
    fusers = importlib.import_module(
        'torch.ao.quantization.fuser_method_mappings')
    for old, new in RENAMED_FUSER_HELPERS.items():
        if not hasattr(fusers, old) and hasattr(fusers, new):
            setattr(fusers, old, getattr(fusers, new))
    # ``BackendConfig`` reaches this submodule as an attribute of its package
    # without importing it; make sure it has been imported.
    importlib.import_module('torch.ao.quantization.backend_config.utils')


def apply() -> None:
    """Patch what MMRazor 1.0.0 needs from torch; idempotent."""
    try:
        _restore_fuser_helpers()
    except ImportError:  # a torch build without the quantization package
        pass
    if MAPPING_MODULE in sys.modules:
        return
    if not any(type(f).__name__ == _LazyMappingFinder.__name__
               for f in sys.meta_path):
        sys.meta_path.insert(0, _LazyMappingFinder())
