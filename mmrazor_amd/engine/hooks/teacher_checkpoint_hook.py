"""Stop a distillation run whose teacher checkpoint does not fit the teacher.

MMRazor loads ``model.teacher_ckpt`` with ``strict=False``: missing keys and
shape mismatches are only logged, and training goes on with part of the
teacher at its random initialisation, which silently ruins the distillation.
This hook, run once before training (or testing) starts, re-reads the
checkpoint and compares it with the teacher's weights:

* in the *distilled path* (the ``backbone`` and every top-level module that
  a teacher recorder reads, e.g. ``neck``), a missing key, a shape mismatch
  or a weight that differs from the file is fatal
  (:class:`TeacherCheckpointError`);
* elsewhere (e.g. the teacher's head, unused by FPN distillation) the
  differences are logged as a warning.

Without ``teacher_ckpt`` (random teacher) it logs a warning.
"""
import re
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint
from mmrazor.registry import HOOKS


class TeacherCheckpointError(RuntimeError):
    """The teacher checkpoint does not match the distilled teacher."""


def distilled_modules(model) -> List[str]:
    """Top-level teacher modules whose weights shape the recorded features:
    the backbone and the modules named by the teacher recorders' sources."""
    teacher_children = dict(model.teacher.named_children())
    names = ['backbone'] if 'backbone' in teacher_children else []
    recorders = getattr(model.distiller, 'teacher_recorders', None)
    for recorder in getattr(recorders, 'recorders', {}).values():
        top = str(getattr(recorder, 'source', '')).split('.')[0]
        if top in teacher_children and top not in names:
            names.append(top)
    return names


def compare(model_state: Dict[str, torch.Tensor],
            file_state: Dict[str, torch.Tensor]) -> Dict[str, List[str]]:
    """Keys of ``model_state`` missing from the file, with another shape, or
    with other values; and keys of the file the model does not have."""
    problems = dict(missing=[], shape=[], value=[], unexpected=[])
    for key, value in model_state.items():
        if key not in file_state:
            problems['missing'].append(key)
        elif tuple(file_state[key].shape) != tuple(value.shape):
            problems['shape'].append(
                f'{key}: file {tuple(file_state[key].shape)}, '
                f'model {tuple(value.shape)}')
        elif not torch.equal(file_state[key].to(value.device, value.dtype),
                             value):
            problems['value'].append(key)
    problems['unexpected'] = [k for k in file_state if k not in model_state]
    return problems


def _summary(keys: Sequence[str], limit: int = 5) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' and {len(keys) - limit} more' if len(keys) > limit
                    else '')


@HOOKS.register_module()
class TeacherCheckpointHook(Hook):
    """Check ``model.teacher_ckpt`` against the teacher before the run.

    Args:
        distilled (list[str], optional): top-level teacher modules where a
            mismatch is fatal. Defaults to the backbone plus the modules the
            teacher recorders read (:func:`distilled_modules`).
    """

    priority = 'VERY_HIGH'

    def __init__(self, distilled: Optional[Sequence[str]] = None) -> None:
        self.distilled = list(distilled) if distilled is not None else None

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'teacher') or not hasattr(model, 'distiller'):
            return
        path = runner.cfg.get('model', {}).get('teacher_ckpt')
        if not path:
            runner.logger.warning(
                'model.teacher_ckpt is not set: the teacher keeps its random '
                'initialisation and the student learns nothing useful from '
                'it. Set model.teacher_ckpt to a trained teacher.')
            return
        checkpoint = _load_checkpoint(path, map_location='cpu')
        state = checkpoint.get('state_dict', checkpoint)
        state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
        distilled = self.distilled or distilled_modules(model)
        problems = compare(model.teacher.state_dict(), state)

        def split(keys):
            inside = [k for k in keys if k.split('.')[0] in distilled]
            return inside, [k for k in keys if k not in inside]

        fatal, minor = [], []
        for kind, what in (('missing', 'missing from the file'),
                           ('shape', 'with another shape'),
                           ('value', 'not loaded from the file')):
            inside, outside = split(problems[kind])
            if inside:
                fatal.append(f'{len(inside)} {what}: {_summary(inside)}')
            if outside:
                minor.append(f'{len(outside)} {what}: {_summary(outside)}')
        if problems['unexpected']:
            minor.append(f'{len(problems["unexpected"])} keys of the file '
                         'that the teacher does not have: '
                         f'{_summary(problems["unexpected"])}')
        if fatal:
            raise TeacherCheckpointError(
                f'the teacher checkpoint {path} does not fit the teacher in '
                f'its distilled modules ({", ".join(distilled)}); '
                + '; '.join(fatal) + '. Is it a checkpoint of the teacher '
                'architecture in model.teacher? Set model.teacher_ckpt to '
                'the matching checkpoint.')
        if minor:
            runner.logger.warning(
                f'teacher checkpoint {path}: outside the distilled modules, '
                + '; '.join(minor))
        else:
            runner.logger.info(
                f'teacher checkpoint {path} matches the teacher')
