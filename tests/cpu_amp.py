"""``--amp`` as it runs on a GPU, on this CPU: an optimizer wrapper for the
training subprocesses of ``test_amp_cpu_training.py`` (``probe_hooks.py``,
which the tiny config imports, imports it; ``tests/`` is on PYTHONPATH;
select it with ``optim_wrapper.type=mmengine.CpuAmpOptimWrapper``).

mmengine 0.10.7's ``AmpOptimWrapper`` refuses a machine without an
accelerator, its ``autocast`` allows only bfloat16 on a CPU and its
``GradScaler`` (``torch.cuda.amp``) disables itself there. This wrapper is
``AmpOptimWrapper`` with those three replaced: fp16 autocast on the CPU
where torch supports it (bf16 otherwise), and ``torch.amp.GradScaler('cpu')``
with the dynamic scale of ``loss_scale='dynamic'`` (initial 2^16, halved
and the step skipped when a gradient is Inf/NaN, doubled after 2000 good
steps); ``probe_hooks.py`` writes the scale before and after every step.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


def cpu_autocast_dtype() -> torch.dtype:
    """float16 when a convolution runs under fp16 CPU autocast, else
    bfloat16."""
    try:
        with torch.autocast('cpu', dtype=torch.float16):
            out = torch.nn.functional.conv2d(torch.ones(1, 1, 3, 3),
                                             torch.ones(1, 1, 1, 1))
        return torch.float16 if out.dtype == torch.float16 else (
            torch.bfloat16)
    except (RuntimeError, TypeError):
        return torch.bfloat16


@OPTIM_WRAPPERS.register_module()
class CpuAmpOptimWrapper(AmpOptimWrapper):

    def __init__(self, init_scale: float = 2.0**16, **kwargs):
        kwargs.pop('loss_scale', None)  # always dynamic
        kwargs.pop('dtype', None)
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', init_scale=init_scale)
        self.cast_dtype = cpu_autocast_dtype()
        self.use_fsdp = False

    @contextmanager
    def optim_context(self, model):
        with OptimWrapper.optim_context(self, model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield
