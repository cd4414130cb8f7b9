"""What OpenMMLab's model-zoo files carry (mmdet 2.x / mmcv 1.x files of
2020, mmdet 3.x / mmengine files), built here without downloading anything,
pickled the way numpy 1.x and numpy 2 pickle arrays and scalars, loads the
ways the configs do: ``teacher_ckpt``, ``load_from`` and ``--resume``; a
zoo file carrying a foreign object is refused."""
import argparse
import os
import pickle
import pickletools
import types
import zipfile

import numpy as np
import pytest
import torch

import mmrazor_amd  # noqa: F401  (installs the policy)
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint

from toy_runner import ToyModel, make_runner


try:  # numpy >= 2 (numpy 1.x pickles name numpy.core.multiarray)
    from numpy._core import multiarray as _multiarray
except ImportError:  # pragma: no cover  (numpy < 2)
    from numpy.core import multiarray as _multiarray

NUMPY_MODULES = {1: 'numpy.core.multiarray', 2: 'numpy._core.multiarray'}
RECONSTRUCTORS = {'scalar': _multiarray.scalar,
                  '_reconstruct': _multiarray._reconstruct}


def numpy_pickle_module(generation):
    """A ``pickle_module`` for ``torch.save`` that writes numpy's array and
    scalar reconstructors under the module name numpy ``generation`` (1 or
    2) uses, whatever numpy is installed: everything else is pickled by the
    standard (pure-Python) pickler as usual."""
    module = NUMPY_MODULES[generation].encode()

    class NumpyPickler(pickle._Pickler):

        def save_global(self, obj, name=None):
            for attribute, function in RECONSTRUCTORS.items():
                if obj is function:
                    self.write(pickle.GLOBAL + module + b'\n' +
                               attribute.encode() + b'\n')
                    self.memoize(obj)
                    return
            super().save_global(obj, name)

    def dump(obj, file, protocol=2):
        NumpyPickler(file, protocol).dump(obj)

    return types.SimpleNamespace(Pickler=NumpyPickler, dump=dump,
                                 __name__=f'numpy{generation}_pickle')


def save_as(checkpoint, path, numpy, zipped=True):
    """``torch.save`` with numpy ``numpy``'s pickle names, as a zip archive
    (torch >= 1.6) or in the legacy format (torch <= 1.5, early 2020)."""
    torch.save(checkpoint, str(path), pickle_module=numpy_pickle_module(numpy),
               _use_new_zipfile_serialization=zipped)
    return str(path)


def pickled_globals(path):
    """The ``module.name`` of every GLOBAL opcode in the file's pickles,
    read with pickletools (the legacy format is five pickles in a row, then
    raw storage bytes)."""
    names = set()

    def scan(stream):
        for opcode, arg, _ in pickletools.genops(stream):
            if opcode.name == 'GLOBAL':
                names.add(arg.replace(' ', '.'))

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            data = [n for n in archive.namelist() if n.endswith('/data.pkl')]
            scan(archive.read(data[0]))
    else:
        with open(path, 'rb') as f:
            for _ in range(5):
                scan(f)
    return names


def reference_weights(seed):
    model = ToyModel()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return model.state_dict()  # an OrderedDict with _metadata, as saved


MMDET2_CONFIG = """model = dict(
    type='RetinaNet',
    pretrained='torchvision://resnet50',
    backbone=dict(type='ResNet', depth=50, num_stages=4))
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001)
total_epochs = 12
"""
CLASSES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus')


def mmdet2_checkpoint(weights):
    """An mmdet 2.x / mmcv 1.x era file (mmcv's save_checkpoint, runner
    meta with the EvalHook's hook_msgs), optimizer state of an SGD with
    momentum in torch 1.4's layout."""
    gen = torch.Generator().manual_seed(5)
    return {
        'meta': {
            'mmdet_version': '2.0.0',
            'config': MMDET2_CONFIG,
            'CLASSES': CLASSES,
            'env_info': 'sys.platform: linux\nPython: 3.7.4\nPyTorch: 1.4.0',
            'seed': None,
            'exp_name': 'retinanet_r50_fpn_1x_coco.py',
            'epoch': 12,
            'iter': 87960,
            'mmcv_version': '0.5.1',
            'time': 'Thu Jan 30 00:49:07 2020',
            'hook_msgs': {
                'last_ckpt': '/mnt/work_dirs/retinanet/epoch_12.pth',
                'best_score': np.float64(0.365),
                'best_ckpt': '/mnt/work_dirs/retinanet/epoch_11.pth',
            },
        },
        'state_dict': weights,
        'optimizer': {
            'state': {
                i: {'momentum_buffer': torch.randn(p.shape, generator=gen)}
                for i, p in enumerate(weights.values())
            },
            'param_groups': [{
                'lr': 0.0001, 'momentum': 0.9, 'dampening': 0,
                'weight_decay': 0.0001, 'nesterov': False,
                'initial_lr': 0.01, 'params': [0, 1]
            }],
        },
    }


def mmdet3_checkpoint(runner_file, weights):
    """An mmdet 3.x era file: what mmengine's runner writes (the toy run's
    checkpoint: meta, message_hub with HistoryBuffers, optimizer,
    param_schedulers), with the meta of an mmdet run and numpy scalars
    where mmengine puts them (runtime_info's eta, a best score)."""
    checkpoint = torch.load(runner_file, weights_only=True)
    checkpoint['state_dict'] = weights
    meta = checkpoint['meta']
    assert {'cfg', 'seed', 'experiment_name', 'time', 'mmengine_version',
            'epoch', 'iter'} <= set(meta)  # written by mmengine itself
    meta['dataset_meta'] = dict(
        classes=CLASSES,
        palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                 (106, 0, 228), (0, 60, 100)])
    meta['mmdet_version'] = '3.3.0'
    info = checkpoint['message_hub']['runtime_info']
    info['eta'] = np.float64(1234.5)
    info['best_score'] = np.float64(0.412)
    info['dataset_meta'] = meta['dataset_meta']
    assert checkpoint['message_hub']['log_scalars']  # HistoryBuffers
    return checkpoint


ZOO_FILES = [
    # (era, numpy generation that pickled it, torch zip format)
    ('mmdet2', 1, False),  # early 2020: torch 1.4, legacy format, numpy 1
    ('mmdet2', 1, True),
    ('mmdet2', 2, True),
    ('mmdet3', 1, True),
    ('mmdet3', 2, True),
]


@pytest.fixture(params=ZOO_FILES, ids=lambda p: '{}-numpy{}-{}'.format(
    p[0], p[1], 'zip' if p[2] else 'legacy'))
def zoo_file(request, runner_checkpoint, tmp_path):
    era, numpy, zipped = request.param
    weights = reference_weights(seed=numpy)
    if era == 'mmdet2':
        checkpoint = mmdet2_checkpoint(weights)
    else:
        checkpoint = mmdet3_checkpoint(runner_checkpoint[0], weights)
    path = save_as(checkpoint, tmp_path / f'{era}.pth', numpy, zipped)
    # the file really names numpy's reconstructors the way that numpy did
    names = pickled_globals(path)
    other = 2 if numpy == 1 else 1
    assert f'{NUMPY_MODULES[numpy]}.scalar' in names
    assert not any(n.startswith(NUMPY_MODULES[other]) for n in names)
    if era == 'mmdet3':
        assert f'{NUMPY_MODULES[numpy]}._reconstruct' in names
        assert 'mmengine.logging.history_buffer.HistoryBuffer' in names
    return era, path, weights, checkpoint


def assert_same_weights(state_dict, weights):
    assert set(state_dict) == set(weights)
    for key, value in weights.items():
        assert torch.equal(state_dict[key], value), key


def test_zoo_checkpoint_loads_with_its_meta(zoo_file):
    from mmengine.runner.checkpoint import _load_checkpoint
    era, path, weights, written = zoo_file
    loaded = _load_checkpoint(path, map_location='cpu')
    assert_same_weights(loaded['state_dict'], weights)
    meta = loaded['meta']
    if era == 'mmdet2':
        best = meta['hook_msgs']['best_score']
        assert type(best) is np.float64 and best == np.float64(0.365)
        assert meta['CLASSES'] == CLASSES and meta['iter'] == 87960
        assert meta['config'] == MMDET2_CONFIG
    else:
        assert meta['dataset_meta'] == written['meta']['dataset_meta']
        assert meta['cfg'] == written['meta']['cfg']
        info = loaded['message_hub']['runtime_info']
        assert type(info['eta']) is np.float64 and info['eta'] == 1234.5
        buffers = loaded['message_hub']['log_scalars']
        assert set(buffers) == set(written['message_hub']['log_scalars'])
        for key, buffer in buffers.items():
            assert isinstance(buffer, HistoryBuffer)
            expected = written['message_hub']['log_scalars'][key]
            np.testing.assert_array_equal(buffer.data[0], expected.data[0])
            np.testing.assert_array_equal(buffer.data[1], expected.data[1])
        assert buffers['train/loss'].mean() == \
            written['message_hub']['log_scalars']['train/loss'].mean()


def test_zoo_checkpoint_as_teacher_ckpt(zoo_file):
    from mmrazor.models.algorithms import SingleTeacherDistill
    _, path, weights, _ = zoo_file
    algorithm = SingleTeacherDistill(
        distiller=dict(type='mmrazor.ConfigurableDistiller'),
        teacher=ToyModel(),
        teacher_ckpt=path, architecture=ToyModel())
    assert_same_weights(algorithm.teacher.state_dict(), weights)


def test_zoo_checkpoint_as_load_from(zoo_file, tmp_path):
    _, path, weights, _ = zoo_file
    runner = make_runner(tmp_path / 'work', max_iters=2, load_from=path)
    runner.load_or_resume()
    assert_same_weights(runner.model.state_dict(), weights)
    model = ToyModel()
    load_checkpoint(model, path)
    assert_same_weights(model.state_dict(), weights)


def test_zoo_checkpoint_optimizer_state_loads(zoo_file):
    """What --resume does with the optimizer part (mmengine cannot resume an
    mmcv 1.x file end to end: it has no message_hub)."""
    from mmengine.optim import OptimWrapper
    from mmengine.runner.checkpoint import _load_checkpoint
    _, path, _, written = zoo_file
    model = ToyModel()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5,
                                           momentum=0.9))
    wrapper.load_state_dict(_load_checkpoint(path)['optimizer'])
    expected = written['optimizer']
    state = wrapper.optimizer.state
    for index, param in enumerate(model.parameters()):
        assert torch.equal(state[param]['momentum_buffer'],
                           expected['state'][index]['momentum_buffer'])
    assert wrapper.get_lr()['lr'] == [expected['param_groups'][0]['lr']]


@pytest.mark.parametrize('numpy', [1, 2])
def test_resume_from_an_mmdet3_era_checkpoint(numpy, runner_checkpoint,
                                              tmp_path):
    weights = reference_weights(seed=11)
    written = mmdet3_checkpoint(runner_checkpoint[0], weights)
    path = save_as(written, tmp_path / 'zoo.pth', numpy)
    # resume at the checkpoint's iteration: nothing left to train, so the
    # runner holds exactly what it restored
    runner = make_runner(tmp_path / 'work', max_iters=2, resume=True,
                         load_from=path)
    runner.train()
    assert runner.iter == 2
    assert_same_weights(runner.model.state_dict(), weights)
    params = list(runner.model.parameters())
    for index, param in enumerate(params):
        assert torch.equal(
            runner.optim_wrapper.optimizer.state[param]['momentum_buffer'],
            written['optimizer']['state'][index]['momentum_buffer'])
    restored = runner.message_hub.log_scalars['train/loss']
    expected = written['message_hub']['log_scalars']['train/loss']
    np.testing.assert_array_equal(restored.data[0], expected.data[0])
    assert runner.message_hub.get_info('best_score') == np.float64(0.412)


class SystemCall:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class NumpyRunstring:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from numpy.testing._private.utils import runstring
        return (runstring, (f'open({str(self.marker)!r}, "w")', {}))


@pytest.mark.parametrize('numpy', [1, 2])
@pytest.mark.parametrize('zipped', [True, False])
@pytest.mark.parametrize('foreign', ['os.system', 'class', 'numpy-gadget'])
def test_zoo_checkpoint_with_a_foreign_object_is_refused(
        foreign, zipped, numpy, tmp_path):
    marker = tmp_path / 'ran'
    if foreign == 'os.system':
        payload, name = SystemCall(marker), f'{os.system.__module__}.system'
    elif foreign == 'class':
        payload, name = argparse.Namespace(lr=0.02), 'argparse.Namespace'
    else:  # a numpy function that runs code: numpy's names stay narrow
        payload = NumpyRunstring(marker)
        name = 'numpy.testing._private.utils.runstring'
    checkpoint = mmdet2_checkpoint(reference_weights(seed=3))
    checkpoint['meta']['hook_msgs']['extra'] = payload
    path = save_as(checkpoint, tmp_path / 'evil.pth', numpy, zipped)
    assert name in pickled_globals(path)
    for load in (lambda: load_checkpoint(ToyModel(), path),
                 lambda: make_runner(tmp_path / 'work', max_iters=2,
                                     load_from=path).load_or_resume()):
        with pytest.raises(pickle.UnpicklingError) as info:
            load()
        assert type(info.value).__name__ == 'UnsafeCheckpointError'
        assert name in str(info.value)
    assert not marker.exists()
