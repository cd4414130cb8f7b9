# What the embedded benchmark settings share: the generated data, the
# detectors and the methods. A setting file (embedded-short.py, ...) adds the
# schedule and what to run; `python scripts/benchmark.py --setting NAME`.
_base_ = ['./comparison.py']

report = 'embedded_benchmark'  # results/<name>/<report>.{md,json,png}
title = ('RetinaNet R50-mini -> R18-mini on generated COCO-format data, '
         'trained from scratch on 2 CPU cores')

data = dict(
    root='data/synthetic_coco',
    # arguments of scripts/generate_data.py; None for a user's data
    generate=dict(num_train=2000, num_holdout=400, num_val=500,
                  image_size=160, seed=0),
    # annotation file and image folder of each split, under `root`
    splits=dict(
        train=('instances_train.json', 'train/'),
        # rendered like the training images and held out from training:
        # what the benchmark chooses with (loss weights, schedules)
        holdout=('instances_holdout.json', 'train/'),
        # the images of the final tables, never used to choose anything
        test=('instances_val.json', 'val/')))

teacher = dict(
    label='teacher (R50-mini)',
    config='configs/embedded/retinanet_r50-mini_fpn_synthetic.py',
    # trained once per setting and cached in <work_dir>/teacher.pth
    checkpoint=None)
baseline = dict(
    label='baseline',
    config='configs/embedded/retinanet_r18-mini_fpn_synthetic.py')
# configs/distill/<method>/<method>_fpn_<distill_pair>.py
distill_pair = 'retina_r50-mini_retina_r18-mini_synthetic'
phis = [0.5, 1.0, 1.5, 2.0, 3.0]
