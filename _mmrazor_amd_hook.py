"""Start-up hook of ``mmrazor_amd``, run from ``mmrazor_amd.pth``.

Python executes the ``.pth`` file of every installed distribution when it
starts. This module must therefore stay cheap: it imports nothing heavy and
only puts a small finder on :data:`sys.meta_path` that waits for six
imports:

* ``mmrazor`` (before it executes): apply the torch 2.x fixes that MMRazor
  1.0.0 needs to import at all (``mmrazor_amd/compat/torch2.py``). This must
  happen before MMRazor's own import, which is why ``custom_imports`` in a
  config is too late for ``mim train mmrazor``. In MMRazor's own
  ``tools/train.py``/``test.py``, also accept torch 2.x's ``--local-rank``
  (``mmrazor_amd/compat/distributed.py``).
* ``mmengine.runner.checkpoint`` (after it executes): install the
  ``weights_only`` checkpoint policy (``mmrazor_amd/compat/checkpoint.py``).
* ``mmengine.config.config`` (after it executes): format a config's text
  with yapf once per process (``mmrazor_amd/compat/config_text.py``).
* ``mmengine.dist.utils`` and ``mmengine.runner.runner`` (after they
  execute): let ``--launcher pytorch`` run on hosts without CUDA
  (``mmrazor_amd/compat/distributed.py``); let ``None`` remove any named
  default hook (``mmrazor_amd/compat/default_hooks.py``).
* ``mmcv.ops.deform_conv`` (after it executes): compute mmcv's deformable
  convolution on CPU tensors with ``grid_sample``, about 10x faster than
  mmcv's CPU loop (``mmrazor_amd/compat/deform_conv.py``).

The compat modules are executed from their files inside the ``mmrazor_amd``
package without executing ``mmrazor_amd/__init__.py``, which imports MMRazor
itself. Processes that never import either target pay for one string lookup
per import. The hook also ignores setuptools' ``pkg_resources is deprecated``
warning, which the upstream stack would print first in every command.
"""
import importlib.util
import os
import sys

_DISABLE_ENV = 'MMRAZOR_AMD_NO_HOOK'


def _load_compat_module(name):
    """Execute ``mmrazor_amd/compat/<name>.py`` as a private module."""
    private_name = f'_mmrazor_amd_compat_{name}'
    if private_name in sys.modules:
        return sys.modules[private_name]
    package = importlib.util.find_spec('mmrazor_amd')
    if package is None or not package.submodule_search_locations:
        return None
    location = os.path.join(
        list(package.submodule_search_locations)[0], 'compat', f'{name}.py')
    spec = importlib.util.spec_from_file_location(private_name, location)
    module = importlib.util.module_from_spec(spec)
    sys.modules[private_name] = module
    spec.loader.exec_module(module)
    return module


def _apply(name, function='apply'):
    """A callback that runs ``function`` of compat module ``name``."""

    def callback():
        module = _load_compat_module(name)
        if module is not None:
            getattr(module, function)()

    return callback


def _before_mmrazor():
    _apply('torch2')()
    _apply('distributed', 'fix_mmrazor_tool_argv')()


def _after_runner():
    _apply('distributed', 'patch_runner_wrapper')()
    _apply('default_hooks')()


class _RunAfterLoader:
    """Loader wrapper that runs ``callback`` once the module has executed."""

    def __init__(self, loader, callback):
        self._loader = loader
        self._callback = callback

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._callback()

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _CompatFinder:
    """Meta-path finder that fires one action per target, then stays idle."""

    def __init__(self):
        self.before = {'mmrazor': _before_mmrazor}
        self.after = {
            'mmengine.runner.checkpoint': _apply('checkpoint'),
            'mmengine.dist.utils': _apply('distributed', 'patch_init_dist'),
            'mmengine.runner.runner': _after_runner,
            'mmengine.config.config': _apply('config_text'),
            'mmcv.ops.deform_conv': _apply('deform_conv'),
        }

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.before:
            self.before.pop(fullname)()
            return None
        if fullname not in self.after:
            return None
        callback = self.after.pop(fullname)
        spec = self._find_with_others(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _RunAfterLoader(spec.loader, callback)
        return spec

    def _find_with_others(self, fullname, path, target):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


def _silence_pkg_resources_warning():
    """setuptools >= 80.9 warns ``pkg_resources is deprecated as an API``
    whenever it is imported, and openmim, mmengine and mmcv import it: the
    first line of every ``mim`` command and training log. Only that one
    warning is ignored; every other stays as Python's filters say."""
    import warnings
    warnings.filterwarnings(
        'ignore', message='pkg_resources is deprecated as an API',
        category=UserWarning)


def install():
    if os.environ.get(_DISABLE_ENV):
        return
    _silence_pkg_resources_warning()
    if any(isinstance(f, _CompatFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _CompatFinder())


install()
