"""One benchmark invocation: its runs, in order, executed or printed.

The order (each run is skipped when it is done, so an interrupted
invocation resumes where it stopped):

1. the data (generated settings) and the teacher (trained settings, whose
   checkpoint is then copied to ``<work_dir>/teacher.pth``, and written in
   its committed form, weights and record, to ``<out>/teacher/``);
2. the loss-weight selection: each method at each target ratio of the
   setting, one seed, scored on the holdout split; each method's best ratio
   is used from then on (:func:`~.report.choose_ratio`);
3. the table: baseline, control and every method, seed by seed;
4. the baseline on the setting's longer schedule (the curve), once;
5. AMD's ablations and the phi sweep (the phi of the AMD config is the
   table's AMD run).

After every finished run, :func:`~.publish.write` rewrites the results
from every finished run of the setting's whole plan (as its file defines
it) and of this invocation: running a subset (``--seeds 1``, ``--methods
AMD``) never drops the other finished rows from the report.
A dry run prints each run's commands under a line that says whether the
run is new or done (reused as it is, or refused because it was trained
with other options), and ends with the count of each.
"""
import copy
import os
import time
from typing import Iterator, List, Optional, Sequence

from . import publish
from .plan import Planner
from .report import choose_ratio, percent
from .restore import commit_teacher
from .runs import Run, RunError, check_reuse, execute, publish_checkpoint
from .setting import Setting
from .teacher_check import check_recorded


class Benchmark:
    """The runs of a setting, and where their results go.

    Args:
        setting: the loaded setting (with the command line's overrides).
        out: the results folder.
        work_dir, gpus, epochs: see :class:`~.plan.Planner`.
        labels: rows of the table (default: baseline, control, methods).
        curve: run the baseline on the longer schedule, if the setting has
            one.
        dry_run: print the commands instead of running them.
        report_only: rewrite the results from the finished runs.
        quiet: no progress bars.
        command: the command line, for ``environment.md``.
        root: the repository root, for the commit in ``environment.md``.
    """

    def __init__(self, setting: Setting, out: str,
                 work_dir: Optional[str] = None, gpus: int = 0,
                 epochs: Optional[int] = None,
                 labels: Optional[Sequence[str]] = None, curve: bool = True,
                 dry_run: bool = False, report_only: bool = False,
                 quiet: bool = False, command: Sequence[str] = (),
                 root: str = '.') -> None:
        self.setting = setting
        self.planner = Planner(setting, work_dir, gpus, epochs)
        self.labels = list(labels or self.planner.table_labels())
        self.out, self.curve = out, curve
        self.dry_run, self.report_only, self.quiet = (dry_run, report_only,
                                                      quiet)
        self.command, self.root = list(command), root
        self.planned: List[Run] = []
        self.upcoming: List[Run] = []  # planned later in this invocation
        self.hidden = None  # phi -> share of hidden positions (publish)
        self._whole: Optional[List[Run]] = None
        self._whole_setting: Optional[Setting] = None
        self.started = time.time()

    def step(self, run: Run, index: str) -> None:
        """Plan ``run``; execute it (or print it), then publish."""
        self.planned.append(run)
        if self.dry_run:
            print(f'# [{index}] {run.name} ({run.group}; {status(run)})\n'
                  f'{run.describe()}')
            return
        if self.report_only:
            return
        print(f'\n[{index}] {run.name} ({run.group})', flush=True)
        self.check_teacher(run)
        execute(run, quiet=self.quiet)
        self.publish()

    def check_teacher(self, run: Run) -> None:
        """Stop before a student that would learn from a missing teacher
        (its run marked done, e.g. restored, without its weights)."""
        target = self.setting.teacher_checkpoint(self.planner.work_dir)
        if (run.package == 'mmrazor' and not run.done()
                and self.setting.teacher.get('train')
                and not os.path.isfile(target)):
            raise RunError(
                f'{run.name} learns from {target}, which is missing, while '
                f'the teacher run in {self.planner.teacher().work_dir} is '
                'done (restored results?). Put back the teacher the other '
                'runs learned from, or remove that teacher run to train a '
                'new one in another --work-dir: runs of two teachers are '
                'not paired.')

    def publish(self) -> None:
        if not self.dry_run:
            publish.write(self)

    def teacher(self) -> None:
        run = self.planner.teacher()
        self.step(run, 'teacher')
        recorded = self.setting.teacher.get('recorded')
        if recorded and run.done() and not self.dry_run:
            print(f'{run.name}: ' + check_recorded(
                run.metrics(), recorded, self.setting.data_root))
        target = self.setting.teacher_checkpoint(self.planner.work_dir)
        if target and run.checkpoint is None and not self.dry_run:
            publish_checkpoint(run, target)
            if run.done() and os.path.isfile(target):
                self.commit_teacher(run, target)

    def commit_teacher(self, run: Run, checkpoint: str) -> None:
        """Write the trained teacher in its committed form to
        ``<out>/teacher/``, unless a committed folder under ``results/``
        holds it already (a restored teacher), the run is a smoke run
        (``--epochs``) or only the report is rewritten. A folder that
        holds another teacher is left as it is, with a line that says so:
        other trees may name it."""
        if self.report_only or self.planner.epochs is not None:
            return
        if publish.committed_teacher(run.result(), self.root):
            return
        folder = os.path.join(self.out, 'teacher')
        try:
            if commit_teacher(run.work_dir, checkpoint, folder):
                print(f'{run.name}: weights and record to commit in '
                      f'{folder}')
        except RuntimeError as error:
            print(f'{run.name}: not written to {folder}: {error}')

    def select(self) -> None:
        """Each method's target ratio, by its holdout mAP."""
        ratios = self.setting.target_ratios or []
        if len(ratios) < 2:
            return
        needed = [m for m in self.setting.methods if m in self.labels or (
            m == 'AMD' and (self.setting.get('ablations')
                            or self.setting.get('phis')))]
        for method in needed:
            runs = [self.planner.selection(method, r) for r in ratios]
            for i, run in enumerate(runs, start=1):
                self.step(run, f'selection {method} {i}/{len(runs)}')
            if all(run.done() for run in runs):
                self.planner.ratios[method] = selected_ratio(runs)
            elif self.dry_run:
                self.planner.ratios[method] = '<chosen on holdout>'

    def runs(self) -> Iterator[Run]:
        """The runs after the selection, in order."""
        return after_selection(self.setting, self.planner, self.labels,
                               self.curve)

    def run(self) -> None:
        if not self.dry_run:
            summary = self.setting.prepare_data()
            if summary is not None:
                from mmrazor_amd_bench.datagen import format_summary
                print(format_summary(summary))
        self.teacher()
        self.select()
        runs = list(self.runs())
        self.upcoming = runs
        for i, run in enumerate(runs, start=1):
            self.step(run, f'{i}/{len(runs)}')
        self.publish()
        if self.dry_run:
            print(plan_summary(self.planned))

    def whole_setting(self) -> Setting:
        """The setting with this invocation's options (data root, ratios),
        but its file's seeds, ablations and phis (none where the file has
        none): what the results record and the report is planned from,
        whichever subset this invocation trains (the command line that
        narrowed it is in ``environment.md``). Read once per invocation."""
        if self._whole_setting is None:
            cfg = copy.deepcopy(self.setting.cfg)
            file = Setting.load(self.setting.path).cfg
            for key in NARROWING:
                if key in file:
                    cfg[key] = copy.deepcopy(file[key])
                else:
                    cfg.pop(key, None)
            self._whole_setting = Setting(cfg, self.setting.path)
        return self._whole_setting

    def whole_plan(self) -> List[Run]:
        """Every run of :meth:`whole_setting` with this invocation's
        options: the teacher, the selection, every row of the table over
        every seed, the curve, the ablations and the phi sweep."""
        if self._whole is None:
            setting = self.whole_setting()
            planner = Planner(setting, self.planner.work_dir,
                              self.planner.gpus, self.planner.epochs,
                              self.planner.ratios)
            planner._configs = self.planner._configs
            ratios = setting.target_ratios or []
            selection = []
            for method in setting.methods if len(ratios) > 1 else ():
                runs = [planner.selection(method, r) for r in ratios]
                if method not in planner.ratios and all(
                        run.done() for run in runs):
                    planner.ratios[method] = selected_ratio(runs)
                selection += runs
            self._whole = [planner.teacher(), *selection, *after_selection(
                setting, planner, planner.table_labels(), curve=True)]
        return self._whole

    def reported_runs(self) -> List[Run]:
        """The runs a report is written from: the setting's whole plan,
        then the runs of this invocation outside it (e.g. other seeds).
        Each report therefore keeps every finished run, including those of
        later seeds restored before this invocation and those an earlier
        invocation with other ``--seeds``/``--methods`` trained, but not
        a run of the plan that this invocation would refuse to reuse
        (trained with other options, e.g. another ratio or ``--epochs``).
        Where both plan a work dir, this invocation's run is reported."""
        mine = {}
        for run in self.planned + self.upcoming:
            mine.setdefault(run.work_dir, run)
        reported = []
        for run in self.whole_plan():
            if run.work_dir in mine:
                reported.append(mine.pop(run.work_dir))
            elif status(run) == REUSED:
                reported.append(run)
        return reported + list(mine.values())

    def report_file(self) -> Optional[str]:
        """The markdown report, once some run has finished."""
        path = os.path.join(self.out, f'{self.setting.report}.md')
        return path if os.path.isfile(path) else None


def selected_ratio(runs: Sequence[Run]) -> float:
    """The target ratio of the finished selection ``runs`` (one method,
    one per ratio) with the best holdout mAP (:func:`~.report.choose_ratio`).
    """
    return choose_ratio({run.info['target_ratio']: percent(run.result())
                         for run in runs})


def after_selection(setting: Setting, planner: Planner,
                    labels: Sequence[str], curve: bool) -> Iterator[Run]:
    """The runs after the loss-weight selection, in order: ``labels`` (the
    table's rows) seed by seed, the baseline's longer schedule (if
    ``curve`` and the setting has one), AMD's ablations and its phi sweep
    (the AMD config's own phi is the table's AMD run)."""
    yield from planner.methods(labels, setting.seeds)
    if setting.students.get('curve') and curve:
        yield planner.baseline(setting.seeds[0], curve=True)
    for label in setting.get('ablations') or {}:
        for seed in setting.get('ablation_seeds', []):
            yield planner.ablation(label, seed)
    for phi in setting.get('phis') or []:
        for seed in setting.get('phi_seeds', []):
            if phi != planner.default_phi():
                yield planner.phi(phi, seed)


REUSED = 'done: reused'
# the setting's keys that a command line narrows (--seeds, --ablations, ...)
NARROWING = ('seeds', 'ablations', 'ablation_seeds', 'phis', 'phi_seeds')


def status(run: Run) -> str:
    """``'new'`` (to train), ``'done: reused'``, or ``'done with other
    options: ...'``, where executing the plan would stop
    (:func:`~.runs.check_reuse`)."""
    if not run.done():
        return 'new'
    try:
        check_reuse(run)
    except RunError as error:
        return f'done with other options: {error}'
    return REUSED


def plan_summary(planned: Sequence[Run]) -> str:
    """One line per status: how many planned runs, and which are new."""
    by_status = {}
    for run in planned:
        state = status(run)
        key = state if state in ('new', REUSED) else 'refused'
        by_status.setdefault(key, []).append(run.name)
    lines = [f'# planned {len(planned)} runs: ' + ', '.join(
        f'{len(names)} {key}' for key, names in by_status.items())]
    for key in ('new', 'refused'):
        if by_status.get(key):
            lines.append(f'# {key}: ' + '; '.join(by_status[key]))
    return '\n'.join(lines)
