"""See what AMD hides: attention, masks and features of one image.

The library side of ``scripts/visualize_masks.py``. For one image it runs the
teacher, the AMD-distilled student and the baseline student up to their
necks, then draws one row per FPN level with

* the image and its ground-truth boxes, with the level's grid;
* the teacher's spatial attention ``A`` (Eq 3), one logarithmic colour
  scale for all levels, diverging at ``phi``: red cells are the ones AMD
  hides (see :func:`attention_norm`);
* AMD's mask at ``phi`` (Eq 4);
* a random mask that hides exactly as many positions as AMD's (a uniformly
  random subset of the same size), and MGD's own random mask (each position
  hidden with probability ``lambda``, MMRazor's ``MGDConnector`` rule);
* the channel-mean ``|feature|`` of the teacher, the baseline student and
  the AMD student (Eq 2 for the teacher), one colour scale per level.

Everything is computed with the project's modules (:class:`AdaptiveMasker`
and :class:`RandomMasker`) and drawn with matplotlib; the arrays drawn are
kept in :class:`MaskFigure` so that tests can check them.
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .models.architectures.maskers import AdaptiveMasker, RandomMasker

DEFAULT_AMD_CONFIG = ('configs/distill/amd/'
                      'amd_fpn_retina_r50-mini_retina_r18-mini_synthetic.py')
DEFAULT_AMD_CHECKPOINT = 'work_dirs/embedded/amd/seed0/final.pth'
DEFAULT_BASELINE_CONFIG = ('configs/embedded/'
                           'retinanet_r18-mini_fpn_synthetic.py')
DEFAULT_BASELINE_CHECKPOINT = 'work_dirs/embedded/baseline/seed0/final.pth'
MGD_RATIO = 0.65  # MGD's one-stage lambda

COLUMNS = ('image', 'attention', 'amd_mask', 'random_same', 'mgd_mask',
           'teacher', 'baseline', 'amd_student')


# ---------------------------------------------------------------- models


def _register_all() -> None:
    import mmrazor_amd  # noqa: F401  (torch 2.x fixes, AMD modules)
    from mmdet.utils import register_all_modules as register_mmdet
    from mmrazor.utils import register_all_modules as register_mmrazor
    register_mmdet(init_default_scope=False)
    register_mmrazor(init_default_scope=False)


def load_config(path: str, cfg_options: Optional[dict] = None):
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def amd_settings(cfg) -> Dict:
    """``phi``, ``tau`` (and the rest) of the config's ``AMDLoss``."""
    losses = cfg.model.get('distiller', {}).get('distill_losses', {})
    for name, loss in losses.items():
        if loss.get('type') in ('AMDLoss', 'mmrazor.AMDLoss'):
            settings = dict(name=name, phi=1.0, tau=0.5, ada_mask=True)
            settings.update({
                key: loss[key]
                for key in ('phi', 'tau', 'ada_mask') if key in loss
            })
            return settings
    raise ValueError('the distillation config has no AMDLoss in '
                     'model.distiller.distill_losses')


def build_distill_model(cfg, checkpoint: Optional[str] = None,
                        device: str = 'cpu'):
    """The distillation algorithm of ``cfg`` (teacher + student + distiller).

    The teacher checkpoint of the config is not read (``teacher_ckpt=None``):
    the whole algorithm comes from ``checkpoint`` (``architecture.*``,
    ``teacher.*``, ``distiller.*``), or stays randomly initialised when
    ``checkpoint`` is None.
    """
    _register_all()
    from mmrazor.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg['teacher_ckpt'] = None
    torch.manual_seed(0)  # reproducible random init without checkpoint
    model = MODELS.build(model_cfg)
    if checkpoint:
        load_weights(model, checkpoint)
    model.to(device)
    model.eval()  # mmrazor's train() override returns None: no chaining
    return model


def load_weights(model, checkpoint: str) -> None:
    """Load a plain checkpoint into ``model`` (mmengine, strict)."""
    from mmengine.runner import load_checkpoint
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                    logger='silent')


def build_detector(cfg, checkpoint: Optional[str] = None,
                   device: str = 'cpu'):
    """A plain mmdet detector from ``cfg`` (the baseline student)."""
    _register_all()
    from mmdet.registry import MODELS
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_weights(model, checkpoint)
    model.to(device)
    model.eval()  # mmrazor's train() override returns None: no chaining
    return model


# ---------------------------------------------------------------- images


def test_pipeline(cfg):
    """The config's test pipeline without ``LoadAnnotations`` (the boxes
    are read from the annotation file by :func:`load_image`)."""
    _register_all()
    from mmcv.transforms import Compose
    from mmdet.registry import TRANSFORMS
    steps = cfg.get('test_pipeline') or cfg.val_dataloader.dataset.pipeline
    transforms = []
    for step in steps:
        kind = str(step['type']).split('.')[-1]
        if kind == 'LoadAnnotations':
            continue
        transforms.append(TRANSFORMS.build(step))
    return Compose(transforms)


def read_annotations(ann_file: str) -> Dict[str, np.ndarray]:
    """File name -> ground-truth boxes ``(K, 4)`` xyxy, from a COCO json."""
    with open(ann_file) as f:
        coco = json.load(f)
    names = {image['id']: image['file_name'] for image in coco['images']}
    boxes = {name: [] for name in names.values()}
    for ann in coco['annotations']:
        if ann.get('iscrowd', 0):
            continue
        x, y, w, h = ann['bbox']
        boxes[names[ann['image_id']]].append([x, y, x + w, y + h])
    return {
        name: np.asarray(value, dtype=np.float32).reshape(-1, 4)
        for name, value in boxes.items()
    }


def dataset_files(cfg, split: str = 'val') -> Tuple[str, str]:
    """Image folder and annotation file of the config's ``val`` (or
    ``train``) dataset."""
    dataset = cfg[f'{split}_dataloader'].dataset
    root = dataset.get('data_root', '')
    img_dir = osp.join(root, dataset.get('data_prefix', {}).get('img', ''))
    return img_dir, osp.join(root, dataset.ann_file)


@dataclass
class Sample:
    """One image through the test pipeline."""
    path: str
    inputs: Tensor  # (3, H, W) uint8, BGR, resized as the test pipeline
    data_sample: object  # mmdet DetDataSample (metainfo only)
    boxes: np.ndarray  # (K, 4) xyxy gt boxes in ``inputs``' pixels

    @property
    def rgb(self) -> np.ndarray:
        return self.inputs.flip(0).permute(1, 2, 0).cpu().numpy()


def load_image(path: str, pipeline,
               boxes: Optional[np.ndarray] = None) -> Sample:
    """Run ``pipeline`` on ``path``; ``boxes`` (original pixels) are
    rescaled like the image."""
    data = pipeline(dict(img_path=path, img_id=0))
    sample = data['data_samples']
    scale = sample.metainfo.get('scale_factor', (1.0, 1.0))
    if boxes is None:
        boxes = np.zeros((0, 4), dtype=np.float32)
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) * np.asarray(
        [scale[0], scale[1], scale[0], scale[1]], dtype=np.float32)
    return Sample(path, data['inputs'], sample, boxes)


# ---------------------------------------------------------------- features


def level_strides(detector, num_levels: int) -> List[int]:
    """Strides of the detector's FPN levels (its prior generator), else
    8, 16, ... ."""
    head = getattr(detector, 'bbox_head', None) or getattr(
        detector, 'rpn_head', None)
    generator = getattr(head, 'prior_generator', None)
    strides = getattr(generator, 'strides', None)
    if strides and len(strides) == num_levels:
        return [int(s[0]) if isinstance(s, (tuple, list)) else int(s)
                for s in strides]
    return [8 * 2**i for i in range(num_levels)]


@torch.no_grad()
def neck_features(detector, sample: Sample) -> Tuple[Tensor, ...]:
    """FPN outputs of ``detector`` for one image (batch of 1, eval mode)."""
    device = next(detector.parameters()).device
    data = detector.data_preprocessor(
        dict(inputs=[sample.inputs.to(device)],
             data_samples=[sample.data_sample]), False)
    return tuple(detector.extract_feat(data['inputs']))


def _exact_random_mask(shape, hidden: int,
                       generator: torch.Generator) -> Tensor:
    """``(1, 1, H, W)`` mask hiding ``hidden`` positions drawn uniformly."""
    h, w = shape
    mask = torch.ones(h * w)
    mask[torch.randperm(h * w, generator=generator)[:hidden]] = 0
    return mask.reshape(1, 1, h, w)


@dataclass
class LevelPanels:
    """Arrays of one FPN level, all ``(H, W)`` float numpy arrays."""
    name: str
    shape: Tuple[int, int]
    stride: int
    attention: np.ndarray
    amd_mask: np.ndarray
    random_same: np.ndarray
    mgd_mask: np.ndarray
    teacher: np.ndarray
    baseline: Optional[np.ndarray]
    amd_student: Optional[np.ndarray]

    @staticmethod
    def hidden(mask: np.ndarray) -> float:
        return float((mask == 0).mean())


def compute_panels(teacher: Sequence[Tensor],
                   masker: AdaptiveMasker,
                   strides: Sequence[int],
                   baseline: Optional[Sequence[Tensor]] = None,
                   amd_student: Optional[Sequence[Tensor]] = None,
                   mgd_ratio: float = MGD_RATIO,
                   seed: int = 0) -> List[LevelPanels]:
    """Per-level arrays of the figure for image 0 of the batch.

    ``A`` and AMD's mask come from ``masker`` (the module AMD trains with);
    MGD's mask from :class:`RandomMasker` under ``torch.manual_seed(seed)``
    (the global generator, as MMRazor's ``MGDConnector`` draws it).
    """
    panels = []
    generator = torch.Generator().manual_seed(seed)
    mgd_masker = RandomMasker(ratio=mgd_ratio)
    rng_state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        for level, feat_t in enumerate(teacher):
            feat_t = feat_t[:1]
            _, _, h, w = feat_t.shape
            attention = masker.attention(feat_t)
            amd_mask = masker(feat_t)
            hidden = int((amd_mask == 0).sum())
            random_same = _exact_random_mask((h, w), hidden, generator)
            mgd_mask = mgd_masker(feat_t.float())

            def channel_mean(feats):
                if feats is None:
                    return None
                return feats[level][:1].float().abs().mean(dim=1)[0].cpu(
                ).numpy()

            stride = strides[level]
            panels.append(
                LevelPanels(
                    name=f'P{int(round(math.log2(stride)))}',
                    shape=(h, w),
                    stride=stride,
                    attention=attention[0, 0].cpu().numpy(),
                    amd_mask=amd_mask[0, 0].float().cpu().numpy(),
                    random_same=random_same[0, 0].numpy(),
                    mgd_mask=mgd_mask[0, 0].cpu().numpy(),
                    teacher=channel_mean(teacher),
                    baseline=channel_mean(baseline),
                    amd_student=channel_mean(amd_student)))
    finally:
        torch.set_rng_state(rng_state)
    return panels


# ---------------------------------------------------------------- drawing


@dataclass
class MaskFigure:
    """The drawn figure and what it shows."""
    figure: object
    axes: np.ndarray  # (num_levels, len(columns)) matplotlib Axes
    columns: Tuple[str, ...]
    levels: List[LevelPanels]
    phi: float
    tau: float
    mgd_ratio: float
    images: Dict = field(default_factory=dict)  # (row, column) -> AxesImage
    meta: Dict = field(default_factory=dict)

    @property
    def level_names(self) -> List[str]:
        return [level.name for level in self.levels]

    def drawn(self, row: int, column: str) -> np.ndarray:
        """The array drawn as the map of panel (row, column) (the mask
        itself for the mask columns, not the image under it)."""
        return np.asarray(self.images[row, column].get_array())


def _grid_extent(level: LevelPanels, offset: float = 0.0):
    """imshow extent of a level's grid, in input pixels: cell ``i`` is
    centred on ``(i + offset) * stride`` as the detector's anchors are."""
    h, w = level.shape
    s = level.stride
    left, top = (offset - 0.5) * s, (offset - 0.5) * s
    return (left, left + w * s, top + h * s, top)


def _draw_boxes(ax, boxes, color, linewidth=1.0):
    """Box outlines in ``color`` with a thin black halo, visible on any
    background."""
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle
    halo = [patheffects.withStroke(linewidth=linewidth + 1.0,
                                   foreground='black', alpha=0.8)]
    for x1, y1, x2, y2 in boxes:
        ax.add_patch(
            Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                      edgecolor=color, linewidth=linewidth,
                      path_effects=halo))


def _frame(ax, extent, image_size):
    """Axis limits covering the grid and the image; the image border
    dashed."""
    from matplotlib.patches import Rectangle
    height, width = image_size
    left, right, bottom, top = extent
    ax.set_xlim(min(left, 0), max(right, width))
    ax.set_ylim(max(bottom, height), min(top, 0))
    ax.add_patch(
        Rectangle((0, 0), width, height, fill=False, edgecolor='0.35',
                  linestyle=(0, (3, 2)), linewidth=0.8))
    ax.set_xticks([])
    ax.set_yticks([])


HIDDEN_RGBA = (0.12, 0.12, 0.16, 0.82)


def attention_norm(a_min: float, a_max: float, phi: float):
    """Colour norm of ``A`` for all levels, and colourbar ticks.

    Logarithmic (``log A`` is ``mean_c|T| / tau`` up to a constant, so equal
    steps of colour are equal steps of the teacher's activation) and
    diverging at ``phi``: blue below the threshold (kept), red above
    (hidden by AMD), white at ``phi``. Linear from 0 when ``phi`` is 0.
    """
    from matplotlib import colors
    if phi <= 0:
        top = max(a_max, 1e-6)
        return colors.Normalize(0.0, top), [0.0, top]
    # below phi / 8 every cell is well under the threshold: saturate there
    lo = min(max(a_min, phi / 8), phi / 2)
    hi = max(a_max, phi * 2)
    log_lo, log_phi, log_hi = np.log(lo), np.log(phi), np.log(hi)

    def forward(values):
        logs = np.log(np.clip(values, lo, hi))
        return np.where(logs <= log_phi,
                        0.5 * (logs - log_lo) / (log_phi - log_lo),
                        0.5 + 0.5 * (logs - log_phi) / (log_hi - log_phi))

    def inverse(values):
        values = np.asarray(values, dtype=float)
        logs = np.where(values <= 0.5,
                        log_lo + 2 * values * (log_phi - log_lo),
                        log_phi + (2 * values - 1) * (log_hi - log_phi))
        return np.exp(logs)

    norm = colors.FuncNorm((forward, inverse), vmin=lo, vmax=hi)
    powers = [2.0**k for k in range(-12, 13)]
    ticks = [t for t in powers if lo * 1.3 < t < hi / 1.3 and
             not (phi / 1.3 < t < phi * 1.3)]
    ticks = sorted(set(ticks) | {phi, float(f'{lo:.2g}'), round(hi, 1)})
    return norm, ticks


def draw_mask_figure(sample: Sample,
                     levels: Sequence[LevelPanels],
                     phi: float,
                     tau: float,
                     mgd_ratio: float = MGD_RATIO,
                     title: str = '',
                     anchor_offset: float = 0.0,
                     panel_size: float = 1.75):
    """Draw the grid (one row per level) and return a :class:`MaskFigure`.

    Uses the object-oriented matplotlib API on a figure that is not
    registered with pyplot, so it works with any backend and leaks nothing.
    """
    from matplotlib import colors
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    levels = list(levels)
    columns = tuple(
        name for name in COLUMNS
        if name not in ('baseline', 'amd_student')
        or getattr(levels[0], name) is not None)
    rows, cols = len(levels), len(columns)
    fig = Figure(
        figsize=(panel_size * cols + 1.6, panel_size * rows + 1.1),
        layout='constrained')
    axes = fig.subplots(rows, cols, squeeze=False)
    rgb = sample.rgb
    image_size = rgb.shape[:2]
    grey = rgb.mean(axis=2)

    # one attention scale for all levels, diverging at phi
    a_max = max(float(level.attention.max()) for level in levels)
    a_min = min(float(level.attention.min()) for level in levels)
    a_norm, a_ticks = attention_norm(a_min, a_max, phi)
    a_cmap = 'coolwarm'
    # hidden cells dark, visible ones transparent (the image shows through)
    mask_cmap = colors.ListedColormap([HIDDEN_RGBA, (1.0, 1.0, 1.0, 0.0)])
    images = {}
    gt_color = '#76ff03'

    for row, level in enumerate(levels):
        extent = _grid_extent(level, anchor_offset)
        h, w = level.shape
        first = row == 0

        # image with gt boxes and the level's grid
        ax = axes[row, 0]
        images[row, 'image'] = ax.imshow(
            rgb, extent=(0, image_size[1], image_size[0], 0))
        _draw_boxes(ax, sample.boxes, gt_color)
        left, right, bottom, top = extent
        for x in np.linspace(left, right, w + 1):
            ax.axvline(x, color='white', linewidth=0.4, alpha=0.6)
        for y in np.linspace(top, bottom, h + 1):
            ax.axhline(y, color='white', linewidth=0.4, alpha=0.6)
        _frame(ax, extent, image_size)
        ax.set_ylabel(f'{level.name}\n{h}×{w}, stride {level.stride}',
                      fontsize=10, fontweight='bold')
        if first:
            ax.set_title(f'image, {len(sample.boxes)} gt boxes\n'
                         'grid: feature cells', fontsize=8.5)

        # teacher attention
        ax = axes[row, 1]
        a_image = images[row, 'attention'] = ax.imshow(
            level.attention, cmap=a_cmap, norm=a_norm, extent=extent,
            interpolation='nearest')
        _draw_boxes(ax, sample.boxes, gt_color, 0.8)
        _frame(ax, extent, image_size)
        ax.set_title(f'teacher A (Eq 3)\nmax {level.attention.max():.2f}',
                     fontsize=8.5)

        # masks: image faint underneath, hidden cells dark on top
        for name, mask, label in (
                ('amd_mask', level.amd_mask, f'AMD mask, φ={phi:g}'),
                ('random_same', level.random_same,
                 'random, as many as AMD'),
                ('mgd_mask', level.mgd_mask, f'MGD random, λ={mgd_ratio:g}')):
            ax = axes[row, columns.index(name)]
            ax.imshow(grey, cmap='gray', vmin=0, vmax=255, alpha=0.45,
                      extent=(0, image_size[1], image_size[0], 0))
            images[row, name] = ax.imshow(
                mask, cmap=mask_cmap, vmin=0, vmax=1, extent=extent,
                interpolation='nearest')
            _draw_boxes(ax, sample.boxes, gt_color, 0.8)
            _frame(ax, extent, image_size)
            ax.set_title(f'{label}\n{100 * LevelPanels.hidden(mask):.0f}% '
                         'hidden', fontsize=8.5)

        # channel-mean |feature|, one scale per level
        feature_columns = [
            (name, getattr(level, name), label)
            for name, label in (('teacher', 'teacher'),
                                ('baseline', 'baseline student'),
                                ('amd_student', 'AMD student'))
            if name in columns
        ]
        f_max = max(float(values.max()) for _, values, _ in feature_columns)
        f_norm = colors.Normalize(vmin=0.0, vmax=max(f_max, 1e-12))
        for name, values, label in feature_columns:
            ax = axes[row, columns.index(name)]
            f_image = images[row, name] = ax.imshow(
                values, cmap='magma', norm=f_norm, extent=extent,
                interpolation='nearest')
            _draw_boxes(ax, sample.boxes, gt_color, 0.8)
            _frame(ax, extent, image_size)
            ax.set_title(f'{label}\nmean_c |F|', fontsize=8.5)
        cbar = fig.colorbar(
            f_image, ax=[axes[row, columns.index(name)]
                         for name, _, _ in feature_columns],
            fraction=0.05, pad=0.02, aspect=12)
        cbar.ax.tick_params(labelsize=7)

    cbar = fig.colorbar(a_image, ax=axes[:, 1], location='right',
                        shrink=0.7, pad=0.02, aspect=35,
                        extend='min' if a_min < a_norm.vmin else 'neither')
    cbar.set_ticks(a_ticks)
    cbar.set_ticklabels(
        [f'φ={t:g}' if t == phi else f'{t:.3g}' for t in a_ticks])
    cbar.ax.tick_params(labelsize=7)
    cbar.set_label('A (log scale), all levels; red = A > φ = hidden',
                   fontsize=8)

    fig.legend(
        handles=[
            Patch(facecolor=HIDDEN_RGBA, label='hidden'),
            Patch(facecolor='white', edgecolor='0.6', label='visible'),
            Patch(fill=False, edgecolor=gt_color, label='gt box'),
            Patch(fill=False, edgecolor='0.35', linestyle='--',
                  label='image border'),
        ],
        loc='outside lower center', ncol=4, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return MaskFigure(fig, axes, columns, levels, phi, tau, mgd_ratio,
                      images=images, meta=dict(image=sample.path))


# ---------------------------------------------------------------- end to end


def visualize_sample(sample: Sample,
                     teacher,
                     masker: AdaptiveMasker,
                     baseline=None,
                     amd_student=None,
                     mgd_ratio: float = MGD_RATIO,
                     seed: int = 0,
                     title: str = '') -> MaskFigure:
    """Features of the three detectors for ``sample``, then the figure.

    ``teacher``, ``baseline`` and ``amd_student`` are mmdet detectors; a
    student that is None gets no column.
    """
    feats_t = neck_features(teacher, sample)
    feats_b = neck_features(baseline, sample) if baseline is not None \
        else None
    feats_s = neck_features(amd_student, sample) \
        if amd_student is not None else None
    strides = level_strides(teacher, len(feats_t))
    head = getattr(teacher, 'bbox_head', None)
    offset = float(
        getattr(getattr(head, 'prior_generator', None), 'center_offset',
                0.0))
    levels = compute_panels(feats_t, masker, strides, feats_b, feats_s,
                            mgd_ratio=mgd_ratio, seed=seed)
    result = draw_mask_figure(sample, levels, masker.phi, masker.tau,
                              mgd_ratio=mgd_ratio, title=title,
                              anchor_offset=offset)
    result.meta['features'] = dict(teacher=feats_t)
    return result
