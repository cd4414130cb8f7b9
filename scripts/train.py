"""Train a config with checks before the run (mmrazor_amd.tools.train):
one process, or one per GPU/CPU process under torchrun (scripts/dist_train.sh).

    python scripts/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options KEY=VALUE ...]
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd.tools.train import main  # noqa: E402

if __name__ == '__main__':
    main()
