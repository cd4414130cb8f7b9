"""The paper's claims, tested on the committed results of every family.

    python scripts/paper_claims.py            # the table with its figures
    python scripts/paper_claims.py --short    # the verdicts only (README)
    python scripts/paper_claims.py --write    # both, into the docs and README

One row per claim of the paper (AMD above MGD, AMD above FGD, Ada-Mask
helps, Ada-Channel helps, the largest gain on small objects), one column
per detector family; each cell says holds, does not hold or not separable
by the benchmark's rule (mean paired Δ against twice the pooled seed std),
with the paired figures it was decided on (``mmrazor_amd_bench.benchmark.claims``).
docs/benchmark.md, "The paper's claims, tested", holds its output, and
README.md the short one; ``--write`` replaces the tables there in place.
"""
import argparse
import os
import os.path as osp

from mmrazor_amd_bench import ROOT
from mmrazor_amd_bench.benchmark.claims import claims_table

# Where the tables live: file -> detailed (figures) or short (verdicts)
PAGES = (('docs/benchmark.md', True), ('README.md', False))
HEADER = '| claim of the paper |'

# Each family measured on the embedded problem: the results of its table
# (methods paired with the control) and of AMD's two ablations.
FAMILIES = (
    dict(label='RetinaNet (one-stage)',
         table='results/embedded-long/embedded_benchmark.json',
         ablations='results/embedded-long-ablations/embedded_benchmark.json'),
    dict(label='RepPoints (anchor-free)',
         table='results/embedded-reppoints/embedded_benchmark.json',
         ablations='results/embedded-reppoints/embedded_benchmark.json'),
    dict(label='Cascade R-CNN → Faster R-CNN (two-stage)',
         table='results/embedded-faster-rcnn/embedded_benchmark.json',
         ablations='results/embedded-faster-rcnn/embedded_benchmark.json'),
)


def committed_families():
    """``FAMILIES`` with their results paths made absolute."""
    return [dict(f, table=osp.join(ROOT, f['table']),
                 ablations=osp.join(ROOT, f['ablations']))
            for f in FAMILIES]


def replace_claims_table(text: str, table: str) -> str:
    """``text`` with its one markdown table whose header starts with
    ``HEADER`` (the header line and every ``|`` line after it) replaced by
    ``table``. Raises ValueError when there is no such table, or several."""
    lines = text.split('\n')
    starts = [i for i, line in enumerate(lines) if line.startswith(HEADER)]
    if len(starts) != 1:
        raise ValueError(f'expected one table starting {HEADER!r}, '
                         f'found {len(starts)}')
    end = starts[0]
    while end < len(lines) and lines[end].startswith('|'):
        end += 1
    return '\n'.join(lines[:starts[0]] + table.split('\n') + lines[end:])


def write_pages(families) -> None:
    """Rewrite the claims tables of ``PAGES`` from ``families``."""
    for page, detailed in PAGES:
        path = osp.join(ROOT, page)
        with open(path) as f:
            text = f.read()
        new = replace_claims_table(text, claims_table(families, detailed))
        if new != text:
            with open(path, 'w') as f:
                f.write(new)
            print(f'{page}: claims table rewritten')
        else:
            print(f'{page}: claims table unchanged')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--short', action='store_true',
                        help='the verdicts without their figures')
    parser.add_argument('--write', action='store_true',
                        help='rewrite the tables in ' +
                        ' and '.join(page for page, _ in PAGES))
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    families = committed_families()
    if args.write:
        write_pages(families)
    else:
        print(claims_table(families, detailed=not args.short))


if __name__ == '__main__':
    main()
