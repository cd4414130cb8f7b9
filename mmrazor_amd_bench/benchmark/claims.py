"""The paper's claims, tested on the committed benchmark results.

Each claim is a paired comparison over seeds, read from a results JSON
(:mod:`.publish`): the per-seed differences ``d`` of two series and the
pooled seed std ``s`` of those series (:func:`~.report.paired_difference`).
One rule decides every cell, the rule of the benchmark's tables:

* **holds**: ``mean(d) > 2 s``;
* **does not hold**: ``mean(d) < -2 s``;
* **not separable**: otherwise;
* with one seed there is no spread to judge by, and no verdict.

The claims (rows):

``AMD above MGD``, ``AMD above FGD``
    AMD's mAP minus the other method's, per seed (the table's runs).
``Ada-Mask helps``, ``Ada-Channel helps``
    AMD's mAP minus its ablation's, per seed (the ablation runs, against
    the AMD runs of the same tree and seeds).
``largest gain on small objects``
    AMD's paired gain over the control in AP_S against its gains in AP_M
    and in AP_L, per seed; it holds when AP_S's gain exceeds both, does not
    hold when either exceeds it.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from .report import by_label, by_seed, paired_difference

HOLDS, FAILS, TIED = 'holds', 'does not hold', 'not separable'


def verdict(diff: Optional[Dict]) -> Optional[str]:
    """The rule above, for a :func:`~.report.paired_difference`."""
    if diff is None or diff['n'] < 2:
        return None
    bar = 2 * diff['pooled_std']
    if diff['mean'] > bar:
        return HOLDS
    return FAILS if diff['mean'] < -bar else TIED


def _figures(diff: Dict) -> str:
    if diff['n'] == 1:  # no spread: the difference of that seed alone
        return f'{diff["mean"]:+.1f} (seed {diff["seeds"][0]} only)'
    per_seed = ', '.join(f'{d:+.1f}' for d in diff['diffs'])
    return (f'{diff["mean"]:+.1f} ({per_seed}; {diff["n"]} seeds, pooled '
            f'std {diff["pooled_std"]:.2f})')


def load_runs(path: str) -> List[Dict]:
    with open(path) as f:
        return json.load(f)['runs']


def _table(runs: List[Dict]) -> Dict[str, List[Dict]]:
    return by_label([r for r in runs if r['group'] == 'methods'])


def method_claim(runs: List[Dict], method: str, other: str) -> Dict:
    """``method`` above ``other`` in mAP, paired by seed."""
    table = _table(runs)
    if not table.get(method) or not table.get(other):
        return dict(verdict=None, text='')
    diff = paired_difference(by_seed(table[method]), by_seed(table[other]))
    return dict(verdict=verdict(diff), diff=diff,
                text=f'{method} − {other} {_figures(diff)}')


def ablation_claim(runs: List[Dict], ablation: str) -> Dict:
    """AMD above ``ablation`` in mAP, paired by seed, on the ablation's
    seeds (AMD from the same tree)."""
    rows = by_label([r for r in runs if r['group'] == 'ablations']).get(
        ablation)
    amd = _table(runs).get('AMD')
    if not rows or not amd:
        return dict(verdict=None, text='')
    diff = paired_difference(by_seed(amd), by_seed(rows))
    return dict(verdict=verdict(diff), diff=diff,
                text=f'AMD − {ablation} {_figures(diff)}')


def small_objects_claim(runs: List[Dict], method: str = 'AMD',
                        reference: str = 'control') -> Dict:
    """``method``'s gain over ``reference`` is larger in AP_S than in AP_M
    and in AP_L (the gains paired by seed, then compared by seed)."""
    table = _table(runs)
    if not table.get(method) or not table.get(reference):
        return dict(verdict=None, text='')
    gains = {}
    for column in ('AP_S', 'AP_M', 'AP_L'):
        diff = paired_difference(by_seed(table[method], column),
                                 by_seed(table[reference], column))
        gains[column] = {s: d for s, d in zip(diff['seeds'], diff['diffs'])}
    against = {c: paired_difference(gains['AP_S'], gains[c])
               for c in ('AP_M', 'AP_L')}
    verdicts = [verdict(d) for d in against.values()]
    if None in verdicts:
        found = None
    elif FAILS in verdicts:
        found = FAILS
    else:
        found = HOLDS if all(v == HOLDS for v in verdicts) else TIED
    means = {c: sum(g.values()) / len(g) for c, g in gains.items()}
    text = (f'{method} − {reference}: Δ AP_S {means["AP_S"]:+.1f}, '
            f'Δ AP_M {means["AP_M"]:+.1f}, Δ AP_L {means["AP_L"]:+.1f}; '
            f'Δ AP_S − Δ AP_M {_figures(against["AP_M"])}, '
            f'Δ AP_S − Δ AP_L {_figures(against["AP_L"])}')
    return dict(verdict=found, against=against, text=text)


CLAIMS = ('AMD above MGD', 'AMD above FGD', 'Ada-Mask helps',
          'Ada-Channel helps', 'largest gain on small objects')


def family_claims(table_json: Optional[str],
                  ablations_json: Optional[str]) -> Dict[str, Dict]:
    """Every claim for one family: the table's results (methods and the
    control) and the ablations' (AMD and its two ablations), which may be
    the same file. A missing file gives empty cells."""
    def runs_of(path):
        return load_runs(path) if path and osp.isfile(path) else []

    table, ablations = runs_of(table_json), runs_of(ablations_json)
    return {
        'AMD above MGD': method_claim(table, 'AMD', 'MGD'),
        'AMD above FGD': method_claim(table, 'AMD', 'FGD'),
        'Ada-Mask helps': ablation_claim(ablations, 'AMD w/o Ada-Mask'),
        'Ada-Channel helps': ablation_claim(ablations, 'AMD w/o Ada-Channel'),
        'largest gain on small objects': small_objects_claim(table),
    }


def claims_table(families: Sequence[Dict], detailed: bool = True) -> str:
    """Markdown: one row per claim, one column per family (``label``,
    ``table``, ``ablations``: results JSONs). ``detailed`` cells carry the
    paired figures; otherwise the verdict alone (``—``: not measured)."""
    found = {f['label']: family_claims(f.get('table'), f.get('ablations'))
             for f in families}
    header = ['claim of the paper'] + [f['label'] for f in families]
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(['---'] * len(header)) + '|']
    for claim in CLAIMS:
        cells = []
        for family in families:
            result = found[family['label']][claim]
            if result['verdict'] is None:
                if not result['text']:
                    cells.append('not measured')
                else:
                    cells.append(f'one seed, no verdict: {result["text"]}'
                                 if detailed else 'one seed, no verdict')
            elif detailed:
                cells.append(f'**{result["verdict"]}**: {result["text"]}')
            else:
                cells.append(result['verdict'])
        lines.append('| ' + ' | '.join([claim] + cells) + ' |')
    return '\n'.join(lines)
