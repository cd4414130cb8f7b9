"""Tables of benchmark results in the layout of the paper, as markdown.

A result is the ``metrics.json`` of a run (:mod:`.runs`): ``label``,
``group``, ``seed`` and ``metrics`` (the paper's columns, COCO values in
[0, 1]). Tables print percentages, mean ± sample std over seeds. Gains
against a reference row (the control) are *paired by seed*: the mean and
the sample std of the per-seed differences.
"""
import statistics
from typing import Dict, List, Optional, Sequence, Tuple

from .runs import METRICS

COLUMNS = list(METRICS.values())
Results = List[Dict]


def percent(result: Dict, column: str = 'mAP') -> float:
    return 100 * result['metrics'][column]


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    values = list(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.fmean(values), spread


def cell(values: Sequence[float]) -> str:
    mean, std = mean_std(values)
    return f'{mean:.1f}' if len(values) < 2 else f'{mean:.1f} ± {std:.1f}'


def by_label(results: Results, group: Optional[str] = None
             ) -> Dict[str, Results]:
    """Results per label, in first-seen order, sorted by seed."""
    table: Dict[str, Results] = {}
    for result in results:
        if group is None or result['group'] == group:
            table.setdefault(result['label'], []).append(result)
    return {label: sorted(rows, key=lambda r: r['seed'])
            for label, rows in table.items()}


# A paired gain is *significant* when its mean exceeds twice the pooled seed
# std of the two rows (SIGNIFICANCE); the table decides only over at least
# SIGNIFICANCE_SEEDS paired seeds.
SIGNIFICANCE = 'significant: mean Δ > 2 × pooled seed std'
SIGNIFICANCE_SEEDS = 3


def paired_difference(values: Dict[int, float],
                      reference: Dict[int, float]) -> Optional[Dict]:
    """Per-seed differences ``values - reference`` (seed -> value) over
    their common seeds: ``mean``, ``std`` (sample), ``n``, ``diffs`` (in
    seed order), ``seeds`` and ``pooled_std`` (the root mean square of the
    two series' seed stds); None without a common seed."""
    seeds = sorted(set(values) & set(reference))
    if not seeds:
        return None
    pairs = [(values[s], reference[s]) for s in seeds]
    diffs = [a - b for a, b in pairs]
    mean, std = mean_std(diffs)
    spreads = [mean_std([a for a, _ in pairs])[1],
               mean_std([b for _, b in pairs])[1]]
    pooled = (sum(s * s for s in spreads) / 2)**0.5
    return dict(mean=mean, std=std, n=len(diffs), diffs=diffs, seeds=seeds,
                pooled_std=pooled)


def by_seed(rows: Results, column: str = 'mAP') -> Dict[int, float]:
    """seed -> the column (%) of each result."""
    return {r['seed']: percent(r, column) for r in rows}


def paired_gain(rows: Results, reference: Results,
                column: str = 'mAP') -> Optional[Dict]:
    """:func:`paired_difference` of two rows' ``column`` (%)."""
    return paired_difference(by_seed(rows, column), by_seed(reference, column))


def _paired_cell(gain: Optional[Dict]) -> str:
    if gain is None:
        return ''
    if gain['n'] < 2:
        return f'{gain["mean"]:+.1f}'
    return f'{gain["mean"]:+.1f} ± {gain["std"]:.1f}'


def metrics_table(table: Dict[str, Results],
                  reference: Optional[str] = None,
                  columns: Sequence[str] = COLUMNS,
                  unpaired: Sequence[str] = ()) -> str:
    """One row per label; with ``reference``, a column of the paired
    mAP gain against it (mean ± std of the per-seed differences), left
    empty for the ``unpaired`` labels (e.g. the teacher)."""
    header = ['Method', 'seeds'] + list(columns)
    if reference is not None:
        header.append(f'Δ mAP vs {reference}')
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(['---'] * len(header)) + '|']
    for label, rows in table.items():
        if not rows:
            continue
        row = [label, str(len(rows))]
        row += [cell([percent(r, c) for r in rows]) for c in columns]
        if reference is not None:
            gain = (None if label == reference or label in unpaired else
                    paired_gain(rows, table.get(reference, [])))
            row.append(_paired_cell(gain))
        lines.append('| ' + ' | '.join(row) + ' |')
    return '\n'.join(lines)


def gains_table(table: Dict[str, Results], reference: str,
                labels: Sequence[str]) -> str:
    """Paired mAP gains of ``labels`` over ``reference``, per seed, and
    whether each is significant (:data:`SIGNIFICANCE`: mean gain above twice
    the pooled seed std), decided only over at least
    :data:`SIGNIFICANCE_SEEDS` paired seeds (below that the seed std says
    nothing and the cell reads "n < 3")."""
    lines = ['| Method | seeds | per-seed Δ mAP | mean Δ ± std | pooled '
             f'seed std | {SIGNIFICANCE} |',
             '|---|---|---|---|---|---|']
    for label in labels:
        gain = paired_gain(table.get(label, []), table.get(reference, []))
        if gain is None:
            continue
        if gain['n'] < SIGNIFICANCE_SEEDS:
            verdict = f'n < {SIGNIFICANCE_SEEDS}'
        else:
            beats = gain['mean'] > 2 * gain['pooled_std']
            verdict = 'yes' if beats else 'no'
        spread = (f'{gain["mean"]:+.2f} ± {gain["std"]:.2f}'
                  if gain['n'] > 1 else f'{gain["mean"]:+.2f}')
        pooled = f'{gain["pooled_std"]:.2f}' if gain['n'] > 1 else ''
        lines.append(
            f'| {label} | {gain["n"]} | '
            + ', '.join(f'{d:+.1f}' for d in gain['diffs'])
            + f' | {spread} | {pooled} | {verdict} |')
    return '\n'.join(lines)


SIZE_COLUMNS = ('mAP', 'AP_S', 'AP_M', 'AP_L')


def size_gains_table(table: Dict[str, Results], reference: str,
                     labels: Sequence[str],
                     columns: Sequence[str] = SIZE_COLUMNS) -> str:
    """Paired gains of ``labels`` over ``reference`` in mAP and in the AP
    of small, medium and large objects (COCO's area bins): per column the
    mean ± std of the per-seed differences, and the size bin with the
    largest mean gain."""
    header = ['Method', 'seeds'] + [f'Δ {c}' for c in columns] + [
        'largest mean gain']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(['---'] * len(header)) + '|']
    for label in labels:
        gains = {c: paired_gain(table.get(label, []),
                                table.get(reference, []), c)
                 for c in columns}
        if any(g is None for g in gains.values()):
            continue
        sizes = [c for c in columns if c != 'mAP']
        largest = max(sizes, key=lambda c: gains[c]['mean']) if sizes else ''
        lines.append('| ' + ' | '.join(
            [label, str(gains[columns[0]]['n'])] +
            [_paired_cell(gains[c]) for c in columns] + [largest]) + ' |')
    return '\n'.join(lines)


def selection_table(results: Results) -> str:
    """Holdout mAP of each method at each target ratio."""
    cells: Dict[str, Dict[float, float]] = {}
    for result in results:
        cells.setdefault(result['method'], {})[result['target_ratio']] = (
            percent(result))
    ratios = sorted({r for row in cells.values() for r in row})
    lines = ['| Method | ' + ' | '.join(f'ratio {r:g}' for r in ratios) +
             ' | chosen |', '|' + '---|' * (len(ratios) + 2)]
    for method, row in cells.items():
        best = choose_ratio(row)
        lines.append(f'| {method} | ' + ' | '.join(
            f'{row[r]:.1f}' if r in row else '' for r in ratios) +
                     f' | {best:g} |')
    return '\n'.join(lines)


def choose_ratio(scores: Dict[float, float]) -> float:
    """The ratio with the best holdout mAP; ties go to the ratio nearest 1
    (the balance FGD's and MGD's authors aim for)."""
    import math
    return max(scores, key=lambda r: (round(scores[r], 6), -abs(math.log(r))))


def phi_table(sweep: Dict[float, Results], default_phi: float,
              control: Results,
              hidden: Optional[Dict[float, float]] = None) -> str:
    """AMD at each φ (``sweep``: φ -> runs, the config's φ among them):
    mean ± std over seeds, and the mAP gain paired by seed against AMD at
    ``default_phi`` and against the ``control`` (empty where a reference
    has no run of the same seed)."""
    reference = sweep.get(default_phi, [])
    lines = [f'| φ | hidden positions | seeds | mAP | mAR | Δ mAP vs '
             f'φ = {default_phi:g} | Δ mAP vs control |',
             '|---|---|---|---|---|---|---|']
    for phi, rows in sorted(sweep.items()):
        share = (hidden or {}).get(phi)
        vs_default = (None if phi == default_phi else
                      paired_gain(rows, reference))
        lines.append(' | '.join([
            f'| {phi:g}', '' if share is None else f'{100 * share:.1f} %',
            str(len(rows)),
            cell([percent(r, 'mAP') for r in rows]),
            cell([percent(r, 'mAR') for r in rows]),
            _paired_cell(vs_default),
            _paired_cell(paired_gain(rows, control))]) + ' |')
    return '\n'.join(lines)
