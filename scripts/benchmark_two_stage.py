"""Seconds per training step of the embedded two-stage pair by RoI budget.

    python scripts/benchmark_two_stage.py        # writes results/cost/two-stage/

The command is ``mmrazor_amd_bench.commands.benchmark_two_stage``; its
docstring says more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.benchmark_two_stage import main

if __name__ == '__main__':
    main()
