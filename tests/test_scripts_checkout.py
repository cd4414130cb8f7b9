"""The scripts stop, naming both checkouts, when the environment imports
the packages from another checkout than theirs (``scripts/_checkout.py``)."""
import importlib.util
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

INSTALLED = osp.dirname(osp.dirname(
    importlib.util.find_spec('mmrazor_amd').origin))
pytestmark = pytest.mark.skipif(
    osp.realpath(INSTALLED) != osp.realpath(ROOT),
    reason=f'this checkout is not the one installed ({INSTALLED})')


def test_a_script_of_another_checkout_refuses_and_names_both(tmp_path):
    clone = tmp_path / 'clone'
    (clone / 'scripts').mkdir(parents=True)
    for name in ('_checkout.py', 'paper_claims.py'):
        shutil.copy(osp.join(ROOT, 'scripts', name), clone / 'scripts')
    done = subprocess.run(
        [sys.executable, str(clone / 'scripts' / 'paper_claims.py'),
         '--help'], capture_output=True, text=True, timeout=120,
        cwd=str(clone))
    assert done.returncode != 0 and 'usage' not in done.stdout
    message = done.stderr.strip().splitlines()[-1]
    assert f'from {osp.realpath(ROOT)}, not from this checkout ' \
           f'{osp.realpath(clone)}' in message, message
    assert f'`make setup` in {osp.realpath(clone)}' in message


def test_the_scripts_of_this_checkout_run(tmp_path):
    done = subprocess.run(
        [sys.executable, osp.join(ROOT, 'scripts', 'paper_claims.py'),
         '--help'], capture_output=True, text=True, timeout=120,
        cwd=str(tmp_path))
    assert done.returncode == 0 and 'usage' in done.stdout


def test_a_missing_package_is_named_with_the_command_that_installs_it():
    sys.path.insert(0, osp.join(ROOT, 'scripts'))
    try:
        import _checkout
    finally:
        sys.path.pop(0)
    with pytest.raises(SystemExit, match='no_such_package_of_ours is not '
                       r'installed .* run `make setup` in '):
        _checkout.check(('no_such_package_of_ours', ))
