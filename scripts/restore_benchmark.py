"""Put a setting's committed results back under work_dirs/ to extend them.

    # the committed runs: report again, add teacher-free runs (baseline seeds)
    python scripts/restore_benchmark.py --setting embedded-long
    # a committed teacher, as the start of a new tree of runs
    python scripts/restore_benchmark.py --setting embedded-long \
        --teacher results/embedded-long/teacher-2026-12-01 \
        --work-dir work_dirs/embedded-long-b
    python scripts/benchmark.py --setting embedded-long \
        --work-dir work_dirs/embedded-long-b --out results/embedded-long-b

The command is ``mmrazor_amd_bench.commands.restore_benchmark``; its docstring says
more.
"""
from mmrazor_amd_bench.commands.restore_benchmark import main

if __name__ == '__main__':
    main()
