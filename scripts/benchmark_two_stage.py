"""Seconds per training step of the embedded two-stage pair by RoI budget.

    python scripts/benchmark_two_stage.py        # writes results/cost/two-stage/

The command is ``mmrazor_amd_bench.commands.benchmark_two_stage``; its
docstring says more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.benchmark_two_stage import main  # noqa: E402

if __name__ == '__main__':
    main()
