# The paper's anchor-free setting (setting 2: RepPoints with GN neck and
# head) on the embedded problem: RepPoints R50-mini -> R18-mini, trained
# from scratch on the same generated data as embedded-long, under the same
# rules: a converged teacher, students trained until the baseline has
# nearly stopped improving, every distilled student and the control started
# from the teacher's head and shape-compatible FPN convs, one calibration
# rule for every method's weight, paired seeds. Chosen by measurement:
# docs/benchmark.md, "RepPoints".
_base_ = ['./embedded-long.py']

name = 'embedded-reppoints'
title = ('RepPoints R50-mini -> R18-mini (GN neck and head) on generated '
         'COCO-format data, trained from scratch on 2 CPU cores')
# 40 epochs, lr / 10 at 32 and 38, validated every 4: with embedded-long's
# 30 (lr / 10 at 24 and 28) the teacher scored 57.5 test mAP and the
# control 54.7, too close to separate five methods; with 40 it scores 60.3
# and the control 54.9 (docs/benchmark.md, "RepPoints")
teacher = dict(
    label='teacher (RepPoints R50-mini)',
    config='configs/embedded/reppoints_r50-mini_fpn-gn_head-gn_synthetic.py',
    train=dict(epochs=40, val_interval=4, milestones=[32, 38]))
baseline = dict(
    config='configs/embedded/reppoints_r18-mini_fpn-gn_head-gn_synthetic.py')
# configs/distill/<method>/<method>_fpn_<distill_pair>.py
distill_pair = 'reppoints_r50-mini_reppoints_r18-mini_synthetic'
# the paper's two ablations of Tables II-IV
ablations = dict(_base_.paper_ablations, _delete_=True)
phis = []
# 12 epochs (3000 iterations of 8 images), lr / 10 for the last one: the
# longest schedule whose distilled run fits in about 15 min on 2 CPU cores
# (0.26-0.27 s per step). The baseline is still improving there (at 16
# epochs it gained 5.6 mAP over 12, results/archive/
# embedded-reppoints-lost-teacher); its curve runs twice as long to show how
# much it would still gain.
students = dict(
    epochs=12,
    val_interval=4,
    milestones=[11],
    curve=dict(epochs=24, val_interval=4, milestones=[23]))
