"""Benchmark: FGD, MGD, AMD, PKD and CWD against the baseline and the control.

    python scripts/benchmark.py                              # embedded-long
    python scripts/benchmark.py --setting embedded-short
    python scripts/benchmark.py --setting retina --data-root data/coco \\
        --gpus 8 [--seeds 0 1] [--methods baseline control AMD] [--dry-run]

A setting (``configs/benchmark/<name>.py``) says what to compare: data,
teacher, configs, schedule, loss-weight selection, seeds. The benchmark
trains the teacher when the setting trains one, chooses each method's loss
weight on the holdout split (settings with several ``balance`` target
ratios), then trains and evaluates, per seed, the baseline, the control and
every method, and AMD's ablations and phi sweep. Every run goes through
``mim train``/``mim test`` (distributed with ``--gpus N``). After each
finished run it rewrites, in ``results/<setting>/``:

``<report>.md``          tables in the layout of the paper, gains over the
                         control paired by seed, the loss-weight selection
``<report>.png``         results, paired gains and the phi sweep
``<report>_curves.png``  holdout mAP against the epoch
``<report>_balance.png`` loss balance and gradient share during training
``<report>.json``        every run's metrics, curve, balance, timing and
                         the machine that trained it
``environment.md``       the command, the commit, the machine
``teacher/``             a teacher the setting trains: ``teacher.pth``
                         (state_dict, meta) and its run's ``metrics.json``,
                         what ``restore_benchmark.py --teacher`` reads

The results hold every finished run of the setting, whichever ``--seeds``,
``--methods`` or ``--ablations`` this invocation trains.

Interrupt it at any time: finished runs are kept and an interrupted one
resumes from its last checkpoint when the same command is run again.
``--dry-run`` prints every command and touches nothing.
"""
import argparse
import os
import os.path as osp
import sys

from mmrazor_amd_bench import ROOT

from mmrazor_amd_bench.benchmark.benchmark import Benchmark  # noqa: E402
from mmrazor_amd_bench.benchmark.setting import Setting, repo_path  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--setting', default='embedded-long',
                        help='name in configs/benchmark/ or a file')
    parser.add_argument('--data-root', help='override the setting\'s')
    parser.add_argument('--work-dir', help='default work_dirs/<setting>')
    parser.add_argument('--out', help='default results/<setting>')
    parser.add_argument('--gpus', type=int, default=0,
                        help='processes per run: mim --launcher pytorch')
    parser.add_argument('--seeds', type=int, nargs='+')
    parser.add_argument('--methods', nargs='+', metavar='LABEL',
                        help='rows of the table to train (default: all); '
                        'the report keeps every finished run')
    parser.add_argument('--ratios', type=float, nargs='+',
                        help='target ratios of the loss-weight selection')
    parser.add_argument('--ablations', nargs='*', metavar='LABEL',
                        help="ablation rows to train (default: all of the "
                        "setting's; the flag alone: none)")
    parser.add_argument('--ablation-seeds', type=int, nargs='*',
                        help="seeds of the ablations (default: the "
                        "setting's)")
    parser.add_argument('--phis', type=float, nargs='*')
    parser.add_argument('--phi-seeds', type=int, nargs='*')
    parser.add_argument('--no-curve', action='store_true',
                        help='skip the baseline on the longer schedule')
    parser.add_argument('--epochs', type=int,
                        help='override every run\'s epochs (smoke tests)')
    for split in ('train', 'holdout', 'val'):
        parser.add_argument(f'--num-{split}', type=int,
                            help='generated images (smoke tests)')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the commands, run nothing')
    parser.add_argument('--report-only', action='store_true',
                        help='rewrite the results from the finished runs')
    parser.add_argument('--quiet', action='store_true',
                        help='no progress bars (logs still go to work dirs)')
    return parser.parse_args(argv)


def load_setting(args) -> Setting:
    setting = Setting.load(args.setting, ROOT)
    if args.data_root:
        setting.cfg.data.root = args.data_root
    sizes = {f'num_{s}': getattr(args, f'num_{s}')
             for s in ('train', 'holdout', 'val')
             if getattr(args, f'num_{s}') is not None}
    if sizes and setting.data.get('generate'):
        setting.cfg.data.generate.update(sizes)
    for key in ('seeds', 'ablation_seeds', 'phi_seeds', 'phis'):
        value = getattr(args, key)
        if value is not None:
            setting.cfg[key] = value
    if args.ratios:
        setting.cfg.balance = dict(setting.get('balance') or {},
                                   target_ratios=args.ratios)
    if args.ablations is not None:
        setting.cfg.ablations = {k: setting.ablations[k]
                                 for k in args.ablations}
    return setting


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    # paths given on the command line are the caller's; runs are the repo's
    for key in ('work_dir', 'out', 'data_root'):
        if getattr(args, key):
            setattr(args, key, repo_path(getattr(args, key), ROOT))
    if args.setting.endswith('.py'):
        args.setting = osp.abspath(args.setting)
    os.chdir(ROOT)
    setting = load_setting(args)
    bench = Benchmark(
        setting, args.out or osp.join('results', setting.name),
        work_dir=args.work_dir, gpus=args.gpus, epochs=args.epochs,
        labels=args.methods, curve=not args.no_curve, dry_run=args.dry_run,
        report_only=args.report_only, quiet=args.quiet,
        command=['python', 'scripts/benchmark.py', *argv], root=ROOT)
    bench.run()
    report = bench.report_file()
    if report:
        print(open(report).read())
    elif not args.dry_run:
        print(f'no run of the setting has finished yet: nothing in '
              f'{bench.out}')


if __name__ == '__main__':
    main()
