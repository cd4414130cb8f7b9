"""The scripts stop, naming both checkouts, when the environment would
import the packages from another checkout than theirs
(``mmrazor_amd_bench.checkout``)."""
import importlib.util
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from mmrazor_amd_bench.checkout import check_script

INSTALLED = osp.dirname(osp.dirname(
    importlib.util.find_spec('mmrazor_amd').origin))
pytestmark = pytest.mark.skipif(
    osp.realpath(INSTALLED) != osp.realpath(ROOT),
    reason=f'this checkout is not the one installed ({INSTALLED})')
RUN_PATH = 'import runpy, sys; sys.argv = sys.argv[1:]; ' \
    "runpy.run_path(sys.argv[0], run_name='__main__')"


def run(*command, cwd):
    return subprocess.run([sys.executable, *command], capture_output=True,
                          text=True, timeout=120, cwd=str(cwd))


def test_a_script_of_another_checkout_refuses_and_names_both(tmp_path):
    clone = tmp_path / 'clone'
    (clone / 'scripts').mkdir(parents=True)
    shutil.copy(osp.join(ROOT, 'scripts', 'paper_claims.py'),
                clone / 'scripts')
    script = str(clone / 'scripts' / 'paper_claims.py')
    for command in ([script, '--help'], ['-c', RUN_PATH, script, '--help']):
        done = run(*command, cwd=clone)
        assert done.returncode == 1 and 'usage' not in done.stdout
        message = done.stderr.strip().splitlines()[-1]
        assert message == (
            f'mmrazor_amd would be imported from {osp.realpath(ROOT)}, not '
            f'from this checkout {osp.realpath(clone)}: run `make setup` in '
            f'{osp.realpath(clone)} to install this one in place of it')


def test_the_scripts_of_this_checkout_run_however_they_are_started(
        tmp_path):
    script = osp.join(ROOT, 'scripts', 'paper_claims.py')
    for command in ([script, '--help'], ['-c', RUN_PATH, script, '--help']):
        done = run(*command, cwd=tmp_path)
        assert done.returncode == 0 and 'usage' in done.stdout, done.stderr


def test_a_missing_package_is_named_with_the_command_that_installs_it():
    script = osp.join(ROOT, 'scripts', 'train.py')
    with pytest.raises(SystemExit, match='no_such_package_of_ours is not '
                       r'installed .* run `make setup` in '):
        check_script(script, ('no_such_package_of_ours', ))
    check_script(script)
