"""Put a setting's committed results back under work_dirs/ to extend them.

    # the committed runs of results/embedded-long (trained in
    # work_dirs/embedded-long-c) and their teacher: then the benchmark
    # trains only what is missing, e.g. a fourth seed
    python scripts/restore_benchmark.py --setting embedded-long
    python scripts/restore_benchmark.py --setting embedded-long \\
        --teacher results/embedded-long/teacher \\
        --work-dir work_dirs/embedded-long-c
    python scripts/benchmark.py --setting embedded-long \\
        --work-dir work_dirs/embedded-long-c --out results/embedded-long \\
        --seeds 0 1 2 3 --ablations --phis --no-curve
    # another tree: --results results/embedded-long-ablations (see
    # results/README.md for each committed folder)

Without ``--teacher``, every run of ``results/<setting>/<report>.json``
gets its ``metrics.json`` back in its work dir, so ``scripts/benchmark.py``
reuses it instead of training it again (logs and checkpoints are not
committed; the report keeps the curves stored in the JSON). Distilled runs
added there need the teacher those runs learned from; the benchmark stops
if it is missing. With ``--teacher DIR`` (``teacher.pth`` and
``metrics.json``), only that teacher is put in place, in ``--work-dir``,
once it has scored its recorded test metrics again on the setting's data
(generated here if missing; ``--no-check`` skips the evaluation): a teacher
that meets other data than it was trained on would make every student's
reference wrong.
"""
import argparse
import os
import os.path as osp
import sys

from mmrazor_amd_bench import ROOT

from mmrazor_amd_bench.benchmark.plan import Planner  # noqa: E402
from mmrazor_amd_bench.benchmark.restore import (  # noqa: E402
    refuse_another_teacher, restore_runs, restore_teacher)
from mmrazor_amd_bench.benchmark.runs import evaluate  # noqa: E402
from mmrazor_amd_bench.benchmark.setting import Setting, repo_path  # noqa: E402
from mmrazor_amd_bench.benchmark.teacher_check import (  # noqa: E402
    TeacherMismatchError, check_recorded)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--setting', default='embedded-long',
                        help='name in configs/benchmark/ or a file')
    parser.add_argument('--results', help='default results/<setting>')
    parser.add_argument('--teacher', metavar='DIR',
                        help='a committed teacher: teacher.pth, metrics.json')
    parser.add_argument('--work-dir', help='default work_dirs/<setting>')
    parser.add_argument('--no-check', action='store_true',
                        help='restore --teacher without evaluating it')
    args = parser.parse_args(argv)
    for key in ('setting', 'results', 'teacher', 'work_dir'):
        value = getattr(args, key)
        if value and (key != 'setting' or value.endswith('.py')):
            setattr(args, key, repo_path(value, ROOT))
    os.chdir(ROOT)  # the JSON's paths are relative to the repository root
    setting = Setting.load(args.setting, ROOT)
    if args.teacher:
        planner = Planner(setting, args.work_dir)
        target = setting.teacher_checkpoint(planner.work_dir)
        if not setting.teacher.get('train'):
            sys.exit(f'{setting.name} does not train its teacher: its '
                     'configs name the checkpoint')
        run = planner.teacher()
        refuse_another_teacher(args.teacher, run.work_dir)
        if not args.no_check:
            setting.prepare_data()
            fresh = evaluate(run, osp.join(args.teacher, 'teacher.pth'))
            try:
                print(check_recorded(fresh,
                                     osp.join(args.teacher, 'metrics.json'),
                                     setting.data_root))
            except TeacherMismatchError as error:
                sys.exit(f'not restored: {error}')
        restore_teacher(args.teacher, run.work_dir, target)
        print(f'teacher of {args.teacher} -> {target}')
        return
    if args.work_dir:
        sys.exit('the committed runs go back where they were trained; '
                 '--work-dir is for --teacher')
    results = args.results or osp.join('results', setting.name)
    done = restore_runs(osp.join(results, f'{setting.report}.json'),
                        Planner(setting).teacher().work_dir)
    print(f'{len(done["restored"])} runs restored, {len(done["kept"])} '
          'already there')


if __name__ == '__main__':
    main()
