"""Load OpenMMLab checkpoints with ``weights_only`` in force.

Since torch 2.6, ``torch.load`` unpickles only tensors and plain containers
unless told otherwise. mmengine 0.10.7 calls ``torch.load`` without
``weights_only``, and the checkpoints its runner writes carry more than that:
numpy arrays, scalars and dtypes in ``meta`` and ``message_hub``, and
:class:`mmengine.logging.HistoryBuffer` objects. Loading them (``load_from``,
``--resume``, ``teacher_ckpt``, ``mim test``) therefore fails.

A checkpoint is untrusted input, so we never fall back to unrestricted
unpickling. Instead :func:`apply`

1. allows exactly the extra types OpenMMLab checkpoints carry
   (:func:`allowed_globals`), numpy's reconstructors under the names of
   numpy 1.x and 2 alike, so that model-zoo files pickled under numpy 1
   load under numpy 2 (and the reverse), and
2. wraps every loader registered in mmengine's :class:`CheckpointLoader` so
   that local files are read with ``weights_only=True`` explicitly (also on
   torch < 2.6, where it is not the default) and a refused checkpoint raises
   :class:`UnsafeCheckpointError` naming the offending types.

It also makes mmengine's ``save_checkpoint`` write local files atomically
(:func:`write_atomically`): mmengine writes the new checkpoint in place, so
a full disk leaves a truncated file behind. Here the bytes go to a temporary
file in the same folder, are flushed to disk, and only then renamed over the
target; on failure the temporary file is removed and
:class:`CheckpointWriteError` says what happened. The checkpoints written
before, and ``last_checkpoint`` (updated only after a successful save), stay
intact.

This file is executed by the start-up hook right after
``mmengine.runner.checkpoint`` is imported, and again (idempotently) when
``mmrazor_amd`` is imported.
"""
import contextlib
import functools
import io
import os
import os.path as osp
import pickle
import re
import sys
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
import mmengine.runner.checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

_MARK = '_mmrazor_amd_weights_only'
DEFAULT_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds an object that is not allowed to be unpickled."""


#: Where numpy's pickles name its array and scalar reconstructors: numpy 1.x
#: writes ``numpy.core.multiarray``, numpy 2 ``numpy._core.multiarray``.
NUMPY_PICKLE_MODULES = ('numpy.core.multiarray', 'numpy._core.multiarray')


def _numpy_reconstructors() -> List:
    """``multiarray._reconstruct`` (arrays) and ``multiarray.scalar``
    (scalars), each registered under the names of both numpy generations.

    torch looks an allowed global up by the name the pickle gives, and
    checkpoints name these two functions after the numpy that wrote them:
    ``numpy.core.multiarray.scalar`` in every file saved under numpy 1.x
    (OpenMMLab's model zoo of the mmdet 2.x and 3.x years, and runs started
    on numpy 1: mmengine's ``message_hub`` always holds numpy arrays and
    scalars), ``numpy._core.multiarray.scalar`` under numpy 2. Registering
    only the installed numpy's names refused the other generation's files:
    under numpy 2, any numpy-1 file holding a numpy scalar or a
    HistoryBuffer. Both names resolve to the installed numpy's own two
    functions (``numpy.core`` is not imported, which numpy 2 deprecates);
    no other numpy function is allowed.
    """
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray
    return [(getattr(multiarray, name), f'{module}.{name}')
            for module in NUMPY_PICKLE_MODULES
            for name in ('_reconstruct', 'scalar')]


def history_buffer_getattr(owner, name):
    """The one use of ``getattr`` that mmengine checkpoints need.

    ``HistoryBuffer`` keeps its statistics methods (``min``, ``max``,
    ``current``, ``mean``, ...) in a class-level dict, which pickle stores as
    ``getattr(HistoryBuffer, 'min')``. Allowing the builtin ``getattr`` would
    let a checkpoint reach any attribute of any allowed object, so this
    stand-in is registered under its name and resolves only those methods.
    """
    # The defaults are registered only once a HistoryBuffer was created.
    statistics = DEFAULT_STATISTICS.union(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in statistics:
        return getattr(HistoryBuffer, name)
    raise UnsafeCheckpointError(
        f'the checkpoint asks for getattr({owner!r}, {name!r}); only '
        'HistoryBuffer statistics methods may be looked up')


def allowed_globals() -> List:
    """The non-tensor types found in checkpoints written by mmengine.

    numpy arrays (``ndarray`` and its reconstructor), numpy scalars
    (``multiarray.scalar`` and their dtypes), the two reconstructors under
    the names of numpy 1.x and 2 (:func:`_numpy_reconstructors`), and
    mmengine's ``HistoryBuffer``
    (the log scalars of ``message_hub``), with its statistics methods
    (:func:`history_buffer_getattr`). Nothing that executes code.
    """
    dtype_classes = [type(np.dtype(code)) for code in np.typecodes['All']]
    return ([np.ndarray, np.dtype, HistoryBuffer] + _numpy_reconstructors() +
            sorted(set(dtype_classes), key=lambda cls: cls.__name__) +
            [(history_buffer_getattr, 'builtins.getattr')])


def _global_name(item) -> str:
    if isinstance(item, tuple):
        return item[1]
    return f'{item.__module__}.{item.__qualname__}'


def _offending_globals(filename) -> List[str]:
    if not isinstance(filename, str) or not osp.isfile(filename):
        return []
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # the file is not even a torch archive
        return []
    allowed = {_global_name(item) for item in allowed_globals()}
    return [name for name in found if name not in allowed]


def _refusal(filename, error: Exception) -> UnsafeCheckpointError:
    text = str(error)
    names = _offending_globals(filename) or re.findall(r'GLOBAL ([\w.]+)',
                                                       text)
    lookups = re.findall(r'getattr\([^)]*\)', text)
    what = ', '.join(sorted(set(names)) + lookups[:1]) or \
        'an object of a type it may not hold'
    return UnsafeCheckpointError(
        f'Refusing to load checkpoint {filename!r}: it contains {what}, '
        'which is not among the types that OpenMMLab checkpoints carry '
        '(tensors, containers, numpy arrays/scalars, HistoryBuffer). '
        'Unpickling it could run arbitrary code, so mmrazor_amd loads '
        'checkpoints with weights_only=True. If you wrote this file yourself '
        'and trust it, convert it to a plain state dict first.')


def load_from_local(filename, map_location=None):
    """mmengine's local loader, with ``weights_only=True`` explicit."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=True)


def _guard(loader):
    """Wrap an mmengine checkpoint loader to explain refused checkpoints."""
    if getattr(loader, _MARK, False):
        return loader

    @functools.wraps(loader)
    def guarded(filename, *args, **kwargs):
        try:
            return loader(filename, *args, **kwargs)
        except UnsafeCheckpointError:
            raise
        except pickle.UnpicklingError as error:
            raise _refusal(filename, error) from None

    setattr(guarded, _MARK, True)
    return guarded


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; nothing was replaced."""


def write_atomically(checkpoint, filename) -> None:
    """``torch.save(checkpoint)`` to ``filename`` via a temporary file and a
    rename, so that ``filename`` is either complete or untouched."""
    filename = osp.expanduser(str(filename))
    os.makedirs(osp.dirname(osp.abspath(filename)), exist_ok=True)
    temporary = f'{filename}.tmp{os.getpid()}'
    with io.BytesIO() as buffer:
        torch.save(checkpoint, buffer)
        data = buffer.getvalue()
    try:
        with open(temporary, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, filename)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise CheckpointWriteError(
            error.errno,
            f'could not write the checkpoint {filename} '
            f'({error.strerror or error}, {len(data) / 2**20:.1f} MiB). '
            'Nothing was replaced: the checkpoints written before are '
            'intact and last_checkpoint in the work dir still names the '
            'latest of them. Free disk space (or pass another --work-dir) '
            'and continue with --resume.') from error


def _is_local(filename, file_client_args, backend_args) -> bool:
    if file_client_args is not None or '://' in str(filename):
        return False
    return backend_args is None or backend_args.get('backend',
                                                    'local') == 'local'


def _atomic_local_save(save):
    """Wrap mmengine's ``save_checkpoint``: local files go through
    :func:`write_atomically`, anything else (pavi, petrel, ...) through
    mmengine."""
    if getattr(save, _MARK, False):
        return save

    @functools.wraps(save)
    def save_checkpoint(checkpoint, filename, file_client_args=None,
                        backend_args=None):
        if not _is_local(filename, file_client_args, backend_args):
            return save(checkpoint, filename,
                        file_client_args=file_client_args,
                        backend_args=backend_args)
        write_atomically(checkpoint, filename)

    setattr(save_checkpoint, _MARK, True)
    return save_checkpoint


def apply() -> None:
    """Allow OpenMMLab checkpoint types, guard every checkpoint loader and
    make local checkpoint writes atomic."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(allowed_globals())
    schemes = CheckpointLoader._schemes
    local = schemes.get('')
    if local is not None and not getattr(local, _MARK, False):
        schemes[''] = load_from_local
    for prefix, loader in list(schemes.items()):
        schemes[prefix] = _guard(loader)
    atomic = _atomic_local_save(mmengine_checkpoint.save_checkpoint)
    mmengine_checkpoint.save_checkpoint = atomic
    # the runner imported the name already when this runs after it
    runner_module = sys.modules.get('mmengine.runner.runner')
    if runner_module is not None:
        runner_module.save_checkpoint = atomic
