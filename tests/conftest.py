"""Shared fixtures: a tiny COCO-format dataset written to a temp folder."""
import json
import os.path as osp
import sys

import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'tests', 'configs')
# mmengine 0.10.7's AmpOptimWrapper refuses a machine without an accelerator
MMENGINE_REFUSES_CPU = ('``AmpOptimizerWrapper`` is only available training '
                        'on gpu, npu, mlu or musa')


def write_tiny_coco(root, num_images=4, size=64, seed=0):
    """Write ``num_images`` images with one square and one disc each."""
    import cv2
    rng = np.random.default_rng(seed)
    img_dir = osp.join(root, 'train')
    import os
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for image_id in range(1, num_images + 1):
        img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
        boxes = []
        x, y, s = (int(v) for v in rng.integers(4, 24, 3))
        cv2.rectangle(img, (x, y), (x + s, y + s), (0, 200, 0), -1)
        boxes.append((1, [x, y, s + 1, s + 1]))
        cx, cy, r = int(rng.integers(40, 54)), int(rng.integers(40, 54)), 8
        cv2.circle(img, (cx, cy), r, (200, 0, 0), -1)
        boxes.append((2, [cx - r, cy - r, 2 * r + 1, 2 * r + 1]))
        name = f'{image_id:04d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(
            dict(id=image_id, file_name=name, width=size, height=size))
        for category_id, bbox in boxes:
            annotations.append(
                dict(id=len(annotations) + 1, image_id=image_id,
                     category_id=category_id, bbox=bbox,
                     area=bbox[2] * bbox[3], iscrowd=0))
    coco = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=1, name='square'), dict(id=2, name='disc')])
    with open(osp.join(root, 'instances_train.json'), 'w') as f:
        json.dump(coco, f)
    return root


@pytest.fixture(scope='session')
def tiny_coco(tmp_path_factory):
    return write_tiny_coco(str(tmp_path_factory.mktemp('tiny_coco')))


@pytest.fixture(scope='session')
def runner_checkpoint(tmp_path_factory):
    """A checkpoint of the toy runner of ``toy_runner.py`` after 2
    iterations, and the model's weights then; read only, so written once
    for the checkpoint-policy and model-zoo tests alike."""
    from toy_runner import make_runner
    work_dir = tmp_path_factory.mktemp('runner')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    path = work_dir / 'iter_2.pth'
    assert path.is_file()
    return path, {k: v.clone() for k, v in runner.model.state_dict().items()}


@pytest.fixture(scope='session')
def python():
    return sys.executable


@pytest.fixture(scope='session')
def synthetic_tiny(tmp_path_factory):
    """16 training and 4 validation images of the embedded generator."""
    from mmrazor_amd_bench.datagen import generate_dataset
    root = str(tmp_path_factory.mktemp('synthetic_tiny'))
    generate_dataset(root, num_train=16, num_val=4, num_holdout=4, workers=1)
    return root


def relative_weight_gap(initial, final, other):
    """How far the weights ``other`` of a second run lie from ``final``,
    relative to what training changed (``final - initial``): the ratio of
    the norms over the floating-point weights that training changed; and
    the names of those weights."""
    import torch
    trained = [k for k in final if final[k].is_floating_point()
               and not torch.equal(final[k], initial[k])]
    gap = torch.cat([(other[k] - final[k]).flatten() for k in trained])
    update = torch.cat([(final[k] - initial[k]).flatten() for k in trained])
    return float(gap.norm() / update.norm()), trained


def free_port():
    """A TCP port that nothing listens on now, for a gloo rendezvous: the
    test files run in parallel (``make test``), so a fixed port could be
    taken by another file's multi-process run."""
    import socket
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def tiny_train_command(work_dir, data_root, *options, nproc=1,
                       resume=False, launcher='dist_train.sh'):
    """Train tests/configs/distill_synthetic_tiny.py on ``nproc`` processes:
    one process through ``scripts/train.py``; several through
    ``launcher``: scripts/dist_train.sh (torchrun) or the stock
    ``mim train mmrazor --launcher pytorch --gpus N`` (torch's legacy
    launcher); on this CPU machine both use gloo."""
    config = osp.join(CONFIGS, 'distill_synthetic_tiny.py')
    if nproc > 1 and launcher == 'mim':
        command = [sys.executable, '-m', 'mim', 'train', 'mmrazor', config,
                   '--launcher', 'pytorch', '--gpus', str(nproc), '--port',
                   str(free_port())]
    elif nproc > 1:  # the README's command (PORT and PYTHON: tiny_train_env)
        command = ['bash', osp.join(ROOT, 'scripts', 'dist_train.sh'), config,
                   str(nproc)]
    else:
        command = [sys.executable, osp.join(ROOT, 'scripts', 'train.py'),
                   config]
    command += ['--work-dir', str(work_dir)]
    if resume:
        command.append('--resume')
    command += ['--cfg-options',
                f'train_dataloader.dataset.data_root={data_root}/', *options]
    return command


def tiny_train_env(method='amd'):
    """The environment of a tiny-config training (``tests/`` on PYTHONPATH
    for its probe hooks, the method to distil), plus the interpreter and a
    free port for scripts/dist_train.sh."""
    from mmrazor_amd_bench.commands.gpu_check import train_env
    return {**train_env(method), 'PYTHON': sys.executable,
            'PORT': str(free_port())}


def run_script(script, *args):
    """Run ``scripts/<script>`` from the checkout as the README does; its
    standard output, after asserting that it succeeded."""
    import os
    import subprocess
    result = subprocess.run(
        [sys.executable, osp.join(ROOT, 'scripts', script), *args],
        capture_output=True, text=True, timeout=1800, cwd=ROOT,
        env={**os.environ, 'PYTHONUNBUFFERED': '1'})
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout
