"""Multi-process training through the stock launchers, on GPUs and CPUs.

Three things stop ``mim train mmrazor CONFIG --launcher pytorch --gpus N``
(and ``mim test``) on torch 2.x or on a host without CUDA; each is fixed at
run time, without editing an installed file:

1. ``mim`` starts ``python -m torch.distributed.launch``, which on torch 2.x
   passes ``--local-rank=N``; MMRazor's ``tools/train.py`` and
   ``tools/test.py`` declare only ``--local_rank``. :func:`accept_local_rank`
   rewrites the option; the start-up hook applies it to ``sys.argv`` when
   the running script is one of MMRazor's tools (mmdet's accept both).
2. mmengine's ``_init_dist_pytorch`` calls ``torch.cuda.set_device``, which
   fails without CUDA. :func:`apply` wraps it: without CUDA the process
   group starts directly, with gloo when the config asks for nccl (a
   warning says so).
3. mmengine's runner wraps the model in ``MMDistributedDataParallel`` with
   ``device_ids=[LOCAL_RANK]``, which torch refuses for a CPU module.
   :class:`DeviceAwareDistributedDataParallel` drops ``device_ids`` and
   ``output_device`` for a CPU module and is mmengine's wrapper otherwise;
   :func:`apply` makes the runner use it.

This module imports only torch and mmengine, so the start-up hook can
execute it before MMRazor is imported.
"""
import os
import sys
import warnings
from typing import List, Sequence

import torch

MMRAZOR_TOOLS = ('train.py', 'test.py')


def accept_local_rank(argv: Sequence[str]) -> List[str]:
    """``argv`` with ``--local-rank[=N]`` spelt ``--local_rank[=N]``."""
    fixed = []
    for arg in argv:
        name, sep, value = arg.partition('=')
        fixed.append('--local_rank' + sep + value
                     if name == '--local-rank' else arg)
    return fixed


def is_mmrazor_tool(path: str) -> bool:
    """Whether ``path`` is MMRazor's ``tools/train.py`` or ``test.py`` (as
    installed, under ``.mim/tools``, or in a source checkout)."""
    parts = os.path.realpath(path).split(os.sep)
    return (len(parts) >= 3 and parts[-1] in MMRAZOR_TOOLS
            and parts[-2] == 'tools'
            and 'mmrazor' in (parts[-3], parts[-4] if len(parts) > 3 else ''))


def fix_mmrazor_tool_argv() -> None:
    """Apply :func:`accept_local_rank` to ``sys.argv`` of MMRazor's tools."""
    argv = getattr(sys, 'argv', None)
    if argv and is_mmrazor_tool(argv[0]):
        sys.argv[1:] = accept_local_rank(argv[1:])


_DDP = None


def device_aware_ddp():
    """``DeviceAwareDistributedDataParallel``: mmengine's
    ``MMDistributedDataParallel``, minus ``device_ids`` and
    ``output_device`` for a module on the CPU.

    Defined on first use: this module must not import ``mmengine.model``
    while mmengine itself is being imported.
    """
    global _DDP
    if _DDP is None:
        from mmengine.model import MMDistributedDataParallel

        class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):
            __doc__ = device_aware_ddp.__doc__

            def __init__(self, module, device_ids=None, output_device=None,
                         **kwargs):
                if all(p.device.type == 'cpu' for p in module.parameters()):
                    device_ids = output_device = None
                super().__init__(module=module, device_ids=device_ids,
                                 output_device=output_device, **kwargs)

        DeviceAwareDistributedDataParallel.__qualname__ = (
            DeviceAwareDistributedDataParallel.__name__)
        _DDP = DeviceAwareDistributedDataParallel
    return _DDP


def _without_cuda(init_dist_pytorch):
    """``_init_dist_pytorch`` that starts the process group on a CPU."""

    def init(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return init_dist_pytorch(backend, init_backend, **kwargs)
        import torch.distributed as dist
        if backend == 'nccl':
            warnings.warn('no CUDA device: the process group uses gloo '
                          'instead of the nccl of env_cfg.dist_cfg')
            backend = 'gloo'
        dist.init_process_group(backend=backend, **kwargs)

    init.__wrapped__ = init_dist_pytorch
    return init


def patch_init_dist() -> None:
    """Make ``mmengine.dist.utils._init_dist_pytorch`` work without CUDA."""
    from mmengine.dist import utils
    if not hasattr(utils._init_dist_pytorch, '__wrapped__'):
        utils._init_dist_pytorch = _without_cuda(utils._init_dist_pytorch)


def patch_runner_wrapper() -> None:
    """Make mmengine's runner wrap models with the device-aware DDP."""
    from mmengine.runner import runner
    runner.MMDistributedDataParallel = device_aware_ddp()


def apply() -> None:
    fix_mmrazor_tool_argv()
    patch_init_dist()
    patch_runner_wrapper()
