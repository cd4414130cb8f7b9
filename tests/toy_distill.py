"""A toy distillation model and runner for DistillBalanceHook's tests: the
hook's logic on a real mmengine Runner, with losses small enough to write
by hand.

Per sample ``x`` (2 numbers: ``(i, 1)`` for dataset index ``i``, divided
by 8) and its factor ``d`` (1 unless the test injects 0, NaN or Inf):

* the student's neck ``f = W x + b`` (``architecture.neck``, 2 -> 2);
* detection loss ``L_det = d * mean_n (v . f_n + c - (x_n0 + x_n1))^2``
  (``architecture.head``, 2 -> 1; key ``loss_det``);
* distillation loss ``L_d = w * sum_n |G f_n + e - t_n|^2 / N`` with the
  "teacher feature" ``t_n = (x_n1, x_n0)`` and ``G, e`` the loss's own
  linear layer (``distiller.distill_losses.loss_toy``, ``loss_weight``
  ``w``; key ``distill.loss_toy``); a test can multiply ``t_n`` by a
  factor per sample too (Inf: a non-finite distillation loss).

``python tests/toy_distill.py WORK_DIR FAULTS K`` (under
``torch.distributed.run``) trains it on the ranks with the hook
calibrating over ``K`` iterations; ``FAULTS`` is ``index:value,...`` of
dataset samples whose ``d`` is replaced.
"""
import sys
import uuid

import torch
from mmengine.model import BaseModel
from torch import nn


class ToyLoss(nn.Module):

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = loss_weight
        self.gen = nn.Linear(2, 2)

    def forward(self, feature, teacher):
        error = self.gen(feature) - teacher
        return self.loss_weight * error.pow(2).sum() / feature.shape[0]


class ToyDistillModel(BaseModel):

    def __init__(self, loss_weight=1.0):
        super().__init__()
        torch.manual_seed(0)
        self.architecture = nn.Module()
        self.architecture.neck = nn.Linear(2, 2)
        self.architecture.head = nn.Linear(2, 1)
        self.distiller = nn.Module()
        self.distiller.distill_losses = nn.ModuleDict(
            dict(loss_toy=ToyLoss(loss_weight)))

    def forward(self, inputs, factor=None, teacher=None, mode='loss'):
        x = torch.stack(inputs)
        f = self.architecture.neck(x)
        error = self.architecture.head(f)[:, 0] - x.sum(dim=1)
        d = torch.tensor(factor, dtype=x.dtype).mean()
        det = d * error.pow(2).mean()
        teacher = x.flip(1) * torch.tensor(teacher, dtype=x.dtype)[:, None]
        dist = self.distiller.distill_losses['loss_toy'](f, teacher)
        return {'loss_det': det, 'distill.loss_toy': dist}


class ToyDataset(torch.utils.data.Dataset):

    def __init__(self, length=8, faults=None, teacher_faults=None):
        self.length, self.faults = length, dict(faults or {})
        self.teacher_faults = dict(teacher_faults or {})

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        return dict(inputs=torch.tensor([index / 8, 1 / 8]),
                    factor=self.faults.get(index, 1.0),
                    teacher=self.teacher_faults.get(index, 1.0))


def make_runner(work_dir, hook, max_iters=8, faults=None, teacher_faults=None,
                batch_size=2,
                loss_weight=1.0, accumulative_counts=1, hooks=(),
                launcher='none', checkpoint_interval=1000, resume=False,
                load_from=None):
    from mmengine.runner import Runner
    return Runner(
        model=ToyDistillModel(loss_weight),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=ToyDataset(faults=faults,
                               teacher_faults=teacher_faults),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=batch_size, num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05),
                           accumulative_counts=accumulative_counts),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', by_epoch=False,
                            interval=checkpoint_interval)),
        custom_hooks=[h for h in (hook, *hooks) if h is not None],
        launcher=launcher,
        env_cfg=dict(dist_cfg=dict(backend='gloo', timeout=60)),
        resume=resume, load_from=load_from,
        randomness=dict(seed=0),
        experiment_name=f'toy_distill_{uuid.uuid4().hex[:12]}')


def main(argv):
    import mmrazor_amd  # noqa: F401  (compat: gloo without CUDA)
    from mmrazor_amd.engine import DistillBalanceHook
    work_dir, faults, iters = argv
    faults = {int(k): float(v) for k, v in (
        item.split(':') for item in faults.split(',') if item)}
    hook = DistillBalanceHook(target_ratio=1.0, calibration_iters=int(iters))
    make_runner(work_dir, hook, faults=faults, launcher='pytorch').train()


if __name__ == '__main__':
    main(sys.argv[1:])
