"""The paper's claims, tested on the committed results of every family.

    python scripts/paper_claims.py            # the table with its figures
    python scripts/paper_claims.py --short    # the verdicts only (README)

The command is ``mmrazor_amd_bench.commands.paper_claims``; its docstring
says more.
"""
import _checkout  # noqa: F401,I001  (this checkout's packages)
from mmrazor_amd_bench.commands.paper_claims import main

if __name__ == '__main__':
    main()
