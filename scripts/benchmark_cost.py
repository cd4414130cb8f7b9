"""What AMD costs next to MGD and FGD: loss modules, training steps, stages.

    python scripts/benchmark_cost.py                 # every part, CPU
    python scripts/benchmark_cost.py --device cuda   # the same on a GPU
    python scripts/benchmark_cost.py --device cuda --part step \
        --setting retina --step-batch 2 --step-size 1024 --amp
    python scripts/benchmark_cost.py --part loss --repeats 5
    python scripts/benchmark_cost.py --part profile --setting embedded-short
    python scripts/benchmark_cost.py --profile amd   # op table of one step

The command is ``mmrazor_amd_bench.commands.benchmark_cost``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.benchmark_cost import main  # noqa: E402

if __name__ == '__main__':
    main()
