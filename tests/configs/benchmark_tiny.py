# The long embedded regime at smoke size (tests/test_benchmark.py): a few
# generated images (the data root comes from --data-root), one epoch per run,
# one shared target ratio (the ratio sweep is planned in a dry run of the test),
# one ablation and one phi besides the default.
_base_ = ['../../configs/benchmark/embedded-long.py']

name = 'tiny'
data = dict(
    root='work_dirs/tiny/data',
    generate=dict(num_train=16, num_holdout=8, num_val=8))
teacher = dict(train=dict(epochs=1, val_interval=1, milestones=None))
students = dict(
    epochs=1,
    val_interval=1,
    milestones=None,  # the student config's step scheduler, as it is
    curve=dict(epochs=2, val_interval=1, milestones=None))
balance = dict(target_ratios=[1.0], calibration_iters=1)
ablations = dict(_delete_=True, **{'AMD w/o Ada-Channel': 'no_ada_channel'})
phis = [1.0, 2.0]
seeds = [0]
ablation_seeds = [0]
phi_seeds = [0]
