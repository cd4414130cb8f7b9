"""Tests of the synthetic COCO-format detection benchmark generator
(:mod:`mmrazor_amd_bench.datagen`)."""
import json
import os
import os.path as osp
import time

import cv2
import numpy as np
import pytest

import mmrazor_amd  # noqa: F401  (torch-2 compat patches, registries)
from mmrazor_amd_bench.datagen import (CLASSES, DEFAULT_IMAGE_SIZE, SceneParams,
                                 area_bin, generate_dataset, render_image)

NUM_TRAIN, NUM_VAL = 60, 40


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    """60 train + 40 val images at the default size, seed 0, no holdout.

    100 images are enough to use the worker pool (default workers).
    """
    root = str(tmp_path_factory.mktemp('synthetic_coco'))
    summary = generate_dataset(root, num_train=NUM_TRAIN, num_val=NUM_VAL,
                               num_holdout=0, seed=0)
    return root, summary


def _load(root, split):
    with open(osp.join(root, f'instances_{split}.json')) as f:
        return json.load(f)


def _read_images(root, split):
    folder = osp.join(root, split)
    return {name: cv2.imread(osp.join(folder, name), cv2.IMREAD_UNCHANGED)
            for name in sorted(os.listdir(folder))}


def _json_bytes(root):
    out = {}
    for split in ('train', 'val'):
        with open(osp.join(root, f'instances_{split}.json'), 'rb') as f:
            out[split] = f.read()
    return out


# --------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------
# The images the committed teacher (results/embedded-long/teacher) was
# trained and scored on, as the embedded settings generate them (seed 0,
# 160 px): sha256 of the RGB pixels of the first and last training image,
# the last holdout image (after the training images in train/) and the
# first and last test image. The demo checks the teacher's score on data
# generated here; these pin the generator itself, so that a change of it,
# of OpenCV's drawing or of numpy's random streams fails this test.
COMMITTED_DATA = {
    ('train', 0):
    '45927a249bb62b702b59eb43142ee68d2529f5360a34fa7a17e1707a695106b9',
    ('train', 1999):
    'ab9a8c8a6039f3725192eeb4b6d48b7dffb6d472e619b2064a5c39b16a950a30',
    ('train', 2399):
    '8e7fd76bdc4dc033e2139bc27b49ffe05d786429ee0a57748d15daddd077c2b4',
    ('val', 0):
    '14847e22d13f92abba77fada0c2c29cb9121b0602facf0abfaef7cbcf48c0f30',
    ('val', 499):
    'b30e465f385bc3571245e64ce388e48e7865f745ac1d78f3d436470cafa396d6',
}


@pytest.mark.parametrize('split,index', sorted(COMMITTED_DATA))
def test_the_committed_teachers_images_are_generated_again(split, index):
    import hashlib
    image, _ = render_image(0, split, index, 160)
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes())
    assert digest.hexdigest() == COMMITTED_DATA[split, index]


def test_determinism(tmp_path):
    kw = dict(num_train=6, num_val=4, num_holdout=0,
              image_size=DEFAULT_IMAGE_SIZE)
    a, b, c = (str(tmp_path / n) for n in 'abc')
    generate_dataset(a, seed=3, **kw)
    generate_dataset(b, seed=3, **kw)
    generate_dataset(c, seed=4, **kw)

    assert _json_bytes(a) == _json_bytes(b)
    assert _json_bytes(a) != _json_bytes(c)
    for split in ('train', 'val'):
        ia, ib, ic = (_read_images(r, split) for r in (a, b, c))
        assert sorted(ia) == sorted(ib) == sorted(ic)
        assert len(ia) == kw[f'num_{split}']
        for name in ia:
            assert ia[name].shape == (160, 160, 3)
            assert np.array_equal(ia[name], ib[name])
        assert any(not np.array_equal(ia[n], ic[n]) for n in ia)
    # train and val are different streams
    assert not np.array_equal(
        _read_images(a, 'train')['000000.png'],
        _read_images(a, 'val')['000000.png'])


def test_pool_matches_serial_rendering(dataset):
    """Files written by the worker pool equal in-process rendering."""
    root, _ = dataset
    coco = _load(root, 'train')
    for index in (0, 17, NUM_TRAIN - 1):
        img, objects = render_image(0, 'train', index, DEFAULT_IMAGE_SIZE)
        on_disk = cv2.imread(osp.join(root, 'train', f'{index:06d}.png'))
        assert np.array_equal(on_disk[:, :, ::-1], img)
        anns = [a for a in coco['annotations'] if a['image_id'] == index + 1]
        assert [(a['category_id'] - 1, a['bbox']) for a in anns] == \
            [(c, list(b)) for c, b in objects]


# --------------------------------------------------------------------------
# validity
# --------------------------------------------------------------------------
@pytest.mark.parametrize('split', ['train', 'val'])
def test_coco_validity(dataset, split):
    from pycocotools.coco import COCO
    root, summary = dataset
    ann_file = osp.join(root, f'instances_{split}.json')
    coco_api = COCO(ann_file)
    data = _load(root, split)

    assert [c['id'] for c in data['categories']] == list(
        range(1, len(CLASSES) + 1))
    assert tuple(c['name'] for c in data['categories']) == CLASSES
    assert all('supercategory' in c for c in data['categories'])

    images = {im['id']: im for im in data['images']}
    assert len(images) == len(data['images']) == summary['args'][
        f'num_{split}']
    assert len(coco_api.getImgIds()) == len(images)
    for im in data['images']:
        assert osp.isfile(osp.join(root, split, im['file_name']))
        assert im['width'] == im['height'] == DEFAULT_IMAGE_SIZE

    ann_ids = [a['id'] for a in data['annotations']]
    assert len(ann_ids) == len(set(ann_ids))
    assert len(coco_api.getAnnIds()) == len(ann_ids)
    for ann in data['annotations']:
        im = images[ann['image_id']]  # the image exists
        x, y, w, h = ann['bbox']
        assert all(isinstance(v, float) for v in ann['bbox'])
        assert w > 0 and h > 0
        assert x >= 0 and y >= 0
        assert x + w <= im['width'] and y + h <= im['height']
        assert ann['area'] == w * h
        assert ann['iscrowd'] == 0
        assert 1 <= ann['category_id'] <= len(CLASSES)
    used = {a['category_id'] for a in data['annotations']}
    assert used == set(range(1, len(CLASSES) + 1))

    counts = summary['counts'][split]
    assert counts['objects'] == len(data['annotations'])
    assert counts['images'] == len(data['images'])
    empty = set(images) - {a['image_id'] for a in data['annotations']}
    assert counts['empty_images'] == len(empty)


def test_empty_images_present(dataset):
    root, summary = dataset
    total = sum(summary['counts'][s]['empty_images'] for s in ('train', 'val'))
    assert total >= 1
    # empty images stay listed in `images`
    data = _load(root, 'train') if summary['counts']['train'][
        'empty_images'] else _load(root, 'val')
    with_anns = {a['image_id'] for a in data['annotations']}
    assert any(im['id'] not in with_anns for im in data['images'])


def test_area_bins_populated(dataset):
    root, summary = dataset
    data = _load(root, 'train')
    bins = {'small': 0, 'medium': 0, 'large': 0}
    for ann in data['annotations']:
        bins[area_bin(ann['area'])] += 1
    assert bins == summary['counts']['train']['per_area']
    total = sum(bins.values())
    assert total >= 3 * NUM_TRAIN  # several objects per image
    for name, n in bins.items():
        # each COCO bin holds a real share (target ~40/40/20 %)
        assert n >= 0.08 * total, (name, bins)
    assert bins['small'] > bins['large'] and bins['medium'] > bins['large']
    # several objects per image on average, but at most 8
    per_image = np.bincount([a['image_id'] for a in data['annotations']])
    assert per_image.max() <= 8


def test_images_are_not_trivial(dataset):
    """Backgrounds are textured: no image is close to a flat colour."""
    root, _ = dataset
    for img in list(_read_images(root, 'val').values())[:10]:
        assert img.std() > 5


# --------------------------------------------------------------------------
# mmdet evaluation path
# --------------------------------------------------------------------------
def test_mmdet_cocodataset_and_metric(dataset):
    import torch
    from mmdet.datasets import CocoDataset
    from mmdet.evaluation import CocoMetric
    from mmdet.utils import register_all_modules
    register_all_modules()

    root, summary = dataset
    ds = CocoDataset(
        data_root=root,
        ann_file='instances_val.json',
        data_prefix=dict(img='val/'),
        metainfo=dict(classes=CLASSES),
        pipeline=[],
        test_mode=True)
    assert len(ds) == NUM_VAL
    assert tuple(ds.metainfo['classes']) == CLASSES
    n_inst = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    assert n_inst == summary['counts']['val']['objects']
    first = ds.get_data_info(0)
    assert osp.isfile(first['img_path'])

    metric = CocoMetric(
        ann_file=osp.join(root, 'instances_val.json'), metric='bbox')
    metric.dataset_meta = ds.metainfo
    samples = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        inst = info['instances']
        bboxes = torch.tensor([x['bbox'] for x in inst],
                              dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([x['bbox_label'] for x in inst],
                              dtype=torch.int64)
        samples.append(
            dict(img_id=info['img_id'],
                 ori_shape=(info['height'], info['width']),
                 pred_instances=dict(
                     bboxes=bboxes, labels=labels,
                     scores=torch.ones(len(inst)))))
    metric.process({}, samples)
    res = metric.evaluate(len(ds))
    assert res['coco/bbox_mAP'] == pytest.approx(1.0)
    assert res['coco/bbox_mAP_50'] == pytest.approx(1.0)
    for name in ('s', 'm', 'l'):
        # every bin has ground truth in the val split and scores 1.0
        assert res[f'coco/bbox_mAP_{name}'] == pytest.approx(1.0)


# --------------------------------------------------------------------------
# caching
# --------------------------------------------------------------------------
def _mtimes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = osp.join(dirpath, name)
            out[osp.relpath(p, root)] = os.stat(p).st_mtime_ns
    return out


def test_skip_and_overwrite(tmp_path):
    root = str(tmp_path / 'cache')
    kw = dict(num_train=5, num_val=3, num_holdout=0, seed=1)
    first = generate_dataset(root, **kw)
    assert first['generated'] is True
    before = _mtimes(root)
    assert {'meta.json', 'instances_train.json', 'instances_val.json',
            osp.join('train', '000004.png'),
            osp.join('val', '000002.png')} <= set(before)
    with open(osp.join(root, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['args'] == dict(num_train=5, num_val=3, num_holdout=0,
                                image_size=160, seed=1)
    assert meta['classes'] == list(CLASSES)

    time.sleep(0.05)
    again = generate_dataset(root, **kw)
    assert again['generated'] is False
    assert again['counts'] == first['counts']
    assert _mtimes(root) == before

    time.sleep(0.05)
    forced = generate_dataset(root, overwrite=True, **kw)
    assert forced['generated'] is True
    after = _mtimes(root)
    assert set(after) == set(before)
    assert all(after[k] != before[k] for k in before)

    # other arguments regenerate and drop stale images
    smaller = generate_dataset(root, num_train=2, num_val=3, num_holdout=0,
                               seed=1)
    assert smaller['generated'] is True
    assert sorted(os.listdir(osp.join(root, 'train'))) == [
        '000000.png', '000001.png']

    # a missing image invalidates the cache
    os.remove(osp.join(root, 'val', '000001.png'))
    fixed = generate_dataset(root, num_train=2, num_val=3, num_holdout=0,
                             seed=1)
    assert fixed['generated'] is True
    assert osp.isfile(osp.join(root, 'val', '000001.png'))


def test_cli(tmp_path, capsys):
    from mmrazor_amd_bench.commands.generate_data import main
    out = str(tmp_path / 'cli')
    summary = main(['--out', out, '--num-train', '3', '--num-val', '2',
                    '--num-holdout', '1', '--seed', '5',
                    '--scene', 'max_objects=2'])
    text = capsys.readouterr().out
    assert summary['generated'] is True
    assert 'per class' in text and 'per area' in text and 'empty' in text
    assert osp.isfile(osp.join(out, 'instances_val.json'))
    assert 'scene: max_objects=2' in text and 'wall time' in text
    assert summary['args']['scene'] == dict(max_objects=2)
    assert summary['counts']['holdout']['images'] == 1
    with pytest.raises(SystemExit):  # unknown parameter
        main(['--out', out, '--scene', 'no_such_field=1'])


# --------------------------------------------------------------------------
# scene parameters
# --------------------------------------------------------------------------
def test_render_image_default_params():
    """Leaving ``params`` out renders exactly what SceneParams() does."""
    for split, index in (('train', 3), ('val', 0)):
        img, objects = render_image(7, split, index)
        again, same = render_image(7, split, index, DEFAULT_IMAGE_SIZE,
                                   SceneParams())
        assert np.array_equal(img, again)
        assert objects == same


def _max_objects_per_image(root):
    return max(np.bincount(
        [a['image_id'] for a in _load(root, 'train')['annotations']]))


def test_scene_params_change_output_and_meta(tmp_path):
    root = str(tmp_path / 'scene')
    kw = dict(num_train=6, num_val=2, num_holdout=0, seed=2, workers=1)
    default = generate_dataset(root, **kw)
    assert 'scene' not in default['args']
    default_images = _read_images(root, 'train')
    assert _max_objects_per_image(root) > 2

    # a changed parameter regenerates, is recorded and changes the content
    few = generate_dataset(root, params=SceneParams(max_objects=2), **kw)
    assert few['generated'] is True
    with open(osp.join(root, 'meta.json')) as f:
        assert json.load(f)['args']['scene'] == dict(max_objects=2)
    assert _max_objects_per_image(root) <= 2
    images = _read_images(root, 'train')
    assert any(not np.array_equal(images[n], default_images[n])
               for n in images)
    # the same parameters, also as a mapping, reuse the dataset
    assert generate_dataset(root, params=dict(max_objects=2),
                            **kw)['generated'] is False
    # ranges are recorded as lists and compared after the json round trip
    ranged = SceneParams(side_small=(8.0, 20.0))
    assert generate_dataset(root, params=ranged, **kw)['args']['scene'] == \
        dict(side_small=[8.0, 20.0])
    assert generate_dataset(root, params=ranged, **kw)['generated'] is False
    # back to the defaults: regenerated, identical to the first run
    assert generate_dataset(root, **kw)['generated'] is True
    for name, img in _read_images(root, 'train').items():
        assert np.array_equal(img, default_images[name])


def test_scene_params_validation():
    with pytest.raises(ValueError):
        SceneParams(p_empty=1.5)
    with pytest.raises(ValueError):
        SceneParams(side_small=(20.0, 10.0))
    with pytest.raises(ValueError):
        SceneParams.of(dict(no_such_field=1))
    assert SceneParams.of(dict(bin_probs=[0.5, 0.5, 0.0])).bin_probs == \
        (0.5, 0.5, 0.0)
