"""``MMDistributedDataParallel`` that also wraps a model kept on the CPU.

mmengine's runner always passes ``device_ids=[LOCAL_RANK]`` to a
``DistributedDataParallel`` wrapper, which torch refuses for a CPU module.
On a GPU this wrapper is mmengine's unchanged; on a CPU (the gloo backend,
e.g. the multi-process test of this project) it drops ``device_ids`` and
``output_device``, as torch requires.
"""
from mmengine.model import MMDistributedDataParallel
from mmrazor.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):

    def __init__(self, module, device_ids=None, output_device=None,
                 **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = output_device = None
        super().__init__(
            module=module,
            device_ids=device_ids,
            output_device=output_device,
            **kwargs)
