"""What AMD costs next to MGD and FGD: loss modules, training steps, stages.

    python scripts/benchmark_cost.py                 # every part, CPU
    python scripts/benchmark_cost.py --device cuda   # the same on a GPU
    python scripts/benchmark_cost.py --device cuda --part step \\
        --setting retina --step-batch 2 --step-size 1024 --amp
    python scripts/benchmark_cost.py --part loss --repeats 5
    python scripts/benchmark_cost.py --part profile --setting embedded-short
    python scripts/benchmark_cost.py --profile amd   # op table of one step

Part ``loss`` (a): the distillation losses alone, forward + backward over
the five FPN levels of a COCO training batch (batch 2, 1333x800 padded to
1344x800, strides 8..128): AMD, MGD, FGD, and ``amd_plain``, AMD's loss
with the squared error as a plain autograd expression (before the memory
fix), timed side by side (rotating order, medians and per-round ratios to
MGD); peak memory of each in a fresh process.

Part ``step`` (b): one full ``model.train_step`` of the setting's baseline
student and of each method's distillation config (teacher included), random
weights, on a ``demo_mm_inputs`` batch; timed side by side, ratios to the
baseline.

Part ``profile`` (c): real training steps on the setting's training data,
cut into stages (data, preprocessing, teacher, student, distillation
losses, backward, optimizer step); median ms per stage and s/iter.

Writes ``<out>/cost_benchmark.md`` and ``.json`` (default ``results/cost/``)
with the command and the machine. The modules are in
``mmrazor_amd_bench/benchmark/cost/``.
"""
import argparse
import datetime
import os
import os.path as osp
import shlex
import sys

from mmrazor_amd_bench import ROOT

import torch  # noqa: E402

from mmrazor_amd_bench.benchmark import environment  # noqa: E402
from mmrazor_amd_bench.benchmark.cost import report  # noqa: E402
from mmrazor_amd_bench.benchmark.cost.methods import (  # noqa: E402
    FAST_TEACHER_MODES, LOSS_METHODS, LossProblem, loss_inputs, loss_step)
from mmrazor_amd_bench.benchmark.cost.parts import (run_loss_part,  # noqa: E402
                                              run_step_part)
from mmrazor_amd_bench.benchmark.cost.stages import run_profile_part  # noqa: E402
from mmrazor_amd_bench.benchmark.cost.timing import print_op_table  # noqa: E402
from mmrazor_amd_bench.benchmark.setting import Setting  # noqa: E402

PARTS = ('loss', 'step', 'profile')


def int_options(group, **defaults) -> None:
    for name, default in defaults.items():
        group.add_argument('--' + name.replace('_', '-'), type=int,
                           default=default, help=f'default {default}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n\n'.join(__doc__.split('\n\n')[1:]))
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--part', choices=('all', ) + PARTS, default='all')
    parser.add_argument('--setting', default='embedded-long',
                        help='benchmark setting of parts step and profile: '
                        'a name in configs/benchmark/ or a file')
    loss = parser.add_argument_group(
        'part loss', 'the FPN maps of a batch of --height x --width images '
        'with --channels channels; --warmup and --repeats rounds')
    int_options(loss, repeats=11, warmup=2, batch=2, channels=256,
                height=800, width=1333)
    loss.add_argument('--no-memory', action='store_true',
                      help='skip the peak-memory measurement')
    loss.add_argument('--profile', choices=LOSS_METHODS, default=None,
                      help='print torch.profiler\'s op table of one step of '
                      'this method and exit')
    step = parser.add_argument_group(
        'part step', 'a batch of --step-batch images of --step-size '
        'pixels; --step-warmup and --step-repeats rounds')
    int_options(step, step_repeats=20, step_warmup=3, step_batch=8,
                step_size=160)
    step.add_argument('--amp', action='store_true',
                      help='mixed precision, as --amp of the train script '
                      '(AmpOptimWrapper; needs a GPU)')
    step.add_argument('--fast-teacher', choices=FAST_TEACHER_MODES,
                      default='config',
                      help='FastFrozenTeacherHook as the configs list it, '
                      'or on / off for every distillation config')
    int_options(
        parser.add_argument_group(
            'part profile', 'the stages of --profile-steps steps after '
            '--profile-warmup steps'),
        profile_steps=20, profile_warmup=3)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--out', default=osp.join('results', 'cost'),
                        help='folder of cost_benchmark.md and .json')
    parser.add_argument('--note', action='append', default=[],
                        help='a line for the notes of the report')
    return parser.parse_args(argv)


def loss_problem(args) -> LossProblem:
    return LossProblem(args.batch, args.channels, args.height, args.width)


def run_parts(args) -> dict:
    parts = PARTS if args.part == 'all' else (args.part, )
    setting = Setting.load(args.setting, ROOT)
    results = {}
    if 'loss' in parts:
        results['loss'] = run_loss_part(loss_problem(args), args.device,
                                        args.warmup, args.repeats,
                                        not args.no_memory, args.threads)
    if 'step' in parts:
        results['step'] = run_step_part(setting, args.device, args.step_batch,
                                        args.step_size, args.step_warmup,
                                        args.step_repeats, args.amp,
                                        args.fast_teacher)
    if 'profile' in parts:
        results['profile'] = run_profile_part(setting, args.device,
                                              args.profile_steps,
                                              args.profile_warmup)
    return results


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    out = osp.abspath(args.out)
    if args.setting.endswith('.py'):  # a file named from the caller's cwd
        args.setting = osp.abspath(args.setting)
    os.chdir(ROOT)  # the settings name configs relative to the repository
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit('--device cuda: no CUDA device')
    if (args.amp or args.fast_teacher != 'config') and args.part != 'step':
        sys.exit('--amp and --fast-teacher apply to part step only '
                 '(--part step)')
    if args.amp and not args.device.startswith('cuda'):
        sys.exit('--amp: mmengine 0.10.7 runs AmpOptimWrapper on a GPU only '
                 '(--device cuda)')
    if args.profile:
        problem = loss_problem(args)
        students, teachers = loss_inputs(problem, args.device)
        return print_op_table(
            loss_step(args.profile, problem, args.device, students,
                      teachers), args.device)

    load_start = os.getloadavg()
    busy = environment.busy()
    notes = list(args.note)
    if busy:
        print(f'WARNING: {busy}', flush=True)
        notes.append(f'WARNING: {busy}; timings are not from a quiet machine')
    results = run_parts(args)
    result = dict(
        command=shlex.join(['python', 'scripts/benchmark_cost.py', *argv]),
        date=datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M UTC'),
        machine=environment.machine(args.device),
        load_average=dict(start=load_start, end=os.getloadavg()),
        args=vars(args),
        notes=notes,
        **results)
    paths = report.write(result, out)
    print('wrote ' + ' and '.join(paths))
    return result


if __name__ == '__main__':
    main()
