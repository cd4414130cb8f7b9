"""The GPU check (``scripts/gpu_check.sh``, ``scripts/gpu_check.py``) where
no GPU is: its usage, its refusal without CUDA (nothing run, nothing
written), its options, and its records computed from hand-written probe
rows. The records from real probe rows: ``test_amp_cpu_training.py``."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from conftest import ROOT
from mmrazor_amd_bench.commands import gpu_check

SHELL = osp.join(ROOT, 'scripts', 'gpu_check.sh')
no_cuda = pytest.mark.skipif(torch.cuda.is_available(),
                             reason='checks the refusal without CUDA')


def test_usage_says_it_needs_cuda():
    done = subprocess.run(['bash', SHELL, '--help'], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    assert 'NEEDS A CUDA GPU' in done.stdout
    for part in ('tests/test_amp_training.py', 'tests/test_amp.py',
                 'tests/test_fast_frozen_teacher.py', 'results/gpu-check',
                 'scripts/gpu_check.py', 'scripts/benchmark_cost.py'):
        assert part in done.stdout, part
    assert os.access(SHELL, os.X_OK)


@no_cuda
def test_without_cuda_it_runs_and_writes_nothing(tmp_path):
    out = tmp_path / 'out'
    done = subprocess.run(
        ['bash', SHELL, str(out)], capture_output=True, text=True,
        timeout=120, env={**os.environ, 'PYTHON': sys.executable})
    assert done.returncode == 3
    assert 'needs a CUDA GPU' in done.stderr and '== tests' not in (
        done.stdout)
    assert not out.exists()
    done = subprocess.run(
        [sys.executable, osp.join(ROOT, 'scripts', 'gpu_check.py'), '--out',
         str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and gpu_check.NEEDS_CUDA in done.stderr
    assert not out.exists()


def test_options():
    args = gpu_check.parse_args([])
    assert args.out == osp.join('results', 'gpu-check')
    assert args.methods == ['amd', 'mgd', 'fgd'] and args.data is None
    args = gpu_check.parse_args(['--out', 'x', '--methods', 'mgd'])
    assert (args.out, args.methods) == ('x', ['mgd'])
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['--methods', 'pkd'])


def test_the_train_command_is_the_tests_one():
    from conftest import tiny_train_command
    plain = gpu_check.train_command('w', '/data', amp=False)
    assert plain == tiny_train_command('w', '/data')
    amp = gpu_check.train_command('w', '/data', amp=True)
    assert amp == plain[:3] + ['--amp'] + plain[3:]
    env = gpu_check.train_env('fgd')
    assert env['DISTILL_METHOD'] == 'fgd'
    assert env['PYTHONPATH'].split(os.pathsep)[0] == osp.join(ROOT, 'tests')


def row(step, cls, distill, before=None, after=None):
    out = {'loss': cls + distill, 'student.loss_cls': cls,
           'distill.loss_mgd': distill, 'distill.loss_mgd_raw': distill * 5,
           'iter': step}
    if before is not None:
        out.update({'amp.scale_before': before, 'amp.scale_after': after})
    return out


def records():
    fp32 = [row(0, 2.0, 4.0), row(1, 1.5, 3.0), row(2, 1.0, 2.0)]
    amp = [row(0, 2.002, 3.996, 65536.0, 32768.0),  # overflowed: skipped
           row(1, 1.6, 6.0, 32768.0, 32768.0),
           row(2, 1.1, float('inf'), 32768.0, 16384.0)]  # skipped again
    return gpu_check.method_record('mgd', fp32, amp)


def test_record_of_one_method_by_hand():
    record = records()
    assert record['method'] == 'mgd' and record['steps'] == 3
    assert record['finite'] is False  # the Inf of the last step
    assert record['loss_scale'] == dict(initial=65536.0, final=16384.0,
                                        skipped_steps=[0, 2])
    first = record['first_step']
    assert first['fp32'] == {'loss': 6.0, 'student.loss_cls': 2.0,
                             'distill.loss_mgd': 4.0}  # raw left out
    assert first['amp_over_fp32'] == pytest.approx(
        {'loss': 5.998 / 6.0, 'student.loss_cls': 1.001,
         'distill.loss_mgd': 0.999}, rel=1e-12)
    assert record['last_step']['amp_over_fp32']['student.loss_cls'] == (
        pytest.approx(1.1))
    assert gpu_check.scale_record([row(0, 1.0, 1.0)]) == dict(
        initial=None, final=None, skipped_steps=[])


def test_what_it_writes(tmp_path):
    gpu_check.write_records(str(tmp_path), [records()],
                            dict(device='NVIDIA X', torch='2.x'))
    with open(tmp_path / 'gpu_check.json') as f:
        stored = json.load(f)
    assert stored['meta'] == dict(device='NVIDIA X', torch='2.x')
    assert stored['methods'][0]['loss_scale']['skipped_steps'] == [0, 2]
    table = (tmp_path / 'gpu_check.md').read_text().splitlines()
    assert 'NVIDIA X' in table[2]
    assert table[-1] == ('| MGD | 3 | NO | 65536 -> 16384 | 0, 2 | 0.9990 '
                         '| inf | 1.0010 | 1.1000 |')
