"""The benchmark's bookkeeping (settings, plan, tables) and a smoke run of
the benchmark through the script the README uses (tiny sizes); the demo's
smoke run is in test_demo.py."""
import json
import os
import os.path as osp
import statistics

import pytest

from conftest import CONFIGS, ROOT, run_script
from mmrazor_amd.benchmark import report, runs
from mmrazor_amd.benchmark.plan import AMD_LOSS, Planner, flatten_options
from mmrazor_amd.benchmark.setting import (Setting, SettingError,
                                           schedule_options)

TINY = osp.join(CONFIGS, 'benchmark_tiny.py')


def result(label, seed, value, group='methods'):
    return dict(label=label, seed=seed, group=group,
                metrics={column: value for column in report.COLUMNS})


def test_mean_std_is_the_sample_standard_deviation():
    values = [41.0, 43.0, 38.0, 40.0]
    mean, std = report.mean_std(values)
    assert mean == pytest.approx(sum(values) / 4)
    assert std == pytest.approx(
        (sum((v - mean)**2 for v in values) / 3)**0.5)
    assert report.mean_std([0.5]) == (0.5, 0.0)


def test_gains_are_paired_by_seed():
    # control 30, 32, 34; AMD 31, 34, 35: differences 1, 2, 1
    control = [result('control', s, v) for s, v in
               ((0, 0.30), (1, 0.32), (2, 0.34))]
    amd = [result('AMD', s, v) for s, v in ((2, 0.35), (0, 0.31),
                                           (1, 0.34))]
    gain = report.paired_gain(amd, control)
    assert gain['n'] == 3
    assert gain['diffs'] == pytest.approx([1.0, 2.0, 1.0])
    assert gain['mean'] == pytest.approx(4 / 3)
    assert gain['std'] == pytest.approx(statistics.stdev([1, 2, 1]))
    # pooled: root mean square of the two rows' seed stds (2.0 and 2.08)
    pooled = ((4.0 + statistics.stdev([31, 34, 35])**2) / 2)**0.5
    assert gain['pooled_std'] == pytest.approx(pooled)
    table = report.by_label(control + amd)
    text = report.metrics_table(table, reference='control')
    header, _, control_row, amd_row = text.splitlines()
    assert header.endswith('Δ mAP vs control |')
    assert amd_row.startswith('| AMD | 3 | 33.3 ± 2.1 |')
    assert amd_row.endswith('| +1.3 ± 0.6 |')
    assert control_row.endswith('|  |')
    gains = report.gains_table(table, 'control', ['AMD'])
    assert '| AMD | 3 | +1.0, +2.0, +1.0 | +1.33 ± 0.58 |' in gains
    assert gains.rstrip().endswith('| no |')  # 1.33 < 2 x 2.04
    # one or two seeds: a gain, but no verdict on the bar; two seeds:
    # stds 1.41 (30, 32) and 2.12 (31, 34), pooled sqrt((2 + 4.5) / 2)
    two = report.gains_table(report.by_label(control[:2] + amd), 'control',
                             ['AMD'])
    assert two.rstrip().endswith(
        '| +1.0, +2.0 | +1.50 ± 0.71 | 1.80 | n < 3 |')
    one = report.gains_table(report.by_label(control[:1] + amd), 'control',
                             ['AMD'])
    assert one.rstrip().endswith('| AMD | 1 | +1.0 | +1.00 |  | n < 3 |')


def test_the_phi_sweep_is_paired_with_amd_and_the_control_by_seed():
    # AMD (phi 1) 44, 46; phi 2 on seeds 1, 0: 45, 43 -> -1, -1 vs AMD;
    # control on seed 0 only (40): phi 2 +3, AMD +4; phi 3 has no pair
    amd = [result('AMD', 0, 0.44), result('AMD', 1, 0.46)]
    phi2 = [result('AMD φ=2', 1, 0.45, 'phi'),
            result('AMD φ=2', 0, 0.43, 'phi')]
    phi3 = [result('AMD φ=3', 5, 0.30, 'phi')]
    control = [result('control', 0, 0.40)]
    text = report.phi_table({1.0: amd, 2.0: phi2, 3.0: phi3}, 1.0, control,
                            hidden={2.0: 0.125})
    header, _, one, two, three = text.splitlines()
    assert header.endswith('| Δ mAP vs φ = 1 | Δ mAP vs control |')
    assert one == '| 1 |  | 2 | 45.0 ± 1.4 | 45.0 ± 1.4 |  | +4.0 |'
    assert two == ('| 2 | 12.5 % | 2 | 44.0 ± 1.4 | 44.0 ± 1.4 | '
                   '-1.0 ± 0.0 | +3.0 |')
    assert three == '| 3 |  | 1 | 30.0 | 30.0 |  |  |'


def test_hidden_shares_are_measured_again_when_a_new_phi_finished():
    """The report is rewritten after each run of a benchmark; a share
    measured when only phi 0.5 had finished must not stand for phi 2."""
    from mmrazor_amd.benchmark.publish import phis_to_measure
    assert phis_to_measure(None, [], 1.0) == []
    assert phis_to_measure(None, [0.5], 1.0) == [0.5, 1.0]
    measured = {0.5: 0.9, 1.0: 0.4}
    assert phis_to_measure(measured, [0.5], 1.0) == []
    assert phis_to_measure(measured, [0.5, 2.0], 1.0) == [0.5, 1.0, 2.0]
    assert phis_to_measure(None, [2.0], None) == [2.0]


def test_the_teacher_student_gap_names_the_reference_students():
    """Against the baseline and the control when the table has them, else
    against every student row (mean over seeds, in mAP %)."""
    from mmrazor_amd.benchmark.publish import _gap_line
    teacher = [result('teacher', 0, 0.60, group='teacher')]
    amd = [result('AMD', 0, 0.44), result('AMD', 1, 0.45)]
    control = [result('control', 0, 0.40), result('control', 1, 0.41)]
    line = _gap_line(dict(teacher=teacher, AMD=amd), 'teacher', 'baseline',
                     'control')
    assert line.endswith('teacher 60.0, AMD 44.5 (gap 15.5).')
    line = _gap_line(dict(teacher=teacher, control=control, AMD=amd),
                     'teacher', 'baseline', 'control')
    assert line.endswith('teacher 60.0, control 40.5 (gap 19.5).')


def test_the_best_holdout_ratio_is_chosen_ties_nearest_one():
    assert report.choose_ratio({0.25: 30.0, 1.0: 31.0, 4.0: 30.5}) == 1.0
    assert report.choose_ratio({0.25: 32.0, 1.0: 31.0, 4.0: 32.0}) == 0.25


def test_the_time_line_names_every_machine_when_runs_were_merged():
    from mmrazor_amd.benchmark.publish import timing_line

    def row(group, machine=None):
        row = dict(group=group, train_seconds=1800.0, eval_seconds=0.0)
        if machine:
            row['machine'] = machine
        return row

    one = timing_line([row('methods', 'CPU A, 2 logical CPUs')] * 2)
    assert 'the machine of environment.md' in one
    assert '1.0 h' in one and 'methods 1.0 h (2 runs)' in one
    merged = timing_line([row('methods', 'CPU A, 2 logical CPUs'),
                          row('methods', 'CPU B, 2 logical CPUs'),
                          row('curve')])
    assert 'environment.md' not in merged
    for part in ('CPU A, 2 logical CPUs: 1 run;',
                 'CPU B, 2 logical CPUs: 1 run;', 'not recorded: 1 run)'):
        assert part in merged, part


def test_a_report_keeps_the_stored_training_summary_when_logs_are_gone(
        tmp_path):
    """metrics.json alone (the logs deleted) still reports its curve; where
    the logs exist, the summary is read again from them."""
    from mmrazor_amd.benchmark.publish import _result
    run = runs.Run(name='AMD seed 0', package='mmrazor', label='AMD',
                   group='methods', seed=0,
                   config='c.py', work_dir=str(tmp_path))
    stored = dict(val=[dict(epoch=4, mAP=0.3)], train={}, iters=8,
                  seconds_per_iter=0.4)
    with open(run.metrics_file, 'w') as f:
        json.dump(dict(result('AMD', 0, 0.4), training=stored), f)
    assert _result(run)['training'] == stored

    logs = tmp_path / '20261201_000000' / 'vis_data'
    logs.mkdir(parents=True)
    lines = [dict(iter=10, step=10, loss=1.5, time=0.5),
             dict(step=8, **{'coco/bbox_mAP': 0.45})]
    (logs / 'scalars.json').write_text(
        '\n'.join(json.dumps(line) for line in lines))
    training = _result(run)['training']
    assert training['val'] == [dict(epoch=8, mAP=0.45)]
    assert training['train']['loss'] == [[10, 1.5]]
    assert training['iters'] == 10 and training['seconds_per_iter'] == 0.5


def test_restored_runs_are_reused_and_a_teacher_is_not_mixed(tmp_path,
                                                              monkeypatch):
    """restore_runs() writes each run's metrics.json back where it was
    trained (done, and it passes the reuse check); a work dir that holds
    another teacher is refused, and restore_teacher() puts a committed
    teacher and its record in place."""
    from mmrazor_amd.benchmark.restore import restore_runs, restore_teacher
    monkeypatch.chdir(tmp_path)
    student = dict(result('AMD', 1, 0.45), name='AMD seed 1',
                   checkpoint='work/methods/amd/seed1/final.pth',
                   options=['model.teacher_ckpt=work/teacher.pth'],
                   training=dict(val=[dict(epoch=8, mAP=0.449)]))
    teacher = dict(result('teacher', 0, 0.6, group='teacher'),
                   checkpoint='work/teacher/final.pth', options=[],
                   training=dict(val=[dict(epoch=30, mAP=0.599)]))
    with open('results.json', 'w') as f:
        json.dump(dict(runs=[teacher, student]), f)
    done = restore_runs('results.json')
    assert sorted(done['restored']) == ['work/methods/amd/seed1/metrics.json',
                                        'work/teacher/metrics.json']
    run = runs.Run(name='AMD seed 1', package='mmrazor', label='AMD',
                   group='methods', seed=1, config='c.py',
                   work_dir='work/methods/amd/seed1',
                   options=['model.teacher_ckpt=work/teacher.pth'])
    assert run.done() and run.metrics()['mAP'] == 0.45
    runs.check_reuse(run)  # the planned options are the stored ones
    assert restore_runs('results.json')['kept'] == done['restored']

    other = tmp_path / 'committed'
    other.mkdir()
    (other / 'teacher.pth').write_bytes(b'weights')
    (other / 'metrics.json').write_text(json.dumps(
        dict(teacher, metrics=dict(teacher['metrics'], mAP=0.61))))
    with pytest.raises(RuntimeError, match='another teacher'):
        restore_teacher(str(other), 'work/teacher', 'work/teacher.pth')
    restore_teacher(str(other), 'new/teacher', 'new/teacher.pth')
    assert (tmp_path / 'new' / 'teacher.pth').read_bytes() == b'weights'
    with open('new/teacher/metrics.json') as f:
        placed = json.load(f)
    assert placed['metrics']['mAP'] == 0.61
    assert placed['checkpoint'] == 'new/teacher/final.pth'
    with open('new/teacher/metrics.json', 'w') as f:
        json.dump(placed, f)
    os.replace('new/teacher/metrics.json', 'work/teacher/metrics.json')
    with pytest.raises(RuntimeError, match='another teacher'):
        restore_runs('results.json')


def test_a_student_stops_when_its_restored_teacher_has_no_weights(tmp_path):
    """The teacher run is done (restored) but teacher.pth is missing: the
    benchmark names the cause instead of training on another teacher."""
    from mmrazor_amd.benchmark.benchmark import Benchmark
    setting = Setting.load(TINY, ROOT)
    bench = Benchmark(setting, str(tmp_path / 'out'),
                      work_dir=str(tmp_path / 'work'))
    amd = next(run for run in bench.runs() if run.label == 'AMD')
    with pytest.raises(runs.RunError, match='teacher.pth, which is missing'):
        bench.check_teacher(amd)


def test_command_line_paths_are_kept_relative_to_the_checkout(tmp_path,
                                                             monkeypatch):
    """repo_path(): a path typed from any directory names the same place;
    inside the repository it becomes relative to it, outside it absolute."""
    from mmrazor_amd.benchmark.setting import repo_path
    repo = tmp_path / 'checkout'
    (repo / 'work_dirs').mkdir(parents=True)
    monkeypatch.chdir(repo / 'work_dirs')
    assert repo_path('b', str(repo)) == osp.join('work_dirs', 'b')
    assert repo_path(str(repo / 'work_dirs' / 'b'), str(repo)) == osp.join(
        'work_dirs', 'b')
    assert repo_path('../..', str(repo)) == str(tmp_path)
    assert repo_path('../../checkout-b/x', str(repo)) == str(
        tmp_path / 'checkout-b' / 'x')  # a sibling sharing the name's start
    assert repo_path('..', str(repo)) == '.'


def test_progress_is_counted_over_all_epochs():
    line = ('11/21 04:40:01 - mmengine - INFO - Epoch(train)  [2][ 40/250]'
            '  lr: 2.0e-02')
    assert runs.progress(runs._PROGRESS.search(line), 4) == (290, 1000)
    line = '11/21 04:50:01 - mmengine - INFO - Epoch(test) [ 20/63]    eta'
    assert runs.progress(runs._PROGRESS.search(line), None) == (20, 63)


def test_overrides_flatten_to_cfg_options_delete_first():
    options = flatten_options('a.b', dict(
        masker=dict(type='RandomMasker', ratio=0.65, _delete_=True),
        clue=None))
    assert options == ['a.b.masker._delete_=True',
                       'a.b.masker.type=RandomMasker',
                       'a.b.masker.ratio=0.65', 'a.b.clue=None']


def test_runs_of_a_setting_carry_seed_teacher_weights_and_data(tmp_path):
    setting = Setting.load(TINY, ROOT)
    planner = Planner(setting, str(tmp_path), ratios={'AMD': 2.0})
    teacher = osp.join(str(tmp_path), 'teacher.pth')
    amd = planner.method('AMD', 3)
    options = amd.cfg_options()
    assert options[0] == 'randomness.seed=3'
    assert f'model.teacher_ckpt={teacher}' in options
    # the student starts from the benchmark's teacher (neck and head)
    assert f'model.architecture.neck.init_cfg.checkpoint={teacher}' in options
    assert ('model.architecture.bbox_head.init_cfg.checkpoint='
            f'{teacher}') in options
    assert 'custom_hooks.2.target_ratio=2.0' in options
    assert 'custom_hooks.2.calibration_iters=1' in options
    root = setting.data_root
    assert f'test_evaluator.ann_file={root}instances_val.json' in options
    assert f'val_evaluator.ann_file={root}instances_holdout.json' in options
    assert amd.eval_split == 'test' and amd.package == 'mmrazor'

    control = planner.control(3)
    assert 'custom_hooks.2.scale=0.0' in control.options
    assert 'custom_hooks.2.target_ratio=None' in control.options
    selection = planner.selection('MGD', 0.5)
    assert selection.eval_split == 'holdout'
    assert (f'test_evaluator.ann_file={root}instances_holdout.json'
            in selection.options)
    baseline = planner.baseline(3)
    assert baseline.package == 'mmdet'
    assert not any('teacher' in o or 'custom_hooks' in o
                   for o in baseline.cfg_options())
    ablation = planner.ablation('AMD w/o Ada-Channel', 1)
    assert f'{AMD_LOSS}.clue=None' in ablation.options
    phi = planner.phi(2.0, 1)
    assert f'{AMD_LOSS}.masker.phi=2.0' in phi.options
    dirs = {r.work_dir for r in (amd, control, selection, baseline,
                                 ablation, phi, planner.baseline(3, True))}
    assert len(dirs) == 7


def test_the_longer_setting_changes_only_the_students_schedule(tmp_path):
    """embedded-long-2x inherits embedded-long: the same teacher run (so a
    teacher trained or restored for one is reused by the other), data and
    loss-weight procedure; students 16 epochs (lr / 10 at 15), the
    baseline's curve 32."""
    long = Setting.load('embedded-long', ROOT)
    twice = Setting.load('embedded-long-2x', ROOT)
    plans = [Planner(s, str(tmp_path)) for s in (long, twice)]
    teachers = [p.teacher() for p in plans]
    assert teachers[0].cfg_options() == teachers[1].cfg_options()
    assert twice.data == long.data and twice.balance == long.balance
    assert schedule_options(twice.student_schedule()) == [
        'train_cfg.max_epochs=16', 'param_scheduler.1.end=16',
        'param_scheduler.1.milestones=[15]']
    assert schedule_options(twice.student_schedule(curve=True))[0] == (
        'train_cfg.max_epochs=32')
    amd = [p.method('AMD', 0).cfg_options() for p in plans]
    changed = set(amd[0]) ^ set(amd[1])
    assert all(o.startswith(('train_cfg.max_epochs', 'param_scheduler.1.'))
               for o in changed), changed


def test_a_schedule_is_its_epochs_and_the_epochs_of_its_lr_steps():
    """A setting's schedule (students, curve, teacher.train) becomes the
    cfg options mim passes, written out here by hand; a step at or after
    the last epoch is refused."""
    assert schedule_options(dict(epochs=30, milestones=[24, 28],
                                 options=['x.y=1'])) == [
        'train_cfg.max_epochs=30', 'param_scheduler.1.end=30',
        'param_scheduler.1.milestones=[24,28]', 'x.y=1']
    assert schedule_options(dict(epochs=4, options=[])) == [
        'train_cfg.max_epochs=4']
    with pytest.raises(SettingError, match=r'\[8\] lie outside the 8'):
        schedule_options(dict(epochs=8, milestones=[7, 8]))


def test_the_committed_teacher_is_the_teacher_both_long_settings_plan(
        tmp_path):
    """The teacher of results/embedded-long (trained when its options were
    written in another order) passes the reuse check of embedded-long and
    embedded-long-2x: a run is what its options set, not their order. A
    changed value is refused and named."""
    committed = osp.join(ROOT, 'results', 'embedded-long',
                         'teacher-2026-12-01', 'metrics.json')
    with open(committed) as f:
        record = json.load(f)
    for name in ('embedded-long', 'embedded-long-2x'):
        teacher = Planner(Setting.load(name, ROOT),
                          str(tmp_path / name)).teacher()
        assert teacher.options != record['options']  # another order
        os.makedirs(teacher.work_dir)
        with open(teacher.metrics_file, 'w') as f:
            json.dump(record, f)
        runs.check_reuse(teacher)
    teacher.options = teacher.options + ['param_scheduler.1.end=20']
    with pytest.raises(runs.RunError,
                       match=r'also \[.param_scheduler.1.end=20.\], no '
                       r'longer \[.param_scheduler.1.end=30.\]'):
        runs.check_reuse(teacher)


def test_a_second_setting_that_changes_only_data(tmp_path):
    """A setting is a small file: this one inherits the tiny one and points
    it at other generated data; every run follows."""
    other = tmp_path / 'other_data.py'
    other.write_text(f"_base_ = ['{TINY}']\n"
                     "name = 'tiny-other-data'\n"
                     "data = dict(root='elsewhere', generate=dict(seed=7))\n")
    setting = Setting.load(str(other), ROOT)
    tiny = Setting.load(TINY, ROOT)
    assert setting.data.generate.seed == 7
    assert setting.data.generate.num_train == tiny.data.generate.num_train
    assert setting.students == tiny.students
    run = Planner(setting, str(tmp_path)).baseline(0)
    assert 'train_dataloader.dataset.data_root=elsewhere/' in run.options


@pytest.mark.parametrize('setting', ['retina', 'reppoints', 'faster-rcnn'])
def test_dry_run_prints_distributed_commands_and_touches_nothing(
        setting, tmp_path):
    work = tmp_path / 'work'
    out = run_script('benchmark.py', '--setting', setting, '--data-root',
                     'data/coco', '--gpus', '8', '--work-dir', str(work),
                     '--out', str(tmp_path / 'results'), '--dry-run')
    assert not work.exists() and not (tmp_path / 'results').exists()
    commands = [line for line in out.splitlines()
                if line.startswith('python -m mim')]
    trains = [c for c in commands if ' mim train ' in c]
    tests = [c for c in commands if ' mim test ' in c]
    assert all('--launcher pytorch --gpus 8' in c for c in commands)
    assert len(tests) == len(trains) + 1  # the zoo teacher: test only
    for label in ('baseline', 'control', 'fgd', 'mgd', 'amd'):
        assert any(f'/methods/{label}/seed0 ' in c for c in trains), label
    assert any('custom_hooks.2.scale=0.0' in c for c in trains)
    # a path typed inside the checkout is kept relative to it (results store
    # it; they restore elsewhere), one outside it is absolute
    assert all('data_root=data/coco/ ' in c for c in commands)
    assert all(f' --work-dir {work}/' in c for c in trains)


def test_ratio_sweep_is_planned_on_the_holdout_split_for_every_method(
        tmp_path):
    """``--ratios`` plans, before the table, each method at each target
    ratio on seed 0, trained on the training split and scored on the
    holdout split; the table's runs then use the chosen ratio."""
    out = run_script('benchmark.py', '--setting', 'embedded-long', '--ratios',
                     '0.25', '1', '4', '--seeds', '0', '--ablations',
                     '--phis', '--work-dir', str(tmp_path / 'work'), '--out',
                     str(tmp_path / 'results'), '--dry-run')
    assert not (tmp_path / 'work').exists()
    blocks = out.split('\n# [')
    for method in ('fgd', 'mgd', 'amd'):
        for ratio in ('0-25', '1', '4'):
            block = next(b for b in blocks
                         if f'/selection/{method}-r{ratio}/seed0 ' in b)
            assert 'instances_holdout.json' in block, block
            assert f'target_ratio={ratio.replace("-", ".")}' in block
    table = next(b for b in blocks if '/methods/amd/seed0 ' in b)
    assert 'target_ratio=<chosen on holdout>' in table


@pytest.mark.slow
def test_benchmark_writes_tables_plots_json_and_environment(tmp_path):
    """The tiny long-regime setting through scripts/benchmark.py: teacher,
    control and AMD at the shared target ratio, one ablation and the phi
    sweep. The baseline goes through the same ``mim train mmdet`` as the
    teacher, so it is left out (about half a minute of CI: 356 s to 321 s)."""
    work, data = str(tmp_path / 'work'), str(tmp_path / 'data')
    out_dir = str(tmp_path / 'results')
    run_script('benchmark.py', '--setting', TINY, '--work-dir', work,
               '--data-root', data, '--out', out_dir, '--methods',
               'control', 'AMD', '--no-curve', '--quiet')
    with open(osp.join(out_dir, 'embedded_benchmark.md')) as f:
        text = f.read()
    for row in ('| control | 1 |', '| AMD | 1 |',
                '| AMD w/o Ada-Channel | 1 |'):
        assert row in text, row
    assert '## Gains over the control, paired by seed' in text
    assert '## φ sweep' in text and '| 2 |' in text
    for name in ('embedded_benchmark.png', 'embedded_benchmark_balance.png'):
        with open(osp.join(out_dir, name), 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with open(osp.join(out_dir, 'environment.md')) as f:
        assert 'scripts/benchmark.py' in f.read()
    with open(osp.join(out_dir, 'embedded_benchmark.json')) as f:
        raw = json.load(f)
    groups = {(r['group'], r['label']) for r in raw['runs']}
    assert {('methods', 'AMD'), ('methods', 'control'), ('phi', 'AMD φ=2'),
            ('teacher', 'teacher (R50-mini)')} <= groups
    amd = next(r for r in raw['runs'] if r['label'] == 'AMD')
    assert amd['target_ratio'] == 1.0
    assert amd['balance']['calibrated']
    assert amd['training']['train']['distill.ratio']
    assert amd['machine'].endswith(f', {os.cpu_count()} logical CPUs')
