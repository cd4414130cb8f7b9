"""The embedded demo: AMD end to end on a CPU, without COCO or downloads.

    python scripts/demo.py            # what `make demo` runs after the set-up

The command is ``mmrazor_amd_bench.commands.demo``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.demo import main  # noqa: E402

if __name__ == '__main__':
    main()
