"""mmcv's deformable convolution against the grid_sample path, on a CPU.

    python scripts/benchmark_deform_conv.py          # writes results/cost/deform-conv/

The command is ``mmrazor_amd_bench.commands.benchmark_deform_conv``; its
docstring says more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.benchmark_deform_conv import main

if __name__ == '__main__':
    main()
