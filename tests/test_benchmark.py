"""The embedded benchmark's bookkeeping, and smoke runs of the demo and the
benchmark through the same scripts the README uses (tiny sizes)."""
import json
import os
import os.path as osp
import statistics
import subprocess
import sys

import pytest

from conftest import ROOT
from mmrazor_amd.benchmark import plan, report, runs


def metrics(value):
    return {column: value for column in report.COLUMNS}


def test_mean_std_is_the_sample_standard_deviation():
    values = [0.41, 0.43, 0.38, 0.40]
    mean, std = report.mean_std(values)
    assert mean == pytest.approx(statistics.fmean(values))
    assert std == pytest.approx(statistics.stdev(values))
    assert report.mean_std([0.5]) == (0.5, 0.0)


def test_table_shows_percentages_spread_and_gain():
    table = report.markdown_table(
        {
            'baseline': [metrics(0.30), metrics(0.32)],
            'AMD': [metrics(0.35), metrics(0.37)],
        },
        baseline='baseline')
    header, rule, base_row, amd_row = table.splitlines()
    assert header.split(' | ')[2:4] == ['mAP', 'AP50']
    assert header.endswith('Δ mAP |')
    # 100 * mean(0.35, 0.37) = 36.0, sample std of (35, 37) = 1.414
    assert amd_row.startswith('| AMD | 2 | 36.0 ± 1.4 |')
    assert amd_row.endswith('| +5.0 |')  # 36.0 - 31.0
    assert base_row.endswith('|  |')


def test_progress_is_counted_over_all_epochs():
    line = ('11/21 04:40:01 - mmengine - INFO - Epoch(train)  [2][ 40/250]'
            '  lr: 2.0e-02')
    runs._progress.max_epochs = 4
    assert runs._progress(runs._PROGRESS.search(line)) == (290, 1000)
    line = '11/21 04:50:01 - mmengine - INFO - Epoch(test) [ 20/63]    eta'
    assert runs._progress(runs._PROGRESS.search(line)) == (20, 63)


def test_runs_evaluate_once_and_carry_seed_teacher_and_overrides(tmp_path):
    run = plan.student_run('AMD w/o Ada-Mask', 3, str(tmp_path), epochs=2)
    options = run.cfg_options()
    assert options[:3] == [
        'randomness.seed=3', f'train_cfg.val_interval={runs.NO_VALIDATION}',
        'train_cfg.max_epochs=2'
    ]
    assert f'{plan.AMD_LOSS}.ada_mask=False' in options
    teacher = osp.join(str(tmp_path), 'teacher.pth')
    assert f'model.teacher_ckpt={teacher}' in options
    assert run.package == 'mmrazor'
    baseline = plan.student_run('baseline', 3, str(tmp_path))
    assert baseline.package == 'mmdet'
    assert not any('teacher' in o for o in baseline.cfg_options())
    phi = plan.phi_run(2.0, 3, str(tmp_path))
    assert f'{plan.AMD_LOSS}.phi=2.0' in phi.options
    assert len({run.work_dir, baseline.work_dir, phi.work_dir}) == 3


def run_script(script, *args):
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'scripts', script), *args],
        capture_output=True, text=True, timeout=1800, cwd=ROOT,
        env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout


TINY = ['--num-train', '16', '--num-val', '8', '--epochs', '1']


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('demo')
    work, data = str(tmp_path / 'work'), str(tmp_path / 'data')
    out = run_script('demo.py', '--work-dir', work, '--data-root', data,
                     *TINY)
    return work, data, out


@pytest.mark.slow
def test_demo_runs_every_stage_and_skips_them_the_second_time(demo):
    work, data, out = demo
    for stage in ('teacher', 'baseline/seed0', 'amd/seed0'):
        assert osp.isfile(osp.join(work, stage, 'final.pth')), stage
        with open(osp.join(work, stage, 'metrics.json')) as f:
            assert set(json.load(f)['metrics']) == set(report.COLUMNS)
    assert osp.isfile(osp.join(work, 'teacher.pth'))
    with open(osp.join(work, 'demo_results.md')) as f:
        table = f.read()
    assert '| AMD (R18-mini) | 1 |' in table
    assert '[5/5] table' in out

    log = osp.join(work, 'amd', 'seed0', 'train.log')
    before = os.path.getmtime(log)
    run_script('demo.py', '--work-dir', work, '--data-root', data, *TINY)
    assert os.path.getmtime(log) == before  # nothing was trained again


@pytest.mark.slow
def test_amd_parameters_are_saved_and_the_export_drops_them(demo, tmp_path):
    import torch

    from mmrazor_amd.tools.export_student import export
    work, _, _ = demo
    source = osp.join(work, 'amd', 'seed0', 'final.pth')
    trained = torch.load(source, weights_only=True)['state_dict']
    amd_keys = [k for k in trained
                if k.startswith('distiller.distill_losses.loss_amd.')]
    assert any('.generations.0.clue.' in k for k in amd_keys)
    assert any('.generations.4.block.conv2.' in k for k in amd_keys)

    target = str(tmp_path / 'student.pth')
    export(source, target)
    student = torch.load(target, weights_only=True)
    assert set(student['state_dict']) == {
        k[len('architecture.'):]
        for k in trained if k.startswith('architecture.')
    }
    for key, value in student['state_dict'].items():
        assert torch.equal(value, trained['architecture.' + key])


@pytest.mark.slow
def test_stock_mim_test_of_the_export_reports_the_distillation_metrics(
        demo, tmp_path):
    """``mim test mmdet`` of the exported student with the plain student
    config scores what ``mim test mmrazor`` gives the distillation
    checkpoint. The demo's one-epoch student scores 0 at the configs' score
    threshold, so both tests keep every box (``score_thr=0``), which makes
    the metrics non-zero and sensitive to any weight that differs."""
    from mmrazor_amd.benchmark import plan
    from mmrazor_amd.benchmark.runs import Run, evaluate
    from mmrazor_amd.tools.export_student import export
    work, data, _ = demo
    checkpoint = osp.join(work, 'amd', 'seed0', 'final.pth')
    distilled = plan.student_run('AMD', 0, work)
    distilled.work_dir = str(tmp_path / 'distilled')
    distilled.options += plan.data_options(data) + [
        'model.architecture.test_cfg.score_thr=0.0']
    os.makedirs(distilled.work_dir)
    expected = evaluate(distilled, checkpoint, quiet=True)
    assert any(value > 0 for value in expected.values()), expected

    target = str(tmp_path / 'student.pth')
    export(checkpoint, target)
    exported = Run('exported student', 'mmdet', plan.STUDENT_CONFIG,
                   str(tmp_path / 'exported'), seed=0,
                   options=plan.data_options(data) +
                   ['model.test_cfg.score_thr=0.0'])
    os.makedirs(exported.work_dir)
    assert evaluate(exported, target, quiet=True) == expected


@pytest.mark.slow
def test_benchmark_writes_tables_plot_and_environment(tmp_path):
    work, data = str(tmp_path / 'work'), str(tmp_path / 'data')
    out_dir = str(tmp_path / 'results')
    run_script('benchmark.py', '--work-dir', work, '--data-root', data,
               '--out', out_dir, '--seeds', '0', '--methods', 'baseline',
               'AMD', '--ablations', 'AMD w/o Ada-Channel', '--phis', '1.0',
               '2.0', '--quiet', *TINY)
    with open(osp.join(out_dir, 'embedded_benchmark.md')) as f:
        text = f.read()
    assert '| baseline | 1 |' in text and '| AMD | 1 |' in text
    assert '| AMD w/o Ada-Channel | 1 |' in text
    assert '## φ sweep' in text and '| 2 |' in text
    with open(osp.join(out_dir, 'embedded_benchmark.png'), 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with open(osp.join(out_dir, 'environment.md')) as f:
        assert 'scripts/benchmark.py' in f.read()
    with open(osp.join(out_dir, 'embedded_benchmark.json')) as f:
        raw = json.load(f)
    assert {r['label'] for r in raw['runs']} >= {'baseline', 'AMD', '2.0'}
