"""Tables and plots of benchmark results, in the layout of the paper.

Results are ``{label: [metrics of seed 0, metrics of seed 1, ...]}`` where
each metrics dict maps the paper's column names (``mAP``, ``AP50``, ...,
``AR_L``; see :data:`mmrazor_amd.benchmark.runs.METRICS`) to COCO values in
[0, 1]. Tables print them as percentages, mean ± sample std over seeds.
"""
import math
import textwrap
from typing import Dict, List, Optional, Sequence

from .runs import METRICS

COLUMNS = list(METRICS.values())
Results = Dict[str, List[Dict[str, float]]]


def mean_std(values: Sequence[float]):
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def _cell(values: Sequence[float]) -> str:
    mean, std = mean_std([100 * v for v in values])
    if len(values) < 2:
        return f'{mean:.1f}'
    return f'{mean:.1f} ± {std:.1f}'


def markdown_table(results: Results,
                   baseline: Optional[str] = None,
                   columns: Sequence[str] = COLUMNS) -> str:
    """One row per label; with ``baseline``, a Δ mAP column against it."""
    header = ['Method', 'seeds'] + list(columns)
    if baseline is not None:
        header.append('Δ mAP')
    lines = [
        '| ' + ' | '.join(header) + ' |',
        '|' + '|'.join(['---'] * len(header)) + '|',
    ]
    base_map = None
    if baseline is not None and results.get(baseline):
        base_map = mean_std([100 * m['mAP'] for m in results[baseline]])[0]
    for label, runs in results.items():
        if not runs:
            continue
        row = [label, str(len(runs))]
        row += [_cell([m[c] for m in runs]) for c in columns]
        if baseline is not None:
            if base_map is None or label == baseline:
                row.append('')
            else:
                gain = mean_std([100 * m['mAP'] for m in runs])[0] - base_map
                row.append(f'{gain:+.1f}')
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def plot(path: str,
         methods: Results,
         sweep: Optional[Dict[float, List[Dict[str, float]]]] = None,
         title: str = '') -> None:
    """Bar chart of mAP/mAR per method (mean ± std), and the φ sweep."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    panels = 2 if sweep else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 4.2),
                             squeeze=False)
    ax = axes[0][0]
    labels = [label for label, runs in methods.items() if runs]
    width = 0.38
    for offset, metric, colour in ((-width / 2, 'mAP', '#1f77b4'),
                                   (width / 2, 'mAR', '#ff7f0e')):
        stats = [mean_std([100 * m[metric] for m in methods[label]])
                 for label in labels]
        positions = [i + offset for i in range(len(labels))]
        ax.bar(positions, [s[0] for s in stats], width,
               yerr=[s[1] for s in stats], capsize=3, label=metric,
               color=colour)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha='right')
    values = [100 * m[k] for label in labels for m in methods[label]
              for k in ('mAP', 'mAR')]
    if values:
        ax.set_ylim(max(0.0, min(values) - 5), min(100.0, max(values) + 3))
    ax.set_ylabel('COCO metric (%)')
    ax.set_title('methods (mean ± std over seeds)')
    ax.legend(loc='upper left')
    ax.grid(axis='y', alpha=0.3)

    if sweep:
        ax = axes[0][1]
        phis = sorted(sweep)
        for metric, colour in (('mAP', '#1f77b4'), ('mAR', '#ff7f0e')):
            stats = [mean_std([100 * m[metric] for m in sweep[phi]])
                     for phi in phis]
            ax.errorbar(phis, [s[0] for s in stats], [s[1] for s in stats],
                        marker='o', capsize=3, label=metric, color=colour)
        ax.set_xlabel('φ (attention threshold of the mask)')
        ax.set_ylabel('COCO metric (%)')
        ax.set_title('AMD φ sweep')
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(textwrap.fill(title, 60 * panels), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
