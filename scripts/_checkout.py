"""The scripts of a checkout run that checkout's packages, or stop and say
why.

``make setup`` installs the repository in editable mode: Python imports
``mmrazor_amd`` and ``mmrazor_amd_bench`` from the checkout that was set up
last. With two clones in one environment, the scripts of one would
otherwise train and write under the other's ``configs/``, ``work_dirs/`` and
``results/`` without a word. Each script imports this module before its
command; it finds the packages without importing them (nothing of the
OpenMMLab stack is loaded before the check).
"""
import importlib.util
import os.path as osp
import sys

CHECKOUT = osp.realpath(osp.dirname(osp.dirname(osp.abspath(__file__))))


def check(names=('mmrazor_amd', 'mmrazor_amd_bench')) -> None:
    """Exit with the cause unless each package in ``names`` would be
    imported from ``CHECKOUT``."""
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            sys.exit(f'{name} is not installed in this environment '
                     f'({sys.prefix}): run `make setup` in {CHECKOUT}')
        home = osp.realpath(osp.dirname(osp.dirname(spec.origin)))
        if home != CHECKOUT:
            sys.exit(f'{name} would be imported from {home}, not from this '
                     f'checkout {CHECKOUT}: run `make setup` in {CHECKOUT} '
                     'to install this one in place of it')


check()
