"""The embedded benchmark: baseline, FGD, MGD and AMD side by side.

    python scripts/benchmark.py                      # the full benchmark
    python scripts/benchmark.py --seeds 0 --phis     # a quicker subset

All students share one teacher (trained once, as in the demo), one dataset
and one schedule; they differ only in their distillation losses. For every
seed it trains the baseline, a control (the distillation set-up with the
loss weight at 0), FGD, MGD and AMD; then AMD's ablations and a φ sweep.
After each finished run it rewrites, in ``--out``:

``embedded_benchmark.md``    tables in the layout of the paper (mean ± std)
``embedded_benchmark.png``   mAP/mAR per method and the φ sweep
``embedded_benchmark.json``  every run's metrics, seed and timing
``environment.md``           the command, the software and the machine

Interrupt it at any time: finished runs are kept and an interrupted one
resumes from its last checkpoint when the same command is run again.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shlex
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    from mmrazor_amd.benchmark import plan
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='results')
    parser.add_argument('--work-dir', default='work_dirs/embedded')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--methods', nargs='+', default=list(plan.METHODS),
                        choices=list(plan.METHODS), metavar='METHOD')
    parser.add_argument('--ablation-seeds', type=int, nargs='*', default=None,
                        help='seeds of the ablations (default: the first two '
                        'of --seeds)')
    parser.add_argument('--phi-seeds', type=int, nargs='*', default=None,
                        help='seeds of the φ sweep (default: '
                        '--ablation-seeds)')
    parser.add_argument('--ablations', nargs='*', default=list(plan.ABLATIONS),
                        choices=list(plan.ABLATIONS), metavar='ABLATION')
    parser.add_argument('--phis', type=float, nargs='*',
                        default=[0.5, 1.0, 1.5, 2.0, 3.0],
                        help='φ values of the sweep (1.0 reuses the AMD runs)')
    parser.add_argument('--epochs', type=int, default=None,
                        help='override every run\'s epochs (smoke tests)')
    parser.add_argument('--num-train', type=int, default=None)
    parser.add_argument('--num-val', type=int, default=None)
    parser.add_argument('--quiet', action='store_true',
                        help='no progress bars (logs still go to work dirs)')
    parser.add_argument('--report-only', action='store_true',
                        help='train nothing: rewrite the results from the '
                        'runs that have finished')
    args = parser.parse_args(argv)
    if args.ablation_seeds is None:
        args.ablation_seeds = args.seeds[:2]
    if args.phi_seeds is None:
        args.phi_seeds = args.ablation_seeds
    return args


def environment(argv, report_only=False) -> str:
    import mmcv
    import mmdet
    import mmengine
    import mmrazor
    import torch

    import mmrazor_amd
    cpu = platform.processor() or platform.machine()
    if osp.isfile('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            names = [line.split(':', 1)[1].strip() for line in f
                     if line.startswith('model name')]
        cpu = names[0] if names else cpu
    try:
        commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                capture_output=True, text=True,
                                cwd=ROOT).stdout.strip()
    except OSError:
        commit = 'unknown'
    command = ' '.join(shlex.quote(a) for a in ['python',
                                                 'scripts/benchmark.py'] +
                       list(argv))
    return '\n'.join([
        '# Environment of the embedded benchmark', '',
        f'- command: `{command}`' + (
            ' (rewrites the results from the finished runs; they were '
            'trained by the same command without `--report-only`, which '
            'resumes where it stopped, in several invocations)'
            if report_only else ''),
        f'- commit: {commit}',
        f'- machine: {cpu}, {os.cpu_count()} logical CPUs, no GPU used',
        f'- python {platform.python_version()}, torch {torch.__version__}, '
        f'mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
        f'mmdet {mmdet.__version__}, mmrazor {mmrazor.__version__}, '
        f'mmrazor_amd {mmrazor_amd.__version__}',
        f'- torch threads: {torch.get_num_threads()}', ''
    ])


def hidden_fractions(teacher_config, checkpoint, data_root, phis,
                     num_images=64):
    """Fraction of FPN positions AMD hides at each φ, on val images."""
    import torch
    from mmdet.apis import init_detector
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules

    from mmrazor_amd.models import AdaptiveMasker
    register_all_modules()
    cfg = Config.fromfile(teacher_config)
    cfg.test_dataloader.dataset.data_root = data_root.rstrip('/') + '/'
    model = init_detector(cfg, checkpoint, device='cpu')
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    counts = {phi: [0, 0] for phi in phis}
    with torch.no_grad():
        for start in range(0, min(num_images, len(dataset)), 8):
            items = [dataset[i] for i in range(
                start, min(start + 8, num_images, len(dataset)))]
            data = model.data_preprocessor(pseudo_collate(items), False)
            for feature in model.extract_feat(data['inputs']):
                for phi in phis:
                    mask = AdaptiveMasker(phi=phi)(feature)
                    counts[phi][0] += int((mask == 0).sum())
                    counts[phi][1] += mask.numel()
    return {phi: hidden / total for phi, (hidden, total) in counts.items()}


def write_results(args, argv, runs_by_group, teacher, fractions, started):
    from mmrazor_amd.benchmark import report
    os.makedirs(args.out, exist_ok=True)

    def collect(runs):
        return [r.metrics() for r in runs if r.done()]

    teacher_rows = {'teacher (R50-mini)': collect([teacher])}
    methods = {label: collect(runs)
               for label, runs in runs_by_group['methods'].items()}
    ablations = {label: collect(runs)
                 for label, runs in runs_by_group['ablations'].items()}
    sweep = {phi: collect(runs) for phi, runs in runs_by_group['phi'].items()}
    sweep = {phi: rows for phi, rows in sweep.items() if rows}

    lines = [
        '# Embedded benchmark', '',
        'COCO metrics (%) of mmdet\'s CocoMetric on the generated validation '
        f'set ({args.data_root}/instances_val.json), mean ± sample std over '
        'seeds. Teacher: RetinaNet, half-width ResNet-50; students: '
        'RetinaNet, half-width ResNet-18; all trained from scratch here. '
        'Δ mAP is against the baseline student. mAR is AR@100.', '',
        '## Teacher and students (the layout of the paper\'s Table I)', '',
        report.markdown_table({**teacher_rows, **methods},
                              baseline='baseline'), ''
    ]
    if ablations:
        reference = {'AMD': methods.get('AMD', [])}
        lines += [
            '## AMD ablations (Tables II-VI)', '',
            'Seeds: ' + ', '.join(map(str, args.ablation_seeds)) + '. The '
            'AMD row repeats the full method over the same seeds.', '',
            report.markdown_table(
                {
                    'AMD': [m for r, m in zip(runs_by_group['methods']['AMD'],
                                              reference['AMD'])
                            if r.seed in args.ablation_seeds],
                    **ablations
                },
                columns=report.COLUMNS), ''
        ]
    if sweep:
        lines += ['## φ sweep (Fig. 4)', '',
                  '| φ | hidden positions | seeds | mAP | mAR |',
                  '|---|---|---|---|---|']
        for phi, rows in sorted(sweep.items()):
            hidden = fractions.get(phi)
            hidden = f'{100 * hidden:.1f} %' if hidden is not None else ''
            map_mean, map_std = report.mean_std([100 * m['mAP'] for m in rows])
            mar_mean, mar_std = report.mean_std([100 * m['mAR'] for m in rows])
            lines.append(f'| {phi:g} | {hidden} | {len(rows)} | '
                         f'{map_mean:.1f} ± {map_std:.1f} | '
                         f'{mar_mean:.1f} ± {mar_std:.1f} |')
        lines += ['', 'Hidden positions: the share of teacher FPN positions '
                  '(all five levels, 64 validation images) whose attention '
                  'exceeds φ.', '']
    if not args.report_only:
        lines.append(f'Wall time of this invocation so far: '
                     f'{(time.time() - started) / 60:.1f} min.')
    lines.append('Per-run training and evaluation times are in '
                 'embedded_benchmark.json.')
    with open(osp.join(args.out, 'embedded_benchmark.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')

    raw = []
    for group, entries in runs_by_group.items():
        for key, runs in entries.items():
            for run in runs:
                if run.done():
                    with open(run.metrics_file) as f:
                        raw.append(dict(json.load(f), group=group,
                                        label=str(key)))
    with open(osp.join(args.out, 'embedded_benchmark.json'), 'w') as f:
        json.dump(dict(teacher=collect([teacher]), runs=raw,
                       hidden_fractions={str(k): v
                                         for k, v in fractions.items()}),
                  f, indent=2)
    if any(methods.values()):
        report.plot(osp.join(args.out, 'embedded_benchmark.png'),
                    {**teacher_rows, **methods}, sweep,
                    title='Embedded benchmark (RetinaNet R50-mini → '
                    'R18-mini, generated COCO-format data)')
    with open(osp.join(args.out, 'environment.md'), 'w') as f:
        f.write(environment(argv, args.report_only))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    os.chdir(ROOT)
    sys.path.insert(0, ROOT)
    args = parse_args(argv)
    from mmrazor_amd.benchmark import plan, runs
    from mmrazor_amd.datasets import synthetic

    started = time.time()
    sizes = {k: v for k, v in (('num_train', args.num_train),
                               ('num_val', args.num_val)) if v is not None}
    print(synthetic.format_summary(
        synthetic.generate_dataset(args.data_root, **sizes)))
    common = plan.data_options(args.data_root)

    teacher = plan.train_teacher(args.work_dir, args.data_root, args.epochs,
                                 quiet=args.quiet,
                                 train=not args.report_only)

    def student(label, seed, extra=()):
        run = plan.student_run(label, seed, args.work_dir, args.epochs, extra)
        run.options += common
        return run

    groups = {
        'methods': {label: [student(label, s) for s in args.seeds]
                    for label in args.methods},
        'ablations': {label: [student(label, s) for s in args.ablation_seeds]
                      for label in args.ablations},
        'phi': {},
    }
    for phi in args.phis:
        if phi == 1.0 and 'AMD' in groups['methods']:
            groups['phi'][phi] = [r for r in groups['methods']['AMD']
                                  if r.seed in args.phi_seeds]
        else:
            groups['phi'][phi] = [
                student('AMD', s, [f'{plan.AMD_LOSS}.phi={phi}'])
                for s in args.phi_seeds
            ]
    fractions = hidden_fractions(
        plan.TEACHER_CONFIG, plan.teacher_checkpoint(args.work_dir),
        args.data_root, args.phis) if args.phis else {}

    # every seed of the methods first, then ablations, then the sweep
    order = [run for seed in args.seeds
             for label in args.methods
             for run in groups['methods'][label] if run.seed == seed]
    order += [r for rs in groups['ablations'].values() for r in rs]
    order += [r for rs in groups['phi'].values() for r in rs
              if r not in order]
    if args.report_only:
        order = []
    for index, run in enumerate(order, start=1):
        print(f'\n[{index}/{len(order)}] {run.name}', flush=True)
        runs.execute(run, quiet=args.quiet)
        write_results(args, argv, groups, teacher, fractions, started)
    if not order:  # --report-only, or nothing left to train
        write_results(args, argv, groups, teacher, fractions, started)
    print(open(osp.join(args.out, 'embedded_benchmark.md')).read())


if __name__ == '__main__':
    main()
