"""In-training validation of the distillation configs.

Every distillation config validates with MMRazor's
``SingleTeacherDistillValLoop`` (``configs/distill/_base_/
fpn_teacher_distill.py``): at each validation it scores the student, then
the teacher, on the same dataloader, and logs the teacher's metrics with a
``teacher.`` prefix. The tiny training config switches validation off;
``tests/configs/distill_synthetic_tiny_val.py`` switches it back on (the
loop of the configs, the fixture's ``val/`` split, mmdet's ``CocoMetric``
with the items of the embedded configs) and the run goes through the
README's train command for 2 epochs, validating after each.

The models are barely trained (the teacher is not even loaded:
``teacher_ckpt=None`` in the tiny config), so their scores lie below the
configs' ``score_thr=0.05``; the test lowers it to 0 for both so that the
metrics are computed on real detections. With no detection at all mmdet's
CocoMetric logs "The testing results of the whole dataset is empty." and
logs no metric, which the test counts as a failure.
"""
import glob
import json
import os.path as osp
import re
import subprocess

import pytest

from conftest import CONFIGS, ROOT, tiny_train_command, tiny_train_env

# the keys CocoMetric logs for the embedded configs' metric_items
METRICS = ['coco/bbox_' + item for item in (
    'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100',
    'AR_s@1000', 'AR_m@1000', 'AR_l@1000')]
EPOCHS = 2

# MGD only has to show that the loop runs for it too: it trains on the 4
# holdout images (one step per epoch instead of four) to cost less.
EXTRA = {
    'amd': [],
    'mgd': ['train_dataloader.dataset.ann_file=instances_holdout.json'],
}


def val_train_command(work_dir, data_root, *options):
    """The tiny config's train command (conftest: the README's single-process
    command) on the validating config."""
    command = tiny_train_command(
        work_dir, data_root,
        f'val_dataloader.dataset.data_root={data_root}/',
        f'val_evaluator.ann_file={data_root}/instances_val.json',
        'model.architecture.test_cfg.score_thr=0.0',
        'model.teacher.test_cfg.score_thr=0.0', *options)
    tiny = command.index(osp.join(CONFIGS, 'distill_synthetic_tiny.py'))
    command[tiny] = osp.join(CONFIGS, 'distill_synthetic_tiny_val.py')
    return command


def area_bins(ann_file):
    """The COCO area ranges (small, medium, large) that hold a gt box."""
    with open(ann_file) as f:
        areas = [a['area'] for a in json.load(f)['annotations']]
    return {'s' if a < 32**2 else 'm' if a < 96**2 else 'l' for a in areas}


def test_the_distillation_configs_validate_with_the_distill_loop():
    # the premise: the configs the test stands for use this loop
    from mmengine.config import Config
    test_cfg = Config.fromfile(
        osp.join(CONFIGS, 'distill_synthetic_tiny_val.py'))
    assert test_cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
    for method in ('amd', 'mgd', 'fgd'):
        cfg = Config.fromfile(osp.join(
            ROOT, 'configs', 'distill', method,
            f'{method}_fpn_retina_r50-mini_retina_r18-mini_synthetic.py'))
        assert cfg.val_cfg.type == test_cfg.val_cfg.type, method
        assert cfg.val_evaluator.type == test_cfg.val_evaluator.type
        assert (cfg.val_evaluator.metric_items ==
                test_cfg.val_evaluator.metric_items)
        assert ['coco/bbox_' + item for item in
                cfg.val_evaluator.metric_items] == METRICS


@pytest.mark.slow
@pytest.mark.parametrize('method', ['amd', 'mgd'])
def test_student_and_teacher_are_scored_every_epoch(method, synthetic_tiny,
                                                     tmp_path):
    # every area bin has a gt box, so no AP/AR is -1 ("no gt in this range")
    assert area_bins(osp.join(synthetic_tiny, 'instances_val.json')) == {
        's', 'm', 'l'}

    done = subprocess.run(
        val_train_command(tmp_path, synthetic_tiny, *EXTRA[method]),
        env=tiny_train_env(method), capture_output=True, text=True,
        timeout=900)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-4000:]
    assert 'The testing results of the whole dataset is empty' not in log

    scalars = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    assert len(scalars) == 1, scalars
    with open(scalars[0]) as f:
        rows = [json.loads(line) for line in f]
    val_rows = [row for row in rows
                if any(key.startswith('coco/') for key in row)]
    # one validation per epoch, logged at step = epoch
    assert [row['step'] for row in val_rows] == list(range(1, EPOCHS + 1))
    train_rows = [row for row in rows if 'loss' in row]
    assert len(train_rows) == EPOCHS * (1 if EXTRA[method] else 4)

    for row in val_rows:
        for key in METRICS:
            for name in (key, 'teacher.' + key):
                assert name in row, (row['step'], name, sorted(row))
                assert 0.0 <= row[name] <= 1.0, (row['step'], name, row[name])
    # The student has detections: without any, CocoMetric would have logged
    # "empty" and no student metric (both checked above). Some of them
    # overlap the objects (IoU >= 0.5) at one epoch at least; measured
    # AR@100 after epochs 1 and 2: AMD 0.0 and 0.072, MGD 0.013 and 0.0.
    assert max(row['coco/bbox_AR@100'] for row in val_rows) > 0, val_rows
    # and two models were scored: the untrained teacher scores otherwise
    assert any(row[key] != row['teacher.' + key]
               for row in val_rows for key in METRICS)

    # the log says the same, once per epoch (4 decimals)
    lines = re.findall(r'Epoch\(val\) \[(\d+)\]\[1/1\]\s+(coco/bbox_mAP: .*)',
                       log)
    assert [int(epoch) for epoch, _ in lines] == list(range(1, EPOCHS + 1))
    for (_, line), row in zip(lines, val_rows):
        logged = dict(re.findall(r'(\S+): (-?[\d.]+)', line))
        for key in METRICS:
            for name in (key, 'teacher.' + key):
                assert float(logged[name]) == pytest.approx(row[name],
                                                            abs=1e-4)
