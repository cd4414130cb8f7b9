"""The distillation hooks are named in ``default_hooks``: a run changes one
by its name, whatever other hooks the config or the user lists, and
``None`` removes any named hook (``mmrazor_amd.compat.default_hooks``)."""
import os.path as osp

import pytest

from conftest import CONFIGS
from mmrazor_amd_bench.benchmark.setting import merge_cfg_options

TINY = osp.join(CONFIGS, 'distill_synthetic_tiny.py')


def build_runner(tmp_path, options, prepend_hook=None, hooks=None):
    import mmrazor_amd  # noqa: F401  (registers the hooks)
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(TINY)
    cfg.work_dir = str(tmp_path)
    if prepend_hook is not None:  # a user's own hook, listed first
        cfg.custom_hooks = [prepend_hook] + list(cfg.custom_hooks)
    cfg.default_hooks.update(hooks or {})
    merge_cfg_options(cfg, options)
    return Runner.from_cfg(cfg)


def hooks_by_type(runner):
    return {type(hook).__name__: hook for hook in runner.hooks}


def test_a_user_hook_listed_first_changes_nothing(tmp_path):
    """The control by name, with a hook of the user's before every other:
    the balance hook gets scale 0, the user's hook and the test's probe
    stay, nothing else moves."""
    plain = hooks_by_type(build_runner(tmp_path / 'plain', []))
    runner = build_runner(
        tmp_path / 'control', ['default_hooks.distill_balance.scale=0.0'],
        prepend_hook=dict(type='EmptyCacheHook', after_iter=True))
    hooks = hooks_by_type(runner)
    assert hooks['DistillBalanceHook'].scale == 0.0
    assert plain['DistillBalanceHook'].scale == 1.0
    assert hooks['EmptyCacheHook']._do_after_iter
    assert set(hooks) - {'EmptyCacheHook'} == set(plain)
    for name in ('TeacherCheckpointHook', 'RNGStateHook', 'ProbeHook'):
        assert name in hooks


def test_target_ratio_and_calibration_length_by_name(tmp_path):
    runner = build_runner(tmp_path, [
        'default_hooks.distill_balance.target_ratio=2.0',
        'default_hooks.distill_balance.calibration_iters=7'])
    hook = hooks_by_type(runner)['DistillBalanceHook']
    assert (hook.target_ratio, hook.calibration_iters) == (2.0, 7)


def test_none_removes_a_named_hook_that_mmengine_does_not_know(tmp_path):
    """mmengine 0.10.7 alone asserts here (``assert hook is not None``) for
    any name but its own six, mmdet's ``visualization`` included."""
    with_fast = hooks_by_type(build_runner(tmp_path / 'a', [], hooks=dict(
        fast_teacher=dict(type='mmrazor.FastFrozenTeacherHook'))))
    assert 'FastFrozenTeacherHook' in with_fast
    assert 'DetVisualizationHook' in with_fast
    hooks = hooks_by_type(build_runner(tmp_path / 'b', [
        'default_hooks.visualization=None',
        'default_hooks.teacher_checkpoint=None']))
    assert 'DetVisualizationHook' not in hooks
    assert 'TeacherCheckpointHook' not in hooks
    assert 'FastFrozenTeacherHook' not in hooks  # None in the tiny config
    assert 'DistillBalanceHook' in hooks


def test_mmengine_alone_refuses_none_for_other_names():
    """Guards the premise of the fix."""
    from mmengine.runner import Runner
    from mmrazor_amd.compat import default_hooks
    assert getattr(Runner.register_default_hooks,
                   default_hooks._PATCHED, False)
    # the patch keeps mmengine's method in its closure
    closure = Runner.register_default_hooks.__closure__
    unpatched = next(c.cell_contents for c in closure
                     if callable(c.cell_contents)
                     and c.cell_contents.__name__ == 'register_default_hooks')

    class Probe:
        def register_hook(self, hook):
            pass

    with pytest.raises(AssertionError):
        unpatched(Probe(), dict(visualization=None))
