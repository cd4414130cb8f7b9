"""MMRazor's PKD and CWD beside AMD, MGD and FGD: their configs feed every
FPN level, the balance hook scales their weights like the others', CWD
takes the fast teacher's channels-last maps, and the benchmark and the cost
script plan and time them. (Each config's one training step: test_configs.)
"""
import glob
import json
import math
import os.path as osp
import re

import pytest
import torch

import mmrazor_amd  # noqa: F401  (registers the hooks and the connector)
from conftest import ROOT, run_script
from mmengine.config import Config

METHODS = ('pkd', 'cwd')
SETTINGS = ('retina_x101_retina_r50_2x_coco',
            'reppoints_x101-dcn_reppoints_r50_2x_coco',
            'cascade-mask-rcnn_x101-dcn_faster-rcnn_r50_2x_coco',
            'retina_r50-mini_retina_r18-mini_synthetic',
            'reppoints_r50-mini_reppoints_r18-mini_synthetic',
            'cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic')
# MMRazor's published per-level weights (configs/distill/mmdet/pkd, cwd)
WEIGHTS = {('pkd', SETTINGS[2]): 6, ('pkd', SETTINGS[5]): 6}


def config_path(method, setting):
    return osp.join(ROOT, 'configs', 'distill', method,
                    f'{method}_fpn_{setting}.py')


def test_the_method_folders_hold_a_config_per_setting_and_their_docs():
    for method in METHODS:
        folder = osp.join(ROOT, 'configs', 'distill', method)
        configs = {osp.basename(p) for p in glob.glob(f'{folder}/*.py')}
        assert configs == {f'{method}_fpn_{s}.py' for s in SETTINGS}
        assert osp.isfile(osp.join(folder, 'README.md'))
        import yaml
        with open(osp.join(folder, 'metafile.yml')) as f:
            models = yaml.safe_load(f)['Models']
        listed = [model['Config'] for model in models]
        assert listed == [f'configs/distill/{method}/{method}_fpn_{s}.py'
                          for s in SETTINGS[:3]]  # the COCO settings


@pytest.mark.parametrize('method', METHODS)
@pytest.mark.parametrize('setting', SETTINGS)
def test_one_loss_per_fpn_level_reads_that_level_of_both_necks(
        method, setting):
    cfg = Config.fromfile(config_path(method, setting))
    distiller = cfg.model.distiller
    levels = cfg.model.architecture.neck.num_outs
    assert levels == 5
    for side in ('student_recorders', 'teacher_recorders'):
        assert distiller[side].fpn == dict(type='ModuleOutputs',
                                           source='neck')
    names = [f'loss_{method}_fpn{i}' for i in range(levels)]
    assert list(distiller.distill_losses) == names
    assert list(distiller.loss_forward_mappings) == names
    for level, name in enumerate(names):
        loss = distiller.distill_losses[name]
        weight = WEIGHTS.get((method, setting), 10)
        if method == 'pkd':
            assert loss == dict(type='PKDLoss', loss_weight=weight)
        else:
            assert loss == dict(type='ChannelWiseDivergence', tau=1,
                                loss_weight=weight)
        mapping = distiller.loss_forward_mappings[name]
        for key, student in (('preds_S', True), ('preds_T', False)):
            wanted = dict(from_student=student, recorder='fpn',
                          data_idx=level)
            if method == 'cwd':
                wanted['connector'] = 'nchw'
            assert mapping[key] == wanted, (name, key)
    if method == 'cwd':
        assert distiller.connectors == dict(
            nchw=dict(type='ContiguousConnector'))


def tiny_batch():
    from mmdet.testing import demo_mm_inputs
    return demo_mm_inputs(batch_size=2, image_shapes=[(3, 160, 160)] * 2,
                          num_items=[3, 1], num_classes=6)


@pytest.mark.parametrize('method', METHODS)
def test_every_level_trains_the_student_through_the_fast_teacher(method):
    """The embedded config as the headline regime runs it: the teacher
    folded and channels-last (FastFrozenTeacherHook), whose FPN maps
    CWD's ``view`` cannot flatten without the connector. Every level gives
    a finite, positive loss whose gradient reaches the student's neck."""
    from mmrazor.registry import MODELS
    from mmrazor.utils import register_all_modules
    from mmrazor_amd.engine import speed_up_frozen_teacher
    register_all_modules()
    cfg = Config.fromfile(config_path(method, SETTINGS[3]))
    cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    speed_up_frozen_teacher(model.teacher)
    model.train()
    data = model.data_preprocessor(tiny_batch(), True)
    losses = model(**data, mode='loss')
    teacher_maps = model.distiller.teacher_recorders.get_recorder(
        'fpn').data_buffer[0]
    assert len(teacher_maps) == 5
    assert all(t.is_contiguous(memory_format=torch.channels_last)
               and not t.is_contiguous() for t in teacher_maps[:4])
    distill = [losses[f'distill.loss_{method}_fpn{i}'] for i in range(5)]
    assert all(math.isfinite(float(v.detach())) and float(v.detach()) > 0
               for v in distill)
    neck = [p for p in model.student.neck.parameters()]
    grads = torch.autograd.grad(sum(distill), neck, allow_unused=True)
    assert any(g is not None and float(g.abs().sum()) > 0 for g in grads)


# ------------------------------------------------ hand-computed losses


def pkd64(student, teacher):
    """PKD at unit weight: each channel of each map standardised over its
    N*H*W values (sample std, + 1e-6), half the mean squared difference."""
    def standardised(x):
        x = x.double().transpose(0, 1).reshape(x.shape[1], -1)
        n = x.shape[1]
        mean = x.sum(1, keepdim=True) / n
        std = (((x - mean)**2).sum(1, keepdim=True) / (n - 1)).sqrt()
        return (x - mean) / (std + 1e-6)
    diff = standardised(student) - standardised(teacher)
    return float((diff**2).sum() / diff.numel() / 2)


def cwd64(student, teacher, tau=1.0):
    """CWD at unit weight: tau^2 / (N*C) * sum over (n, c) of
    KL(softmax(T[n, c] / tau) || softmax(S[n, c] / tau)) over H*W."""
    n, c = student.shape[:2]
    total = 0.0
    for s, t in zip(student.double().reshape(n * c, -1),
                    teacher.double().reshape(n * c, -1)):
        log_p_t = t / tau - torch.logsumexp(t / tau, 0)
        log_p_s = s / tau - torch.logsumexp(s / tau, 0)
        total += float((log_p_t.exp() * (log_p_t - log_p_s)).sum())
    return tau**2 * total / (n * c)


def toy_model(losses, maps, detection):
    """A model whose step ``k`` logs the detection loss ``detection[k]`` and
    the distillation losses of the fixed map pairs ``maps[k]`` (one per
    level), through the config's own loss modules ``losses`` (what
    DistillBalanceHook finds and hooks)."""
    from mmengine.model import BaseModel

    class Model(BaseModel):

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))
            self.distiller = torch.nn.Module()
            self.distiller.distill_losses = losses

        def forward(self, inputs, data_samples=None, mode='loss'):
            k = int(inputs[0])
            out = dict(loss_det=self.w * 0 + detection[k])
            for (student, teacher), (name, loss) in zip(maps[k],
                                                         losses.items()):
                out[f'distill.{name}'] = loss(student, teacher)
            return out

    return Model()


@pytest.mark.parametrize('method,hand', [('pkd', pkd64), ('cwd', cwd64)])
def test_the_calibrated_scale_multiplies_the_loss_weight_of_every_level(
        method, hand, tmp_path):
    """Two calibration iterations at target ratio 0.5, then one: the scale
    and the logged losses against the float64 formulas written above."""
    from mmengine.hooks import Hook
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner
    from mmrazor.registry import MODELS
    from mmrazor_amd.engine import DistillBalanceHook
    cfg = Config.fromfile(config_path(method, SETTINGS[3]))
    with DefaultScope.overwrite_default_scope('mmrazor'):
        losses = torch.nn.ModuleDict({
            name: MODELS.build(loss)
            for name, loss in cfg.model.distiller.distill_losses.items()})
    names, weight = list(losses), 10.0
    generator = torch.Generator().manual_seed(0)
    sizes = [(8, 8), (4, 6), (3, 5), (2, 3), (2, 2)]
    maps = [[tuple(torch.randn(2, 4, *hw, generator=generator) * (k + 1)
                   for _ in range(2)) for hw in sizes] for k in range(3)]
    detection = [1.3, 0.7, 1.1]
    logged = []

    class Probe(Hook):
        priority = 'LOW'  # after DistillBalanceHook

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            hub = runner.message_hub
            logged.append({**{k: float(v) for k, v in outputs.items()},
                           **{f'{n}_raw': hub.get_scalar(
                               f'train/distill.{n}_raw').current()
                              for n in names}})

    runner = Runner(
        model=toy_model(losses, maps, detection),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.tensor([float(k)])) for k in range(3)],
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1, num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        train_cfg=dict(by_epoch=False, max_iters=3),
        default_hooks=dict(
            checkpoint=None, distill_balance=dict(
                type='mmrazor.DistillBalanceHook', target_ratio=0.5,
                calibration_iters=2)),
        custom_hooks=[Probe()])
    runner.train()
    hook = next(h for h in runner.hooks
                if isinstance(h, DistillBalanceHook))
    raw = [[hand(*pair) for pair in maps[k]] for k in range(3)]
    unscaled = [weight * sum(levels) for levels in raw[:2]]
    scale = 0.5 * sum(detection[:2]) / sum(unscaled)
    assert hook.scale == pytest.approx(scale, rel=1e-5)
    assert hook.effective_weights() == pytest.approx(
        {f'{n}.loss_weight': weight * scale for n in names}, rel=1e-5)
    assert len(logged) == 3
    for k, row in enumerate(logged):
        for level, name in enumerate(names):
            expected = 0.0 if k < 2 else weight * scale * raw[k][level]
            assert row[f'distill.{name}'] == pytest.approx(
                expected, rel=1e-5, abs=1e-12), (k, name)
            assert row[f'{name}_raw'] == pytest.approx(raw[k][level],
                                                       rel=1e-5)


def test_the_contiguous_connector_changes_layout_only():
    from mmrazor_amd.models.architectures import ContiguousConnector
    connector = ContiguousConnector()
    nhwc = torch.randn(2, 3, 4, 5).contiguous(
        memory_format=torch.channels_last).requires_grad_()
    out = connector(nhwc)
    assert out.is_contiguous() and torch.equal(out, nhwc)
    out.sum().backward()
    assert torch.equal(nhwc.grad, torch.ones_like(nhwc))
    plain = torch.randn(2, 3, 4, 5)
    assert connector(plain) is plain
    with pytest.raises(TypeError, match='data_idx'):
        connector((plain, plain))


# ------------------------------------------------ benchmark and cost


@pytest.mark.parametrize('name,pair', [('retina', SETTINGS[0]),
                                       ('reppoints', SETTINGS[1]),
                                       ('faster-rcnn', SETTINGS[2])])
def test_the_dry_run_of_a_coco_setting_plans_pkd_and_cwd(name, pair,
                                                         tmp_path):
    out = run_script('benchmark.py', '--setting', name, '--data-root',
                     'data/coco', '--work-dir', str(tmp_path / 'work'),
                     '--out', str(tmp_path / 'results'), '--dry-run')
    blocks = out.split('\n# [')
    for method in METHODS:
        block = next(b for b in blocks if f'/methods/{method}/seed0 ' in b)
        assert block.split('\n')[0].endswith(
            f'{method.upper()} seed 0 (methods; new)'), block
        assert (f'mim train mmrazor configs/distill/{method}/{method}_fpn_'
                f'{pair}.py') in block
    labels = re.findall(r'\] (\S+) seed 0 \(methods', out)
    assert labels == ['baseline', 'control', 'FGD', 'MGD', 'AMD', 'PKD',
                      'CWD']
    # the zoo teacher, 7 students and the 5 ablations of the COCO settings
    assert '# planned 13 runs: 13 new' in out


def test_committed_runs_are_reused_and_pkd_cwd_planned_new(tmp_path,
                                                           monkeypatch,
                                                           capsys):
    """The headline table (results/embedded-long) restored into another
    work dir: its runs (recorded with the positional hook options) are
    reused as they are, every run it lacks is a PKD or CWD run, and its
    report still reads, row by row."""
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    from mmrazor_amd_bench.benchmark.restore import restore_runs
    from mmrazor_amd_bench.benchmark.setting import Setting
    work = str(tmp_path / 'work')
    with open(osp.join(ROOT, 'results', 'embedded-long',
                       'embedded_benchmark.json')) as f:
        text = f.read().replace('work_dirs/embedded-long-c', work)
    committed = json.loads(text)['runs']
    students = {(r['label'], r['seed']) for r in committed
                if r['group'] == 'methods'}
    for label in ('baseline', 'control', 'FGD', 'MGD', 'AMD'):
        assert {(label, seed) for seed in (0, 1, 2)} <= students, label
    (tmp_path / 'results.json').write_text(text)
    restored = restore_runs(str(tmp_path / 'results.json'))['restored']
    assert len(restored) == len(committed)  # the teacher's record too
    monkeypatch.chdir(ROOT)
    setting = Setting.load('embedded-long', ROOT)
    setting.cfg.ablations, setting.cfg.phis = {}, []
    Benchmark(setting, str(tmp_path / 'out'), work_dir=work, curve=False,
              dry_run=True).run()
    lines = capsys.readouterr().out.splitlines()
    planned = [(label, seed) for seed in (0, 1, 2)
               for label in ('baseline', 'control', 'FGD', 'MGD', 'AMD',
                             'PKD', 'CWD')]
    new = [key for key in planned if key not in students]
    assert all(label in ('PKD', 'CWD') for label, _ in new)
    summary = f'# planned 22 runs: {22 - len(new)} done: reused'
    assert (summary + f', {len(new)} new' if new else summary) in lines
    if new:
        assert '# new: ' + '; '.join(
            f'{label} seed {seed}' for label, seed in new) in lines
    bench = Benchmark(setting, str(tmp_path / 'out'), work_dir=work,
                      curve=False, report_only=True)
    for run in [bench.planner.teacher(), *bench.runs()]:
        bench.step(run, '')
    bench.publish()
    with open(tmp_path / 'out' / 'embedded_benchmark.md') as f:
        report = f.read()
    for label in ('baseline', 'control', 'FGD', 'MGD', 'AMD', 'PKD', 'CWD'):
        seeds = sum(1 for lab, _ in students if lab == label)
        if seeds:
            assert f'| {label} | {seeds} |' in report, label
        else:
            assert f'| {label} |' not in report, label
    with open(tmp_path / 'out' / 'embedded_benchmark.json') as f:
        assert len(json.load(f)['runs']) == len(committed)


def test_the_cost_script_times_pkd_and_cwd_level_by_level():
    """Part (a) builds each level's loss as the configs do; CWD takes the
    channels-last maps the fast teacher gives."""
    from mmrazor.models.losses import ChannelWiseDivergence, PKDLoss
    from mmrazor_amd_bench.benchmark.cost import report
    from mmrazor_amd_bench.benchmark.cost.methods import (LOSS_METHODS,
                                                          LossProblem,
                                                          build_loss,
                                                          loss_inputs)
    assert {'pkd', 'cwd'} <= set(LOSS_METHODS)
    problem = LossProblem(batch=2, channels=16, height=64, width=96)
    students, teachers = loss_inputs(problem, 'cpu')
    nhwc = [t.contiguous(memory_format=torch.channels_last)
            for t in teachers]
    from mmengine.registry import DefaultScope
    for name, single in (('pkd', PKDLoss(loss_weight=10)),
                         ('cwd', ChannelWiseDivergence(tau=1,
                                                       loss_weight=10))):
        with DefaultScope.overwrite_default_scope('mmrazor'):
            module, fn = build_loss(name, problem.channels)
        assert len(module.losses) == 5
        expected = sum(single(s, t) for s, t in zip(students, teachers))
        assert float(fn(students, nhwc, None)) == pytest.approx(
            float(expected), rel=1e-6)
    timing = dict(median_s=0.01, min_s=0.01, max_s=0.01,
                  ratio_of_medians=1.0, median_paired_ratio=1.0)
    lines = report.loss_table(dict(
        problem=problem._asdict(), shapes=problem.shapes,
        padded_input=problem.padded, warmup=1, repeats=1,
        methods={n: 'x' for n in LOSS_METHODS},
        timing={n: timing for n in LOSS_METHODS}))
    assert any(line.startswith('| PKD |') for line in lines)
    assert any(line.startswith('| CWD |') for line in lines)
