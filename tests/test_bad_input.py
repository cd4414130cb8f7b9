"""Bad input and faults end in an error that names the problem and the fix
(or in a defined behaviour), never in a silent wrong result."""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap
from types import SimpleNamespace
from unittest import mock

import pytest
import torch

import mmrazor_amd  # noqa: F401
from conftest import ROOT, tiny_train_command, tiny_train_env
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmrazor_amd.engine.hooks.teacher_checkpoint_hook import (
    TeacherCheckpointError, TeacherCheckpointHook)
from mmrazor_amd.models import AMDLoss, FGDLoss, NonFiniteLossError
from mmrazor_amd.tools import train as train_tool

MINI = osp.join(ROOT, 'configs', 'distill', '{0}',
                '{0}_fpn_retina_r50-mini_retina_r18-mini_synthetic.py')


def build_mini(method):
    from test_configs import build
    torch.manual_seed(0)
    return build(MINI.format(method))


# ---------------------------------------------------------------- teacher


def check_teacher(model, checkpoint, tmp_path):
    path = str(tmp_path / 'teacher.pth')
    torch.save({'state_dict': checkpoint}, path)
    logger = mock.Mock()
    runner = SimpleNamespace(
        model=model, logger=logger,
        cfg=Config(dict(model=dict(teacher_ckpt=path))))
    TeacherCheckpointHook().before_run(runner)
    return logger


def test_teacher_checkpoint_of_the_teacher_passes(tmp_path):
    _, model = build_mini('amd')
    logger = check_teacher(model, model.teacher.state_dict(), tmp_path)
    assert 'matches the teacher' in logger.info.call_args[0][0]
    logger.warning.assert_not_called()


def test_teacher_checkpoint_of_another_architecture_is_fatal(tmp_path):
    _, model = build_mini('amd')
    # the student (ResNet-18-mini) as teacher checkpoint: the ResNet-50-mini
    # backbone misses keys and has other shapes
    with pytest.raises(TeacherCheckpointError) as error:
        check_teacher(model, model.architecture.state_dict(), tmp_path)
    message = str(error.value)
    assert 'distilled modules (backbone, neck)' in message
    assert 'missing from the file: backbone.' in message
    assert 'with another shape: backbone.layer1.0.conv1.weight: file ' \
        '(32, 32, 3, 3), model (32, 32, 1, 1)' in message
    assert 'model.teacher_ckpt' in message


def test_teacher_weights_that_were_not_loaded_are_fatal(tmp_path):
    _, model = build_mini('amd')
    state = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    state['neck.fpn_convs.0.conv.weight'] += 1
    with pytest.raises(TeacherCheckpointError,
                       match='not loaded from the file: neck.fpn_convs.0'):
        check_teacher(model, state, tmp_path)


def test_teacher_head_mismatch_outside_the_distilled_path_warns(tmp_path):
    _, model = build_mini('amd')
    state = dict(model.teacher.state_dict())
    del state['bbox_head.retina_cls.weight']
    logger = check_teacher(model, state, tmp_path)
    warning = logger.warning.call_args[0][0]
    assert 'outside the distilled modules' in warning
    assert 'bbox_head.retina_cls.weight' in warning


def test_no_teacher_checkpoint_warns():
    _, model = build_mini('amd')
    logger = mock.Mock()
    runner = SimpleNamespace(model=model, logger=logger,
                             cfg=Config(dict(model=dict(teacher_ckpt=None))))
    TeacherCheckpointHook().before_run(runner)
    assert 'random' in logger.warning.call_args[0][0]


# ---------------------------------------------------------------- NaN/Inf


def features(levels=3, channels=16, size=6):
    torch.manual_seed(0)
    return ([torch.randn(2, channels, size, size) for _ in range(levels)],
            [torch.randn(2, channels, size, size) for _ in range(levels)])


@pytest.fixture
def at_iteration_41():
    hub = MessageHub.get_instance('test_bad_input')
    hub.update_info('iter', 40)  # the runner's 0-based count
    yield
    hub.update_info('iter', None)


@pytest.mark.parametrize('side', ['student', 'teacher'])
def test_nan_in_a_feature_stops_with_iteration_level_and_side(
        side, at_iteration_41):
    students, teachers = features()
    (students if side == 'student' else teachers)[2][1, 3, 2, 2] = float('nan')
    loss = AMDLoss(16, 16, 3, loss_weight=1.0)
    with pytest.raises(NonFiniteLossError) as error:
        loss(students, teachers)
    message = str(error.value)
    assert 'FPN level 2' in message and 'iteration 41' in message
    assert f'the {side} feature (2, 16, 6, 6) holds NaN/Inf' in message


def test_an_overflowing_loss_is_named_too(at_iteration_41):
    students, teachers = features()
    teachers[0] = teachers[0] * 1e30  # finite features, infinite squares
    with pytest.raises(NonFiniteLossError, match='level 0 is inf.*overflowed'):
        AMDLoss(16, 16, 3, loss_weight=1.0)(students, teachers)


def test_fgd_stops_on_inf_as_well(at_iteration_41):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    students, teachers = features(levels=2)
    students[0][0, 0, 0, 0] = float('inf')
    samples = []
    for _ in range(2):
        sample = DetDataSample(metainfo=dict(img_shape=(48, 48)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[4., 4., 20., 20.]]))
        samples.append(sample)
    with pytest.raises(NonFiniteLossError, match='FGDLoss.*level 0.*student'):
        FGDLoss(16, 16, 2)(students, teachers, samples)


def test_the_check_can_be_switched_off():
    students, teachers = features()
    teachers[1][0, 0, 0, 0] = float('nan')
    loss = AMDLoss(16, 16, 3, loss_weight=1.0, check_finite=False)
    assert torch.isnan(loss(students, teachers))


# ------------------------------------------------------- images, no boxes


@pytest.mark.parametrize('method', ['amd', 'mgd', 'fgd'])
def test_images_without_annotations_train_normally(method):
    """Defined behaviour: an image without boxes is a background-only
    image. AMD and MGD do not read boxes; FGD treats it as all background."""
    from mmdet.testing import demo_mm_inputs
    from mmengine.optim import build_optim_wrapper
    cfg, model = build_mini(method)
    batch = demo_mm_inputs(batch_size=2, image_shapes=[(3, 96, 96)] * 2,
                           num_items=[0, 2], num_classes=6)
    assert len(batch['data_samples'][0].gt_instances) == 0
    model.train()
    log_vars = model.train_step(batch, build_optim_wrapper(
        model, cfg.optim_wrapper))
    distill = [k for k in log_vars if k.startswith('distill.')]
    assert distill and all(
        torch.isfinite(torch.as_tensor(log_vars[k])) for k in log_vars)


# ------------------------------------------------- annotation files, dirs


def write(path, content):
    with open(path, 'w') as f:
        f.write(content)
    return str(path)


COCO = json.dumps(dict(images=[dict(id=1, file_name='a.png', width=8,
                                    height=8)],
                       annotations=[], categories=[dict(id=1, name='x')]))


@pytest.mark.parametrize('content, expected', [
    (None, 'does not exist'),
    ('', 'is empty'),
    ('{"images": [', 'is not valid json'),
    ('[1, 2]', "not in COCO format: no 'images' or 'categories'"),
    (json.dumps(dict(images=[], categories=[])), 'lists no images'),
])
def test_bad_annotation_files_are_named(content, expected, tmp_path):
    path = str(tmp_path / 'instances.json')
    if content is not None:
        write(path, content)
    with pytest.raises(train_tool.PreflightError) as error:
        train_tool.check_annotation_file('train_dataloader.dataset.ann_file',
                                         path, {})
    assert expected in str(error.value) and path in str(error.value)
    assert 'train_dataloader.dataset.ann_file' in str(error.value)


def test_a_truncated_large_annotation_file_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(train_tool, 'PARSE_LIMIT', 10)
    path = write(tmp_path / 'big.json', COCO[:-5])
    with pytest.raises(train_tool.PreflightError, match='truncated'):
        train_tool.check_annotation_file('k', path, {})
    train_tool.check_annotation_file('k', write(tmp_path / 'ok.json', COCO),
                                     {})


def test_no_annotations_with_filter_empty_gt_is_refused(tmp_path):
    path = write(tmp_path / 'a.json', COCO)
    dataset = dict(filter_cfg=dict(filter_empty_gt=True))
    with pytest.raises(train_tool.PreflightError, match='filter_empty_gt'):
        train_tool.check_annotation_file(
            'train_dataloader.dataset.ann_file', path, dataset)
    train_tool.check_annotation_file(  # empty images on purpose: fine
        'train_dataloader.dataset.ann_file', path,
        dict(filter_cfg=dict(filter_empty_gt=False)))


def test_every_annotation_file_of_a_config_is_found():
    cfg = Config.fromfile(MINI.format('amd'))
    keys = {key: path for key, path, _ in train_tool.annotation_files(cfg)}
    assert keys['train_dataloader.dataset.ann_file'] == (
        'data/synthetic_coco/instances_train.json')
    assert keys['val_evaluator.ann_file'] == (
        'data/synthetic_coco/instances_val.json')
    assert 'test_dataloader.dataset.ann_file' in keys


def test_a_work_dir_that_cannot_be_written_is_named(tmp_path):
    blocker = write(tmp_path / 'a_file', 'x')
    with pytest.raises(train_tool.PreflightError,
                       match='a_file/work is not writable.*--work-dir'):
        train_tool.check_work_dir(osp.join(blocker, 'work'))
    train_tool.check_work_dir(str(tmp_path / 'new' / 'work'))
    assert os.listdir(tmp_path / 'new' / 'work') == []


def test_local_rank_is_accepted_in_both_spellings():
    from mmrazor_amd.compat.distributed import (accept_local_rank,
                                                is_mmrazor_tool)
    assert accept_local_rank(
        ['cfg.py', '--local-rank=1', '--launcher', 'pytorch']) == [
            'cfg.py', '--local_rank=1', '--launcher', 'pytorch']
    assert accept_local_rank(['--local-rank', '3', 'x']) == [
        '--local_rank', '3', 'x']
    assert accept_local_rank(['--local_rank=2']) == ['--local_rank=2']
    import mmrazor
    tools = osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools')
    assert is_mmrazor_tool(osp.join(tools, 'train.py'))
    assert is_mmrazor_tool(osp.join(tools, 'test.py'))
    assert not is_mmrazor_tool('/somewhere/else/tools/train.py')
    assert not is_mmrazor_tool(osp.join(tools, 'analysis.py'))


@pytest.mark.slow
@pytest.mark.parametrize('case', ['corrupt', 'work_dir', 'teacher'])
def test_the_train_command_stops_before_training(case, synthetic_tiny,
                                                 tmp_path):
    options, expected, status = [], None, 2
    if case == 'corrupt':
        root = tmp_path / 'data'
        root.mkdir()
        write(root / 'instances_train.json', '{"images": [{"id": 1')
        data_root = str(root)
        expected = 'instances_train.json (train_dataloader.dataset.ann_file) ' \
                   'is not valid json'
    else:
        data_root = synthetic_tiny
    work_dir = tmp_path / 'work'
    if case == 'work_dir':
        work_dir = osp.join(write(tmp_path / 'file', 'x'), 'work')
        expected = 'is not writable (Not a directory)'
    if case == 'teacher':
        options = [f'model.teacher_ckpt={tmp_path}/missing.pth']
        expected = 'missing.pth (model.teacher_ckpt) does not exist'
    result = subprocess.run(
        tiny_train_command(work_dir, data_root, *options),
        env=tiny_train_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == status
    assert 'train.py: error: ' in result.stderr
    assert expected in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.slow
def test_a_teacher_of_another_architecture_stops_the_run(synthetic_tiny,
                                                        tmp_path):
    _, model = build_mini('amd')
    wrong = str(tmp_path / 'r18.pth')
    torch.save({'state_dict': model.architecture.state_dict()}, wrong)
    result = subprocess.run(
        tiny_train_command(tmp_path / 'work', synthetic_tiny,
                           f'model.teacher_ckpt={wrong}'),
        env=tiny_train_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'TeacherCheckpointError: the teacher checkpoint' in result.stderr
    assert 'Epoch(train)' not in result.stdout + result.stderr


# ------------------------------------------------------------- disk full

DISK_FULL = textwrap.dedent('''
    import os, resource, signal, sys, torch
    import mmengine.runner.runner as runner_module
    import mmrazor_amd
    from mmrazor_amd.compat.checkpoint import CheckpointWriteError
    save = runner_module.save_checkpoint  # what Runner.save_checkpoint calls
    path = sys.argv[1]
    save({'state_dict': {'w': torch.zeros(10)}}, path)
    # the file system refuses files above 1 MiB from now on, as a full disk
    # refuses any growth
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, hard))
    try:
        save({'state_dict': {'w': torch.ones(2**20)}}, path)
    except CheckpointWriteError as error:
        print('ERROR', error)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    print('FILES', sorted(os.listdir(os.path.dirname(path))))
''')


def test_a_failed_checkpoint_write_leaves_the_previous_file_intact(
        tmp_path):
    path = tmp_path / 'epoch_1.pth'
    result = subprocess.run(
        [sys.executable, '-c', DISK_FULL, str(path)], capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'could not write the checkpoint {path}' in result.stdout
    assert 'File too large' in result.stdout and '--resume' in result.stdout
    assert "FILES ['epoch_1.pth']" in result.stdout  # no partial file left
    kept = torch.load(str(path), weights_only=True)
    assert torch.equal(kept['state_dict']['w'], torch.zeros(10))
