"""The detectors of a figure and the masker it draws.

* the distillation algorithm of an MMRazor config (its ``teacher`` and its
  AMD ``student``), from a distillation checkpoint or randomly initialised;
* the baseline student, an mmdet detector (``mmdet.apis.init_detector``);
* the :class:`AdaptiveMasker` of the config's ``AMDLoss``.
"""
import warnings
from typing import Optional

import torch
from mmengine.registry import DefaultScope

from mmrazor_amd.models.architectures.maskers import AdaptiveMasker
from mmrazor_amd.utils import register_all_modules

AMD_LOSS_TYPE = 'AMDLoss'


def _type_name(module_cfg) -> str:
    """``'AMDLoss'`` for ``type='AMDLoss'`` or ``type='mmrazor.AMDLoss'``."""
    return str(module_cfg.get('type', '')).split('.')[-1]


def amd_masker(cfg, phi: Optional[float] = None) -> AdaptiveMasker:
    """The masker of the ``AMDLoss`` in ``cfg.model.distiller.distill_losses``
    (its ``masker`` config), with ``phi`` overridden when given.

    A config whose AMD loss hides at random (the Ada-Mask ablation) gets a
    default :class:`AdaptiveMasker` (``phi`` 1 unless given), with a
    warning: the figure always draws the adaptive mask.
    """
    losses = cfg.model.get('distiller', {}).get('distill_losses', {})
    amd_losses = [loss for loss in losses.values()
                  if _type_name(loss) == AMD_LOSS_TYPE]
    if not amd_losses:
        raise ValueError('the distillation config has no AMDLoss in '
                         'model.distiller.distill_losses')
    masker_cfg = dict(amd_losses[0].get('masker') or {})
    if masker_cfg and _type_name(masker_cfg) != 'AdaptiveMasker':
        warnings.warn(f'the AMD loss hides with {masker_cfg["type"]}; the '
                      'mask drawn is the adaptive one')
        masker_cfg = {}
    masker_cfg.pop('type', None)
    if phi is not None:
        masker_cfg['phi'] = phi
    return AdaptiveMasker(**masker_cfg)


def load_weights(model: torch.nn.Module, checkpoint: str) -> None:
    """Load a checkpoint into ``model`` (mmengine, strict): a distillation
    checkpoint (``architecture.*``, ``teacher.*``, ``distiller.*``) into the
    algorithm, or a plain mmdet checkpoint into its teacher."""
    from mmengine.runner import load_checkpoint
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                    logger='silent')


def build_distill_model(cfg, checkpoint: Optional[str] = None,
                        device: str = 'cpu'):
    """The distillation algorithm of ``cfg`` (teacher + student + distiller),
    in eval mode.

    The teacher checkpoint of the config is not read (``teacher_ckpt=None``):
    the whole algorithm comes from ``checkpoint``, or stays randomly
    initialised (seed 0) when ``checkpoint`` is None.
    """
    register_all_modules()
    from mmrazor.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg['teacher_ckpt'] = None
    torch.manual_seed(0)  # reproducible random init without checkpoint
    with DefaultScope.overwrite_default_scope('mmrazor'):
        model = MODELS.build(model_cfg)
    if checkpoint:
        load_weights(model, checkpoint)
    model.to(device)
    model.eval()  # mmrazor's train() override returns None: no chaining
    return model


def build_baseline(cfg, checkpoint: Optional[str] = None,
                   device: str = 'cpu'):
    """The baseline student: ``mmdet.apis.init_detector`` of ``cfg`` (a path
    or a Config), randomly initialised (seed 1) when ``checkpoint`` is None.
    """
    register_all_modules()
    from mmdet.apis import init_detector
    torch.manual_seed(1)
    # init_detector sets mmdet as the default scope and changes the warning
    # filters: both only for this build
    with DefaultScope.overwrite_default_scope('mmdet'), \
            warnings.catch_warnings():
        return init_detector(cfg, checkpoint, device=device)
