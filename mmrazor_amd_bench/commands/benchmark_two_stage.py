"""What a training step of the embedded two-stage pair costs, by RoI budget.

    python scripts/benchmark_two_stage.py        # writes results/cost/two-stage/
    python scripts/benchmark_two_stage.py --variants 512:2000 128:300 \\
        --repeats 10

On a CPU the time of a two-stage step is in the RoI head: RoIAlign runs
over every sampled RoI of every stage. Each variant ``ROIS:PROPOSALS`` sets
the RoIs sampled per image in training (every stage's
``train_cfg.rcnn.sampler.num``) and the proposals the RPN keeps per image
(``train_cfg.rpn_proposal.max_per_img``) of

* the student alone (Faster R-CNN R18-mini, the baseline's config),
* the teacher in training (Cascade R-CNN R50-mini),
* the distilled student (MGD's config of the pair: the teacher's
  backbone and FPN without gradient, the student, the loss),

and times full training steps (``train_step``: forward, losses, backward,
AdamW step) of each, random weights (seed 0), on batches of the generated
training data through the configs' own pipeline, rounds interleaved in a
rotating order. mmdet's Faster R-CNN samples 512 RoIs per image from 1000
proposals (its Cascade R-CNN from 2000). The RPN keeps the configs' best
1000 anchors per level before NMS (more where more proposals are asked
for). Writes ``two_stage.md`` and
``.json`` with the command, the machine, and a warning when other heavy
jobs share it.
"""
import argparse
import copy
import itertools
import os.path as osp
import sys

from mmrazor_amd_bench import ROOT

DETECTORS = {
    'Faster R-CNN R18-mini': 'configs/embedded/'
    'faster-rcnn_r18-mini_fpn_synthetic.py',
    'Cascade R-CNN R50-mini': 'configs/embedded/'
    'cascade-rcnn_r50-mini_fpn_synthetic.py',
    'distilled Faster R-CNN (MGD)': 'configs/distill/mgd/mgd_fpn_'
    'cascade-rcnn_r50-mini_faster-rcnn_r18-mini_synthetic.py',
}
DEFAULT_VARIANTS = ('512:1000', '256:1000', '128:300', '64:300', '64:150')


def parse_variant(text: str):
    rois, proposals = (int(v) for v in text.split(':'))
    return rois, proposals


def with_roi_budget(cfg, rois: int, proposals: int):
    """A copy of ``cfg`` whose trained detector (the student of a
    distillation config) samples ``rois`` RoIs per image in every stage
    and keeps ``proposals`` proposals per image."""
    cfg = copy.deepcopy(cfg)
    detector = cfg.model.get('architecture', cfg.model)
    train_cfg = detector.train_cfg
    stages = train_cfg.rcnn if isinstance(train_cfg.rcnn, list) else [
        train_cfg.rcnn]
    for stage in stages:
        stage.sampler.num = rois
    train_cfg.rpn_proposal.max_per_img = proposals
    train_cfg.rpn_proposal.nms_pre = max(train_cfg.rpn_proposal.nms_pre,
                                         proposals)
    return cfg


def step_runner(cfg, batches):
    """One training step per call, on the next of ``batches``."""
    from mmrazor_amd_bench.benchmark.cost.methods import build_trainable
    model, optim_wrapper = build_trainable(cfg, 'cpu')
    cycle = itertools.cycle(batches)

    def step():
        model.train_step(next(cycle), optim_wrapper)
    return step


def measure(variants, warmup: int, repeats: int, num_batches: int):
    from mmengine.config import Config

    from mmrazor_amd_bench.benchmark.cost.stages import train_dataloader
    from mmrazor_amd_bench.benchmark.cost.timing import interleaved, summary
    from mmrazor_amd_bench.benchmark.setting import Setting
    setting = Setting.load('embedded-long', ROOT)  # the generated data
    setting.prepare_data()
    configs = {name: Config.fromfile(osp.join(ROOT, path))
               for name, path in DETECTORS.items()}
    loader = train_dataloader(
        copy.deepcopy(configs['Faster R-CNN R18-mini']), setting)
    batches = list(itertools.islice(iter(loader), num_batches))
    runners = {}
    for (rois, proposals), (name, cfg) in itertools.product(
            variants, configs.items()):
        runners[f'{rois}:{proposals} | {name}'] = step_runner(
            with_roi_budget(cfg, rois, proposals), batches)
    times = interleaved(runners, warmup, repeats, 'cpu')
    return dict(batch_size=len(batches[0]['inputs']), warmup=warmup,
                repeats=repeats,
                times=summary(times, next(iter(times))))


def markdown(result, command):
    from mmrazor_amd_bench.benchmark import environment
    names = list(DETECTORS)
    lines = ['# The embedded two-stage pair: seconds per training step by '
             'RoI budget', '',
             f'Full training steps (batch {result["batch_size"]} of the '
             'generated training data at 160 px, random weights), median '
             f'of {result["repeats"]} interleaved rounds after '
             f'{result["warmup"]} warm-up (min-max).', '',
             '| RoIs per image : proposals | ' + ' | '.join(names) + ' |',
             '|---|' + '---|' * len(names)]
    for variant in result['variants']:
        cells = []
        for name in names:
            t = result['times'][f'{variant} | {name}']
            cells.append(f'{t["median_s"]:.2f} ({t["min_s"]:.2f}-'
                         f'{t["max_s"]:.2f})')
        lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    if result['busy']:
        lines += ['', f'**Warning**: {result["busy"]}; the times may be '
                  'inflated.']
    return '\n'.join(lines + ['', environment.markdown(command, ROOT)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--variants', nargs='+', default=DEFAULT_VARIANTS,
                        metavar='ROIS:PROPOSALS')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--batches', type=int, default=4,
                        help='distinct batches the steps cycle through')
    parser.add_argument('--out', default='results/cost/two-stage')
    args = parser.parse_args(argv)
    import mmrazor_amd  # noqa: F401  (torch 2.x fixes, registries)

    from mmrazor_amd_bench.benchmark import environment
    from mmrazor_amd_bench.benchmark.cost.report import write_files
    variants = list(dict.fromkeys(parse_variant(v) for v in args.variants))
    busy = environment.busy()
    result = measure(variants, args.warmup, args.repeats, args.batches)
    result.update(variants=[f'{r}:{p}' for r, p in variants], busy=busy)
    command = ['python', 'scripts/benchmark_two_stage.py'] + sys.argv[1:]
    text = markdown(result, command)
    write_files(osp.join(ROOT, args.out), 'two_stage', text,
                dict(result, machine=environment.machine()))
    print(text)


if __name__ == '__main__':
    main()
