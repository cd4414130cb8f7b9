"""The stage profile of scripts/benchmark_cost.py on the tiny generated data
(one step per model, no timing assertions)."""
import torch
from conftest import ROOT
from mmrazor_amd_bench.benchmark.cost import report
from mmrazor_amd_bench.benchmark.cost.methods import LOSS_METHODS
from mmrazor_amd_bench.benchmark.cost.stages import STAGES, run_profile_part
from mmrazor_amd_bench.benchmark.setting import Setting


def test_the_profile_has_a_row_per_stage_and_a_column_per_method(
        synthetic_tiny, monkeypatch):
    monkeypatch.chdir(ROOT)  # the setting names its configs from the root
    setting = Setting.load('embedded-long', ROOT)
    setting.cfg.data.root = synthetic_tiny
    setting.cfg.data.generate = None  # written by the fixture
    part = run_profile_part(setting, 'cpu', steps=1, warmup=0)

    methods = ['baseline', 'FGD', 'MGD', 'AMD', 'PKD', 'CWD']
    assert list(part['methods']) == methods
    lines = report.profile_table(part)
    assert '| stage (ms) | ' + ' | '.join(methods) + ' |' in lines
    rows = {line.split(' | ')[0][2:]: line.strip('| ').split(' | ')[1:]
            for line in lines if line.startswith('| ')}
    for label in [*STAGES.values(), '**step (s/iter)**']:
        assert len(rows[label]) == len(methods), label
    # the plain student has neither a teacher nor distillation losses
    for stage in ('teacher', 'distill'):
        assert rows[STAGES[stage]][0] == '-'
        assert all(cell != '-' for cell in rows[STAGES[stage]][1:])
    # the distilled teachers run as the configs' FastFrozenTeacherHook
    # makes them run in training, and the report says so
    modes = {name: part['methods'][name]['teacher_mode'] for name in methods}
    assert modes == dict(baseline=None,
                         **{m: 'norms folded into convs, NHWC'
                            for m in methods[1:]})
    assert any('FGD, MGD, AMD, PKD, CWD: norms folded into convs, NHWC'
               in line
               for line in lines)


def test_a_coco_setting_builds_offline_with_the_hook_and_amp_as_asked(
        monkeypatch):
    """Part (b) on the paper's RetinaNet setting: the baseline is an mmdet
    config (its unprefixed types resolve in the 'mmdet' scope) and the
    teacher is given by ``cfg_path`` (its ImageNet init_cfg must not run:
    this machine has no network); --fast-teacher and --amp edit the config
    as the hook and the train script's --amp would."""
    from mmengine.config import Config
    from mmengine.runner.checkpoint import CheckpointLoader
    from mmrazor_amd_bench.benchmark.cost.methods import (build_trainable,
                                                    set_fast_teacher,
                                                    setting_configs,
                                                    teacher_mode, use_amp)
    monkeypatch.chdir(ROOT)

    def no_checkpoint(*args, **kwargs):
        raise AssertionError(f'a checkpoint was loaded: {args}')

    # (a download fails here anyway: this also holds on a networked machine)
    monkeypatch.setattr(CheckpointLoader, 'load_checkpoint', no_checkpoint)
    configs = setting_configs(Setting.load('retina', ROOT))
    assert list(configs) == ['baseline', 'FGD', 'MGD', 'AMD', 'PKD', 'CWD']

    baseline = Config.fromfile(configs['baseline'])
    model, _ = build_trainable(baseline, 'cpu')
    assert type(model).__name__ == 'RetinaNet'

    cfg = Config.fromfile(configs['AMD'])
    assert teacher_mode(cfg) == 'as built (NCHW, norms apart)'
    set_fast_teacher(cfg, 'on')
    assert teacher_mode(cfg) == 'norms folded into convs, NHWC'
    assert cfg.default_hooks.fast_teacher.type == \
        'mmrazor.FastFrozenTeacherHook'
    assert cfg.default_hooks.distill_balance  # the others stay
    set_fast_teacher(cfg, 'off')
    assert 'fast_teacher' not in cfg.default_hooks
    assert teacher_mode(cfg) == 'as built (NCHW, norms apart)'
    # a hook that the config lists keeps its arguments
    cfg.default_hooks.fast_teacher = dict(
        type='mmrazor.FastFrozenTeacherHook', channels_last=False)
    set_fast_teacher(cfg, 'on')
    assert teacher_mode(cfg) == 'norms folded into convs'
    set_fast_teacher(cfg, 'off')
    amp = Config.fromfile(configs['AMD'])
    use_amp(amp)
    assert amp.optim_wrapper.type == 'AmpOptimWrapper'
    assert amp.optim_wrapper.loss_scale == 'dynamic'
    assert amp.optim_wrapper.clip_grad.max_norm == 35  # the rest stays

    set_fast_teacher(cfg, 'on')  # float32: a CPU cannot run AmpOptimWrapper
    model, _ = build_trainable(cfg, 'cpu')
    assert type(model.teacher.backbone).__name__ == 'ResNeXt'
    # the hook's folded copy runs in place of the registered backbone
    assert 'forward' in vars(model.teacher.backbone)
    assert model.teacher.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)


def test_the_loss_table_has_allocator_columns_only_where_measured():
    problem = dict(batch=2, channels=8, height=64, width=64, divisor=32)
    timing = dict(median_s=0.01, min_s=0.009, max_s=0.011,
                  ratio_of_medians=1.0, median_paired_ratio=1.0)
    part = dict(problem=problem, shapes=[[2, 8, 8, 8]], padded_input=[64, 64],
                methods={name: 'x' for name in LOSS_METHODS}, warmup=1,
                repeats=1, timing={name: timing for name in LOSS_METHODS})
    cuda = {name: dict(peak_bytes=2**20, ratio_to_mgd=1.0)
            for name in LOSS_METHODS}
    header = [line for line in report.loss_table(dict(part, memory=cuda))
              if line.startswith('| method')][0]
    assert 'allocator' not in header
    cpu = {name: dict(mem, allocator_peak_bytes=2**20,
                      allocator_ratio_to_mgd=1.0)
           for name, mem in cuda.items()}
    lines = report.loss_table(dict(part, memory=cpu))
    assert 'nan' not in ' '.join(lines)
    assert 'allocator peak (MiB)' in [
        line for line in lines if line.startswith('| method')][0]


def test_the_step_report_says_how_amp_and_the_teacher_ran():
    timing = dict(median_s=0.1, ratio_of_medians=1.0, median_paired_ratio=1.0)
    part = dict(
        setting='retina', baseline='baseline', batch=2, image_size=1024,
        warmup=1, repeats=2, configs=dict(baseline='a.py', AMD='b.py'),
        optimizers=dict(baseline='SGD', AMD='SGD, grad clip 35'),
        fast_teacher='off', teacher_modes=dict(baseline=None, AMD='as built'),
        timing=dict(baseline=timing, AMD=timing),
        loss_scale=dict(AMD=dict(first=65536.0, last=1024.0,
                                 skipped_steps=6)))
    text = '\n'.join(report.step_table(part))
    assert '(SGD; SGD, grad clip 35)' in text
    assert 'with `FastFrozenTeacherHook` off (`--fast-teacher off`): ' \
        'AMD: as built.' in text
    assert 'as in training' not in text
    assert 'AMD 65536 -> 1024, 6 skipped' in text


def test_busy_names_computing_jobs_apart_from_idle_ones(tmp_path):
    """A heavy job that computes is named as running; one that sleeps (a
    parent waiting for its stopped child) is named as idle."""
    import subprocess
    import sys
    import time

    from mmrazor_amd_bench.benchmark.environment import busy
    spin = tmp_path / 'spin' / 'scripts' / 'demo.py'
    nap = tmp_path / 'nap' / 'scripts' / 'demo.py'
    for path, body in ((spin, 'while True: pass'),
                       (nap, 'import time; time.sleep(60)')):
        path.parent.mkdir(parents=True)
        path.write_text(body)
    procs = [subprocess.Popen([sys.executable, str(p)]) for p in (spin, nap)]
    try:
        time.sleep(0.5)
        sentence = busy(window_s=0.5)
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    running, _, idle = sentence.partition('idle or stopped:')
    assert f'{procs[0].pid} (scripts/demo.py)' in running.split(';')[0]
    assert f'{procs[1].pid} (scripts/demo.py)' in idle
    assert f'{procs[1].pid} (' not in running
