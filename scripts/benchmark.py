"""Benchmark of distillation methods: baseline, control, FGD, MGD and AMD.

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
``<report>.json``        every run's metrics, curve, balance and timing
``environment.md``       the command, the commit, the machine

Interrupt it at any time: finished runs are kept and an interrupted one
resumes from its last checkpoint when the same command is run again.
``--dry-run`` prints every command and touches nothing.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmrazor_amd.benchmark import publish  # noqa: E402
from mmrazor_amd.benchmark.plan import Planner  # noqa: E402
from mmrazor_amd.benchmark.report import choose_ratio, percent  # noqa: E402
from mmrazor_amd.benchmark.runs import (execute,  # noqa: E402
                                        publish_checkpoint)
from mmrazor_amd.benchmark.setting import Setting  # noqa: E402
from mmrazor_amd.datagen import format_summary  # noqa: E402


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
                        help='rows of the table (default: all)')
    parser.add_argument('--ratios', type=float, nargs='+',
                        help='target ratios of the loss-weight selection')
    parser.add_argument('--ablations', nargs='*', metavar='LABEL')
    parser.add_argument('--ablation-seeds', type=int, nargs='*')
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


class Benchmark:
    """The runs of one invocation, executed (or printed) in order."""

    def __init__(self, setting: Setting, args) -> None:
        self.setting, self.args = setting, args
        self.planner = Planner(setting, args.work_dir, args.gpus, args.epochs)
        self.labels = args.methods or self.planner.table_labels()
        self.started = time.time()
        self.planned = []
        self.hidden = None  # phi -> share of hidden positions

    def step(self, run, index: str) -> None:
        self.planned.append(run)
        if self.args.dry_run:
            print(f'# [{index}] {run.name} ({run.group})\n{run.describe()}')
            return
        if self.args.report_only:
            return
        print(f'\n[{index}] {run.name} ({run.group})', flush=True)
        execute(run, quiet=self.args.quiet)
        self.publish()

    def publish(self) -> None:
        if not self.args.dry_run:
            publish.write(self, ROOT)

    def teacher(self) -> None:
        run = self.planner.teacher()
        self.step(run, 'teacher')
        target = self.setting.teacher_checkpoint(self.planner.work_dir)
        if target and run.checkpoint is None and not self.args.dry_run:
            publish_checkpoint(run, target)

    def select(self) -> None:
        """Each method's target ratio, by its holdout mAP."""
        ratios = self.setting.target_ratios or []
        if len(ratios) < 2:
            return
        needed = [m for m in self.setting.methods if m in self.labels or (
            m == 'AMD' and (self.setting.ablations or self.setting.phis))]
        for method in needed:
            runs = [self.planner.selection(method, r) for r in ratios]
            for i, run in enumerate(runs, start=1):
                self.step(run, f'selection {method} {i}/{len(runs)}')
            if all(run.done() for run in runs):
                scores = {run.info['target_ratio']: percent(run.result())
                          for run in runs}
                self.planner.ratios[method] = choose_ratio(scores)
            elif self.args.dry_run:
                self.planner.ratios[method] = '<chosen on holdout>'

    def runs(self):
        setting, planner = self.setting, self.planner
        yield from planner.methods(self.labels, setting.seeds)
        if setting.students.get('curve') and not self.args.no_curve:
            yield planner.baseline(setting.seeds[0], curve=True)
        for label in setting.ablations or {}:
            for seed in setting.get('ablation_seeds', []):
                yield planner.ablation(label, seed)
        default_phi = planner.config(setting.methods['AMD']).get(
            'amd_loss', {}).get('masker', {}).get('phi')
        for phi in setting.get('phis') or []:
            for seed in setting.get('phi_seeds', []):
                if phi != default_phi:  # the AMD runs of the table
                    yield planner.phi(phi, seed)

    def run(self) -> None:
        if not self.args.dry_run:
            summary = self.setting.prepare_data()
            if summary is not None:
                print(format_summary(summary))
        self.teacher()
        self.select()
        runs = list(self.runs())
        for i, run in enumerate(runs, start=1):
            self.step(run, f'{i}/{len(runs)}')
        self.publish()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    os.chdir(ROOT)
    args = parse_args(argv)
    args.argv = argv
    setting = load_setting(args)
    args.out = args.out or osp.join('results', setting.name)
    Benchmark(setting, args).run()
    if not args.dry_run:
        print(open(osp.join(args.out, f'{setting.report}.md')).read())


if __name__ == '__main__':
    main()
