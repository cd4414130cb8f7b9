"""Draw what AMD hides, per FPN level, for a few images.

    python scripts/visualize_masks.py --num-images 4
    python scripts/visualize_masks.py --setting embedded-long
    python scripts/visualize_masks.py data/synthetic_coco/val/000007.png

For each image it writes ``<out>/<image name>.png``: one row per FPN level
(P3..P7) and the columns

1. the image with its ground-truth boxes and the level's feature grid;
2. the teacher's spatial attention ``A = H*W*softmax(mean_c|T|/tau)``
   (Eq 3), one colour scale for all levels, centred on ``phi``;
3. AMD's mask at the config's ``phi`` (Eq 4);
4. a random mask hiding exactly as many positions as AMD's;
5. MGD's random mask (each position hidden with probability ``lambda``);
6-8. the channel-mean ``|feature|`` of the teacher, the baseline student
   and the AMD student, one colour scale per level.

Defaults come from the benchmark setting (``--setting``, default
``embedded-demo``, what ``make demo`` trains): its AMD and baseline configs,
the checkpoints of its runs of seed ``--run-seed`` (``<run work dir>/
final.pth`` of AMD and of the baseline, the setting's teacher checkpoint)
and the images of its ``test`` split. ``--config``, ``--checkpoint``,
``--baseline-config``, ``--baseline-checkpoint``, ``--teacher-checkpoint``,
``--ann-file`` and ``--image-dir`` override them. ``--no-checkpoint`` draws
randomly initialised models (for tests). The pictures go to ``--out``,
by default ``<the setting's work dir>/masks``.
"""
import argparse
import os
import os.path as osp
import sys

from mmrazor_amd_bench import ROOT

import mmrazor_amd  # noqa: E402,F401  (before anything from mmrazor)
from mmrazor_amd_bench import visualization as vis  # noqa: E402
from mmrazor_amd_bench.benchmark.plan import Planner  # noqa: E402
from mmrazor_amd_bench.benchmark.setting import (  # noqa: E402
    Setting, SettingError, config_file)


# The command line: (option, help, the other keywords of add_argument).
ARGUMENTS = (
    ('images', 'image files; their gt boxes are read from the annotation '
     'file when it lists them (by file name)', dict(nargs='*')),
    ('--num-images', 'take the first K images with at least one gt box of '
     "the setting's test split (default 4 when no image is given)",
     dict(type=int, default=None)),
    ('--setting', 'benchmark setting (configs/benchmark/<name>.py) whose '
     'configs, checkpoints and test images are the defaults',
     dict(default='embedded-demo')),
    ('--run-seed', "seed of the setting's runs whose checkpoints are read "
     "(default: the setting's first seed)", dict(type=int, default=None)),
    ('--config',
     "AMD distillation config (default: the setting's methods['AMD'])", {}),
    ('--checkpoint', "distillation checkpoint (teacher + student), or "
     "'none' (default: final.pth of the setting's AMD run)", {}),
    ('--baseline-config', "baseline student config, or 'none' to leave the "
     "students out (default: the setting's)", {}),
    ('--baseline-checkpoint',
     "default: final.pth of the setting's baseline run", {}),
    ('--teacher-checkpoint', 'plain mmdet checkpoint of the teacher; '
     "replaces the teacher of --checkpoint (default: the setting's "
     "teacher). With '--checkpoint none' the AMD student column is left "
     'out', {}),
    ('--no-checkpoint', 'random initialisation, no checkpoint read',
     dict(action='store_true')),
    ('--ann-file', 'COCO annotation file for the gt boxes (default: the '
     "setting's test split)", {}),
    ('--image-dir', 'folder of the images the annotation file lists '
     "(default: the setting's test split)", {}),
    ('--mgd-ratio', "MGD's lambda, fraction of positions hidden at random "
     '(default 0.65, one-stage)', dict(type=float, default=vis.MGD_RATIO)),
    ('--phi', "override masker.phi of the config's AMD loss",
     dict(type=float, default=None)),
    ('--seed', 'seed of the random masks', dict(type=int, default=0)),
    ('--out', "output folder (default: <the setting's work dir>/masks)", {}),
    ('--dpi', None, dict(type=int, default=130)),
    ('--device', None, dict(default='cpu')),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Per-level figures of the teacher attention, AMD and MGD '
        'masks and the features of teacher and students.')
    for option, help_text, keywords in ARGUMENTS:
        parser.add_argument(option, help=help_text, **keywords)
    return parser.parse_args(argv)


def _under_root(path):
    """A path of a setting (relative to the repository) as a usable path."""
    if path is None or '://' in path:
        return path
    return osp.join(ROOT, path)


def setting_defaults(args):
    """Fill the options left out with the setting's configs, checkpoints
    and test data (paths under the repository)."""
    try:
        setting = Setting.load(args.setting, ROOT)
    except SettingError as error:
        sys.exit(str(error))
    # the planner reads the configs it names, relative to the repository
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        planner = Planner(setting)
        seed = setting.seeds[0] if args.run_seed is None else args.run_seed
        ann_file, image_dir = setting.split('test')
        defaults = dict(
            config=setting.methods['AMD'],
            checkpoint=osp.join(planner.method('AMD', seed).work_dir,
                                'final.pth'),
            baseline_config=config_file(setting.baseline['config']),
            baseline_checkpoint=osp.join(planner.baseline(seed).work_dir,
                                         'final.pth'),
            teacher_checkpoint=setting.teacher_checkpoint(planner.work_dir),
            ann_file=setting.data_root + ann_file,
            image_dir=setting.data_root + image_dir,
            out=osp.join(planner.work_dir, 'masks'))
    finally:
        os.chdir(here)
    for key, path in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, _under_root(path))


def need(path, option, trained=True):
    """``path``, which must exist (a URL is left to mmengine)."""
    if path and '://' not in path and not osp.isfile(path):
        hint = ('train the setting first (`make demo` for embedded-demo, '
                '`python scripts/benchmark.py --setting NAME` otherwise), '
                f'pass {option}, or use --no-checkpoint') if trained else \
            f'pass {option}'
        sys.exit(f'{path} not found: {hint}')
    return path


def pick_images(args):
    """``(path, gt boxes or None)`` of the images to draw."""
    boxes = (vis.read_gt_boxes(args.ann_file)
             if osp.isfile(args.ann_file) else {})
    if args.images:
        paths = list(args.images)
    else:
        count = args.num_images or 4
        names = sorted(name for name, b in boxes.items() if len(b))[:count]
        if not names:
            sys.exit(f'no annotated image in {args.ann_file}; give image '
                     'paths')
        paths = [osp.join(args.image_dir, name) for name in names]
    return [(path, boxes.get(osp.basename(path))) for path in paths]


def load_detectors(args, cfg):
    """Teacher, AMD student (None with '--checkpoint none') and baseline
    (None with '--baseline-config none'), and what their weights are."""
    no_distill = (not args.no_checkpoint
                  and args.checkpoint.lower() == 'none')
    if no_distill and not args.teacher_checkpoint:
        sys.exit('--checkpoint none needs a teacher checkpoint: pass '
                 '--teacher-checkpoint')
    read_weights = not args.no_checkpoint

    def weights_file(path, option):
        return need(path, option) if read_weights else None

    checkpoint = None if no_distill else weights_file(args.checkpoint,
                                                      '--checkpoint')
    teacher_checkpoint = weights_file(args.teacher_checkpoint,
                                      '--teacher-checkpoint')
    baseline_config = None if args.baseline_config.lower() == 'none' else \
        need(args.baseline_config, '--baseline-config', trained=False)
    baseline_checkpoint = baseline_config and weights_file(
        args.baseline_checkpoint, '--baseline-checkpoint')

    algorithm = vis.build_distill_model(cfg, checkpoint, args.device)
    teacher, amd_student = algorithm.teacher, algorithm.student
    if no_distill:
        amd_student = None  # random: not worth a column
    if teacher_checkpoint:
        vis.load_weights(teacher, teacher_checkpoint)
    baseline = baseline_config and vis.build_baseline(
        baseline_config, baseline_checkpoint, args.device)
    source = checkpoint or teacher_checkpoint
    state = 'random init' if not read_weights else (
        osp.relpath(source, ROOT) if source.startswith(ROOT + os.sep) else
        source)
    return teacher, amd_student, baseline, state


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    from mmengine.config import Config

    setting_defaults(args)
    cfg = Config.fromfile(need(args.config, '--config', False))
    masker = vis.amd_masker(cfg, args.phi)
    teacher, amd_student, baseline, state = load_detectors(args, cfg)
    pipeline = vis.build_test_pipeline(cfg)
    os.makedirs(args.out, exist_ok=True)
    written = []
    for path, boxes in pick_images(args):
        sample = vis.load_image(path, pipeline, boxes)
        name = osp.splitext(osp.basename(path))[0]
        title = (f'{name}: what AMD hides (φ={masker.phi:g}, '
                 f'τ={masker.tau:g}) vs MGD (λ={args.mgd_ratio:g}); '
                 f'{state}')
        result = vis.visualize_sample(
            sample, teacher, masker, baseline=baseline,
            amd_student=amd_student, mgd_ratio=args.mgd_ratio,
            seed=args.seed, title=title)
        target = osp.join(args.out, f'{name}.png')
        result.figure.savefig(target, dpi=args.dpi)
        hidden = ', '.join(
            f'{level.name} {100 * level.hidden(level.amd_mask):.0f}%'
            for level in result.levels)
        print(f'wrote {target} (AMD hides {hidden})')
        written.append((target, result))
    return written


if __name__ == '__main__':
    main()
