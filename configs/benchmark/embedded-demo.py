# What `make demo` runs: the short regime on the first 640 training images
# (80 iterations an epoch at batch 8), so that the teacher, the baseline and
# the AMD student train in well under 20 minutes on 2 CPU cores. One seed of
# an unconverged schedule: a demonstration of the pipeline, not a comparison
# (that is the benchmark's).
_base_ = ['./embedded-short.py']

name = 'embedded-demo'
_subset = 'train_dataloader.dataset.indices=640'
teacher = dict(train=dict(epochs=6, options=[_subset]))
students = dict(epochs=4, options=[_subset])
seeds = [0]
