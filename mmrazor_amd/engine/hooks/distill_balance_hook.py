"""See and set the balance between the distillation and the detection loss.

A distillation loss ``L_d`` (AMD, MGD, FGD) is added to the student's
detection loss ``L_det`` with a weight ``alpha``. The right ``alpha``
depends on the feature magnitudes of the teacher, hence on the data and
the schedule: a weight that fits one teacher can make ``alpha * L_d``
hundreds of times ``L_det`` with another (docs/method.md, "Loss
balance"), and then gradient clipping scales the detection gradient down
with it. FGD's and MGD's authors tune ``alpha`` on new data
until the weighted distillation loss is about the size of the detection
loss. :class:`DistillBalanceHook` makes that rule a measurement
(``docs/method.md``, "Loss balance"):

* **logging** (always): every iteration, for each distillation loss module
  ``name`` of ``model.distiller.distill_losses``, the *raw* loss
  ``distill.<name>_raw`` (the loss at unit leading weight: ``sum (T - Y)^2
  / N`` for AMD and MGD; for FGD the loss at ``alpha_fgd = 1`` with its
  ``alpha:beta:gamma:lambda`` ratios kept), next to the weighted
  ``distill.<name>`` that the distiller logs, plus ``distill.scale`` and
  ``distill.ratio`` (weighted distillation / detection loss);
* **calibration** (``target_ratio``): during the first ``calibration_iters``
  iterations the distillation losses are multiplied by 0 (the student trains
  on ``L_det`` alone) while ``L_det`` and the unscaled ``L_d`` (at the
  config's weights) are averaged; then the scale is fixed once for the rest
  of the run::

      scale = target_ratio * mean(L_det) / mean(L_d)

  Every weight of every distillation loss is multiplied by ``scale``, so a
  method's internal ratios (FGD's four weights, MGD's five levels) are kept.
  The means are summed over the ranks of a distributed run, so every rank
  gets the same scale. The scale, the effective weights and the measured
  means are logged and stored in each checkpoint (``meta.distill_balance``);
  a resumed run keeps them;
* **a fixed scale** (``scale``, without ``target_ratio``): e.g. ``scale=0``
  trains the distillation set-up without any distillation gradient while
  still logging the raw loss (the benchmark's control);
* **gradient share** (``grad_share_interval > 0``, single process): every
  that many iterations, the gradient ``g`` of the parameters of
  ``grad_share_module`` (default the student's neck), before clipping, is
  split into the part ``g_d`` of the weighted distillation loss and the
  rest ``g_det = g - g_d``; ``distill.grad_share`` is
  ``|g_d| / (|g_d| + |g_det|)``: 0 without distillation, 0.5 when both
  pull equally hard, 1 when the detection loss does not reach these
  parameters. It costs one partial backward pass on the iterations it
  measures.

The multiplication is a forward hook on each loss module: the modules and
their configs are not changed.
"""
import math
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmrazor.registry import HOOKS

from ...models.losses.weights import loss_weights

CHECKPOINT_KEY = 'distill_balance'


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
        self.scale = 0.0 if target_ratio is not None else float(scale)
        self.calibrated = target_ratio is None
        self.grad_share_interval = grad_share_interval
        self.grad_share_module = grad_share_module
        # this rank's sums of the calibration window (after a resume, rank 0
        # also holds those of all ranks before it), the rank-iterations they
        # count, and the iterations of the window done so far
        self.sums = dict(detection=0.0, distill=0.0, count=0, iters=0)
        self.measured: Dict = {}
        self._modules: Dict[str, torch.nn.Module] = {}
        self._outputs: Dict[str, torch.Tensor] = {}
        self._graph: List[torch.Tensor] = []
        self._measure = False
        self._distill_grads: Dict[torch.nn.Parameter, torch.Tensor] = {}
        self._norms_sq = dict(distill=0.0, detection=0.0)
        self._handles: list = []
        self._grad_handles: list = []
        self._pending: Optional[dict] = None

    # -------------------------------------------------------------- set-up
    def before_train(self, runner) -> None:
        if self._pending is not None and runner.iter > 0:
            self._restore(runner, self._pending)  # resumed, not load_from
        self._pending = None
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
        for name, module in self._modules.items():
            loss_weights(module)  # fails early for a loss it cannot scale
            self._handles.append(
                module.register_forward_hook(self._forward_hook(name)))
        if self.grad_share_interval:
            if get_world_size() > 1:
                runner.logger.warning(
                    'DistillBalanceHook: the gradient share is measured in '
                    'single-process runs only; switched off')
                self.grad_share_interval = 0
            else:
                self._neck_params = [
                    p for p in model.get_submodule(
                        self.grad_share_module).parameters()
                    if p.requires_grad
                ]
        state = 'calibrating' if not self.calibrated else 'fixed'
        runner.logger.info(
            f'DistillBalanceHook: {state}, scale {self.scale:g} on '
            f'{", ".join(self._modules)}' + (
                f'; target ratio {self.target_ratio:g} over the first '
                f'{self.calibration_iters} iterations'
                if not self.calibrated else ''))

    def _forward_hook(self, name: str):

        def hook(module, args, output):
            if not isinstance(output, torch.Tensor) or output.dim() != 0:
                raise DistillBalanceError(
                    f'DistillBalanceHook: the distillation loss {name} '
                    f'returned {type(output).__name__}, not a scalar tensor')
            self._outputs[name] = output.detach()
            scaled = output if self.scale == 1.0 else output * self.scale
            if self._measure:
                self._graph.append(scaled)
                if len(self._graph) == len(self._modules):
                    self._distill_gradient()
            return None if self.scale == 1.0 else scaled

        return hook

    # ---------------------------------------------------- gradient share
    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._outputs = {}
        self._measure = bool(self.grad_share_interval) and (
            runner.iter % self.grad_share_interval == 0)
        self._graph, self._distill_grads = [], {}
        self._norms_sq = dict(distill=0.0, detection=0.0)
        # AmpOptimWrapper's backward scales the gradients by its loss scale
        scaler = getattr(runner.optim_wrapper, 'loss_scaler', None)
        self._loss_scale = (float(scaler.get_scale()) if scaler is not None
                            and scaler.is_enabled() else 1.0)
        if self._measure:
            self._grad_handles = [
                param.register_post_accumulate_grad_hook(
                    self._accumulate_total) for param in self._neck_params
            ]

    def _accumulate_total(self, param) -> None:
        """Called once a parameter's gradient ``g`` is complete: add
        ``|g_d|^2`` and ``|g - g_d|^2`` of that parameter to the norms."""
        total = param.grad.detach().float()
        distill = self._distill_grads.get(param)
        if distill is None:
            self._norms_sq['detection'] += float(total.pow(2).sum())
            return
        self._norms_sq['distill'] += float(distill.pow(2).sum())
        self._norms_sq['detection'] += float((total - distill).pow(2).sum())

    def _distill_gradient(self) -> None:
        """``g_d`` of the measured parameters, from the graph of the
        weighted distillation losses (the full backward follows)."""
        total = torch.stack([g.float() for g in self._graph]).sum()
        self._graph = []
        if not total.requires_grad:
            return
        grads = torch.autograd.grad(total, self._neck_params,
                                    retain_graph=True, allow_unused=True)
        self._distill_grads = {
            param: grad.detach().float() * self._loss_scale
            for param, grad in zip(self._neck_params, grads)
            if grad is not None
        }

    # ---------------------------------------------------------- each iter
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
        if detection > 0:
            hub.update_scalar('train/distill.ratio',
                              self.scale * unscaled / detection)
        if self._measure:
            for handle in self._grad_handles:
                handle.remove()
            self._grad_handles, self._measure = [], False
            self._distill_grads = {}
            distill, rest = (math.sqrt(self._norms_sq[k])
                             for k in ('distill', 'detection'))
            if distill + rest > 0:
                hub.update_scalar('train/distill.grad_share',
                                  distill / (distill + rest))
        if not self.calibrated:
            self._calibrate(runner, detection, unscaled)

    def _global_sums(self) -> Dict[str, float]:
        """The window's sums over every rank (a collective call)."""
        sums = torch.tensor([self.sums[k] for k in
                             ('detection', 'distill', 'count')],
                            dtype=torch.float64)
        all_reduce(sums)
        return dict(zip(('detection', 'distill', 'count'),
                        (float(v) for v in sums)))

    def _calibrate(self, runner, detection: float, unscaled: float) -> None:
        self.sums['detection'] += detection
        self.sums['distill'] += unscaled
        self.sums['count'] += 1
        self.sums['iters'] += 1
        if self.sums['iters'] < self.calibration_iters:
            return
        sums = self._global_sums()
        if not (sums['distill'] > 0 and math.isfinite(sums['distill'])):
            raise DistillBalanceError(
                'DistillBalanceHook: the distillation losses summed to '
                f'{sums["distill"]} over the calibration iterations: nothing '
                'to scale. Check that the distillation weights of the config '
                'are > 0')
        self.scale = self.target_ratio * sums['detection'] / sums['distill']
        self.calibrated = True
        self.measured = dict(
            detection_loss=sums['detection'] / sums['count'],
            distill_loss=sums['distill'] / sums['count'],
            iters=self.sums['iters'],
            effective_weights=self.effective_weights())
        weights = ', '.join(f'{k}={v:.4g}'
                            for k, v in self.measured['effective_weights']
                            .items())
        ranks = get_world_size()
        runner.logger.info(
            f'DistillBalanceHook: calibrated over {self.sums["iters"]} '
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
        # every rank saves (mmengine writes rank 0's file): the window's
        # sums of all ranks, so that a resumed run counts each once
        sums = dict(self.sums)
        if not self.calibrated:
            sums.update(self._global_sums())
        checkpoint.setdefault('meta', {})[CHECKPOINT_KEY] = dict(
            scale=self.scale, calibrated=self.calibrated,
            target_ratio=self.target_ratio, sums=sums,
            measured=self.measured)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # applied in before_train, once the runner says whether it resumed
        # (a plain ``load_from`` leaves the iteration at 0 and calibrates anew)
        self._pending = checkpoint.get('meta', {}).get(CHECKPOINT_KEY)

    def _restore(self, runner, state: dict) -> None:
        if state.get('target_ratio') != self.target_ratio:
            runner.logger.warning(
                'DistillBalanceHook: the checkpoint was trained with '
                f'target_ratio={state.get("target_ratio")}, this run asks '
                f'for {self.target_ratio}; keeping the checkpoint\'s scale')
        self.scale = float(state['scale'])
        self.calibrated = bool(state['calibrated'])
        self.sums = dict(state['sums'])
        if get_rank() != 0:  # rank 0 carries the sums of all ranks
            self.sums.update(detection=0.0, distill=0.0, count=0)
        self.measured = dict(state.get('measured') or {})
        runner.logger.info(
            f'DistillBalanceHook: resumed with scale {self.scale:g}'
            + ('' if self.calibrated else
               f' (calibrating, {self.sums["iters"]} iterations measured)'))

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _positive(value) -> bool:
    return (not isinstance(value, bool) and isinstance(value, (int, float))
            and math.isfinite(value) and value > 0)
