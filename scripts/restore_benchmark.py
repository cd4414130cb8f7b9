"""Put a setting's committed results back under work_dirs/ to extend them.

    python scripts/restore_benchmark.py --setting embedded-long
    python scripts/benchmark.py --setting embedded-long   # only what is missing

Every run of ``results/<setting>/<report>.json`` gets its ``metrics.json``
back in its work dir, so ``scripts/benchmark.py`` reuses it instead of
training it again; a setting that trains its teacher also gets the
teacher's weights from ``results/<setting>/teacher.pth`` when they were
committed. The runs' logs and checkpoints are not committed: the report
keeps the training summaries stored in the JSON.
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmrazor_amd.benchmark.plan import Planner  # noqa: E402
from mmrazor_amd.benchmark.restore import restore  # noqa: E402
from mmrazor_amd.benchmark.setting import Setting  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--setting', default='embedded-long',
                        help='name in configs/benchmark/ or a file')
    parser.add_argument('--results', help='default results/<setting>')
    args = parser.parse_args(argv)
    if args.setting.endswith('.py'):
        args.setting = osp.abspath(args.setting)
    results = osp.abspath(args.results) if args.results else None
    os.chdir(ROOT)  # the JSON's paths are relative to the repository root
    setting = Setting.load(args.setting, ROOT)
    results = results or osp.join('results', setting.name)
    teacher = setting.teacher_checkpoint(Planner(setting).work_dir)
    trained = bool(setting.teacher.get('train'))
    done = restore(osp.join(results, f'{setting.report}.json'),
                   osp.join(results, 'teacher.pth') if trained else None,
                   teacher if trained else None)
    print(f'{len(done["restored"])} runs restored, {len(done["kept"])} '
          f'already there' + (f'; teacher: {teacher}' if trained else ''))


if __name__ == '__main__':
    main()
