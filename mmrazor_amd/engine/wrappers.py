"""The DDP wrapper that also wraps a model kept on the CPU, registered in
MMRazor's ``MODEL_WRAPPERS`` (``model_wrapper_cfg=dict(type=
'mmrazor.DeviceAwareDistributedDataParallel')``). The class lives in
:mod:`mmrazor_amd.compat.distributed`, which also makes mmengine's runner
use it by default."""
from mmrazor.registry import MODEL_WRAPPERS

from ..compat.distributed import device_aware_ddp

DeviceAwareDistributedDataParallel = MODEL_WRAPPERS.register_module(
    module=device_aware_ddp())
