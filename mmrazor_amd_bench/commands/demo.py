"""The embedded demo: distillation at work on a CPU, without COCO or downloads.

    python scripts/demo.py            # what `make demo` runs after the set-up

The stages of the ``embedded-demo`` setting (``configs/benchmark/``); each
is skipped when its result exists, ``--redo STAGE`` repeats it:

1. ``data``     generate the COCO-format dataset (data/synthetic_coco)
2. ``teacher``  evaluate the committed converged teacher, RetinaNet with a
                half-width ResNet-50 (results/embedded-long/teacher), and
                check that it scores on these data what it scored when it
                was committed
3. ``control``  the student, RetinaNet with a half-width ResNet-18, set up
                for distillation (teacher loaded, student started from the
                teacher's head and shape-compatible FPN convs) with the
                distillation loss multiplied by 0
4. ``amd``      the same student distilled with AMD
5. ``table``    COCO metrics of the students on the test images, each
                one's gain over the control, the same gains over three seeds
                of this schedule when they have been measured
                (``python scripts/benchmark.py --setting embedded-demo``),
                and one picture of what AMD hides

The students are the rows of the setting's ``table``; a stage per row.
Training and evaluation run through ``mim train`` / ``mim test``, exactly as
a user would run them; their full logs are in each stage's work dir.
"""
import argparse
import json
import os
import os.path as osp
import time

from mmrazor_amd_bench import ROOT
from mmrazor_amd_bench.benchmark import environment
from mmrazor_amd_bench.benchmark.plan import Planner, slug
from mmrazor_amd_bench.benchmark.report import (by_label, metrics_table,
                                                paired_gain)
from mmrazor_amd_bench.benchmark.runs import execute
from mmrazor_amd_bench.benchmark.setting import Setting
from mmrazor_amd_bench.benchmark.teacher_check import check_recorded
from mmrazor_amd_bench.datagen import format_summary

COLUMNS = ('mAP', 'AP50', 'AP75', 'AP_S', 'AP_M', 'AP_L')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--setting', default='embedded-demo')
    parser.add_argument('--work-dir', help='default work_dirs/<setting>')
    parser.add_argument('--data-root', help='override the setting\'s')
    parser.add_argument('--redo', nargs='+', default=[], metavar='STAGE',
                        help='stages to run again (data, teacher, a row of '
                        'the table such as amd, table)')
    for split in ('train', 'holdout', 'val'):
        parser.add_argument(f'--num-{split}', type=int,
                            help='generated images (smoke tests)')
    parser.add_argument('--epochs', type=int,
                        help='override every run\'s epochs (smoke tests)')
    parser.add_argument('--seed', type=int, help='default: the setting\'s '
                        'first seed')
    return parser.parse_args(argv)


class Stages:
    """Numbered stage headers: ``[k/n] name: what``."""

    def __init__(self, names):
        self.names = list(names)

    def header(self, name, text):
        index = self.names.index(name) + 1
        print(f'\n[{index}/{len(self.names)}] {name}: {text}', flush=True)


def seed_summary(setting: Setting, rows, reference: str) -> str:
    """The gains over ``reference`` of the setting's committed three-seed
    run of this schedule (``results/<setting>/<report>.json``), or a line
    that says how to measure them."""
    path = osp.join('results', setting.name, f'{setting.report}.json')
    command = f'python scripts/benchmark.py --setting {setting.name}'
    if not osp.isfile(path):
        return f'Gains over several seeds of this schedule: `{command}`.'
    with open(path) as f:
        table = by_label(json.load(f)['runs'], group='methods')
    parts = []
    for label in rows:
        gain = paired_gain(table.get(label, []), table.get(reference, []))
        if label != reference and gain:
            per_seed = ', '.join(f'{d:+.1f}' for d in gain['diffs'])
            parts.append(f'{label} {gain["mean"]:+.1f} ± {gain["std"]:.1f} '
                         f'(per seed {per_seed})')
    seeds = sorted({r['seed'] for r in table.get(reference, [])})
    return (f'Over seeds {", ".join(map(str, seeds))} of this schedule '
            f'({path}, `{command}`), mAP over the {reference}, mean ± std '
            f'of the per-seed differences: {"; ".join(parts)}.')


def draw_masks(setting: Setting, planner: Planner, amd_run, out: str) -> str:
    """One picture of what AMD hides on the first annotated test image,
    from the demo's AMD checkpoint; returns its path."""
    from mmrazor_amd_bench.commands import visualize_masks
    written = visualize_masks.main([
        '--setting', setting.path, '--num-images', '1',
        '--config', amd_run.config,
        '--checkpoint', osp.join(amd_run.work_dir, 'final.pth'),
        '--teacher-checkpoint', setting.teacher_checkpoint(planner.work_dir),
        '--baseline-config', 'none',
        '--ann-file', setting.data_root + setting.split('test')[0],
        '--image-dir', setting.data_root + setting.split('test')[1],
        '--out', out])
    return written[0][0]


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    setting = Setting.load(args.setting, ROOT)
    generate = setting.data.get('generate') or {}
    own_data = True
    for split in ('train', 'holdout', 'val'):
        value = getattr(args, f'num_{split}')
        if value is not None:
            own_data = own_data and value == generate.get(f'num_{split}')
            setting.cfg.data.generate[f'num_{split}'] = value
    if args.data_root:
        setting.cfg.data.root = args.data_root
    planner = Planner(setting, args.work_dir, epochs=args.epochs)
    seed = setting.seeds[0] if args.seed is None else args.seed
    rows = planner.table_labels()
    reference = setting.control['label']
    stages = Stages(['data', 'teacher'] + [slug(r) for r in rows] +
                    ['table'])
    started = time.time()

    stages.header('data', setting.data_root)
    print(format_summary(setting.prepare_data(overwrite='data' in args.redo)))

    teacher = planner.teacher()
    stages.header('teacher', f'{teacher.config}, {teacher.checkpoint}')
    execute(teacher, redo='teacher' in args.redo)
    recorded = setting.teacher.get('recorded')
    if recorded and own_data:
        print(check_recorded(teacher.metrics(), recorded, setting.data_root))
    results = [teacher.result()]

    runs = {}
    for label, run in zip(rows, planner.methods(rows, [seed])):
        stages.header(slug(label), run.config)
        execute(run, redo=slug(label) in args.redo)
        results.append(run.result())
        runs[label] = run

    stages.header('table', osp.join(planner.work_dir, 'demo_results.md'))
    table = metrics_table(by_label(results), reference=reference,
                          columns=COLUMNS, unpaired=[teacher.label])
    picture = draw_masks(setting, planner, runs['AMD'],
                         osp.join(planner.work_dir, 'masks')) \
        if 'AMD' in runs else None
    schedule = setting.students
    minutes = (time.time() - started) / 60
    text = '\n\n'.join(filter(None, [
        f'# Embedded demo ({setting.name}), seed {seed}',
        f'COCO metrics (%) on the test images '
        f'({setting.data_root}{setting.split("test")[0]}) after '
        f'{args.epochs or schedule["epochs"]} epochs. Every student starts '
        f'from the teacher; the {reference} learns from the detection loss '
        'alone, so its gap to a method is what that method\'s feature loss '
        'adds.',
        table,
        seed_summary(setting, rows, reference) if own_data else '',
        picture and f'What AMD hides on a test image: {picture}',
        f'Wall time: {minutes:.1f} min on {environment.machine_name()}.',
    ])) + '\n'
    print('\n' + text)
    with open(osp.join(planner.work_dir, 'demo_results.md'), 'w') as f:
        f.write(text)
    return results


if __name__ == '__main__':
    main()
