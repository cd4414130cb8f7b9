"""``scripts/restore_benchmark.py`` as the README runs it: the committed
runs of a results tree back in their work dirs, a committed teacher into a
new work dir, and the two refusals. The library functions it calls are
tested in ``test_benchmark_records.py``; here the command line, from a
directory other than the checkout, on a copy of the committed
``results/embedded-long`` report whose work dirs are moved under a
temporary folder (the real ones are inside the checkout)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = osp.join(ROOT, 'scripts', 'restore_benchmark.py')
COMMITTED = osp.join(ROOT, 'results', 'embedded-long')


def restore(*args, cwd):
    done = subprocess.run([sys.executable, SCRIPT, *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def results(tmp_path):
    """``results/embedded-long``'s report with every run's work dir under
    ``tmp_path/work``; returns (results folder, runs)."""
    with open(osp.join(COMMITTED, 'embedded_benchmark.json')) as f:
        report = json.load(f)
    for run in report['runs']:
        run['checkpoint'] = str(tmp_path / 'work' / run['checkpoint'])
    folder = tmp_path / 'results'
    folder.mkdir()
    with open(folder / 'embedded_benchmark.json', 'w') as f:
        json.dump(report, f)
    return folder, report['runs']


def test_the_committed_runs_go_back_to_their_work_dirs(results, tmp_path):
    folder, runs = results
    assert len(runs) > 2 and any(r['group'] == 'teacher' for r in runs)
    code, out = restore('--setting', 'embedded-long', '--results',
                        'results', cwd=tmp_path)
    assert code == 0, out
    assert f'{len(runs)} runs restored, 0 already there' in out
    for run in runs:
        path = osp.join(osp.dirname(run['checkpoint']), 'metrics.json')
        with open(path) as f:
            assert json.load(f) == run
    # again: nothing to do
    code, out = restore('--setting', 'embedded-long', '--results',
                        str(folder), cwd=tmp_path)
    assert code == 0 and f'0 runs restored, {len(runs)} already there' in out


def test_a_committed_teacher_starts_a_new_work_dir(tmp_path):
    committed = osp.join(COMMITTED, 'teacher')
    code, out = restore('--setting', 'embedded-long', '--teacher', committed,
                        '--work-dir', 'new', '--no-check', cwd=tmp_path)
    assert code == 0, out
    target = tmp_path / 'new' / 'teacher.pth'
    assert out.strip().endswith(f'-> {target}')
    with open(osp.join(committed, 'teacher.pth'), 'rb') as f:
        assert target.read_bytes() == f.read()
    with open(osp.join(committed, 'metrics.json')) as f:
        record = json.load(f)
    with open(tmp_path / 'new' / 'teacher' / 'metrics.json') as f:
        placed = json.load(f)
    assert placed['metrics'] == record['metrics']
    assert placed['checkpoint'] == str(tmp_path / 'new' / 'teacher' /
                                       'final.pth')
    # a different teacher is not put over it
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'teacher.pth').write_bytes(b'other weights')
    record['metrics'] = dict(record['metrics'], mAP=0.1)
    (other / 'metrics.json').write_text(json.dumps(record))
    code, out = restore('--setting', 'embedded-long', '--teacher',
                        str(other), '--work-dir', 'new', cwd=tmp_path)
    assert code != 0 and 'another teacher' in out
    with open(osp.join(committed, 'teacher.pth'), 'rb') as f:
        assert target.read_bytes() == f.read()


def test_a_teacher_that_scores_otherwise_here_is_not_restored(tmp_path):
    """Without --no-check the committed teacher is evaluated on the
    setting's data first: on other data (here four generated images) it
    does not score its record, and nothing is put in place."""
    setting = tmp_path / 'other-data.py'
    setting.write_text(
        f"_base_ = ['{ROOT}/configs/benchmark/embedded-long.py']\n"
        "name = 'other-data'\n"
        f"data = dict(root='{tmp_path}/data', generate=dict(num_train=4, "
        "num_holdout=2, num_val=4))\n")
    committed = osp.join(COMMITTED, 'teacher')
    code, out = restore('--setting', str(setting), '--teacher', committed,
                        '--work-dir', str(tmp_path / 'new'), cwd=tmp_path)
    assert code != 0 and 'not restored: the committed teacher scores ' \
        'differently' in out, out
    assert not (tmp_path / 'new' / 'teacher.pth').exists()
    assert not (tmp_path / 'new' / 'teacher' / 'metrics.json').exists()


@pytest.mark.parametrize('args,message', [
    (['--work-dir', 'x'], '--work-dir is for --teacher'),
    (['--setting', 'retina', '--teacher', 'x', '--work-dir', 'y'],
     'retina does not train its teacher'),
])
def test_what_it_refuses(args, message, tmp_path):
    code, out = restore(*args, cwd=tmp_path)
    assert code != 0 and message in out
    assert os.listdir(tmp_path) == []
