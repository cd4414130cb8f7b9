"""Train a config with checks before the run (mmrazor_amd.tools.train):
one process, or one per GPU/CPU process under torchrun (scripts/dist_train.sh).

    python scripts/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options KEY=VALUE ...]
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd.tools.train import main

if __name__ == '__main__':
    main()
