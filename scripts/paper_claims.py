"""The paper's claims, tested on the committed results of every family.

    python scripts/paper_claims.py            # the table with its figures
    python scripts/paper_claims.py --short    # the verdicts only (README)

The command is ``mmrazor_amd_bench.commands.paper_claims``; its docstring
says more.
"""
from mmrazor_amd_bench.checkout import check_script

check_script(__file__)  # this checkout's packages, or the cause
from mmrazor_amd_bench.commands.paper_claims import main  # noqa: E402

if __name__ == '__main__':
    main()
