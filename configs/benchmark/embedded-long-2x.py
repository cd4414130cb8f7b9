# embedded-long with the students trained twice as long: 16 epochs (4000
# iterations of 8 images), lr / 10 for the last one, validated on the holdout
# split every 4 epochs; the baseline's curve runs 32 epochs. Same data,
# teacher (train it, or restore the committed one into this setting's work
# dir) and loss-weight procedure. It asks whether the gains that embedded-long
# measures after 8 epochs survive training until the baseline has flattened,
# i.e. "learns better" rather than "learns faster". A distilled run trains
# in 17-57 min on 2 CPU cores (docs/benchmark.md, "Twice as long").
_base_ = ['./embedded-long.py']

name = 'embedded-long-2x'
students = dict(
    epochs=16,
    milestones=[15],
    curve=dict(epochs=32, val_interval=8, milestones=[30]))
