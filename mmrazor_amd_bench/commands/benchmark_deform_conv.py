"""mmcv's deformable convolution against the grid_sample path, on a CPU.

    python scripts/benchmark_deform_conv.py          # writes results/cost/deform-conv/
    python scripts/benchmark_deform_conv.py --shape 8 64 40 40 --repeats 20

Times forward plus backward (input, offset and weight all need gradients)
of three ops on the same tensors, rounds interleaved in a rotating order:
mmcv 2.1.0's compiled ``DeformConv2dFunction`` (what ``DeformConv2d`` runs
without ``mmrazor_amd``), ``sampled_deform_conv2d``
(``mmrazor_amd.compat.deform_conv``, what it runs on CPU tensors with
``mmrazor_amd`` installed) and a plain 3x3 ``conv2d`` of the same shapes.
The default shape is a P3 map of the embedded problem (batch 8, 64
channels, 20x20: 160 px at stride 8), where RepPoints' head runs its two
deformable convs. Writes ``deform_conv.md`` and ``.json`` with the command,
the machine, and a warning when other heavy jobs share it.
"""
import argparse
import os.path as osp
import sys

import torch

from mmrazor_amd_bench import ROOT
from mmrazor_amd_bench.benchmark import environment
from mmrazor_amd_bench.benchmark.cost.report import write_files
from mmrazor_amd_bench.benchmark.cost.timing import interleaved, summary


def runners(shape, seed=0):
    from mmcv.ops.deform_conv import DeformConv2dFunction

    from mmrazor_amd.compat.deform_conv import sampled_deform_conv2d
    n, c, h, w = shape
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g).requires_grad_()
    offset = torch.randn((n, 18, h, w), generator=g).requires_grad_()
    weight = torch.randn((c, c, 3, 3), generator=g).requires_grad_()

    def step(function):
        def run():
            function().sum().backward()
            for t in (x, offset, weight):
                t.grad = None
        return run

    return {
        'mmcv DeformConv2d': step(lambda: DeformConv2dFunction.apply(
            x, offset, weight, 1, 1, 1, 1, 1, False, 32)),
        'grid_sample (mmrazor_amd)': step(lambda: sampled_deform_conv2d(
            x, offset, weight, 1, 1, 1, 1, 1)),
        'plain 3x3 conv2d': step(
            lambda: torch.nn.functional.conv2d(x, weight, padding=1)),
    }


def markdown(result, command):
    lines = ['# Deformable convolution on a CPU: mmcv against grid_sample',
             '', f'Forward + backward at {"x".join(map(str, result["shape"]))}'
             f' (N, C, H, W), 3x3 kernel, {result["repeats"]} interleaved '
             f'rounds after {result["warmup"]} warm-up; ms.', '',
             '| op | median | min | max | x the grid_sample path |',
             '|---|---|---|---|---|']
    sampled = result['times']['grid_sample (mmrazor_amd)']['median_s']
    for name, t in result['times'].items():
        lines.append(f'| {name} | {1e3 * t["median_s"]:.1f} | '
                     f'{1e3 * t["min_s"]:.1f} | {1e3 * t["max_s"]:.1f} | '
                     f'{t["median_s"] / sampled:.2f} |')
    if result['busy']:
        lines += ['', f'**Warning**: {result["busy"]}; the times may be '
                  'inflated.']
    return '\n'.join(lines + ['', environment.markdown(command, ROOT)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--shape', type=int, nargs=4, default=[8, 64, 20, 20],
                        metavar=('N', 'C', 'H', 'W'))
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--out', default='results/cost/deform-conv')
    args = parser.parse_args(argv)
    import mmrazor_amd  # noqa: F401  (the start-up hook's patch, here too)
    busy = environment.busy()
    times = interleaved(runners(tuple(args.shape)), args.warmup,
                        args.repeats, 'cpu')
    result = dict(shape=args.shape, warmup=args.warmup, repeats=args.repeats,
                  busy=busy,
                  times=summary(times, 'grid_sample (mmrazor_amd)'))
    command = ['python', 'scripts/benchmark_deform_conv.py'] + sys.argv[1:]
    text = markdown(result, command)
    write_files(osp.join(ROOT, args.out), 'deform_conv', text,
                dict(result, machine=environment.machine()))
    print(text)


if __name__ == '__main__':
    main()
