"""The benchmark's settings and plan, and smoke runs of the benchmark
through the script the README uses (tiny sizes); its records and tables:
test_benchmark_records.py; the demo's smoke run: test_demo.py."""
import json
import os
import os.path as osp

import pytest

from conftest import CONFIGS, ROOT, run_script
from mmrazor_amd_bench.benchmark import runs
from mmrazor_amd_bench.benchmark.plan import AMD_LOSS, Planner, flatten_options
from mmrazor_amd_bench.benchmark.setting import (Setting, SettingError,
                                           available_settings, config_file,
                                           schedule_options)

TINY = osp.join(CONFIGS, 'benchmark_tiny.py')


def test_a_student_stops_when_its_restored_teacher_has_no_weights(tmp_path):
    """The teacher run is done (restored) but teacher.pth is missing: the
    benchmark names the cause instead of training on another teacher."""
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    setting = Setting.load(TINY, ROOT)
    bench = Benchmark(setting, str(tmp_path / 'out'),
                      work_dir=str(tmp_path / 'work'))
    amd = next(run for run in bench.runs() if run.label == 'AMD')
    with pytest.raises(runs.RunError, match='teacher.pth, which is missing'):
        bench.check_teacher(amd)


def test_a_report_written_mid_invocation_keeps_the_later_runs(tmp_path):
    """After the first new run of an invocation finishes, the report is
    written from the runs planned so far and those still to come: restored
    runs of later seeds stay in it (and none is listed twice)."""
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    bench = Benchmark(Setting.load(TINY, ROOT), str(tmp_path / 'out'),
                      work_dir=str(tmp_path / 'work'))
    runs_ = list(bench.runs())
    bench.upcoming = runs_
    bench.planned.append(runs_[0])
    reported = [r.work_dir for r in bench.reported_runs()]
    assert len(reported) == len(set(reported))
    later = [r.work_dir for r in runs_]
    assert [path for path in reported if path in later] == later


def test_a_narrowed_invocation_keeps_the_other_finished_rows(tmp_path):
    """An invocation with fewer seeds and rows than its setting (``--seeds
    1 --methods AMD``) reports the finished runs it did not plan too, in
    the setting's order, and its own runs outside the setting's plan; not
    a finished run trained with other options (here MGD, one epoch)."""
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    from mmrazor_amd_bench.commands.benchmark import load_setting, parse_args
    work = str(tmp_path / 'work')
    args = parse_args(['--setting', TINY, '--seeds', '1', '--methods',
                       'AMD', '--ablations', '--phis', '--no-curve'])
    bench = Benchmark(load_setting(args), str(tmp_path / 'out'),
                      work_dir=work, labels=args.methods, curve=False)
    mine = list(bench.runs())
    assert [(r.label, r.seed) for r in mine] == [('AMD', 1)]
    finished = {}
    other = {'mgd': ['train_cfg.max_epochs=1']}  # trained otherwise
    for group, name in [('methods', 'baseline'), ('methods', 'control'),
                        ('ablations', 'amd-w-o-ada-channel'),
                        ('methods', 'mgd'), ('methods', 'fgd')]:
        path = osp.join(work, group, name, 'seed0')
        os.makedirs(path)
        with open(osp.join(path, 'metrics.json'), 'w') as f:
            json.dump({'options': other[name]} if name in other else {}, f)
        finished[path] = name
    bench.planned, bench.upcoming = [bench.planner.teacher()], mine
    reported = bench.reported_runs()
    done = [(r.label, r.seed) for r in reported if r.done()]
    assert done == [('baseline', 0), ('control', 0), ('FGD', 0),
                    ('AMD w/o Ada-Channel', 0)]
    assert reported[-1].work_dir == mine[0].work_dir  # seed 1: not in the file
    assert reported[0].group == 'teacher'


@pytest.mark.parametrize('case', ['trained', 'report_only', 'smoke',
                                  'committed'])
def test_a_trained_teacher_goes_to_the_results_only_when_new(case, tmp_path):
    """The benchmark writes its trained teacher to ``<out>/teacher/``; not
    when only the report is rewritten, for a smoke run (``--epochs``), or
    when a folder under ``results/`` holds that teacher already (e.g. it
    was restored from there)."""
    import torch
    from mmrazor_amd_bench.benchmark.benchmark import Benchmark
    root, out = tmp_path / 'repo', tmp_path / 'repo' / 'results' / 'tiny'
    bench = Benchmark(Setting.load(TINY, ROOT), str(out),
                      work_dir=str(tmp_path / 'work'),
                      report_only=case == 'report_only',
                      epochs=1 if case == 'smoke' else None, root=str(root))
    run = bench.planner.teacher()
    os.makedirs(run.work_dir)
    record = dict(group='teacher', metrics={'coco/bbox_mAP': 0.6})
    with open(run.metrics_file, 'w') as f:
        json.dump(record, f)
    checkpoint = str(tmp_path / 'work' / 'teacher.pth')
    torch.save(dict(state_dict={'w': torch.ones(2)}, meta={}), checkpoint)
    if case == 'committed':
        kept = root / 'results' / 'other' / 'teacher'
        kept.mkdir(parents=True)
        (kept / 'metrics.json').write_text(json.dumps(record))
        torch.save({}, str(kept / 'teacher.pth'))
    bench.commit_teacher(run, checkpoint)
    written = osp.isfile(out / 'teacher' / 'teacher.pth')
    assert written == (case == 'trained')


def test_command_line_paths_are_kept_relative_to_the_checkout(tmp_path,
                                                             monkeypatch):
    """repo_path(): a path typed from any directory names the same place;
    inside the repository it becomes relative to it, outside it absolute."""
    from mmrazor_amd_bench.benchmark.setting import repo_path
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


def test_progress_rate_counts_from_the_first_log_line():
    """A run's first log line reports 20 (or, resumed, 1020) iterations
    done at once: the bar's rate must not count them as done in no time."""
    from tqdm import tqdm
    clock = [100.0]
    bar = tqdm(total=1, disable=False, file=open(os.devnull, 'w'))
    bar._time = lambda: clock[0]
    bar.start_t = bar.last_print_t = clock[0]
    runs.advance(bar, 1020, 2000)
    assert '?it/s' in str(bar)  # nothing measured yet
    clock[0] += 10.0
    runs.advance(bar, 1060, 2000)
    assert '1060/2000' in str(bar)
    assert '4.00it/s' in str(bar)  # 40 iterations in 10 s, not 1060
    bar.close()


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
    assert 'default_hooks.distill_balance.target_ratio=2.0' in options
    assert 'default_hooks.distill_balance.calibration_iters=1' in options
    root = setting.data_root
    assert f'test_evaluator.ann_file={root}instances_val.json' in options
    assert f'val_evaluator.ann_file={root}instances_holdout.json' in options
    assert amd.eval_split == 'test' and amd.package == 'mmrazor'

    control = planner.control(3)
    assert 'default_hooks.distill_balance.scale=0.0' in control.options
    assert 'default_hooks.distill_balance.target_ratio=None' in control.options
    selection = planner.selection('MGD', 0.5)
    assert selection.eval_split == 'holdout'
    assert (f'test_evaluator.ann_file={root}instances_holdout.json'
            in selection.options)
    baseline = planner.baseline(3)
    assert baseline.package == 'mmdet'
    assert not any('teacher' in o or 'hooks' in o
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
    committed = osp.join(ROOT, 'results', 'embedded-long', 'teacher',
                         'metrics.json')
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


@pytest.mark.parametrize('name', available_settings(ROOT))
def test_every_committed_setting_plans_configs_that_exist(name, tmp_path):
    """Each configs/benchmark setting names a teacher, a baseline and five
    method configs on disk, and each of its ablations is a key of its AMD
    config's amd_ablations (read when the run is planned)."""
    setting = Setting.load(name, ROOT)
    assert sorted(setting.methods) == ['AMD', 'CWD', 'FGD', 'MGD', 'PKD']
    paths = [setting.baseline['config'], *setting.methods.values()]
    if setting.teacher.get('config'):
        paths.append(setting.teacher['config'])
    for path in paths:
        assert osp.isfile(osp.join(ROOT, config_file(path))), (name, path)
    planner = Planner(setting, str(tmp_path))
    for label in setting.get('ablations') or {}:
        run = planner.ablation(label, 0)
        assert run.label == label
        assert any(o.startswith(AMD_LOSS) for o in run.options), run.options


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
    assert any('default_hooks.distill_balance.scale=0.0' in c for c in trains)
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
    """The tiny long-regime setting through scripts/benchmark.py: teacher
    (committed form in ``<out>/teacher/``), control and AMD at the shared target ratio, one ablation and the phi
    sweep. The baseline goes through the same ``mim train mmdet`` as the
    teacher, so it is left out (it would add about half a minute: 321 s to
    356 s on 2 CPU cores)."""
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
    teacher = next(r for r in raw['runs'] if r['group'] == 'teacher')
    with open(osp.join(out_dir, 'teacher', 'metrics.json')) as f:
        assert json.load(f)['metrics'] == teacher['metrics']
    assert osp.isfile(osp.join(out_dir, 'teacher', 'teacher.pth'))
    amd = next(r for r in raw['runs'] if r['label'] == 'AMD')
    assert amd['target_ratio'] == 1.0
    assert amd['balance']['calibrated']
    assert amd['training']['train']['distill.ratio']
    assert amd['machine'].endswith(f', {os.cpu_count()} logical CPUs')
