"""See and set the balance between the distillation and the detection loss.

A distillation loss ``L_d`` (AMD, MGD, FGD) is added to the student's
detection loss ``L_det`` with a weight ``alpha``. The right ``alpha``
depends on the feature magnitudes of the teacher, hence on the data and
the schedule: a weight that fits one teacher can make ``alpha * L_d``
hundreds of times ``L_det`` with another (docs/method.md, "Loss
balance"), and then gradient clipping scales the detection gradient down
with it. FGD's and MGD's authors tune ``alpha`` on new data
until the weighted distillation loss is about the size of the detection
loss. :class:`DistillBalanceHook` makes that rule a measurement:

* **logging** (always): every iteration, for each distillation loss module
  ``name`` of ``model.distiller.distill_losses``, the *raw* loss
  ``distill.<name>_raw`` (the loss at unit leading weight: ``sum (T - Y)^2
  / N`` for AMD and MGD; for FGD the loss at ``alpha_fgd = 1`` with its
  ``alpha:beta:gamma:lambda`` ratios kept), next to the weighted
  ``distill.<name>`` that the distiller logs, plus ``distill.scale`` and
  ``distill.ratio`` (weighted distillation / detection loss);
* **calibration** (``target_ratio``): during the first ``calibration_iters``
  iterations ``K`` the distillation losses are multiplied by 0 (the student
  trains on ``L_det`` alone) while ``L_det`` and the unscaled ``L_d`` (at
  the config's weights) are summed over the ranks and the iterations; then
  the scale is fixed once for the rest of the run::

      scale = target_ratio * mean(L_det) / mean(L_d)

  Every weight of every distillation loss is multiplied by ``scale``, so a
  method's internal ratios (FGD's four weights, MGD's five levels) are kept.
  Each calibration iteration all-reduces that iteration's two sums (every
  rank calls it in ``after_train_iter``), so every rank holds the window's
  sums over all ranks at every iteration, applies the same scale, and a
  checkpoint (saved by rank 0 alone: ``Runner.save_checkpoint`` is
  ``master_only``) stores them without a collective. Stops with
  :class:`DistillBalanceError`, on every rank at once, when a detection or
  distillation loss is NaN/Inf in the window, when ``mean(L_det)`` or
  ``mean(L_d)`` is not > 0, and, before the first iteration, when the run
  is too short to finish the window or every distillation weight is 0;
* **a fixed scale** (``scale``, without ``target_ratio``): e.g. ``scale=0``
  trains the distillation set-up without any distillation gradient while
  still logging the raw loss (the benchmark's control);
* **resume**: the scale, the window's sums and the measured means are
  stored in each checkpoint (``meta.distill_balance``); ``--resume``
  applies the rule of :mod:`.balance_resume` (continue, switch to this
  run's fixed scale, rescale to this run's ratio from the measurement, or
  stop when a ratio is asked and nothing was measured);
* **gradient share** (``grad_share_interval > 0``, single process): every
  that many iterations, the distillation share ``|g_d| / (|g_d| +
  |g_det|)`` of the gradient of ``grad_share_module`` (default the
  student's neck), before clipping, of this iteration's micro-batch
  (:mod:`.grad_share`): 0 without distillation, 0.5 when both pull equally
  hard, 1 when the detection loss does not reach these parameters. It costs
  one partial backward pass on the iterations it measures.

The multiplication is a forward hook on each loss module: the modules and
their configs are not changed.
"""
import math
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmrazor.registry import HOOKS

from ...models.losses.weights import loss_weights
from .balance_resume import resume_plan
from .grad_share import GradShareMeter

CHECKPOINT_KEY = 'distill_balance'
HOOK_KEY = 'default_hooks.distill_balance'  # its name in the configs


class DistillBalanceError(RuntimeError):
    """The balance hook cannot do what its config asks."""


@HOOKS.register_module()
class DistillBalanceHook(Hook):
    """Log, calibrate or fix the weight of the distillation losses.

    Args:
        target_ratio (float, optional): calibrate the scale so that the
            weighted distillation loss is this multiple of the detection
            loss (1.0: the rule of FGD's and MGD's authors). None keeps the
            config's weights times ``scale``.
        calibration_iters (int): iterations measured before the scale is
            fixed (distillation off meanwhile). Defaults to 50.
        scale (float): fixed multiplier of the distillation losses when
            ``target_ratio`` is None. Defaults to 1.0 (the config's weights).
        grad_share_interval (int): measure the distillation share of the
            gradient of ``grad_share_module`` every this many iterations;
            0 (default) never.
        grad_share_module (str): dotted name, in the distillation algorithm,
            of the module whose parameter gradient is measured. Defaults to
            ``'architecture.neck'``.
    """

    priority = 'NORMAL'  # after RuntimeInfoHook, before LoggerHook

    def __init__(self,
                 target_ratio: Optional[float] = None,
                 calibration_iters: int = 50,
                 scale: float = 1.0,
                 grad_share_interval: int = 0,
                 grad_share_module: str = 'architecture.neck') -> None:
        if target_ratio is not None and not _positive(target_ratio):
            raise ValueError('target_ratio must be a finite number > 0 or '
                             f'None, got {target_ratio!r}')
        if target_ratio is not None and scale != 1.0:
            raise ValueError('give either target_ratio (calibrated scale) or '
                             f'scale (fixed), not both: scale={scale!r}')
        if not (_positive(scale) or scale == 0):
            raise ValueError(f'scale must be a finite number >= 0, got '
                             f'{scale!r}')
        for name, value in (('calibration_iters', calibration_iters),
                            ('grad_share_interval', grad_share_interval)):
            if isinstance(value, bool) or not isinstance(value, int) or (
                    value < (1 if name == 'calibration_iters' else 0)):
                raise ValueError(f'{name} must be a non-negative int '
                                 f'(calibration_iters >= 1), got {value!r}')
        self.target_ratio = target_ratio
        self.calibration_iters = calibration_iters
        self.fixed_scale = float(scale)
        self.scale = 0.0 if target_ratio is not None else float(scale)
        self.calibrated = target_ratio is None
        self.grad_share_interval = grad_share_interval
        self.grad_share_module = grad_share_module
        # the calibration window's sums over all ranks (identical on every
        # rank), the rank-iterations and the iterations they count
        self.sums = dict(detection=0.0, distill=0.0, count=0, iters=0)
        self.measured: Dict = {}
        self._modules: Dict[str, torch.nn.Module] = {}
        self._outputs: Dict[str, torch.Tensor] = {}
        self._graph: list = []
        self._meter: Optional[GradShareMeter] = None
        self._measure = False
        self._handles: list = []
        self._pending: Optional[dict] = None
        self._loaded = False

    # -------------------------------------------------------------- set-up
    def before_train(self, runner) -> None:
        if self._loaded and runner.iter > 0:  # resumed, not load_from
            self._resume(runner, self._pending)
        self._pending, self._loaded = None, False
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        distiller = getattr(model, 'distiller', None)
        losses = getattr(distiller, 'distill_losses', None)
        if not losses:
            runner.logger.warning(
                'DistillBalanceHook: the model has no '
                'distiller.distill_losses; nothing to balance')
            return
        self._modules = dict(losses.items())
        weights = [loss_weights(m) for m in self._modules.values()]  # early
        if self.measured:  # resumed calibrated: the weights of its scale
            self.measured['effective_weights'] = self.effective_weights()
        if not self.calibrated:
            self._check_window(runner, weights)
        for name, module in self._modules.items():
            self._handles.append(
                module.register_forward_hook(self._forward_hook(name)))
        if self.grad_share_interval:
            if get_world_size() > 1:
                runner.logger.warning(
                    'DistillBalanceHook: the gradient share is measured in '
                    'single-process runs only; switched off')
                self.grad_share_interval = 0
            else:
                self._meter = GradShareMeter([
                    p for p in model.get_submodule(
                        self.grad_share_module).parameters()
                    if p.requires_grad
                ])
        state = 'calibrating' if not self.calibrated else 'fixed'
        runner.logger.info(
            f'DistillBalanceHook: {state}, scale {self.scale:g} on '
            f'{", ".join(self._modules)}' + (
                f'; target ratio {self.target_ratio:g} over the first '
                f'{self.calibration_iters} iterations'
                if not self.calibrated else ''))

    def _check_window(self, runner, weights) -> None:
        """What the config already tells: a window that the run cannot
        finish, or distillation weights that are all 0."""
        if all(value == 0 for w in weights for value in w.values.values()):
            raise DistillBalanceError(
                'DistillBalanceHook: every weight of the distillation losses '
                f'({", ".join(self._modules)}) is 0, so there is nothing to '
                f'calibrate (target_ratio={self.target_ratio:g}); give the '
                'losses a weight > 0, or use a fixed scale '
                f'({HOOK_KEY}.target_ratio=None)')
        left = self.calibration_iters - self.sums['iters']
        if left > 0 and runner.max_iters - runner.iter < left:
            raise DistillBalanceError(
                f'DistillBalanceHook: calibration_iters='
                f'{self.calibration_iters} but the run trains '
                f'{runner.max_iters - runner.iter} more iterations (to '
                f'{runner.max_iters}) with {self.sums["iters"]} measured: '
                'it would end before the scale is set and train without '
                'distillation throughout. Lower '
                f'{HOOK_KEY}.calibration_iters, train longer, or use a '
                f'fixed scale ({HOOK_KEY}.target_ratio=None)')
        if left <= 0:  # a resumed window already long enough
            self._finish(runner)

    def _forward_hook(self, name: str):

        def hook(module, args, output):
            if not isinstance(output, torch.Tensor) or output.dim() != 0:
                raise DistillBalanceError(
                    f'DistillBalanceHook: the distillation loss {name} '
                    f'returned {type(output).__name__}, not a scalar tensor')
            self._outputs[name] = output.detach()
            if self.scale == 1.0:
                scaled = output
            elif self.scale == 0.0 and not bool(torch.isfinite(output)):
                # inf * 0 would be NaN; after_train_iter stops the run
                scaled = output.detach().new_zeros(())
            else:
                scaled = output * self.scale
            if self._measure:
                self._graph.append(scaled)
                if len(self._graph) == len(self._modules):
                    self._meter.distill(self._graph)
                    self._graph = []
            return None if self.scale == 1.0 else scaled

        return hook

    # ---------------------------------------------------------- each iter
    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._outputs, self._graph = {}, []
        self._measure = self._meter is not None and (
            runner.iter % self.grad_share_interval == 0)
        if self._measure:
            self._meter.start(runner.optim_wrapper)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not self._modules or outputs is None:
            return
        hub = runner.message_hub
        detection = sum(
            float(value) for key, value in outputs.items()
            if 'loss' in key and key != 'loss'
            and not key.startswith('distill.'))
        unscaled = 0.0
        for name, value in self._outputs.items():
            value = float(value)
            unscaled += value
            lead = loss_weights(self._modules[name]).lead
            if lead > 0:
                hub.update_scalar(f'train/distill.{name}_raw', value / lead)
        hub.update_scalar('train/distill.scale', self.scale)
        if detection > 0 and math.isfinite(detection):
            hub.update_scalar('train/distill.ratio',
                              self.scale * unscaled / detection)
        if self._measure:
            self._measure = False
            share = self._meter.finish()
            if share is not None:
                hub.update_scalar('train/distill.grad_share', share)
        if not self.calibrated:
            self._calibrate(runner, detection, unscaled)

    def _calibrate(self, runner, detection: float, unscaled: float) -> None:
        """Add this iteration's losses, summed over the ranks, to the
        window (a collective that every rank calls here, every calibration
        iteration, so that a non-finite loss on one rank stops all)."""
        step = torch.tensor([detection, unscaled, 1.0], dtype=torch.float64)
        all_reduce(step)
        detection, unscaled, ranks = (float(v) for v in step)
        where = (f'at iteration {runner.iter + 1}, in the calibration window '
                 f'of {self.calibration_iters} iterations')
        if not math.isfinite(detection):
            raise DistillBalanceError(
                f'DistillBalanceHook: the detection loss is {detection} '
                f'{where} (summed over the ranks): the scale would be NaN. '
                'The student diverged or the data holds NaN/Inf: lower the '
                'learning rate, keep optim_wrapper.clip_grad, check the '
                'annotations; or use a fixed scale '
                f'({HOOK_KEY}.target_ratio=None)')
        if not math.isfinite(unscaled):
            raise DistillBalanceError(
                f'DistillBalanceHook: the distillation losses sum to '
                f'{unscaled} {where} (summed over the ranks): the scale '
                'would be 0 or NaN. Keep check_finite=True in the loss '
                'config to find the level and the culprit; lower the loss '
                'weight, or train in float32 if you use AMP')
        self.sums['detection'] += detection
        self.sums['distill'] += unscaled
        self.sums['count'] += int(ranks)
        self.sums['iters'] += 1
        if self.sums['iters'] >= self.calibration_iters:
            self._finish(runner)

    def _finish(self, runner) -> None:
        """Fix the scale from the window's sums (no collective: every rank
        holds the same sums)."""
        sums = self.sums
        if not sums['distill'] > 0:
            raise DistillBalanceError(
                'DistillBalanceHook: the distillation losses summed to '
                f'{sums["distill"]} over the calibration iterations: nothing '
                'to scale. Check that the distillation weights of the config '
                'are > 0')
        if not sums['detection'] > 0:
            raise DistillBalanceError(
                'DistillBalanceHook: the detection loss summed to '
                f'{sums["detection"]} over the {sums["iters"]} calibration '
                'iterations: the scale would be 0 and distillation off for '
                'the whole run. Check the detection loss weights of the '
                'student (its head\'s loss_cls / loss_bbox), or use a fixed '
                f'scale ({HOOK_KEY}.target_ratio=None '
                f'{HOOK_KEY}.scale=<scale>)')
        self.scale = self.target_ratio * sums['detection'] / sums['distill']
        self.calibrated = True
        self.measured = dict(
            detection_loss=sums['detection'] / sums['count'],
            distill_loss=sums['distill'] / sums['count'],
            iters=sums['iters'],
            effective_weights=self.effective_weights())
        weights = ', '.join(f'{k}={v:.4g}'
                            for k, v in self.measured['effective_weights']
                            .items())
        ranks = sums['count'] // max(sums['iters'], 1)
        runner.logger.info(
            f'DistillBalanceHook: calibrated over {sums["iters"]} '
            f'iterations' + (f' of {ranks} ranks' if ranks > 1 else '') +
            f': mean detection loss {self.measured["detection_loss"]:.4g}, '
            f'mean distillation loss at the config weights '
            f'{self.measured["distill_loss"]:.4g}; scale {self.scale:.4g} '
            f'(target ratio {self.target_ratio:g}); effective weights: '
            f'{weights}')

    def effective_weights(self) -> Dict[str, float]:
        """``{'<loss>.<weight>': config value * scale}`` of every loss."""
        return {
            f'{name}.{weight}': value * self.scale
            for name, module in self._modules.items()
            for weight, value in loss_weights(module).values.items()
        }

    # --------------------------------------------------------- checkpoint
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # rank 0 alone runs this (Runner.save_checkpoint is master_only):
        # no collective; the sums already cover every rank
        checkpoint.setdefault('meta', {})[CHECKPOINT_KEY] = dict(
            scale=self.scale, calibrated=self.calibrated,
            target_ratio=self.target_ratio, sums=dict(self.sums),
            measured=self.measured)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # applied in before_train, once the runner says whether it resumed
        # (a plain ``load_from`` leaves the iteration at 0 and calibrates anew)
        self._pending = (checkpoint.get('meta') or {}).get(CHECKPOINT_KEY)
        self._loaded = True

    def _resume(self, runner, state: Optional[dict]) -> None:
        plan = resume_plan(state, runner.iter, self.target_ratio,
                           self.fixed_scale, HOOK_KEY)
        message = f'DistillBalanceHook: {plan.message}'
        if plan.error:
            raise DistillBalanceError(message)
        (runner.logger.warning if plan.warning else runner.logger.info)(
            message)
        self.scale, self.calibrated = plan.scale, plan.calibrated
        if plan.sums is not None:
            self.sums = dict(plan.sums)
        self.measured = dict(plan.measured or {})

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _positive(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and value > 0)
