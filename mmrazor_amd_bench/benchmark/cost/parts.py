"""Parts ``loss`` and ``step``: the methods timed side by side.

``loss``: the distillation losses alone, forward + backward on the FPN maps
of a COCO batch, against MGD; peak memory in a fresh process per method.
``step``: one full ``model.train_step(batch, optim_wrapper)`` of a setting's
baseline student and of each method's distillation config (teacher forward
included), random weights, against the baseline.
"""
from typing import Dict, Optional

import torch

from .memory import compare, measure_memory
from .methods import (LOSS_METHODS, LossProblem, build_trainable,
                      describe_loss_methods, describe_optimizer, loss_inputs,
                      loss_step, set_fast_teacher, setting_configs,
                      teacher_mode, use_amp)
from .timing import interleaved, is_cuda, paired_ratios, summary


def _print_timing(part: str, timing: Dict, reference: str,
                  unit_ms: str) -> None:
    for name, t in timing.items():
        print(f'[{part}] {name}: median {t["median_s"] * 1e3:{unit_ms}} ms, '
              f'x{t["median_paired_ratio"]:.3f} {reference} (paired)',
              flush=True)


def run_loss_part(problem: LossProblem, device: str, warmup: int,
                  repeats: int, memory: bool = True,
                  threads: Optional[int] = None) -> Dict:
    print(f'[loss] levels {[s[2:] for s in problem.shapes]}, input padded '
          f'to {problem.padded}', flush=True)
    students, teachers = loss_inputs(problem, device)
    runners = {
        name: loss_step(name, problem, device, students, teachers)
        for name in LOSS_METHODS
    }
    times = interleaved(runners, warmup, repeats, device)
    result = dict(
        problem=problem._asdict(),
        shapes=[list(s) for s in problem.shapes],
        padded_input=list(problem.padded),
        methods=describe_loss_methods(problem),
        warmup=warmup,
        repeats=repeats,
        timing=summary(times, 'mgd'))
    _print_timing('loss', result['timing'], 'MGD', '.1f')
    del runners, students, teachers
    if memory:
        peaks = {}
        for name in LOSS_METHODS:
            peaks[name] = measure_memory(name, problem, device, threads)
            print(f'[loss] {name}: peak +'
                  f'{peaks[name]["peak_bytes"] / 2**20:.0f} MiB', flush=True)
        compare(peaks, 'mgd')
        result['memory'] = peaks
    return result


def demo_batch(batch: int, size: int, device: str) -> Dict:
    """``batch`` random ``size x size`` images with 4 boxes each
    (``mmdet.testing.demo_mm_inputs``)."""
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(0)
    data = demo_mm_inputs(
        batch_size=batch, image_shapes=[(3, size, size)] * batch,
        num_items=[4] * batch, num_classes=6)
    if is_cuda(device):
        data['inputs'] = [x.to(device) for x in data['inputs']]
        data['data_samples'] = [s.to(device) for s in data['data_samples']]
    return data


def run_step_part(setting, device: str, batch: int, size: int, warmup: int,
                  repeats: int, amp: bool = False,
                  fast_teacher: str = 'config') -> Dict:
    """``amp``: mixed precision as ``--amp`` of the train script;
    ``fast_teacher``: the teacher hook as the configs have it, on or off
    (:func:`set_fast_teacher`)."""
    from mmengine.config import Config
    configs = setting_configs(setting)
    baseline = next(iter(configs))
    data = demo_batch(batch, size, device)
    runners, log_vars, optimizers, modes = {}, {}, {}, {}
    first_vars, scales = {}, {}  # scales: AMP's loss scale before each step
    for name, path in configs.items():
        cfg = Config.fromfile(path)
        set_fast_teacher(cfg, fast_teacher)
        if amp:
            use_amp(cfg)
        model, optim_wrapper = build_trainable(cfg, device)
        optimizers[name] = describe_optimizer(cfg)
        modes[name] = teacher_mode(cfg)

        def step(model=model, optim_wrapper=optim_wrapper, name=name):
            scaler = getattr(optim_wrapper, 'loss_scaler', None)
            if scaler is not None:
                scales.setdefault(name, []).append(float(scaler.get_scale()))
            log_vars[name] = model.train_step(data, optim_wrapper)
            first_vars.setdefault(name, log_vars[name])

        runners[name] = step
    times = interleaved(runners, warmup, repeats, device)
    result = dict(
        setting=setting.name,
        baseline=baseline,
        batch=batch,
        image_size=size,
        warmup=warmup,
        repeats=repeats,
        configs=configs,
        optimizers=optimizers,
        amp=amp,
        fast_teacher=fast_teacher,
        teacher_modes=modes,
        timing=summary(times, baseline))
    if 'AMD' in times and 'MGD' in times:
        result['amd_over_mgd'] = paired_ratios(times['AMD'], times['MGD'])
    for key, values in (('first_losses', first_vars),
                        ('last_losses', log_vars)):
        result[key] = {
            name: {k: float(torch.as_tensor(v).detach())
                   for k, v in logged.items()}
            for name, logged in values.items()
        }
    if scales:
        # the dynamic loss scale halves after a step whose gradients
        # overflowed, and that step does not update the weights
        result['loss_scale'] = {
            name: dict(first=history[0], last=history[-1],
                       skipped_steps=sum(b < a for a, b in
                                         zip(history, history[1:])))
            for name, history in scales.items()
        }
    _print_timing('step', result['timing'], baseline, '.0f')
    return result

