"""Put a setting's committed results back under work_dirs/ to extend them.

    # the committed runs of results/embedded-long (trained in
    # work_dirs/embedded-long-c) and their teacher: then the benchmark
    # trains only what is missing, e.g. a fourth seed
    python scripts/restore_benchmark.py --setting embedded-long
    python scripts/restore_benchmark.py --setting embedded-long \
        --teacher results/embedded-long/teacher \
        --work-dir work_dirs/embedded-long-c
    python scripts/benchmark.py --setting embedded-long \
        --work-dir work_dirs/embedded-long-c --out results/embedded-long \
        --seeds 0 1 2 3 --ablations --phis --no-curve
    # another tree: --results results/embedded-long-ablations (see
    # results/README.md for each committed folder)

The command is ``mmrazor_amd_bench.commands.restore_benchmark``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.restore_benchmark import main  # noqa: E402

if __name__ == '__main__':
    main()
