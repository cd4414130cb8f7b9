"""The paper's claims, tested on the committed results of every family.

    python scripts/paper_claims.py            # the table with its figures
    python scripts/paper_claims.py --short    # the verdicts only (README)

One row per claim of the paper (AMD above MGD, AMD above FGD, Ada-Mask
helps, Ada-Channel helps, the largest gain on small objects), one column
per detector family; each cell says holds, does not hold or not separable
by the benchmark's rule (mean paired Δ against twice the pooled seed std),
with the paired figures it was decided on (``mmrazor_amd_bench.benchmark.claims``).
docs/benchmark.md, "The paper's claims, tested", holds its output.
"""
import argparse
import os
import os.path as osp

from mmrazor_amd_bench import ROOT
from mmrazor_amd_bench.benchmark.claims import claims_table

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--short', action='store_true',
                        help='the verdicts without their figures')
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    families = [dict(f, table=osp.join(ROOT, f['table']),
                     ablations=osp.join(ROOT, f['ablations']))
                for f in FAMILIES]
    print(claims_table(families, detailed=not args.short))


if __name__ == '__main__':
    main()
