"""``default_hooks.<name>=None`` for every named hook, not only mmengine's.

OpenMMLab configs give hooks names in ``default_hooks`` (mmdet adds
``visualization``; the distillation configs add ``teacher_checkpoint``,
``rng_state``, ``distill_balance`` and, on the embedded setting,
``fast_teacher``), so that a run changes one by name:
``--cfg-options default_hooks.distill_balance.scale=0.0``. mmengine 0.10.7
lets ``None`` remove only its own six (``Runner.register_default_hooks``:
``assert hook is not None`` for any other name), so
``default_hooks.visualization=None`` stops a run with a bare
``AssertionError``. :func:`apply` drops ``None`` entries before mmengine
reads them: ``None`` removes any named hook, as mmengine documents it for
its own.
"""

_PATCHED = '_mmrazor_amd_none_removes_hook'


def apply() -> None:
    from mmengine.runner import runner as runner_module
    Runner = runner_module.Runner
    original = Runner.register_default_hooks
    if getattr(original, _PATCHED, False):
        return

    def register_default_hooks(self, hooks=None):
        if hooks is not None:
            hooks = {name: hook for name, hook in hooks.items()
                     if hook is not None or name in _MMENGINE_DEFAULTS}
        return original(self, hooks)

    register_default_hooks.__doc__ = original.__doc__
    setattr(register_default_hooks, _PATCHED, True)
    Runner.register_default_hooks = register_default_hooks


# mmengine removes these itself when they are None
_MMENGINE_DEFAULTS = ('runtime_info', 'timer', 'sampler_seed', 'logger',
                      'param_scheduler', 'checkpoint')
