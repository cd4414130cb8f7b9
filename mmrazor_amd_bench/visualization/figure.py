"""Drawing one figure with matplotlib: one row per FPN level, one column
per panel of :data:`COLUMNS`.

The object-oriented matplotlib API is used on a figure that is not
registered with pyplot, so it works with any backend and leaks nothing.
The arrays drawn are kept in :class:`MaskFigure` so that tests can check
them.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmrazor_amd.models.architectures.maskers import AdaptiveMasker
from .data import Sample
from .panels import (MGD_RATIO, LevelPanels, center_offset, compute_panels,
                     level_strides, neck_features)

COLUMNS = ('image', 'attention', 'amd_mask', 'random_same', 'mgd_mask',
           'teacher', 'baseline', 'amd_student')
STUDENT_COLUMNS = ('baseline', 'amd_student')  # left out when None
FEATURE_LABELS = (('teacher', 'teacher'), ('baseline', 'baseline student'),
                  ('amd_student', 'AMD student'))
HIDDEN_RGBA = (0.12, 0.12, 0.16, 0.82)
GT_COLOR = '#76ff03'
TITLE_SIZE = 8.5


@dataclass
class MaskFigure:
    """The drawn figure and what it shows."""
    figure: object  # matplotlib Figure
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

    def ax(self, row: int, column: str):
        return self.axes[row, self.columns.index(column)]

    def drawn(self, row: int, column: str) -> np.ndarray:
        """The array drawn as the map of panel (row, column) (the mask
        itself for the mask columns, not the image under it)."""
        return np.asarray(self.images[row, column].get_array())


# ---------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------- panels


def _image_size(sample: Sample) -> Tuple[int, int]:
    return sample.inputs.shape[-2:]


def _show_map(result: MaskFigure, row: int, column: str, values,
              sample: Sample, extent, title: str, **style):
    """Draw ``values`` on the level's grid in panel (row, column), with the
    gt boxes and the image border; return the AxesImage."""
    ax = result.ax(row, column)
    image = result.images[row, column] = ax.imshow(
        values, extent=extent, interpolation='nearest', **style)
    _draw_boxes(ax, sample.boxes, GT_COLOR, 0.8)
    _frame(ax, extent, _image_size(sample))
    ax.set_title(title, fontsize=TITLE_SIZE)
    return image


def _draw_image_panel(result: MaskFigure, row: int, sample: Sample,
                      extent) -> None:
    """The image, its gt boxes and the level's feature grid; the level's
    name, grid and stride as the row label."""
    level = result.levels[row]
    h, w = level.shape
    height, width = _image_size(sample)
    ax = result.ax(row, 'image')
    result.images[row, 'image'] = ax.imshow(
        sample.rgb, extent=(0, width, height, 0))
    _draw_boxes(ax, sample.boxes, GT_COLOR)
    left, right, bottom, top = extent
    for x in np.linspace(left, right, w + 1):
        ax.axvline(x, color='white', linewidth=0.4, alpha=0.6)
    for y in np.linspace(top, bottom, h + 1):
        ax.axhline(y, color='white', linewidth=0.4, alpha=0.6)
    _frame(ax, extent, (height, width))
    ax.set_ylabel(f'{level.name}\n{h}×{w}, stride {level.stride}',
                  fontsize=10, fontweight='bold')
    if row == 0:
        ax.set_title(f'image, {len(sample.boxes)} gt boxes\n'
                     'grid: feature cells', fontsize=TITLE_SIZE)


def _draw_mask_panels(result: MaskFigure, row: int, sample: Sample,
                      extent) -> None:
    """AMD's, the same-size random and MGD's masks: the image faint
    underneath, hidden cells dark on top, visible ones transparent."""
    from matplotlib import colors
    mask_cmap = colors.ListedColormap([HIDDEN_RGBA, (1.0, 1.0, 1.0, 0.0)])
    level = result.levels[row]
    height, width = _image_size(sample)
    grey = sample.rgb.mean(axis=2)
    for column, label in (
            ('amd_mask', f'AMD mask, φ={result.phi:g}'),
            ('random_same', 'random, as many as AMD'),
            ('mgd_mask', f'MGD random, λ={result.mgd_ratio:g}')):
        mask = getattr(level, column)
        result.ax(row, column).imshow(
            grey, cmap='gray', vmin=0, vmax=255, alpha=0.45,
            extent=(0, width, height, 0))
        _show_map(result, row, column, mask, sample, extent,
                  f'{label}\n{100 * LevelPanels.hidden(mask):.0f}% hidden',
                  cmap=mask_cmap, vmin=0, vmax=1)


def _draw_feature_panels(result: MaskFigure, row: int, sample: Sample,
                         extent) -> None:
    """Channel-mean ``|F|`` of the detectors drawn, one colour scale per
    level, with its colourbar."""
    from matplotlib import colors
    level = result.levels[row]
    drawn = [(column, getattr(level, column), label)
             for column, label in FEATURE_LABELS if column in result.columns]
    top = max(float(values.max()) for _, values, _ in drawn)
    norm = colors.Normalize(vmin=0.0, vmax=max(top, 1e-12))
    for column, values, label in drawn:
        image = _show_map(result, row, column, values, sample, extent,
                          f'{label}\nmean_c |F|', cmap='magma', norm=norm)
    colorbar = result.figure.colorbar(
        image, ax=[result.ax(row, column) for column, _, _ in drawn],
        fraction=0.05, pad=0.02, aspect=12)
    colorbar.ax.tick_params(labelsize=7)


def _add_attention_colorbar(result: MaskFigure, image, norm, ticks,
                            a_min: float) -> None:
    """One colourbar for the attention of all levels, ``phi`` marked."""
    phi = result.phi
    colorbar = result.figure.colorbar(
        image, ax=result.axes[:, result.columns.index('attention')],
        location='right', shrink=0.7, pad=0.02, aspect=35,
        extend='min' if a_min < norm.vmin else 'neither')
    colorbar.set_ticks(ticks)
    colorbar.set_ticklabels(
        [f'φ={t:g}' if t == phi else f'{t:.3g}' for t in ticks])
    colorbar.ax.tick_params(labelsize=7)
    colorbar.set_label('A (log scale), all levels; red = A > φ = hidden',
                       fontsize=8)


def _add_legend(figure) -> None:
    from matplotlib.patches import Patch
    figure.legend(
        handles=[
            Patch(facecolor=HIDDEN_RGBA, label='hidden'),
            Patch(facecolor='white', edgecolor='0.6', label='visible'),
            Patch(fill=False, edgecolor=GT_COLOR, label='gt box'),
            Patch(fill=False, edgecolor='0.35', linestyle='--',
                  label='image border'),
        ],
        loc='outside lower center', ncol=4, fontsize=8, frameon=False)


# ---------------------------------------------------------------- figure


def draw_mask_figure(sample: Sample,
                     levels: Sequence[LevelPanels],
                     phi: float,
                     tau: float,
                     mgd_ratio: float = MGD_RATIO,
                     title: str = '',
                     anchor_offset: float = 0.0,
                     panel_size: float = 1.75) -> MaskFigure:
    """Draw the grid (one row per level) and return a :class:`MaskFigure`.

    A student column (``baseline``, ``amd_student``) is drawn only when the
    levels hold its features.
    """
    from matplotlib.figure import Figure
    levels = list(levels)
    columns = tuple(
        name for name in COLUMNS
        if name not in STUDENT_COLUMNS or getattr(levels[0], name) is not None)
    rows, cols = len(levels), len(columns)
    figure = Figure(
        figsize=(panel_size * cols + 1.6, panel_size * rows + 1.1),
        layout='constrained')
    result = MaskFigure(figure, figure.subplots(rows, cols, squeeze=False),
                        columns, levels, phi, tau, mgd_ratio,
                        meta=dict(image=sample.path))

    # one attention scale for all levels, diverging at phi
    a_max = max(float(level.attention.max()) for level in levels)
    a_min = min(float(level.attention.min()) for level in levels)
    a_norm, a_ticks = attention_norm(a_min, a_max, phi)
    for row, level in enumerate(levels):
        extent = _grid_extent(level, anchor_offset)
        _draw_image_panel(result, row, sample, extent)
        a_image = _show_map(
            result, row, 'attention', level.attention, sample, extent,
            f'teacher A (Eq 3)\nmax {level.attention.max():.2f}',
            cmap='coolwarm', norm=a_norm)
        _draw_mask_panels(result, row, sample, extent)
        _draw_feature_panels(result, row, sample, extent)
    _add_attention_colorbar(result, a_image, a_norm, a_ticks, a_min)
    _add_legend(figure)
    if title:
        figure.suptitle(title, fontsize=10)
    return result


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
    student that is None gets no column. The teacher's FPN outputs are kept
    in ``meta['features']['teacher']``.
    """
    feats_t = neck_features(teacher, sample)
    feats_b = None if baseline is None else neck_features(baseline, sample)
    feats_s = None if amd_student is None else neck_features(
        amd_student, sample)
    levels = compute_panels(feats_t, masker,
                            level_strides(teacher, len(feats_t)), feats_b,
                            feats_s, mgd_ratio=mgd_ratio, seed=seed)
    result = draw_mask_figure(sample, levels, masker.phi, masker.tau,
                              mgd_ratio=mgd_ratio, title=title,
                              anchor_offset=center_offset(teacher))
    result.meta['features'] = dict(teacher=feats_t)
    return result
