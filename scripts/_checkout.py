"""The scripts of a checkout run that checkout's packages, or stop and say
why.

``make setup`` installs the repository in editable mode: Python imports
``mmrazor_amd`` and ``mmrazor_amd_bench`` from the checkout that was set up
last. With two clones in one environment, the scripts of one would
otherwise train and write under the other's ``configs/``, ``work_dirs/`` and
``results/`` without a word. Each script imports this module before its
command.
"""
import os.path as osp
import sys

CHECKOUT = osp.realpath(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _check(names=('mmrazor_amd', 'mmrazor_amd_bench')) -> None:
    for name in names:
        try:
            module = __import__(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            sys.exit(f'{name} is not installed in this environment '
                     f'({sys.prefix}): run `make setup` in {CHECKOUT}')
        home = osp.realpath(osp.dirname(osp.dirname(module.__file__)))
        if home != CHECKOUT:
            sys.exit(f'{name} is imported from {home}, not from this '
                     f'checkout {CHECKOUT}: this environment has that '
                     f'checkout installed. Run `make setup` in {CHECKOUT} '
                     f'to use this one, or run the scripts of {home}')


_check()
