"""The tiny distillation config in float32 and under --amp on a CUDA GPU
(NEEDS CUDA): loss scale, skipped steps and fp16/fp32 loss ratios per
method. Part 2 of scripts/gpu_check.sh.

    python scripts/gpu_check.py [--out results/gpu-check]
        [--methods amd mgd fgd] [--data DIR]

The command is ``mmrazor_amd_bench.commands.gpu_check``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.gpu_check import main  # noqa: E402

if __name__ == '__main__':
    main()
