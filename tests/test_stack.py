"""The OpenMMLab stack works on torch 2.x: mmcv ops, MMRazor import, hook."""
import json
import os
import subprocess
import sys

import pytest
import torch


def _run(code, **env):
    result = subprocess.run(
        [sys.executable, '-c', code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_mmcv_compiled_nms_matches_hand_computed_result():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    # IoU(box0, box1) = 81 / (100 + 100 - 81) = 0.68: box1 is suppressed
    # at 0.5 and kept at 0.7; box2 does not overlap.
    _, keep = nms(boxes, scores, iou_threshold=0.5)
    assert keep.tolist() == [0, 2]
    _, keep = nms(boxes, scores, iou_threshold=0.7)
    assert keep.tolist() == [0, 1, 2]


def test_mmcv_ops_come_from_the_compiled_extension():
    from mmcv.utils import ext_loader
    ext = ext_loader.load_ext('_ext', ['nms', 'roi_align_forward'])
    assert ext.__file__.endswith('.so')


def test_plain_mmrazor_import_works_through_the_startup_hook():
    # A process that never imports mmrazor_amd, as `mim train mmrazor` runs.
    out = _run('import sys\n'
               'from mmrazor.utils import register_all_modules\n'
               'register_all_modules()\n'
               'from mmrazor.registry import MODELS\n'
               'print(MODELS.get("ConfigurableDistiller").__name__)\n'
               'print("mmrazor_amd" in sys.modules)\n')
    assert out.split() == ['ConfigurableDistiller', 'False']


def test_without_the_hook_mmrazor_does_not_import():
    # Guards the premise: the fix is needed and it is the hook that makes it.
    result = subprocess.run(
        [sys.executable, '-c', 'import mmrazor.models'],
        capture_output=True,
        text=True,
        env={**os.environ, 'MMRAZOR_AMD_NO_HOOK': '1'},
        timeout=300)
    assert result.returncode != 0
    assert 'reverse2' in result.stderr or 'BackendPatternConfig' in \
        result.stderr or 'utils' in result.stderr


PKG_RESOURCES_WARNING = 'pkg_resources is deprecated as an API'
# what a command of the stack imports first, then a warning of another kind
WARNS = ('import warnings, pkg_resources\n'
         'warnings.warn("another warning", UserWarning)\n')


def test_the_hook_silences_the_pkg_resources_warning_and_no_other():
    result = subprocess.run([sys.executable, '-c', WARNS],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert PKG_RESOURCES_WARNING not in result.stderr
    assert 'another warning' in result.stderr


def test_without_the_hook_setuptools_warns():
    """Guards the premise of the test above: this setuptools warns."""
    result = subprocess.run(
        [sys.executable, '-c', WARNS], capture_output=True, text=True,
        env={**os.environ, 'MMRAZOR_AMD_NO_HOOK': '1'}, timeout=300)
    if PKG_RESOURCES_WARNING not in result.stderr:
        pytest.skip('this setuptools does not warn on import pkg_resources')
    assert 'another warning' in result.stderr


def test_hook_loads_nothing_heavy_in_processes_without_mmrazor():
    out = _run('import sys, json\n'
               'heavy = [m for m in sys.modules if m.split(".")[0] in '
               '("torch", "numpy", "mmengine", "mmrazor", "mmrazor_amd")]\n'
               'print(json.dumps({"hook": "_mmrazor_amd_hook" in sys.modules,'
               ' "heavy": heavy}))\n')
    report = json.loads(out)
    assert report == {'hook': True, 'heavy': []}


def test_a_config_text_is_formatted_by_yapf_once_per_process(monkeypatch):
    """mmengine reads ``Config.pretty_text`` at start-up and at every
    checkpoint save; the hook's memo runs yapf once per text and gives
    the text that mmengine without it gives."""
    import mmengine.config.config as mmengine_config
    from mmengine.config import Config
    from yapf.yapflib import yapf_api
    memo = mmengine_config.FormatCode
    assert getattr(memo, '_mmrazor_amd_memoized', False)  # by the hook
    calls = []
    original = yapf_api.FormatCode

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(yapf_api, 'FormatCode', counted)
    # values that no other test formats, so the memo cannot know them yet
    first = Config(dict(model=dict(type='Probe', depth=[3, 4, 6, 3]),
                        marker=f'first-{os.getpid()}-{id(calls)}'))
    second = Config(dict(model=dict(type='Probe', depth=[2, 2, 2, 2]),
                         marker=f'second-{os.getpid()}-{id(calls)}'))
    texts = [first.pretty_text for _ in range(3)]
    assert len(calls) == 1 and len(set(texts)) == 1
    assert second.pretty_text != texts[0] and len(calls) == 2

    monkeypatch.setattr(mmengine_config, 'FormatCode', original)
    assert first.pretty_text == texts[0]  # mmengine's own formatting
    assert len(calls) == 2  # the original, called directly, not counted


def test_quantization_backends_build_or_say_clearly_why_not():
    import mmrazor_amd  # noqa: F401
    from mmrazor.structures.quantization import BackendConfigs
    assert set(BackendConfigs) == {'academic', 'native', 'tensorrt',
                                   'openvino'}
    failures = []
    for name in BackendConfigs:
        try:
            BackendConfigs[name]
        except RuntimeError as error:
            assert type(error).__name__ == 'QuantizationUnavailableError'
            assert name in str(error) and torch.__version__ in str(error)
            assert 'distillation is not affected' in str(error)
            failures.append(name)
    # On torch 2.x at least the native backend cannot be built.
    if torch.__version__ >= '2':
        assert 'native' in failures


@pytest.mark.parametrize('module', ['mmrazor', 'mmdet', 'mmcv.ops'])
def test_stack_modules_import(module):
    _run(f'import {module}')
