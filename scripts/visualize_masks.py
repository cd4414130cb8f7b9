"""Draw what AMD hides, per FPN level, for a few images.

    python scripts/visualize_masks.py --num-images 4
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

Defaults: the embedded AMD config and the demo's checkpoints
(``work_dirs/embedded/amd/seed0/final.pth`` for teacher and AMD student,
``work_dirs/embedded/baseline/seed0/final.pth`` for the baseline).
``--no-checkpoint`` draws randomly initialised models (for tests).
"""
import argparse
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mmrazor_amd  # noqa: E402,F401  (before anything from mmrazor)
from mmrazor_amd import visualization as vis  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Per-level figures of the teacher attention, AMD and MGD '
        'masks and the features of teacher and students.')
    parser.add_argument(
        'images', nargs='*',
        help='image files; their gt boxes are read from the annotation '
        'file when it lists them (by file name)')
    parser.add_argument(
        '--num-images', type=int, default=None,
        help='take the first K images with at least one gt box of the '
        "config's val set (default 4 when no image is given)")
    parser.add_argument('--config', default=vis.DEFAULT_AMD_CONFIG,
                        help='AMD distillation config')
    parser.add_argument('--checkpoint', default=vis.DEFAULT_AMD_CHECKPOINT,
                        help="distillation checkpoint (teacher + student), "
                        "or 'none'")
    parser.add_argument('--baseline-config',
                        default=vis.DEFAULT_BASELINE_CONFIG,
                        help="baseline student config ('none' to leave the "
                        'students out)')
    parser.add_argument('--baseline-checkpoint',
                        default=vis.DEFAULT_BASELINE_CHECKPOINT)
    parser.add_argument('--teacher-checkpoint', default=None,
                        help='plain mmdet checkpoint of the teacher (e.g. '
                        'work_dirs/embedded/teacher.pth); replaces the '
                        "teacher of --checkpoint. With '--checkpoint none' "
                        'the AMD student column is left out')
    parser.add_argument('--no-checkpoint', action='store_true',
                        help='random initialisation, no checkpoint read')
    parser.add_argument('--ann-file', default=None,
                        help="COCO annotation file for the gt boxes "
                        "(default: the config's val annotations)")
    parser.add_argument('--mgd-ratio', type=float, default=vis.MGD_RATIO,
                        help="MGD's lambda, fraction of positions hidden at "
                        'random (default 0.65, one-stage)')
    parser.add_argument('--phi', type=float, default=None,
                        help="override the config's loss_amd.phi")
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random masks')
    parser.add_argument('--out', default='results/visualization',
                        help='output folder')
    parser.add_argument('--dpi', type=int, default=130)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def pick_images(args, cfg):
    img_dir, ann_file = vis.dataset_files(cfg, 'val')
    ann_file = args.ann_file or ann_file
    boxes = vis.read_annotations(ann_file) if osp.isfile(ann_file) else {}
    if args.images:
        paths = list(args.images)
    else:
        count = args.num_images or 4
        names = sorted(name for name, b in boxes.items() if len(b))[:count]
        if not names:
            sys.exit(f'no annotated image in {ann_file}; give image paths')
        paths = [osp.join(img_dir, name) for name in names]
    return [(path, boxes.get(osp.basename(path))) for path in paths]


def main(argv=None):
    args = parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')

    cfg = vis.load_config(args.config)
    settings = vis.amd_settings(cfg)
    phi = settings['phi'] if args.phi is None else args.phi
    if not settings['ada_mask']:
        print(f"note: {args.config} trains with ada_mask=False; the AMD "
              f'mask drawn is the adaptive one at phi={phi:g}')
    masker = vis.AdaptiveMasker(phi=phi, tau=settings['tau'])

    def need(path, hint):
        if path and not osp.isfile(path):
            sys.exit(f'{path} not found: run `make demo` first, {hint}, or '
                     'use --no-checkpoint')
        return path

    no_distill = (not args.no_checkpoint
                  and args.checkpoint.lower() == 'none')
    if no_distill and not args.teacher_checkpoint:
        sys.exit('--checkpoint none needs --teacher-checkpoint')
    checkpoint = None if args.no_checkpoint or no_distill else need(
        args.checkpoint, 'pass --checkpoint')
    algorithm = vis.build_distill_model(cfg, checkpoint, args.device)
    teacher, amd_student = algorithm.teacher, algorithm.student
    if no_distill:
        amd_student = None  # random: not worth a column
    if args.teacher_checkpoint and not args.no_checkpoint:
        vis.load_weights(teacher,
                         need(args.teacher_checkpoint,
                              'pass --teacher-checkpoint'))

    baseline = None
    if args.baseline_config.lower() != 'none':
        base_ckpt = None if args.no_checkpoint else need(
            args.baseline_checkpoint, 'pass --baseline-checkpoint')
        baseline = vis.build_detector(
            vis.load_config(args.baseline_config), base_ckpt, args.device)

    pipeline = vis.test_pipeline(cfg)
    os.makedirs(args.out, exist_ok=True)
    state = 'random init' if args.no_checkpoint else (
        checkpoint or args.teacher_checkpoint)
    written = []
    for path, boxes in pick_images(args, cfg):
        sample = vis.load_image(path, pipeline, boxes)
        name = osp.splitext(osp.basename(path))[0]
        title = (f'{name}: what AMD hides (φ={phi:g}, τ={settings["tau"]:g})'
                 f' vs MGD (λ={args.mgd_ratio:g}); teacher R50-mini, '
                 f'students R18-mini ({state})')
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
