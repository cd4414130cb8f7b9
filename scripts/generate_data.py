"""Generate the synthetic COCO-format detection benchmark.

    python scripts/generate_data.py --out data/synthetic_coco \
        [--num-train N --num-holdout N --num-val N --image-size S --seed K \
         --workers W --overwrite --scene max_objects=12 p_empty=0.1]

The command is ``mmrazor_amd_bench.commands.generate_data``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.generate_data import main  # noqa: E402

if __name__ == '__main__':
    main()
