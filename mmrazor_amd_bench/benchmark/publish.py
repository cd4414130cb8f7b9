"""Write a benchmark's results: markdown, JSON, figures, environment.

:func:`write` takes the benchmark of ``scripts/benchmark.py`` (its setting,
arguments, planner and planned runs) and rewrites everything in its output
folder from the runs that have finished, so that it can be called after
every run and with ``--report-only``.
"""
import glob
import json
import os
import os.path as osp
import statistics
from collections import Counter
from typing import Dict, List, Optional

from . import environment, plots
from .curves import read_scalars, summarise_training
from .report import (COLUMNS, by_label, gains_table, mean_std,
                     metrics_table, percent, phi_table, selection_table,
                     size_gains_table)
from .restore import _same_teacher


def _balance_lines(table: Dict[str, List[Dict]]) -> List[str]:
    """Per label with a DistillBalanceHook record: the target ratio, the
    calibrated weights, the logged loss ratio at the end of training and
    the mean distillation share of the neck gradient."""
    lines = ['| Method | target ratio | effective weights (mean over seeds) '
             '| distill / detection loss at the last log | distillation '
             'share of the neck gradient (mean) |', '|---|---|---|---|---|']
    for label, rows in table.items():
        balances = [r['balance'] for r in rows if r.get('balance')]
        if not balances:
            continue
        weights: Dict[str, List[float]] = {}
        for balance in balances:
            measured = balance.get('measured') or {}
            for key, value in measured.get('effective_weights', {}).items():
                weights.setdefault(key.split('.', 1)[1], []).append(value)
        ratios, shares = [], []
        for row in rows:
            train = row.get('training', {}).get('train', {})
            ratios += [train['distill.ratio'][-1][1]] if train.get(
                'distill.ratio') else []
            shares += [v for _, v in train.get('distill.grad_share', [])]
        target = balances[0].get('target_ratio')
        cells = [
            label, '' if target is None else f'{target:g}',
            ', '.join(f'{k} {statistics.fmean(v):.3g}'
                      for k, v in weights.items()),
            f'{statistics.fmean(ratios):.3g}' if ratios else '',
            f'{statistics.fmean(shares):.2f}' if shares else ''
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def _gap_line(table, teacher_label, baseline, control) -> str:
    """The teacher's mAP and its gap to the baseline and the control, or,
    in a table that has neither, to each student row."""
    teacher = table.get(teacher_label)
    if not teacher:
        return ''
    t = percent(teacher[0])
    parts = [f'teacher {t:.1f}']
    students = ([label for label in (baseline, control) if table.get(label)]
                or [label for label, rows in table.items()
                    if label != teacher_label and rows])
    for label in students:
        mean = mean_std([percent(r) for r in table[label]])[0]
        parts.append(f'{label} {mean:.1f} (gap {t - mean:.1f})')
    return '**Teacher–student gap** (mAP): ' + ', '.join(parts) + '.'


def _shown_path(path: str, root: str) -> str:
    """``path`` relative to the repository ``root`` when it lies inside,
    else as given."""
    relative = osp.relpath(osp.abspath(path), osp.abspath(root))
    return path if relative.startswith('..') else relative


def committed_teacher(record: Dict, root: str) -> Optional[str]:
    """The committed teacher folder (``results/**/teacher/`` with
    ``teacher.pth`` and ``metrics.json``) whose record is the teacher run
    ``record``, relative to ``root``; None when no committed teacher is it."""
    pattern = osp.join(root, 'results', '**', 'teacher', 'metrics.json')
    for path in sorted(glob.glob(pattern, recursive=True)):
        folder = osp.dirname(path)
        if not osp.isfile(osp.join(folder, 'teacher.pth')):
            continue
        with open(path) as f:
            if _same_teacher(record, json.load(f)):
                return _shown_path(folder, root)
    return None


def teacher_name(setting, results: List[Dict], root: str) -> str:
    """The teacher the students learned from, for the report's title: the
    committed teacher folder that holds it, else the work dir it was
    trained in; for a setting that does not train its teacher, the
    checkpoint it names (or the configs' own). With its test mAP when the
    table has the teacher's row."""
    record = next((r for r in results if r['group'] == 'teacher'), None)
    score = ''
    if record and record.get('metrics'):
        split = record.get('eval_split', 'test')
        score = f' ({split} mAP {percent(record):.1f})'
    if not setting.teacher.get('train'):
        checkpoint = setting.teacher.get('checkpoint')
        return (checkpoint or "the configs' teacher_ckpt") + score
    if record is None:
        return 'trained by the setting' + score
    committed = committed_teacher(record, root)
    if committed:
        return committed + score
    trained = osp.dirname(record.get('checkpoint') or '') or 'its work dir'
    return f'trained in {trained}, not committed' + score


def title(bench, results: List[Dict]) -> str:
    """The report's heading: the output folder (the tree of runs), the
    setting and the teacher its students learned from."""
    return (f'# Benchmark {_shown_path(bench.out, bench.root)}: setting '
            f'{bench.setting.name}, teacher '
            f'{teacher_name(bench.setting, results, bench.root)}')


def markdown(bench, results: List[Dict]) -> str:
    setting = bench.setting
    methods = by_label([r for r in results if r['group'] in ('teacher',
                                                             'methods')])
    control = setting.control['label']
    baseline = setting.baseline['label']
    test_split = setting.split('test')[0]
    lines = [title(bench, results), '', setting.title, '',
             f'COCO metrics (%) of mmdet\'s CocoMetric on the test split '
             f'({setting.data_root}{test_split}), mean ± sample std over '
             'seeds. Δ is against the control (the distillation set-up with '
             'the distillation loss multiplied by 0), paired by seed. mAR is '
             'AR@100.', '', '## Teacher and students', '',
             metrics_table(methods, reference=control,
                           unpaired=[setting.teacher['label']]), '',
             _gap_line(methods, setting.teacher['label'], baseline,
                       control), '']
    if methods.get(control):
        paired = [label for label in methods
                  if label not in (control, setting.teacher['label'])]
        lines += ['## Gains over the control, paired by seed', '',
                  gains_table(methods, control, paired), '',
                  '### By object size', '',
                  'Δ AP of small (area < 32²), medium and large (≥ 96²) '
                  'objects over the control, mean ± std of the per-seed '
                  'differences.', '',
                  size_gains_table(methods, control, paired), '']
    selection = [r for r in results if r['group'] == 'selection']
    if selection:
        lines += ['## Loss weights, chosen on the holdout split', '',
                  'Each method trained once (seed '
                  f'{selection[0]["seed"]}) at each target ratio of '
                  'DistillBalanceHook (weighted distillation loss / '
                  'detection loss over the first iterations); holdout mAP '
                  '(%). The tables use the chosen ratio.', '',
                  selection_table(selection), '']
    balance = _balance_lines(methods)
    if len(balance) > 2:
        lines += ['## Loss balance during training', ''] + balance + ['']
    curve = [r for r in results if r['group'] == 'curve']
    if curve:
        lines += ['## Has the baseline converged?', '',
                  '| run | ' + ' | '.join(['holdout mAP at epoch']) + ' |',
                  '|---|---|']
        for row in methods.get(baseline, [])[:1] + curve:
            points = ', '.join(f'{v["epoch"]}: {100 * v["mAP"]:.1f}'
                               for v in row['training']['val'])
            lines.append(f'| {row["name"]} ({row["group"]}) | {points} |')
        lines.append('')
    ablations = by_label([r for r in results if r['group'] == 'ablations'])
    if ablations:
        seeds = sorted({r['seed'] for rows in ablations.values()
                        for r in rows})
        amd = [r for r in methods.get('AMD', []) if r['seed'] in seeds]
        lines += ['## AMD ablations', '', 'Δ is against AMD, paired by '
                  'seed.', '',
                  metrics_table({'AMD': amd, **ablations}, reference='AMD'),
                  '']
    sweep = phi_sweep(bench, results)
    if sweep:
        lines += ['## φ sweep', '',
                  phi_table(sweep, float(bench.planner.default_phi()),
                            methods.get(control, []), bench.hidden)]
        lines += ['', 'Hidden positions: the share of the teacher\'s FPN '
                  'positions (all levels, 64 images) whose attention '
                  'exceeds φ.', '']
    lines += ['## Time', '', timing_line(results), '']
    return '\n'.join(lines) + '\n'


def training_seconds(result: Dict) -> float:
    """Iterations x the median logged seconds per iteration: the run's
    training time without the time it was paused or waiting to resume
    (its wall time, ``train_seconds``, includes those)."""
    training = result.get('training') or {}
    if training.get('seconds_per_iter') and training.get('iters'):
        return training['seconds_per_iter'] * training['iters']
    return result.get('train_seconds', 0.0)


def _runs(count: int) -> str:
    return f'{count} run{"s" * (count != 1)}'


def timing_line(results: List[Dict]) -> str:
    """Hours per group; the machine is environment.md's unless the runs
    record (``machine`` in their JSON) that more than one trained them."""
    by_group: Dict[str, List[float]] = {}
    for row in results:
        by_group.setdefault(row['group'], []).append(
            training_seconds(row) + row.get('eval_seconds', 0.0))
    total = sum(sum(v) for v in by_group.values()) / 3600
    parts = ', '.join(f'{group} {sum(v) / 3600:.1f} h ({_runs(len(v))})'
                      for group, v in by_group.items())
    machines = Counter(row.get('machine', 'not recorded') for row in results)
    where = 'the machine of environment.md'
    if len(machines) > 1:
        where = 'several machines (' + '; '.join(
            f'{name}: {_runs(count)}'
            for name, count in machines.items()) + ')'
    return (f'Training and evaluation: {total:.1f} h of {where} ({parts}); '
            'iterations x median seconds per iteration, evaluation by wall '
            'time; per run, with its machine, in the JSON.')


def phi_sweep(bench, results: List[Dict]) -> Dict[float, List[Dict]]:
    """phi -> runs: the sweep's runs plus the table's AMD runs at the
    config's phi (on the setting's phi seeds, whichever this invocation
    trains)."""
    setting = bench.whole_setting()
    sweep: Dict[float, List[Dict]] = {}
    for row in results:
        if row['group'] == 'phi':
            sweep.setdefault(float(row['phi']), []).append(row)
    default = bench.planner.default_phi()
    if sweep and default is not None:
        seeds = setting.get('phi_seeds', [])
        sweep[float(default)] = [
            r for r in results if r['group'] == 'methods'
            and r['label'] == 'AMD' and r['seed'] in seeds]
    return {phi: rows for phi, rows in sweep.items() if rows}


def _result(run) -> Dict:
    """The run's ``metrics.json``, its training summary read again from the
    logs (so that a report written by a newer version of this module has all
    its fields); where the logs are gone, the summary stored at the time."""
    result = run.result()
    records = read_scalars(run.work_dir)
    if records:
        result['training'] = summarise_training(records)
    return result


def phis_to_measure(hidden, phis, default_phi) -> list:
    """The phis whose hidden share ``write`` must measure: none when
    ``hidden`` (phi -> share, or None) covers every finished phi and AMD's
    default ``default_phi`` (None for a random mask), else all of them.
    The report is rewritten after each run and the finished phis grow
    during a benchmark, so a share measured at an earlier write may lack
    the newer ones."""
    if not phis:
        return []
    wanted = set(phis) | ({default_phi} if default_phi is not None else set())
    covered = hidden is not None and wanted <= set(hidden)
    return [] if covered else sorted(wanted)


def write(bench) -> None:
    setting = bench.setting
    os.makedirs(bench.out, exist_ok=True)
    results = [_result(run) for run in bench.reported_runs() if run.done()]
    if not results:
        return
    stem = osp.join(bench.out, setting.report)
    phis = sorted({float(r['phi']) for r in results if r['group'] == 'phi'})
    teacher = setting.teacher_checkpoint(bench.planner.work_dir)
    wanted = phis_to_measure(bench.hidden, phis,
                             bench.planner.default_phi() if phis else None)
    if wanted and teacher and osp.isfile(teacher):
        from .masks import hidden_fractions
        split = 'holdout' if setting.split('holdout') else 'test'
        masker = bench.planner.config(setting.methods['AMD']).amd_loss.masker
        bench.hidden = hidden_fractions(
            setting.teacher['config'], teacher, setting.data_options(split),
            wanted, tau=masker.get('tau', 0.5))
    with open(stem + '.md', 'w') as f:
        f.write(markdown(bench, results))
    with open(stem + '.json', 'w') as f:
        json.dump(dict(setting=bench.whole_setting().describe(),
                       columns=COLUMNS,
                       ratios=bench.planner.ratios, runs=results,
                       hidden_fractions={str(k): v for k, v in
                                         (bench.hidden or {}).items()}),
                  f, indent=1)
    methods = by_label([r for r in results if r['group'] in ('teacher',
                                                             'methods')])
    control = setting.control['label']
    gained = [label for label in methods
              if label not in (control, setting.teacher['label'])]
    plots.results_figure(stem + '.png', methods, control, gained,
                         phi_sweep(bench, results), setting.title)
    curves = {label: rows for label, rows in methods.items()
              if any(r.get('training', {}).get('val') for r in rows)}
    for row in results:
        if row['group'] == 'curve':
            curves[f'{row["label"]}, longer schedule'] = [row]
    if curves:
        plots.curves_figure(stem + '_curves.png', curves, setting.title)
    first = {label: rows[0] for label, rows in methods.items()
             if rows and rows[0].get('training', {}).get('train', {}).get(
                 'distill.ratio')}
    if first:
        plots.balance_figure(stem + '_balance.png', first, setting.title)
    note = ('results rewritten from finished runs' if bench.report_only
            else 'resumable; the runs may come from several invocations')
    device = 'cuda' if bench.planner.gpus else 'cpu'
    with open(osp.join(bench.out, 'environment.md'), 'w') as f:
        f.write(environment.markdown(bench.command, bench.root, note,
                                     device=device))
