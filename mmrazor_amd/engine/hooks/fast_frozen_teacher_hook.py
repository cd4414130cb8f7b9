"""Run a frozen teacher faster: batch norms folded into the convs, NHWC.

A distilled training step runs the teacher's backbone and neck once per
batch without gradients (``FpnTeacherDistill.loss``). With the teacher
frozen and its norms in eval mode, each ``BatchNorm`` is a fixed affine map
``y = (x - mean) / sqrt(var + eps) * gamma + beta`` that can be folded into
the convolution before it (mmcv's ``fuse_conv_bn``). On a CPU, oneDNN's
convolutions are also faster on channels-last (NHWC) tensors than on the
default NCHW ones. This hook applies both to the teacher:

* ``channels_last``: the teacher's weights become NHWC in place (strides
  only) and the images entering its ``backbone`` too; its feature maps come
  out NHWC, with the same shapes ``(N, C, H, W)``;
* ``fuse_conv_bn``: the backbone runs a folded copy of itself. The copy is
  not a registered module: the teacher's weights, its state dict and the
  checkpoints keep the original convs and norms, and the teacher recorders
  (on the neck) still fire. Before use, the copy is checked against the
  original on a fixed random batch; a backbone whose convs and norms are not
  registered in the order they run (where mmcv's folding pairs the wrong
  ones) is refused with :class:`FastTeacherError`.

The features are the teacher's up to float rounding; the student, its
gradients and the losses are untouched. It runs in ``before_train`` (after
``load_from`` or a resume has loaded the weights) and, for a run that only
validates or tests, in ``before_val`` / ``before_test``; once.

It needs a teacher that does not learn (``teacher_trainable=False``) with
its norms in eval mode (``teacher_norm_eval=True``, MMRazor's defaults).
"""
import copy
from typing import Sequence

import torch
from mmcv.cnn import fuse_conv_bn as fold_norms
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmrazor.registry import HOOKS
from torch import nn

_DONE = '_mmrazor_amd_fast_teacher'
# a folded copy must give the original's features up to this share of their
# largest magnitude (float32 rounding is ~1e-6; a wrong pairing is ~1)
FOLD_TOLERANCE = 1e-3


class FastTeacherError(RuntimeError):
    """The teacher cannot be sped up safely."""


def _nhwc_inputs(module, args):
    """Forward pre-hook: 4-D tensor inputs to channels-last."""
    return tuple(
        arg.contiguous(memory_format=torch.channels_last)
        if torch.is_tensor(arg) and arg.dim() == 4 else arg for arg in args)


def _full_float32_convs():
    """cuDNN convolutions in full float32 for the fold check: with TF32
    (torch's default for cuDNN convs on Ampere and later GPUs) the original
    and the folded backbone round their products to 10 mantissa bits
    instead of 23, so they may differ by more than float32 rounding, which
    would blur the check for a wrong pairing."""
    cudnn = torch.backends.cudnn
    return cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark,
                       deterministic=cudnn.deterministic, allow_tf32=False)


def _as_list(outputs) -> Sequence[torch.Tensor]:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def folded_copy(backbone: nn.Module, channels_last: bool) -> nn.Module:
    """A copy of ``backbone`` with its norms folded into its convs, in eval
    mode, without gradients or hooks, checked on a fixed random batch of
    ``(2, in_channels, 64, 64)`` against ``backbone`` in eval mode."""
    copied = copy.deepcopy(backbone)
    for module in copied.modules():  # the recorders' and ours stay outside
        module._forward_hooks.clear()
        module._forward_pre_hooks.clear()
    folded = fold_norms(copied)
    folded.eval()  # (mmdet's ResNet.train returns None, so no chaining)
    folded.requires_grad_(False)
    if channels_last:
        folded.to(memory_format=torch.channels_last)
    weight = next(backbone.parameters())
    generator = torch.Generator().manual_seed(0)  # not the global generator
    images = torch.randn(2, getattr(backbone, 'in_channels', 3), 64, 64,
                         generator=generator).to(weight.device, weight.dtype)
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.no_grad(), _full_float32_convs():
            expected = _as_list(backbone(images))
            got = _as_list(folded(_nhwc_inputs(None, (images, ))[0]))
    finally:
        backbone.train(was_training)
    for level, (want, have) in enumerate(zip(expected, got)):
        scale = want.abs().max().clamp_min(1e-12)
        gap = float((have - want).abs().max() / scale)
        if have.shape != want.shape or gap > FOLD_TOLERANCE:
            raise FastTeacherError(
                f'folding the norms of {type(backbone).__name__} into its '
                f'convs changes its output {level} (relative gap {gap:.2g}):'
                ' its convs and norms are not registered in the order they '
                'run. Use FastFrozenTeacherHook(fuse_conv_bn=False).')
    return folded


def describe(fuse_conv_bn: bool, channels_last: bool) -> str:
    """How the hook makes the teacher run, in words, e.g. ``'norms folded
    into convs, NHWC'``; ``'as built (NCHW, norms apart)'`` with both off."""
    done = [words for words, on in (('norms folded into convs', fuse_conv_bn),
                                    ('NHWC', channels_last)) if on]
    return ', '.join(done) or 'as built (NCHW, norms apart)'


def speed_up_frozen_teacher(teacher: nn.Module,
                            fuse_conv_bn: bool = True,
                            channels_last: bool = True) -> nn.Module:
    """Make ``teacher`` (a detector with a ``backbone``) run NHWC and/or its
    backbone run a norm-folded copy of itself, in place; once. Returns
    ``teacher``."""
    if getattr(teacher, _DONE, False):
        return teacher
    backbone = getattr(teacher, 'backbone', None)
    if not isinstance(backbone, nn.Module):
        raise FastTeacherError(
            f'the teacher ({type(teacher).__name__}) has no backbone')
    if channels_last:
        teacher.to(memory_format=torch.channels_last)
        backbone.register_forward_pre_hook(_nhwc_inputs)
    if fuse_conv_bn:
        # an instance attribute: backbone(...) still runs the pre-hooks and
        # hooks registered on it, then the folded copy
        backbone.forward = folded_copy(backbone, channels_last).forward
    setattr(teacher, _DONE, True)
    return teacher


def check_frozen_teacher(algorithm: nn.Module) -> None:
    """Raise :class:`FastTeacherError` unless ``algorithm``'s teacher is
    frozen with its norms in eval mode."""
    if getattr(algorithm, 'teacher_trainable', False) or not getattr(
            algorithm, 'teacher_norm_eval', True):
        raise FastTeacherError(
            'FastFrozenTeacherHook needs a frozen teacher with its norms '
            'in eval mode (teacher_trainable=False, teacher_norm_eval='
            'True); this algorithm trains or normalises it')


@HOOKS.register_module()
class FastFrozenTeacherHook(Hook):
    """Speed up the frozen teacher of a distillation algorithm (see the
    module's docstring). In a config::

        default_hooks = dict(
            fast_teacher=dict(type='mmrazor.FastFrozenTeacherHook'))

    Args:
        fuse_conv_bn (bool): run the backbone as a copy with its norms
            folded into its convs. Defaults to True.
        channels_last (bool): run the teacher in channels-last memory
            format. Defaults to True.
    """

    priority = 'LOW'  # after the hooks that check or load the teacher

    def __init__(self, fuse_conv_bn: bool = True, channels_last: bool = True):
        self.fuse_conv_bn = fuse_conv_bn
        self.channels_last = channels_last

    def _apply(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        teacher = getattr(model, 'teacher', None)
        if not isinstance(teacher, nn.Module):
            raise FastTeacherError(
                'FastFrozenTeacherHook needs a distillation algorithm with a '
                f'teacher; {type(model).__name__} has none. Remove the hook '
                'from the hooks of a plain detector config '
                '(default_hooks.fast_teacher=None).')
        check_frozen_teacher(model)
        if getattr(teacher, _DONE, False):
            return
        speed_up_frozen_teacher(teacher, self.fuse_conv_bn,
                                self.channels_last)
        runner.logger.info('FastFrozenTeacherHook: the teacher runs ' +
                           describe(self.fuse_conv_bn, self.channels_last))

    def before_train(self, runner) -> None:
        self._apply(runner)

    def before_val(self, runner) -> None:
        self._apply(runner)

    def before_test(self, runner) -> None:
        self._apply(runner)
