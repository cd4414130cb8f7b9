# What the paper's COCO settings share: COCO 2017 in the mmdet layout under
# --data-root, the model-zoo teachers of the distillation configs (their
# `model.teacher_ckpt`, downloaded by mmengine), the configs' 2x schedule and
# published loss weights, one seed. Run it on a GPU cluster:
#   python scripts/benchmark.py --setting retina --data-root data/coco --gpus 8
_base_ = ['./comparison.py']

report = 'coco_benchmark'
data = dict(
    root='data/coco',
    generate=None,
    splits=dict(
        train=('annotations/instances_train2017.json', 'train2017/'),
        test=('annotations/instances_val2017.json', 'val2017/')))
# evaluated from the checkpoint and config of the AMD distillation config
teacher = dict(label='teacher')
students = dict(epochs=24, options=[])
balance = None  # the methods' published weights
phis = []
seeds = [0]
ablation_seeds = [0]
phi_seeds = [0]
