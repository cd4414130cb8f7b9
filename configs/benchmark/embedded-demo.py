# What `make demo` runs (scripts/demo.py): the data of the headline regime
# (embedded-long), its committed converged teacher, and two students started
# from it as every distilled student is: the control (the AMD run with its
# loss multiplied by 0) and AMD, calibrated by the same rule as in
# embedded-long. 4 epochs (1000 iterations of 8 images, lr / 10 for the
# last one) instead of 8: docs/benchmark.md, "The demo".
_base_ = ['./embedded-long.py']

name = 'embedded-demo'
teacher = dict(
    _delete_=True,
    label='teacher (R50-mini)',
    config='configs/embedded/retinanet_r50-mini_fpn_synthetic.py',
    checkpoint='results/embedded-long/teacher/teacher.pth',
    # the demo and the benchmark check that it scores this again
    recorded='results/embedded-long/teacher/metrics.json')
students = dict(_delete_=True, epochs=4, milestones=[3])
table = ['control', 'AMD']
ablations = dict(_delete_=True)
phis = []
seeds = [0, 1, 2]
