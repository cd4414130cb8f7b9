"""Draw what AMD hides, per FPN level, for a few images.

    python scripts/visualize_masks.py --num-images 4
    python scripts/visualize_masks.py --setting embedded-long
    python scripts/visualize_masks.py data/synthetic_coco/val/000007.png

The command is ``mmrazor_amd_bench.commands.visualize_masks``; its docstring says
more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.visualize_masks import main  # noqa: E402

if __name__ == '__main__':
    main()
