"""Generate the embedded COCO-format dataset (mmrazor_amd.tools.generate_data).

    python scripts/generate_data.py --out data/synthetic_coco [--num-train N]
"""
from mmrazor_amd.tools.generate_data import main

if __name__ == '__main__':
    main()
