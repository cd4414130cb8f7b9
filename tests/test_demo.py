"""The demo through the script the README uses (tiny sizes), and what its
AMD checkpoint gives: the export of the student and a stock ``mim test``."""
import json
import os
import os.path as osp

import pytest

from conftest import CONFIGS, ROOT, run_script
from mmrazor_amd_bench.benchmark import report
from mmrazor_amd_bench.benchmark.plan import Planner
from mmrazor_amd_bench.benchmark.setting import Setting

TINY_DATA = ['--setting', osp.join(CONFIGS, 'demo_tiny.py'), '--num-train',
             '16', '--num-val', '8', '--num-holdout', '4', '--epochs', '1']


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('demo')
    work, data = str(tmp_path / 'work'), str(tmp_path / 'data')
    out = run_script('demo.py', '--work-dir', work, '--data-root', data,
                     *TINY_DATA)
    return work, data, out


@pytest.mark.slow
def test_demo_runs_every_stage_and_skips_them_the_second_time(demo):
    """The committed teacher is evaluated, not trained; the control and
    AMD students train from it; the table gives AMD's gain over the
    control and the picture of what AMD hides is drawn."""
    work, data, out = demo
    assert not osp.isfile(osp.join(work, 'teacher', 'final.pth'))
    for stage in ('teacher', 'methods/control/seed0', 'methods/amd/seed0'):
        with open(osp.join(work, stage, 'metrics.json')) as f:
            assert set(json.load(f)['metrics']) == set(report.COLUMNS)
    for stage in ('control', 'amd'):
        assert osp.isfile(osp.join(work, 'methods', stage, 'seed0',
                                   'final.pth')), stage
    with open(osp.join(work, 'demo_results.md')) as f:
        table = f.read()
    for row in ('| teacher (R50-mini) | 1 |', '| control | 1 |', '| AMD | 1 |'):
        assert row in table
    assert 'Δ mAP vs control' in table
    assert '[5/5] table' in out
    pictures = os.listdir(osp.join(work, 'masks'))
    assert len(pictures) == 1 and pictures[0].endswith('.png')
    assert 'What AMD hides on a test image:' in table
    # the tiny data are not the data the teacher was committed with: no
    # comparison with its record, no three-seed summary of other data
    assert 'as recorded in' not in out and 'Over seeds' not in table

    log = osp.join(work, 'methods', 'amd', 'seed0', 'train.log')
    with open(log) as f:  # the demo plans no validation, not even the last
        text = f.read()
    assert 'Epoch(train) [1][' in text and 'Epoch(val)' not in text
    # the upstream stack's deprecation warning is silenced (test_stack.py)
    assert 'pkg_resources is deprecated' not in text + out
    before = os.path.getmtime(log)
    run_script('demo.py', '--work-dir', work, '--data-root', data,
               *TINY_DATA)
    assert os.path.getmtime(log) == before  # nothing was trained again


@pytest.mark.slow
def test_amd_parameters_are_saved_and_the_export_drops_them(demo, tmp_path):
    import torch

    from mmrazor_amd.tools.export_student import export
    work, _, _ = demo
    source = osp.join(work, 'methods', 'amd', 'seed0', 'final.pth')
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
    from mmrazor_amd_bench.benchmark.runs import Run, evaluate
    from mmrazor_amd.tools.export_student import export
    work, data, _ = demo
    setting = Setting.load(osp.join(CONFIGS, 'demo_tiny.py'), ROOT)
    setting.cfg.data.root = data
    planner = Planner(setting, work)
    checkpoint = osp.join(work, 'methods', 'amd', 'seed0', 'final.pth')
    distilled = planner.method('AMD', 0)
    distilled.work_dir = str(tmp_path / 'distilled')
    distilled.options += ['model.architecture.test_cfg.score_thr=0.0']
    expected = evaluate(distilled, checkpoint, quiet=True)
    assert any(value > 0 for value in expected.values()), expected

    target = str(tmp_path / 'student.pth')
    export(checkpoint, target)
    exported = Run('exported student', 'mmdet', setting.baseline['config'],
                   str(tmp_path / 'exported'), seed=0,
                   options=setting.data_options() +
                   ['model.test_cfg.score_thr=0.0'])
    os.makedirs(exported.work_dir)
    assert evaluate(exported, target, quiet=True) == expected
