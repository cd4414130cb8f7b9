"""The embedded demo: AMD end to end on a CPU, without COCO or downloads.

    python scripts/demo.py            # what `make demo` runs after the set-up

Stages (each is skipped when its result exists; ``--redo`` repeats them):

1. ``data``     generate the COCO-format dataset (data/synthetic_coco)
2. ``teacher``  train the teacher, RetinaNet with a half-width ResNet-50
3. ``baseline`` train the student, RetinaNet with a half-width ResNet-18
4. ``amd``      distil the teacher into the same student with AMD
5. ``table``    evaluate all three with COCO metrics and print the table

Training and evaluation run through ``mim train`` / ``mim test``, exactly as
a user would run them; their full logs are in each stage's work dir.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGES = ('data', 'teacher', 'baseline', 'amd', 'table')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/embedded',
                        help='where runs, checkpoints and the table go')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--redo', nargs='+', default=[], choices=STAGES,
                        metavar='STAGE',
                        help=f'stages to run again, among {", ".join(STAGES)}')
    parser.add_argument('--num-train', type=int, default=None,
                        help='training images (default: the generator\'s)')
    parser.add_argument('--num-val', type=int, default=None)
    parser.add_argument('--epochs', type=int, default=None,
                        help='override every run\'s epochs (smoke tests)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def header(index, text):
    print(f'\n[{index}/{len(STAGES)}] {text}', flush=True)


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    from mmrazor_amd.benchmark import plan, report, runs
    from mmrazor_amd.datasets import synthetic

    started = time.time()
    header(1, f'data: {args.data_root}')
    sizes = {
        k: v for k, v in (('num_train', args.num_train),
                          ('num_val', args.num_val)) if v is not None
    }
    summary = synthetic.generate_dataset(
        args.data_root, overwrite='data' in args.redo, **sizes)
    print(synthetic.format_summary(summary))

    common = plan.data_options(args.data_root)
    header(2, f'teacher: {plan.TEACHER_CONFIG}')
    teacher = plan.train_teacher(args.work_dir, args.data_root, args.epochs,
                                 redo='teacher' in args.redo)

    students = {}
    for index, (stage, label) in enumerate((('baseline', 'baseline'),
                                            ('amd', 'AMD')), start=3):
        run = plan.student_run(label, args.seed, args.work_dir,
                               epochs=args.epochs, extra=())
        run.options += common
        header(index, f'{stage}: {run.config}')
        # a redone teacher invalidates what was distilled from it
        redo = stage in args.redo or ('teacher' in args.redo
                                      and stage == 'amd')
        students[label] = runs.execute(run, redo=redo)

    header(5, 'table')
    results = {
        'teacher (R50-mini)': [teacher.metrics()],
        'baseline (R18-mini)': [students['baseline']],
        'AMD (R18-mini)': [students['AMD']],
    }
    table = report.markdown_table(results, baseline='baseline (R18-mini)')
    minutes = (time.time() - started) / 60
    text = (f'Embedded demo, seed {args.seed}, COCO metrics on '
            f'{args.data_root}/instances_val.json (%)\n\n{table}\n\n'
            f'Wall time of this invocation: {minutes:.1f} min\n')
    print('\n' + text)
    with open(osp.join(args.work_dir, 'demo_results.md'), 'w') as f:
        f.write(text)
    return results


if __name__ == '__main__':
    main()
