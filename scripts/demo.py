"""The embedded demo: AMD end to end on a CPU, without COCO or downloads.

    python scripts/demo.py            # what `make demo` runs after the set-up

The command is ``mmrazor_amd_bench.commands.demo``; its docstring says
more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.demo import main

if __name__ == '__main__':
    main()
