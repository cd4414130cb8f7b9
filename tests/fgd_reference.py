"""Float64 references of FGD's loss for ``test_fgd_loss.py``, written from
the formulas of FGD (Yang et al., CVPR 2022, and the authors' reference
loss): plain Python loops for the box masks, float64 tensor arithmetic for
the terms, and the module's context weights copied into a hand-written
GcBlock for the global term. None of them calls a method of the module
under test. Also the batch the term tests share.
"""
import math

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmrazor_amd.models.losses import FGDLoss

TEMP = 0.5


def make_sample(boxes, img_shape, batch_input_shape=None, box_type=None):
    """A DetDataSample with xyxy gt boxes (input-image pixels)."""
    if batch_input_shape is None:
        batch_input_shape = img_shape
    sample = DetDataSample(
        metainfo=dict(
            img_shape=tuple(img_shape),
            batch_input_shape=tuple(batch_input_shape)))
    bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    if box_type is not None:
        bboxes = box_type(bboxes)
    sample.gt_instances = InstanceData(
        bboxes=bboxes, labels=torch.zeros(len(boxes), dtype=torch.long))
    return sample


def ref_masks(boxes_per_image, shapes, height, width):
    """Reference fg/bg masks, float64, with plain loops.

    ``shapes[i]`` is the (H_img, W_img) the boxes are divided by.
    """
    n = len(boxes_per_image)
    fg = torch.zeros(n, height, width, dtype=torch.float64)
    bg = torch.zeros(n, height, width, dtype=torch.float64)
    for i, (boxes, (img_h, img_w)) in enumerate(zip(boxes_per_image, shapes)):
        for x1, y1, x2, y2 in boxes:
            c0 = math.floor(x1 / img_w * width)
            c1 = math.ceil(x2 / img_w * width)
            r0 = math.floor(y1 / img_h * height)
            r1 = math.ceil(y2 / img_h * height)
            value = 1.0 / ((r1 + 1 - r0) * (c1 + 1 - c0))
            for r in range(max(r0, 0), min(r1, height - 1) + 1):
                for c in range(max(c0, 0), min(c1, width - 1) + 1):
                    fg[i, r, c] = max(fg[i, r, c].item(), value)
        count = 0
        for r in range(height):
            for c in range(width):
                if fg[i, r, c] == 0:
                    bg[i, r, c] = 1.0
                    count += 1
        if count:
            bg[i] /= count
    return fg, bg


def ref_attention(feat, temp=TEMP):
    """(spatial (N,H,W), channel (N,C)) in float64 from the formulas."""
    feat = feat.double()
    n, c, h, w = feat.shape
    mag = feat.abs()
    s_logit = mag.sum(dim=1).reshape(n, h * w) / c / temp
    s_exp = torch.exp(s_logit - s_logit.max(dim=1, keepdim=True).values)
    spatial = h * w * s_exp / s_exp.sum(dim=1, keepdim=True)
    c_logit = mag.sum(dim=(2, 3)) / (h * w) / temp
    c_exp = torch.exp(c_logit - c_logit.max(dim=1, keepdim=True).values)
    channel = c * c_exp / c_exp.sum(dim=1, keepdim=True)
    return spatial.reshape(n, h, w), channel


def ref_focal(student, teacher, mask, temp=TEMP):
    """sum ((sqrt(w) S) - (sqrt(w) T))^2 / N, w = mask * A^S(T) * A^C(T)."""
    s_t, c_t = ref_attention(teacher, temp)
    root = (mask.sqrt()[:, None] * s_t.sqrt()[:, None] *
            c_t.sqrt()[:, :, None, None])
    diff = student.double() * root - teacher.double() * root
    return (diff**2).sum() / student.shape[0]


def ref_attention_loss(student, teacher, temp=TEMP):
    s_s, c_s = ref_attention(student, temp)
    s_t, c_t = ref_attention(teacher, temp)
    n = student.shape[0]
    return (c_s - c_t).abs().sum() / n + (s_s - s_t).abs().sum() / n


def ref_context(feat, ctx):
    """Hand-written GcBlock (float64) with weights copied from ``ctx``."""
    feat = feat.double()
    n, c, h, w = feat.shape
    wm = ctx.conv_mask.weight.detach().double().reshape(c)
    bm = ctx.conv_mask.bias.detach().double().reshape(())
    conv1, norm, _, conv2 = ctx.channel_add
    w1 = conv1.weight.detach().double().reshape(c // 2, c)
    b1 = conv1.bias.detach().double()
    g = norm.weight.detach().double().reshape(c // 2)
    beta = norm.bias.detach().double().reshape(c // 2)
    w2 = conv2.weight.detach().double().reshape(c, c // 2)
    b2 = conv2.bias.detach().double()
    out = torch.empty(n, c, dtype=torch.float64)
    for i in range(n):
        flat = feat[i].reshape(c, h * w)
        logits = wm @ flat + bm  # (H*W,)
        p = torch.exp(logits - logits.max())
        p = p / p.sum()
        context = flat @ p  # (C,)
        y = w1 @ context + b1
        y = (y - y.mean()) / torch.sqrt(((y - y.mean())**2).mean() + 1e-5)
        y = torch.relu(y * g + beta)
        out[i] = w2 @ y + b2
    return feat + out[:, :, None, None]


def ref_global(student, teacher, ctx_s, ctx_t):
    diff = ref_context(student, ctx_s) - ref_context(teacher, ctx_t)
    return (diff**2).sum() / student.shape[0]


def randomise_context(loss, seed=0):
    """Give every context parameter a nonzero random value.

    The LayerNorm scale stays near 1 and its shift near 0 so that the
    normalised hidden units (zero mean) keep some positive ones after the
    ReLU; otherwise a dead ReLU could hide a missing gradient path.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in loss.named_parameters():
            if not name.startswith('context_'):
                continue
            noise = torch.randn(
                param.shape, generator=gen,
                dtype=torch.float64).to(param.dtype)
            if '.channel_add.1.' in name:  # the LayerNorm
                offset = 1.0 if name.endswith('weight') else 0.0
                param.copy_(offset + 0.1 * noise)
            else:
                param.copy_(0.3 * noise)


def build(**kwargs):
    cfg = dict(
        student_channels=8,
        teacher_channels=8,
        num_levels=2,
        alpha_fgd=0.0,
        beta_fgd=0.0,
        gamma_fgd=0.0,
        lambda_fgd=0.0)
    cfg.update(kwargs)
    return FGDLoss(**cfg)


# Batch used by the term tests: non-square images (32 x 64) so that a
# height/width mix-up changes the masks; levels (4, 8) and (2, 4), i.e.
# strides 8 and 16, so that box scaling is exact in float32 and float64.
IMG = (32, 64)
LEVEL_SHAPES = [(4, 8), (2, 4)]
BOXES = [
    # overlapping boxes, one touching the right/bottom border, one tiny
    [[0, 0, 8, 8], [0, 0, 20, 24], [50, 26, 64, 32], [41, 17, 42.5, 18]],
    [],  # no boxes at all
    [[0, 0, 64, 32]],  # the whole image: empty background
]


def batch_samples(boxes=BOXES, img_shape=IMG, batch_input_shape=None):
    return [make_sample(b, img_shape, batch_input_shape) for b in boxes]


def random_feats(channels_s=8, channels_t=8, n=3, seed=0,
                 dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    preds_s = tuple(
        torch.randn(n, channels_s, h, w, generator=gen, dtype=dtype)
        for h, w in LEVEL_SHAPES)
    preds_t = tuple(
        torch.randn(n, channels_t, h, w, generator=gen, dtype=dtype)
        for h, w in LEVEL_SHAPES)
    return preds_s, preds_t
