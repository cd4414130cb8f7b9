# The demo's setting at smoke size (tests/test_demo.py): the data sizes and
# epochs come from the command line; the loss weights calibrate on the
# first iteration, since a smoke run has only a few.
_base_ = ['../../configs/benchmark/embedded-demo.py']

name = 'demo-tiny'
balance = dict(calibration_iters=1)
