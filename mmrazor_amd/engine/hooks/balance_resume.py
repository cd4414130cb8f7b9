"""What DistillBalanceHook does when a run resumes (``--resume``).

The checkpoint's ``meta.distill_balance`` (written by every save) holds
``scale``, ``calibrated``, ``target_ratio``, the calibration window's
``sums`` over all ranks (``detection``, ``distill``: sums of ``L_det`` and
of ``L_d`` at the config's weights; ``count``: rank-iterations;
``iters``: iterations) and ``measured`` (the window's means and the
effective weights). The run's own settings are ``target_ratio`` ``r`` and,
without it, the fixed ``scale`` ``s``. The rule, one case per line
(:func:`resume_plan`; every case is logged, the switches as warnings):

=======================  ===============================  ================
this run                 checkpoint                        applied
=======================  ===============================  ================
fixed ``s``              any, or no meta                   ``s`` (e.g. the
                                                           control, 0)
``r``                    calibrated (any ratio ``r'``)     ``r * mean(L_det)
                                                           / mean(L_d)`` of
                                                           its measurement
``r``                    calibrating (any ratio)           the window goes
                                                           on with ``r``
``r``                    fixed scale, or no meta           error: nothing
                                                           measured
=======================  ===============================  ================

So a run switches into the control (``target_ratio=None, scale=0``) or to
another ratio on resume without measuring again; it cannot start a
calibration in mid-run (distillation would stop for ``calibration_iters``
iterations): that needs a new run (``load_from``, which starts at
iteration 0 and calibrates).
"""
from typing import NamedTuple, Optional


class ResumePlan(NamedTuple):
    """``scale`` and ``calibrated`` to apply, the window's ``sums`` and
    ``measured`` to keep, the message and whether it is a warning (a
    switch away from the checkpoint's run) or an error."""
    scale: float = 0.0
    calibrated: bool = True
    sums: Optional[dict] = None
    measured: Optional[dict] = None
    message: str = ''
    warning: bool = False
    error: bool = False


def _describe(state: Optional[dict]) -> str:
    if state is None:
        return 'no meta.distill_balance (a run without DistillBalanceHook)'
    if state.get('target_ratio') is None:
        return f'a fixed scale {float(state["scale"]):g}'
    if state.get('calibrated'):
        return (f'scale {float(state["scale"]):.4g} calibrated to target '
                f'ratio {state["target_ratio"]:g}')
    return (f'target ratio {state["target_ratio"]:g}, calibration under way '
            f'({state["sums"]["iters"]} iterations measured)')


def resume_plan(state: Optional[dict], iteration: int,
                target_ratio: Optional[float], scale: float,
                hook_key: str = 'default_hooks.distill_balance'
                ) -> ResumePlan:
    """The rule of the module docstring for a run resumed at ``iteration``
    (> 0) from a checkpoint holding ``state`` (None: no meta)."""
    where = f'resumed at iteration {iteration} from a checkpoint with ' + \
        _describe(state)
    if target_ratio is None:
        same = (state is not None and state.get('target_ratio') is None
                and float(state['scale']) == scale)
        return ResumePlan(
            scale=scale, message=f'{where}; this run\'s fixed scale '
            f'{scale:g} applies' + ('' if same else ' from here on'),
            warning=state is not None and not same)
    measured = (state or {}).get('measured') or {}
    if state is not None and state.get('target_ratio') is not None:
        if not state.get('calibrated'):
            return ResumePlan(
                scale=0.0, calibrated=False, sums=dict(state['sums']),
                message=f'{where}; the calibration goes on with target '
                f'ratio {target_ratio:g}',
                warning=state['target_ratio'] != target_ratio)
        if state['target_ratio'] == target_ratio:
            return ResumePlan(scale=float(state['scale']),
                              measured=dict(measured),
                              message=f'{where}; the scale is kept')
        if measured.get('distill_loss', 0) > 0:
            new = (target_ratio * measured['detection_loss'] /
                   measured['distill_loss'])
            return ResumePlan(
                scale=new, measured=dict(measured), warning=True,
                message=f'{where}; this run asks for target ratio '
                f'{target_ratio:g}: scale {new:.4g} from the checkpoint\'s '
                f'measurement (mean detection loss '
                f'{measured["detection_loss"]:.4g}, mean distillation loss '
                f'{measured["distill_loss"]:.4g}), without calibrating again')
    return ResumePlan(
        error=True,
        message=f'{where}, and this run asks for target_ratio='
        f'{target_ratio:g}: there is no calibration to continue, and '
        'calibrating now would switch distillation off in mid-run. Resume '
        f'with a fixed scale ({hook_key}.target_ratio=None '
        f'{hook_key}.scale=<scale>), or start a new run from the checkpoint '
        'with load_from (no --resume), which calibrates from iteration 0')
