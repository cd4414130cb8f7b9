"""Benchmark of distillation methods: baseline, control, FGD, MGD and AMD.

    python scripts/benchmark.py                              # embedded-long
    python scripts/benchmark.py --setting embedded-short
    python scripts/benchmark.py --setting retina --data-root data/coco \
        --gpus 8 [--seeds 0 1] [--methods baseline control AMD] [--dry-run]

The command is ``mmrazor_amd_bench.commands.benchmark``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.benchmark import main  # noqa: E402

if __name__ == '__main__':
    main()
