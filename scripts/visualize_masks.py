"""Draw what AMD hides, per FPN level, for a few images.

    python scripts/visualize_masks.py --num-images 4
    python scripts/visualize_masks.py --setting embedded-long
    python scripts/visualize_masks.py data/synthetic_coco/val/000007.png

The command is ``mmrazor_amd_bench.commands.visualize_masks``; its docstring says
more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.visualize_masks import main

if __name__ == '__main__':
    main()
