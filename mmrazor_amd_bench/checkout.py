"""The scripts of a checkout run that checkout's packages, or stop and say
why.

``make setup`` installs the repository in editable mode: Python imports
``mmrazor_amd`` and ``mmrazor_amd_bench`` from the checkout that was set up
last. With two clones in one environment, the scripts of one would
otherwise train and write under the other's ``configs/``, ``work_dirs/`` and
``results/`` without a word. Each script of ``scripts/`` calls
:func:`check_script` with its own path before it imports its command; the
packages are found, not imported (this module imports nothing of the
OpenMMLab stack).
"""
import importlib.util
import os.path as osp
import sys
from typing import Sequence

PACKAGES = ('mmrazor_amd', 'mmrazor_amd_bench')


def check_script(script: str, packages: Sequence[str] = PACKAGES) -> None:
    """Exit with the cause unless every package in ``packages`` would be
    imported from the checkout that holds ``script`` (``<checkout>/scripts/
    <name>.py``)."""
    checkout = osp.realpath(osp.dirname(osp.dirname(osp.abspath(script))))
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            sys.exit(f'{name} is not installed in this environment '
                     f'({sys.prefix}): run `make setup` in {checkout}')
        home = osp.realpath(osp.dirname(osp.dirname(spec.origin)))
        if home != checkout:
            sys.exit(f'{name} would be imported from {home}, not from this '
                     f'checkout {checkout}: run `make setup` in {checkout} '
                     'to install this one in place of it')
