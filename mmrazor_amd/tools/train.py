"""Train an MMRazor (or mmdet) config on one process or many, with checks
before the run starts.

    python scripts/train.py CONFIG [--work-dir DIR] [--resume] [--amp]
        [--cfg-options KEY=VALUE ...]
    # one node, N processes (GPUs; on a machine without CUDA: CPU + gloo)
    scripts/dist_train.sh CONFIG N [options]
    # slurm: one task per GPU
    srun -p PARTITION --ntasks=16 --ntasks-per-node=8 --gres=gpu:8 \\
        python -u scripts/train.py CONFIG --launcher slurm

The options are those of MMRazor's ``tools/train.py``, the script behind
``mim train mmrazor`` (which works for one process and for
``--launcher pytorch --gpus N``, on GPUs and, with gloo, on CPUs: see
:mod:`mmrazor_amd.compat.distributed`). This tool runs that script after
checking what would otherwise fail late or deep inside a library, and stops
with exit status 2 and a message that says what to do: the work dir is
writable, every annotation file exists and is a COCO json file, a local
``model.teacher_ckpt`` exists.
"""
import argparse
import json
import os
import os.path as osp
import runpy
import sys
import uuid
from typing import Iterator, List, Optional, Tuple

# annotation files up to this size are parsed in full before the run
PARSE_LIMIT = 64 * 2**20


class PreflightError(Exception):
    """The run cannot start; the message says why and what to do."""


def parse_args(argv: List[str]) -> argparse.Namespace:
    """The options of MMRazor's train script this tool needs to read."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('config')
    parser.add_argument('--work-dir')
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', default='none')
    args, _ = parser.parse_known_args(argv)
    return args


def load_config(args: argparse.Namespace):
    from mmengine.config import Config
    if not osp.isfile(args.config):
        raise PreflightError(f'config file {args.config} does not exist')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join(
            './work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg


def check_work_dir(work_dir: str) -> None:
    """Create ``work_dir`` and write a file in it, or explain why not."""
    probe = osp.join(work_dir, f'.write-test-{uuid.uuid4().hex}')
    try:
        os.makedirs(work_dir, exist_ok=True)
        with open(probe, 'w') as f:
            f.write('ok')
        os.remove(probe)
    except OSError as error:
        raise PreflightError(
            f'the work dir {work_dir} is not writable '
            f'({error.strerror or error}). Pass --work-dir with a folder '
            'you can write to.') from None


def _datasets(cfg, key: str) -> Iterator[Tuple[str, dict]]:
    """``(where, dataset cfg)`` for each dataset, wrappers unpacked."""
    loader = cfg.get(key)
    if not loader or 'dataset' not in loader:
        return
    stack = [(f'{key}.dataset', loader['dataset'])]
    while stack:
        where, dataset = stack.pop()
        if 'dataset' in dataset:
            stack.append((f'{where}.dataset', dataset['dataset']))
        for i, inner in enumerate(dataset.get('datasets', [])):
            stack.append((f'{where}.datasets[{i}]', inner))
        if dataset.get('ann_file'):
            yield where, dataset


def annotation_files(cfg) -> List[Tuple[str, str, Optional[dict]]]:
    """``(config key, path, dataset cfg or None)`` of every annotation file
    the run reads: the datasets' ``ann_file`` (joined with ``data_root``)
    and the evaluators' ``ann_file``."""
    files = []
    for split in ('train', 'val', 'test'):
        for where, dataset in _datasets(cfg, f'{split}_dataloader'):
            path = dataset['ann_file']
            root = dataset.get('data_root') or ''
            if not osp.isabs(path) and '://' not in root:
                path = osp.join(root, path)
            files.append((f'{where}.ann_file', path, dataset))
        evaluators = cfg.get(f'{split}_evaluator') or []
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        for i, evaluator in enumerate(evaluators):
            if evaluator.get('ann_file'):
                where = f'{split}_evaluator' + (
                    f'[{i}]' if len(evaluators) > 1 else '')
                files.append((f'{where}.ann_file', evaluator['ann_file'],
                              None))
    return files


def check_annotation_file(key: str, path: str,
                          dataset: Optional[dict]) -> None:
    """A readable COCO json file (parsed in full up to PARSE_LIMIT bytes;
    larger files are checked for truncation only)."""
    if '://' in path:
        return  # remote storage: left to the file backend
    fix = (f'Point {key} (and data_root) at a COCO annotation file, e.g. '
           'with --cfg-options; the embedded dataset is generated by '
           '`python scripts/generate_data.py`.')
    if not osp.isfile(path):
        raise PreflightError(
            f'the annotation file {path} ({key}) does not exist. {fix}')
    size = osp.getsize(path)
    if size == 0:
        raise PreflightError(
            f'the annotation file {path} ({key}) is empty. {fix}')
    if size > PARSE_LIMIT:
        with open(path, 'rb') as f:
            head = f.read(4096).lstrip()
            f.seek(max(0, size - 4096))
            tail = f.read().rstrip()
        if not head.startswith(b'{') or not tail.endswith(b'}'):
            raise PreflightError(
                f'the annotation file {path} ({key}) is not a complete json '
                f'object (truncated or corrupt). {fix}')
        return
    try:
        with open(path, 'rb') as f:
            content = json.load(f)
    except (UnicodeDecodeError, ValueError) as error:
        raise PreflightError(
            f'the annotation file {path} ({key}) is not valid json '
            f'({error}). {fix}') from None
    missing = [k for k in ('images', 'categories')
               if not isinstance(content, dict)
               or not isinstance(content.get(k), list)]
    if missing:
        raise PreflightError(
            f'the annotation file {path} ({key}) is not in COCO format: no '
            f'{" or ".join(repr(k) for k in missing)} list. {fix}')
    if not content['images']:
        raise PreflightError(
            f'the annotation file {path} ({key}) lists no images. {fix}')
    filter_cfg = (dataset or {}).get('filter_cfg') or {}
    if (dataset is not None and not dataset.get('test_mode', False)
            and filter_cfg.get('filter_empty_gt', False)
            and not content.get('annotations')):
        raise PreflightError(
            f'the annotation file {path} ({key}) has no annotations, and '
            f'{key[:-len(".ann_file")]}.filter_cfg.filter_empty_gt=True '
            'drops every image. Train on annotated data, or set '
            'filter_empty_gt=False to train on empty images on purpose.')


def check_teacher_checkpoint(cfg) -> None:
    path = cfg.get('model', {}).get('teacher_ckpt')
    if not path or '://' in str(path):
        return  # none (a warning at run time) or downloaded by mmengine
    if not osp.isfile(osp.expanduser(path)):
        raise PreflightError(
            f'the teacher checkpoint {path} (model.teacher_ckpt) does not '
            'exist. Train or download the teacher and set '
            'model.teacher_ckpt to its file, e.g. --cfg-options '
            'model.teacher_ckpt=/path/to/teacher.pth.')


def preflight(cfg) -> None:
    check_work_dir(cfg.work_dir)
    for key, path, dataset in annotation_files(cfg):
        check_annotation_file(key, path, dataset)
    check_teacher_checkpoint(cfg)


def mmrazor_train_script() -> str:
    import mmrazor
    return osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools',
                    'train.py')


def main(argv: Optional[List[str]] = None) -> None:
    from mmrazor_amd.compat.distributed import accept_local_rank
    argv = accept_local_rank(sys.argv[1:] if argv is None else argv)
    if any(a in ('-h', '--help') for a in argv):
        print(__doc__)
        sys.argv = [mmrazor_train_script(), '--help']
        runpy.run_path(sys.argv[0], run_name='__main__')
        return
    import mmrazor_amd  # noqa: F401  (compat fixes, registries)
    args = parse_args(argv)
    try:
        cfg = load_config(args)
        preflight(cfg)
    except PreflightError as error:
        print(f'train.py: error: {error}', file=sys.stderr)
        sys.exit(2)
    sys.argv = [mmrazor_train_script()] + argv
    runpy.run_path(sys.argv[0], run_name='__main__')


if __name__ == '__main__':
    main()
