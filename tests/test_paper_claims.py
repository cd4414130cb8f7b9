"""The paper's claims table: the verdict rule on hand-made results, the
size gains of a report, and docs/benchmark.md in step with the JSONs."""
import json
import os.path as osp
import statistics

import pytest

from conftest import ROOT
from mmrazor_amd_bench.benchmark import claims, report
from mmrazor_amd_bench.commands.paper_claims import committed_families


def run(label, seed, group='methods', **metrics):
    """A run record whose columns are 0.3 unless given (fractions)."""
    values = {column: 0.3 for column in report.COLUMNS}
    values.update(metrics)
    return dict(label=label, seed=seed, group=group, metrics=values)


def write(tmp_path, runs):
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(dict(runs=runs)))
    return str(path)


def pooled(a, b):
    return ((statistics.stdev(a)**2 + statistics.stdev(b)**2) / 2)**0.5


def test_a_method_claim_holds_fails_or_ties_by_twice_the_pooled_std():
    # MGD 40, 41, 42 (std 1); AMD +3, +3, +3 above it: holds
    mgd = [40.0, 41.0, 42.0]
    for amd, expected in (([43.0, 44.0, 45.0], claims.HOLDS),
                          ([37.0, 38.0, 39.0], claims.FAILS),
                          ([41.0, 41.5, 42.5], claims.TIED)):
        runs = ([run('MGD', s, mAP=v / 100) for s, v in enumerate(mgd)] +
                [run('AMD', s, mAP=v / 100) for s, v in enumerate(amd)])
        found = claims.method_claim(runs, 'AMD', 'MGD')
        mean = statistics.fmean(a - b for a, b in zip(amd, mgd))
        assert found['diff']['mean'] == pytest.approx(mean)
        assert found['diff']['pooled_std'] == pytest.approx(pooled(amd, mgd))
        assert found['verdict'] == expected, (amd, mean, pooled(amd, mgd))


def test_one_seed_gives_figures_but_no_verdict():
    runs = [run('AMD', 0, mAP=0.45), run('MGD', 0, mAP=0.40)]
    found = claims.method_claim(runs, 'AMD', 'MGD')
    assert found['verdict'] is None
    assert found['text'] == 'AMD − MGD +5.0 (seed 0 only)'


def test_ablations_are_paired_with_amd_of_their_own_seeds():
    runs = [run('AMD', s, mAP=v) for s, v in ((0, .40), (1, .42), (2, .9))]
    runs += [run('AMD w/o Ada-Mask', s, 'ablations', mAP=v)
             for s, v in ((0, .41), (1, .43))]
    found = claims.ablation_claim(runs, 'AMD w/o Ada-Mask')
    assert found['diff']['seeds'] == [0, 1]
    assert found['diff']['diffs'] == pytest.approx([-1.0, -1.0])
    # both series have seed std 1.41: -1 is within twice that
    assert found['verdict'] == claims.TIED


def test_small_objects_compares_the_paired_gains_by_size():
    control = [run('control', s, AP_S=.20, AP_M=.30, AP_L=.40)
               for s in range(3)]
    # gains by seed: AP_S +5, +6, +7; AP_M +1, +1.5, +2; AP_L +1, +2, +3
    amd = [run('AMD', s, AP_S=.25 + .01 * s, AP_M=.31 + .005 * s,
               AP_L=.41 + .01 * s) for s in range(3)]
    found = claims.small_objects_claim(control + amd)
    assert found['against']['AP_M']['diffs'] == pytest.approx([4, 4.5, 5])
    assert found['against']['AP_L']['diffs'] == pytest.approx([4, 4, 4])
    assert found['verdict'] == claims.HOLDS
    # AP_L's gain above AP_S's: the claim fails whatever AP_M says
    amd = [run('AMD', s, AP_S=.25 + .01 * s, AP_M=.31, AP_L=.50 + .01 * s)
           for s in range(3)]
    assert claims.small_objects_claim(control + amd)['verdict'] == \
        claims.FAILS


def test_a_family_without_results_reads_not_measured(tmp_path):
    table = claims.claims_table([dict(label='X', table=None,
                                      ablations=str(tmp_path / 'no.json'))])
    rows = table.splitlines()[2:]
    assert len(rows) == len(claims.CLAIMS)
    assert all(row.endswith('| not measured |') for row in rows)


def test_a_family_with_one_seed_has_figures_and_no_verdict(tmp_path):
    path = write(tmp_path, [run('AMD', 0, mAP=.45), run('MGD', 0, mAP=.40)])
    family = [dict(label='X', table=path, ablations=path)]
    detailed = claims.claims_table(family).splitlines()[2]
    assert detailed == ('| AMD above MGD | one seed, no verdict: '
                        'AMD − MGD +5.0 (seed 0 only) |')
    short = claims.claims_table(family, detailed=False).splitlines()[2]
    assert short == '| AMD above MGD | one seed, no verdict |'


def test_report_shows_size_gains_paired_by_seed():
    control = [run('control', s, mAP=.30, AP_S=.20 + .01 * s, AP_M=.3,
                   AP_L=.4) for s in range(2)]
    amd = [run('AMD', s, mAP=.33, AP_S=.25 + .02 * s, AP_M=.31, AP_L=.42)
           for s in range(2)]
    table = report.size_gains_table(
        report.by_label(control + amd), 'control', ['AMD'])
    # AP_S gains +5 and +6: +5.5 ± 0.7; the largest of the three sizes
    assert table.splitlines()[2] == ('| AMD | 2 | +3.0 ± 0.0 | +5.5 ± 0.7 | '
                                     '+1.0 ± 0.0 | +2.0 ± 0.0 | AP_S |')


def test_docs_hold_the_claims_table_of_the_committed_results():
    families = committed_families()
    with open(osp.join(ROOT, 'docs', 'benchmark.md')) as f:
        docs = f.read()
    assert '## The paper\'s claims, tested' in docs
    assert claims.claims_table(families) in docs, (
        'docs/benchmark.md is out of step with the committed results: '
        'run `python scripts/paper_claims.py --write`')
    with open(osp.join(ROOT, 'README.md')) as f:
        assert claims.claims_table(families, detailed=False) in f.read()


def test_write_replaces_the_one_claims_table_and_keeps_the_rest():
    from mmrazor_amd_bench.commands.paper_claims import replace_claims_table
    page = ('intro\n\n| claim of the paper | A |\n|---|---|\n| old | x |\n'
            '\nafter\n| other | table |\n')
    table = '| claim of the paper | A |\n|---|---|\n| new | y |'
    assert replace_claims_table(page, table) == (
        'intro\n\n| claim of the paper | A |\n|---|---|\n| new | y |\n'
        '\nafter\n| other | table |\n')
    with pytest.raises(ValueError, match='found 0'):
        replace_claims_table('no table\n', table)
    with pytest.raises(ValueError, match='found 2'):
        replace_claims_table(page + page, table)
