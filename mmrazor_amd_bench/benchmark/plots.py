"""Figures of a benchmark: results, learning curves and loss balance.

Every function takes results as :mod:`.report` does (``metrics.json``
dicts) and writes one PNG.
"""
import textwrap
from typing import Dict, List, Optional, Sequence

from .report import Results, mean_std, paired_gain, percent

BLUE, ORANGE, GREY = '#1f77b4', '#ff7f0e', '#7f7f7f'


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: str, title: str, width: int) -> None:
    if title:
        fig.suptitle(textwrap.fill(title, width), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)


def results_figure(path: str, table: Dict[str, Results], reference: str,
                   gained: Sequence[str],
                   sweep: Optional[Dict[float, Results]] = None,
                   title: str = '') -> None:
    """mAP/mAR per label, the paired mAP gains of ``gained`` over
    ``reference`` (one dot per seed), and the phi sweep if given."""
    plt = _pyplot()
    panels = 3 if sweep else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.6 * panels, 4.4))
    ax = axes[0]
    labels = [label for label, rows in table.items() if rows]
    width = 0.38
    for offset, metric, colour in ((-width / 2, 'mAP', BLUE),
                                   (width / 2, 'mAR', ORANGE)):
        stats = [mean_std([percent(r, metric) for r in table[label]])
                 for label in labels]
        ax.bar([i + offset for i in range(len(labels))],
               [s[0] for s in stats], width, yerr=[s[1] for s in stats],
               capsize=3, label=metric, color=colour)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha='right')
    values = [percent(r, m) for label in labels for r in table[label]
              for m in ('mAP', 'mAR')]
    ax.set_ylim(max(0.0, min(values) - 5), min(100.0, max(values) + 3))
    ax.set_ylabel('COCO metric on the test split (%)')
    ax.set_title('mean ± std over seeds')
    ax.legend(loc='upper left')
    ax.grid(axis='y', alpha=0.3)

    ax = axes[1]
    for i, label in enumerate(gained):
        gain = paired_gain(table.get(label, []), table.get(reference, []))
        if gain is None:
            continue
        ax.errorbar([i], [gain['mean']], [gain['std']], fmt='o', capsize=4,
                    color=BLUE, markersize=7)
        ax.scatter([i + 0.12] * gain['n'], gain['diffs'], color=GREY, s=12,
                   zorder=3)
        ax.bar([i], [2 * gain['pooled_std']], 0.5, color=ORANGE, alpha=0.25)
    ax.axhline(0, color='black', linewidth=0.8)
    ax.set_xticks(range(len(gained)))
    ax.set_xticklabels(gained)
    ax.set_ylabel(f'mAP − {reference} (points, paired by seed)')
    ax.set_title('gain over the control: mean ± std (blue), seeds (grey),\n'
                 '2 × pooled seed std (orange)', fontsize=9)
    ax.grid(axis='y', alpha=0.3)

    if sweep:
        ax = axes[2]
        phis = sorted(sweep)
        for metric, colour in (('mAP', BLUE), ('mAR', ORANGE)):
            stats = [mean_std([percent(r, metric) for r in sweep[phi]])
                     for phi in phis]
            ax.errorbar(phis, [s[0] for s in stats], [s[1] for s in stats],
                        marker='o', capsize=3, label=metric, color=colour)
        ax.set_xlabel('φ (attention threshold of the mask)')
        ax.set_ylabel('COCO metric (%)')
        ax.set_title('AMD φ sweep')
        ax.legend()
        ax.grid(alpha=0.3)
    _save(fig, path, title, 70 * panels)


def curves_figure(path: str, curves: Dict[str, List[Results]],
                  title: str = '') -> None:
    """Holdout mAP against the epoch, one line per label (mean over the
    runs given for it); ``curves`` maps a label to its results."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for label, rows in curves.items():
        points: Dict[int, List[float]] = {}
        for row in rows:
            for val in row.get('training', {}).get('val', []):
                points.setdefault(val['epoch'], []).append(100 * val['mAP'])
        if not points:
            continue
        epochs = sorted(points)
        stats = [mean_std(points[e]) for e in epochs]
        ax.errorbar(epochs, [s[0] for s in stats], [s[1] for s in stats],
                    marker='o', capsize=3, label=f'{label} ({len(rows)})')
    ax.set_xlabel('epoch')
    ax.set_ylabel('mAP on the holdout split (%)')
    ax.set_title('learning curves (runs averaged in brackets)', fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path, title, 70)


def balance_figure(path: str, runs: Dict[str, Dict], title: str = '') -> None:
    """Per method (one run each): the weighted distillation loss over the
    detection loss, and the distillation share of the student-neck
    gradient, against the iteration."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2))
    for label, result in runs.items():
        train = result.get('training', {}).get('train', {})
        for ax, key in zip(axes, ('distill.ratio', 'distill.grad_share')):
            series = train.get(key)
            # a log axis cannot show a run without distillation (control)
            if series and any(p[1] > 0 for p in series):
                ax.plot([p[0] for p in series], [p[1] for p in series],
                        label=label, linewidth=1.2)
    if axes[0].lines:
        axes[0].set_yscale('log')
    axes[0].set_ylabel('weighted distillation loss / detection loss')
    axes[1].set_ylabel('|g_distill| / (|g_distill| + |g_detection|)')
    axes[1].set_ylim(0, 1)
    for ax in axes:
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    axes[0].set_title('loss balance (0 during the calibration window)',
                      fontsize=9)
    axes[1].set_title('share of the student-neck gradient', fontsize=9)
    _save(fig, path, title, 140)
