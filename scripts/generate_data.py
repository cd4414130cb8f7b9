"""Generate the synthetic COCO-format detection benchmark.

    python scripts/generate_data.py --out data/synthetic_coco \
        [--num-train N --num-holdout N --num-val N --image-size S --seed K \
         --workers W --overwrite --scene max_objects=12 p_empty=0.1]

The command is ``mmrazor_amd_bench.commands.generate_data``; its docstring says
more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.generate_data import main

if __name__ == '__main__':
    main()
