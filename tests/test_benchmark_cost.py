"""The stage profile of scripts/benchmark_cost.py on the tiny generated data
(one step per model, no timing assertions)."""
from conftest import ROOT
from mmrazor_amd.benchmark.cost import report
from mmrazor_amd.benchmark.cost.stages import STAGES, run_profile_part
from mmrazor_amd.benchmark.setting import Setting


def test_the_profile_has_a_row_per_stage_and_a_column_per_method(
        synthetic_tiny, monkeypatch):
    monkeypatch.chdir(ROOT)  # the setting names its configs from the root
    setting = Setting.load('embedded-long', ROOT)
    setting.cfg.data.root = synthetic_tiny
    setting.cfg.data.generate = None  # written by the fixture
    part = run_profile_part(setting, 'cpu', steps=1, warmup=0)

    methods = ['baseline', 'FGD', 'MGD', 'AMD']
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
    assert any('FGD, MGD, AMD: norms folded into convs, NHWC' in line
               for line in lines)
