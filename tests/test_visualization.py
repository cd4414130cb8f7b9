"""``scripts/visualize_masks.py`` on one image with random-initialised models.

Functional only (no timing): a PNG is written, the grid has one row per FPN
level with the expected labels, and the maps drawn are the ones of the
equations, checked against float64 references written here. Then the
library's gt boxes and AMD masker, and that it leaves settings to the script.
"""
import json
import os
import os.path as osp

import mmrazor_amd  # noqa: F401  (torch 2.x fixes before mmrazor)
import numpy as np
import pytest
import torch

from mmrazor_amd.models.architectures import AdaptiveMasker
from mmrazor_amd_bench.commands import visualize_masks

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

LEVELS = ['P3', 'P4', 'P5', 'P6', 'P7']
# 160x160 input (the test pipeline resizes the 64x64 image), strides 8..128
GRIDS = [(20, 20), (10, 10), (5, 5), (3, 3), (2, 2)]


def ref_attention(teacher, tau):
    """Eq 2-3 in float64: A = H*W * softmax(mean_c |T| / tau)."""
    t = teacher.detach().double()[0]
    c, h, w = t.shape
    logits = (t.abs().sum(dim=0) / c).reshape(-1) / tau
    e = torch.exp(logits - logits.max())
    return (h * w * e / e.sum()).reshape(h, w).numpy()


@pytest.fixture(scope='module')
def drawn(tiny_coco, tmp_path_factory):
    import matplotlib
    matplotlib.use('Agg')
    out = tmp_path_factory.mktemp('vis')
    image = osp.join(tiny_coco, 'train', '0001.png')
    # the configs of the embedded-demo setting, random-initialised
    results = visualize_masks.main([
        image, '--no-checkpoint', '--setting', 'embedded-demo',
        '--ann-file', osp.join(tiny_coco, 'instances_train.json'),
        '--out', str(out), '--dpi', '60'
    ])
    assert len(results) == 1
    return results[0]


def test_writes_one_png_per_image(drawn):
    path, _ = drawn
    assert osp.basename(path) == '0001.png'
    with open(path, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_one_row_per_level_with_name_and_size(drawn):
    _, result = drawn
    assert result.level_names == LEVELS
    assert result.axes.shape == (5, len(result.columns))
    assert result.columns == ('image', 'attention', 'amd_mask', 'random_same',
                              'mgd_mask', 'teacher', 'baseline',
                              'amd_student')
    for row, (name, (h, w)) in enumerate(zip(LEVELS, GRIDS)):
        label = result.axes[row, 0].get_ylabel()
        assert label.startswith(name) and f'{h}×{w}' in label
        assert result.levels[row].shape == (h, w)
        assert result.drawn(row, 'attention').shape == (h, w)
    # the image's two gt boxes, scaled with it from 64 to 160 px
    assert result.axes[0, 0].get_title().startswith('image, 2 gt boxes')


def test_attention_and_masks_drawn_are_the_equations(drawn):
    _, result = drawn
    teacher = result.meta['features']['teacher']
    assert isinstance(result.levels, list) and len(teacher) == 5
    phi, tau = result.phi, result.tau
    # masker of the embedded AMD config's loss_amd
    assert (phi, tau) == (1.0, 0.5)
    masker = AdaptiveMasker(phi=phi, tau=tau)
    for row, feature in enumerate(teacher):
        expected = ref_attention(feature, tau)
        attention = result.drawn(row, 'attention')
        np.testing.assert_allclose(attention, expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            attention, masker.attention(feature)[0, 0].numpy(), rtol=0,
            atol=0)
        assert abs(attention.mean() - 1) < 1e-5  # A averages 1
        # AMD's mask hides A > phi; the random mask hides as many cells
        amd_mask = result.drawn(row, 'amd_mask')
        np.testing.assert_array_equal(amd_mask,
                                      np.where(expected > phi, 0.0, 1.0))
        random_same = result.drawn(row, 'random_same')
        assert (random_same == 0).sum() == (amd_mask == 0).sum()
        assert set(np.unique(result.drawn(row, 'mgd_mask'))) <= {0.0, 1.0}
        # teacher panel: Eq 2, mean_c |T|
        np.testing.assert_allclose(
            result.drawn(row, 'teacher'),
            feature.detach().double()[0].abs().mean(dim=0).numpy(),
            rtol=1e-5, atol=1e-7)


def test_gt_boxes_are_read_per_file_name_as_xyxy(tiny_coco):
    ann_file = osp.join(tiny_coco, 'instances_train.json')
    with open(ann_file) as f:
        coco = json.load(f)
    boxes = visualize_masks.vis.read_gt_boxes(ann_file)
    assert sorted(boxes) == sorted(i['file_name'] for i in coco['images'])
    x, y, w, h = coco['annotations'][0]['bbox']  # of image 1, 0001.png
    assert boxes['0001.png'].shape == (2, 4)
    np.testing.assert_array_equal(boxes['0001.png'][0], [x, y, x + w, y + h])


def test_phi_overrides_the_masker_of_the_amd_loss():
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', 'distill', 'amd',
                 'amd_fpn_retina_r50-mini_retina_r18-mini_synthetic.py'))
    masker = visualize_masks.vis.amd_masker(cfg, phi=2.0)
    assert isinstance(masker, AdaptiveMasker)
    assert (masker.phi, masker.tau) == (2.0, 0.5)
    # the Ada-Mask ablation hides at random: the adaptive mask is drawn
    cfg.model.distiller.distill_losses.loss_amd.masker = dict(
        type='RandomMasker', ratio=0.65)
    with pytest.warns(UserWarning, match='RandomMasker'):
        masker = visualize_masks.vis.amd_masker(cfg)
    assert (masker.phi, masker.tau) == (1.0, 0.5)


@pytest.mark.parametrize('setting,work_dir', [
    ('embedded-demo', 'work_dirs/embedded-demo'),
    ('embedded-long', 'work_dirs/embedded-long'),
])
def test_pictures_go_beside_the_setting_runs_unless_out_is_given(
        setting, work_dir):
    """By default the pictures land in the setting's work dir, never in
    the committed results/; --out wins."""
    args = visualize_masks.parse_args(['--setting', setting])
    visualize_masks.setting_defaults(args)
    assert args.out == osp.join(ROOT, work_dir, 'masks')
    args = visualize_masks.parse_args(['--setting', setting, '--out', 'x'])
    visualize_masks.setting_defaults(args)
    assert args.out == 'x'
