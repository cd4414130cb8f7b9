"""Part ``profile``: where the time of a real training step goes.

For a setting's baseline student and each method's distillation config
(random weights, :func:`~.methods.build_trainable`), training steps on the
setting's training data through the config's own train dataloader, each
step cut into stages (:data:`STAGES`) with :class:`~.timing.Stopwatch`;
the median of each stage over the measured steps, and of the whole step.

The step is mmengine's ``BaseModel.train_step`` (preprocessing, forward
with losses, ``parse_losses``, backward, optimizer step, ``zero_grad``)
with the forward of a distillation model replayed as MMRazor's
``FpnTeacherDistill.loss`` runs it: the teacher's ``extract_feat`` without
gradient inside the teacher recorders and deliveries, the student's forward
with its losses inside the student recorders, then
``distiller.compute_distill_losses()``. ``parse_losses`` is counted in the
backward. Data loading is the wait for the next batch: the loader's
workers prepare batches while the step runs, as in training.
"""
import statistics
from typing import Dict, Iterator

import torch

from .methods import build_trainable, setting_configs, teacher_mode
from .timing import Stopwatch

STAGES = {
    'data': 'data loading (next batch)',
    'preprocess': '`data_preprocessor`',
    'teacher': 'teacher forward (`extract_feat`, no grad)',
    'student': 'student forward + detection losses',
    'distill': 'distillation losses',
    'backward': 'backward',
    'optimizer': 'optimizer step + `zero_grad`',
}


def train_dataloader(cfg, setting):
    """The config's train dataloader on the setting's training split."""
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from ..setting import merge_cfg_options
    merge_cfg_options(cfg, setting.data_options())
    # the configs name datasets and transforms by mmdet's registry names
    with DefaultScope.overwrite_default_scope('mmdet'):
        return Runner.build_dataloader(cfg.train_dataloader, seed=0)


def endless(loader) -> Iterator:
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def distilled_losses(model, inputs, data_samples, watch: Stopwatch) -> Dict:
    """``FpnTeacherDistill.loss`` with a lap after the teacher, the student
    and the distillation losses."""
    from mmrazor.models import FpnTeacherDistill
    if not isinstance(model, FpnTeacherDistill) or model.teacher_trainable:
        raise TypeError('the profile replays FpnTeacherDistill.loss with a '
                        f'frozen teacher, not {type(model).__name__}')
    distiller = model.distiller
    distiller.set_deliveries_override(False)
    with distiller.teacher_recorders, distiller.deliveries:
        with torch.no_grad():
            model.teacher.extract_feat(inputs)
    watch.lap('teacher')
    distiller.set_deliveries_override(True)
    with distiller.student_recorders, distiller.deliveries:
        losses = model.student(inputs, data_samples, mode='loss')
    watch.lap('student')
    losses.update(distiller.compute_distill_losses())
    watch.lap('distill')
    return losses


def staged_train_step(model, optim_wrapper, batches: Iterator,
                      watch: Stopwatch) -> None:
    batch = next(batches)
    watch.lap('data')
    with optim_wrapper.optim_context(model):
        data = model.data_preprocessor(batch, True)
        watch.lap('preprocess')
        if hasattr(model, 'distiller'):
            losses = distilled_losses(model, data['inputs'],
                                      data['data_samples'], watch)
        else:
            losses = model(**data, mode='loss')
            watch.lap('student')
    loss, _ = model.parse_losses(losses)
    optim_wrapper.backward(loss)
    watch.lap('backward')
    optim_wrapper.step()
    optim_wrapper.zero_grad()
    watch.lap('optimizer')


def profile_config(cfg, setting, device: str, steps: int,
                   warmup: int) -> Dict:
    """Median ms of each stage (None for stages the model has not) and
    median seconds per iteration over ``steps`` after ``warmup``."""
    model, optim_wrapper = build_trainable(cfg, device)
    batches = endless(train_dataloader(cfg, setting))
    laps = {stage: [] for stage in STAGES}
    totals = []
    for index in range(warmup + steps):
        watch = Stopwatch(device)
        staged_train_step(model, optim_wrapper, batches, watch)
        if index >= warmup:
            for stage, seconds in watch.laps.items():
                laps[stage].append(seconds)
            totals.append(sum(watch.laps.values()))
    batches.close()  # ends the loader's workers
    return dict(
        stages_ms={stage: statistics.median(values) * 1e3 if values else None
                   for stage, values in laps.items()},
        s_per_iter=statistics.median(totals))


def run_profile_part(setting, device: str, steps: int, warmup: int) -> Dict:
    from mmengine.config import Config
    setting.prepare_data()  # reuses the data when it exists
    configs = setting_configs(setting)
    methods, batch_size = {}, None
    for name, path in configs.items():
        cfg = Config.fromfile(path)
        methods[name] = profile_config(cfg, setting, device, steps, warmup)
        methods[name]['teacher_mode'] = teacher_mode(cfg)
        batch_size = cfg.train_dataloader.batch_size
        print(f'[profile] {name}: {methods[name]["s_per_iter"]:.3f} s/iter, '
              + ', '.join(f'{stage} {ms:.0f} ms' for stage, ms in
                          methods[name]['stages_ms'].items()
                          if ms is not None), flush=True)
    return dict(
        setting=setting.name,
        data_root=setting.data_root,
        split=list(setting.split('train')),
        batch_size=batch_size,
        steps=steps,
        warmup=warmup,
        configs=configs,
        stages=STAGES,
        methods=methods)
