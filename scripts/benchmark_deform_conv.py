"""mmcv's deformable convolution against the grid_sample path, on a CPU.

    python scripts/benchmark_deform_conv.py          # writes results/cost/deform-conv/

The command is ``mmrazor_amd_bench.commands.benchmark_deform_conv``; its
docstring says more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.benchmark_deform_conv import main  # noqa: E402

if __name__ == '__main__':
    main()
