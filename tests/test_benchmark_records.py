"""The benchmark's records: means and sample stds, gains paired by seed,
the phi sweep's table, the choice of a ratio, the timing line, the setting
and the run records it stores, restores and reuses."""
import json
import os
import statistics

import pytest

from mmrazor_amd_bench.benchmark import report, runs


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
    assert gains.splitlines()[0].endswith(
        '| significant: mean Δ > 2 × pooled seed std |')
    # one or two seeds: a gain, but no verdict on significance; two seeds:
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
    from mmrazor_amd_bench.benchmark.publish import phis_to_measure
    assert phis_to_measure(None, [], 1.0) == []
    assert phis_to_measure(None, [0.5], 1.0) == [0.5, 1.0]
    measured = {0.5: 0.9, 1.0: 0.4}
    assert phis_to_measure(measured, [0.5], 1.0) == []
    assert phis_to_measure(measured, [0.5, 2.0], 1.0) == [0.5, 1.0, 2.0]
    assert phis_to_measure(None, [2.0], None) == [2.0]


def test_the_teacher_student_gap_names_the_reference_students():
    """Against the baseline and the control when the table has them, else
    against every student row (mean over seeds, in mAP %)."""
    from mmrazor_amd_bench.benchmark.publish import _gap_line
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
    from mmrazor_amd_bench.benchmark.publish import timing_line

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
    assert '(methods 1.0 h (2 runs), curve 0.5 h (1 run));' in merged
    for part in ('CPU A, 2 logical CPUs: 1 run;',
                 'CPU B, 2 logical CPUs: 1 run;', 'not recorded: 1 run)'):
        assert part in merged, part


def test_a_report_keeps_the_stored_training_summary_when_logs_are_gone(
        tmp_path):
    """metrics.json alone (the logs deleted) still reports its curve; where
    the logs exist, the summary is read again from them."""
    from mmrazor_amd_bench.benchmark.publish import _result
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
    from mmrazor_amd_bench.benchmark.restore import restore_runs, restore_teacher
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


def test_an_evaluated_teacher_is_restored_into_the_teacher_run_dir(
        tmp_path, monkeypatch):
    """A teacher that was only evaluated from a committed checkpoint (the
    demo's) is not written beside that checkpoint, where the committed
    teacher's own record lies."""
    from mmrazor_amd_bench.benchmark.restore import restore_runs
    monkeypatch.chdir(tmp_path)
    os.makedirs('committed')
    own = dict(result('teacher', 0, 0.6, group='teacher'),
               checkpoint='work/teacher/final.pth',
               training=dict(val=[dict(epoch=30, mAP=0.599)]))
    with open('committed/metrics.json', 'w') as f:
        json.dump(own, f)
    evaluated = dict(result('teacher', 0, 0.6, group='teacher'),
                     checkpoint='committed/teacher.pth', options=[])
    with open('results.json', 'w') as f:
        json.dump(dict(runs=[evaluated]), f)
    done = restore_runs('results.json', 'demo/teacher')
    assert done['restored'] == ['demo/teacher/metrics.json']
    with open('committed/metrics.json') as f:
        assert json.load(f) == own


def test_a_trained_teacher_is_committed_without_its_optimizer_and_read_back(
        tmp_path, monkeypatch):
    """commit_teacher writes the state_dict and meta of the run's checkpoint
    (not the optimizer's state) and the run's record, once, and refuses to
    replace another teacher; restore_teacher puts the same weights and
    record back for a new tree of runs."""
    import torch
    from mmrazor_amd_bench.benchmark.restore import (commit_teacher,
                                                     restore_teacher)
    monkeypatch.chdir(tmp_path)
    record = dict(result('teacher', 0, 0.6, group='teacher'),
                  checkpoint='work/teacher/final.pth',
                  training=dict(val=[dict(epoch=30, mAP=0.599)]))
    os.makedirs('work/teacher')
    with open('work/teacher/metrics.json', 'w') as f:
        json.dump(record, f)
    weights = {'neck.conv.weight': torch.arange(6.).reshape(2, 3)}
    torch.save(dict(state_dict=weights, meta=dict(epoch=30),
                    optimizer=dict(state={0: torch.zeros(1000)})),
               'work/teacher.pth')
    assert commit_teacher('work/teacher', 'work/teacher.pth', 'out/teacher')
    state = torch.load('out/teacher/teacher.pth', weights_only=False)
    assert set(state) == {'state_dict', 'meta'}
    assert state['meta'] == dict(epoch=30)
    assert torch.equal(state['state_dict']['neck.conv.weight'],
                       weights['neck.conv.weight'])
    with open('out/teacher/metrics.json') as f:
        assert json.load(f) == record
    stamp = os.path.getmtime('out/teacher/teacher.pth')
    assert not commit_teacher('work/teacher', 'work/teacher.pth',
                              'out/teacher')
    assert os.path.getmtime('out/teacher/teacher.pth') == stamp
    another = dict(record, metrics=dict(record['metrics'], bbox_mAP=0.1))
    with open('work/teacher/metrics.json', 'w') as f:
        json.dump(another, f)
    with pytest.raises(RuntimeError, match='holds another teacher'):
        commit_teacher('work/teacher', 'work/teacher.pth', 'out/teacher')
    with open('out/teacher/metrics.json') as f:
        assert json.load(f) == record
    restore_teacher('out/teacher', 'new/teacher', 'new/teacher.pth')
    back = torch.load('new/teacher.pth', weights_only=False)
    assert torch.equal(back['state_dict']['neck.conv.weight'],
                       weights['neck.conv.weight'])
    with open('new/teacher/metrics.json') as f:
        assert json.load(f)['metrics'] == record['metrics']


@pytest.mark.parametrize('tree', [
    'embedded-long', 'embedded-long-ablations', 'embedded-long-2x',
    'archive/embedded-long-lost-teacher'])
def test_each_committed_report_is_titled_with_its_tree_and_teacher(tree):
    """The heading names the output folder and the teacher the students
    learned from: the committed teacher folder whose record it is, else
    the work dir it was trained in."""
    from types import SimpleNamespace

    from mmrazor_amd_bench import ROOT
    from mmrazor_amd_bench.benchmark.publish import title
    folder = os.path.join(ROOT, 'results', *tree.split('/'))
    with open(os.path.join(folder, 'embedded_benchmark.json')) as f:
        stored = json.load(f)
    setting = SimpleNamespace(**stored['setting'])
    bench = SimpleNamespace(out=folder, root=ROOT, setting=setting)
    heading = title(bench, stored['runs'])
    teacher = ('trained in work_dirs/embedded-long/teacher, not committed '
               '(test mAP 60.1)' if 'lost' in tree else
               'results/embedded-long/teacher (test mAP 59.4)')
    assert heading == (f'# Benchmark results/{tree}: setting '
                       f'{setting.name}, teacher {teacher}')
    with open(os.path.join(folder, 'embedded_benchmark.md')) as f:
        assert f.readline().rstrip('\n') == heading


def test_the_results_record_the_setting_not_the_invocations_subset(
        tmp_path):
    """``--seeds 1 --ablations --phi-seeds 1`` trains a subset; the results'
    JSON records the setting as its file defines it (every seed, ablation
    and phi), so that an invocation that trains nothing new leaves it
    unchanged. Options that change the runs (the data root) are kept."""
    from conftest import CONFIGS, ROOT
    from mmrazor_amd_bench.benchmark import publish
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    from mmrazor_amd_bench.benchmark.setting import Setting
    from mmrazor_amd_bench.commands.benchmark import load_setting, parse_args
    tiny = os.path.join(CONFIGS, 'benchmark_tiny.py')
    file = Setting.load(tiny, ROOT)
    assert file.seeds != [1] and file.ablations and file.phi_seeds != [1]
    args = parse_args(['--setting', tiny, '--seeds', '1', '--methods',
                       'control', '--ablations', '--phi-seeds', '1',
                       '--data-root', 'elsewhere'])
    work = tmp_path / 'work'
    bench = Benchmark(load_setting(args), str(tmp_path / 'out'),
                      work_dir=str(work), labels=args.methods, curve=False)
    assert (bench.setting.seeds, bench.setting.ablations) == ([1], {})
    control = work / 'methods' / 'control' / 'seed1'
    control.mkdir(parents=True)
    (control / 'metrics.json').write_text(json.dumps(result('control', 1,
                                                            0.4)))
    bench.planned = list(bench.runs())
    publish.write(bench)
    with open(tmp_path / 'out' / 'embedded_benchmark.json') as f:
        stored = json.load(f)
    assert [(r['label'], r['seed']) for r in stored['runs']] == [
        ('control', 1)]
    recorded = stored['setting']
    for key in ('seeds', 'ablation_seeds', 'phi_seeds', 'phis'):
        assert recorded[key] == file.cfg[key], key
    assert recorded['ablations'] == file.ablations
    assert recorded['data']['root'] == 'elsewhere'


def test_the_phi_sweep_reads_the_settings_phi_seeds_not_the_invocations(
        tmp_path):
    """With ``--phi-seeds 1``, the point at AMD's own phi still pairs the
    table's AMD runs on every phi seed of the setting, as the sweep's rows
    (restored from earlier invocations) do."""
    from conftest import CONFIGS
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    from mmrazor_amd_bench.benchmark.publish import phi_sweep
    from mmrazor_amd_bench.commands.benchmark import load_setting, parse_args
    tiny = os.path.join(CONFIGS, 'benchmark_tiny.py')
    args = parse_args(['--setting', tiny, '--phi-seeds', '1'])
    bench = Benchmark(load_setting(args), str(tmp_path / 'out'),
                      work_dir=str(tmp_path / 'work'))
    seeds = bench.whole_setting().phi_seeds
    assert seeds != [1]
    rows = [dict(result('AMD φ=2', s, 0.3, group='phi'), phi=2.0)
            for s in seeds]
    rows += [result('AMD', s, 0.4) for s in (*seeds, 7)]
    sweep = phi_sweep(bench, rows)
    default = float(bench.planner.default_phi())
    assert [r['seed'] for r in sweep[default]] == list(seeds)
    assert [r['seed'] for r in sweep[2.0]] == list(seeds)
