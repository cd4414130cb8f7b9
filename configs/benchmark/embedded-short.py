# The short embedded regime (the first benchmark, and `make demo`): the
# teacher trains 6 epochs, the students 4 (AdamW, lr / 10 for the last
# epoch), no in-training validation. The students are far from converged:
# read gains as "learns faster", not "learns better" (see embedded-long).
_base_ = ['./_base_/embedded.py']

name = 'embedded-short'
teacher = dict(train=dict(epochs=6, options=[]))
students = dict(epochs=4, options=[])
balance = dict(target_ratios=[1.0])  # the configs' calibration, no sweep
seeds = [0, 1, 2]
ablation_seeds = [0]
phi_seeds = [0, 1]
