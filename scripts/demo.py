"""The embedded demo: AMD end to end on a CPU, without COCO or downloads.

    python scripts/demo.py            # what `make demo` runs after the set-up

Stages of the ``embedded-demo`` setting (``configs/benchmark/``); each is
skipped when its result exists, ``--redo`` repeats it:

1. ``data``     generate the COCO-format dataset (data/synthetic_coco)
2. ``teacher``  train and evaluate the teacher, RetinaNet with a half-width
                ResNet-50
3. ``baseline`` train and evaluate the student, RetinaNet with a half-width
                ResNet-18
4. ``amd``      distil the teacher into the same student with AMD, evaluate
5. ``table``    print the COCO metrics of the three

The AMD student starts from the teacher's head and shape-compatible FPN
convs, the baseline from scratch: part of the difference is that start. The
benchmark separates it (its control); the demo shows the pipeline.

Training and evaluation run through ``mim train`` / ``mim test``, exactly as
a user would run them; their full logs are in each stage's work dir.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
STAGES = ('data', 'teacher', 'baseline', 'amd', 'table')

from mmrazor_amd.benchmark.plan import Planner  # noqa: E402
from mmrazor_amd.benchmark.report import by_label, metrics_table  # noqa
from mmrazor_amd.benchmark.runs import execute, publish_checkpoint  # noqa
from mmrazor_amd.benchmark.setting import Setting  # noqa: E402
from mmrazor_amd.datagen import format_summary  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--setting', default='embedded-demo')
    parser.add_argument('--work-dir', help='default work_dirs/<setting>')
    parser.add_argument('--data-root', help='override the setting\'s')
    parser.add_argument('--redo', nargs='+', default=[], choices=STAGES,
                        metavar='STAGE',
                        help=f'stages to run again, among {", ".join(STAGES)}')
    for split in ('train', 'holdout', 'val'):
        parser.add_argument(f'--num-{split}', type=int,
                            help='generated images (smoke tests)')
    parser.add_argument('--epochs', type=int,
                        help='override every run\'s epochs (smoke tests)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def header(index, text):
    print(f'\n[{index}/{len(STAGES)}] {text}', flush=True)


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    setting = Setting.load(args.setting, ROOT)
    if args.data_root:
        setting.cfg.data.root = args.data_root
    for split in ('train', 'holdout', 'val'):
        value = getattr(args, f'num_{split}')
        if value is not None:
            setting.cfg.data.generate[f'num_{split}'] = value
    planner = Planner(setting, args.work_dir, epochs=args.epochs)

    started = time.time()
    header(1, f'data: {setting.data_root}')
    print(format_summary(setting.prepare_data(overwrite='data' in args.redo)))

    teacher = planner.teacher()
    header(2, f'teacher: {teacher.config}')
    execute(teacher, redo='teacher' in args.redo)
    publish_checkpoint(teacher, setting.teacher_checkpoint(planner.work_dir))

    results = [teacher.result()]
    for index, (stage, run) in enumerate(
            (('baseline', planner.baseline(args.seed)),
             ('amd', planner.method('AMD', args.seed))), start=3):
        header(index, f'{stage}: {run.config}')
        # a redone teacher invalidates what was distilled from it
        redo = stage in args.redo or ('teacher' in args.redo
                                      and stage == 'amd')
        execute(run, redo=redo)
        results.append(run.result())

    header(5, 'table')
    table = metrics_table(by_label(results),
                          reference=setting.baseline['label'],
                          unpaired=[setting.teacher['label']])
    minutes = (time.time() - started) / 60
    text = (f'Embedded demo ({setting.name}), seed {args.seed}, COCO metrics '
            f'on {setting.data_root}{setting.split("test")[0]} (%)\n\n'
            f'{table}\n\nThe AMD student starts from the teacher\'s head and '
            'FPN output convs, the baseline from scratch; '
            '`python scripts/benchmark.py` measures what distillation adds '
            'to that start (its control).\n\n'
            f'Wall time of this invocation: {minutes:.1f} min\n')
    print('\n' + text)
    with open(osp.join(planner.work_dir, 'demo_results.md'), 'w') as f:
        f.write(text)
    return results


if __name__ == '__main__':
    main()
