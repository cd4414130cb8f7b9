"""Whether a teacher and a student can be distilled feature to feature.

A distillation config pairs what the student's and the teacher's recorders
hold, through ``loss_forward_mappings``: for FPN distillation the neck
outputs, a tuple of levels. A pair of detectors that does not fit (a
different number of FPN levels, other strides, other channels without an
align conv) otherwise fails inside the first training step with an index or
broadcast error that names neither detector.

:func:`check_distill_pair` runs both detectors' ``extract_feat`` once on a
random image, without gradients and in eval mode, inside the distiller's
recorders, and checks every mapped loss input that the recorders then hold
(records that only a training step fills, e.g. FGD's gt boxes, are skipped):

* a ``data_idx`` inside the record (e.g. level 4 of a 4-level neck);
* the same number of levels on both sides, equal to a loss's
  ``num_levels``;
* for the losses that compare maps position by position (those with
  ``student_channels``/``teacher_channels``: AMD, MGD and FGD's, which
  align the student's channels with a 1x1 conv; and MMRazor's
  :data:`MAP_LOSSES`), per level the same spatial size and the channels the
  loss expects: the declared ones, or the teacher's. A connector of the
  mapping may map one to the other: the check reads the connectors'
  outputs, as the losses do. Other losses (e.g. on pooled embeddings) are
  checked for their levels only.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor


# MMRazor's losses that compare the student's and the teacher's maps
# position by position and channel by channel, without aligning them
MAP_LOSSES = ('PKDLoss', 'ChannelWiseDivergence', 'L1Loss', 'L2Loss')

_SWITCH_OFF = ('(This check: default_hooks.pair_check; '
               'default_hooks.pair_check=None switches it off.)')


class DistillPairError(ValueError):
    """The student and the teacher cannot be paired as configured."""

    def __init__(self, message: str) -> None:
        super().__init__(f'{message} {_SWITCH_OFF}')


def check_distill_pair(algorithm, image_size: int = 288) -> List[str]:
    """Check ``algorithm`` (an MMRazor distillation algorithm with
    ``architecture``, ``teacher`` and ``distiller``).

    Args:
        algorithm: the built algorithm, e.g. ``FpnTeacherDistill``.
        image_size (int): side of the random ``(1, 3, S, S)`` input. The
            default 288 is a multiple of 32 (mmdet pads images to one) and
            not of 64, so that levels made by pooling and by strided convs
            differ here where they would differ in training.

    Returns:
        list[str]: the names of the losses whose inputs were checked (those
        with one student and one teacher input recorded by a backbone and
        neck pass).

    Raises:
        DistillPairError: naming the loss, the input and the cause.
    """
    distiller = algorithm.distiller
    first = next(algorithm.architecture.parameters())
    devices = [first.device] if first.device.type == 'cuda' else []
    checked = []
    # the connectors may draw random numbers (MGD's masks): the generators
    # are kept as they were
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        _record_once(algorithm, image_size, first)
        for loss_name, mapping in distiller.loss_forward_mappings.items():
            inputs = {}
            for key, record in mapping.items():
                value = _mapped_record(distiller, loss_name, key, record)
                if value is not None:
                    inputs[key] = (record['from_student'], value)
            loss = distiller.distill_losses[loss_name]
            students = [v for from_s, v in inputs.values() if from_s]
            teachers = [v for from_s, v in inputs.values() if not from_s]
            if len(students) == 1 and len(teachers) == 1:
                _check_features(loss_name, loss, students[0], teachers[0])
                checked.append(loss_name)
    return checked


def _record_once(algorithm, image_size: int, first: Tensor) -> None:
    """Fill the recorders with one eval-mode pass of both detectors on a
    random image (on the device and dtype of ``first``); the modules' train
    flags are kept."""
    generator = torch.Generator().manual_seed(0)
    image = torch.randn(1, 3, image_size, image_size, generator=generator)
    image = image.to(first.device, first.dtype)
    modes = [(m, m.training) for m in algorithm.modules()]
    algorithm.eval()
    distiller = algorithm.distiller
    try:
        with distiller.student_recorders, distiller.teacher_recorders:
            algorithm.architecture.extract_feat(image)
            algorithm.teacher.extract_feat(image)
    finally:
        for module, mode in modes:
            module.training = mode


def _mapped_record(distiller, loss_name: str, key: str,
                   record: Dict[str, Any]) -> Optional[Any]:
    """What ``key`` of ``loss_name`` receives (MMRazor's
    ``ConfigurableDistiller.get_record``), or None when its recorder holds
    nothing outside a training step; a ``data_idx`` that the record cannot
    serve is named."""
    role = 'student' if record['from_student'] else 'teacher'
    manager = (distiller.student_recorders if record['from_student'] else
               distiller.teacher_recorders)
    recorder = manager.get_recorder(record['recorder'])
    buffer = recorder.data_buffer
    record_idx = record.get('record_idx', 0)
    if len(buffer) <= record_idx:
        return None
    data = buffer[record_idx]
    data_idx = record.get('data_idx')
    if data_idx is not None:
        if not isinstance(data, (list, tuple)):
            raise DistillPairError(
                f'{loss_name}: {key} reads element {data_idx} of the '
                f"{role}'s record '{record['recorder']}' "
                f'({recorder.source}), which is a {type(data).__name__}, '
                'not a tuple of levels: drop data_idx from the mapping.')
        if data_idx >= len(data):
            raise DistillPairError(
                f'{loss_name}: {key} reads element {data_idx} of the '
                f"{role}'s record '{record['recorder']}' "
                f'({recorder.source}), which holds {len(data)}: the {role} '
                f'gives {len(data)} level(s). {_SAME_LEVELS}')
    return distiller.get_record(**record)


_SAME_LEVELS = ('Feature distillation pairs the levels one by one: give '
                "the student's neck the teacher's levels (FPN num_outs, "
                'start_level and strides).')


def _levels(value) -> Sequence[Tensor]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _check_features(loss_name: str, loss, student, teacher) -> None:
    students, teachers = _levels(student), _levels(teacher)
    kind = type(loss).__name__
    if len(students) != len(teachers):
        raise DistillPairError(
            f'{loss_name} ({kind}): the student gives {len(students)} '
            f'feature level(s) and the teacher {len(teachers)}. '
            f'{_SAME_LEVELS}')
    num_levels = getattr(loss, 'num_levels', None)
    if isinstance(student, (list, tuple)) and num_levels is not None \
            and num_levels != len(students):
        raise DistillPairError(
            f'{loss_name} ({kind}): num_levels={num_levels}, but both '
            f'detectors give {len(students)} levels; set num_levels='
            f'{len(students)}.')
    declared = getattr(loss, 'student_channels', None) is not None
    if not declared and kind not in MAP_LOSSES:
        return  # a loss that may compare other things than the maps
    for level, (s, t) in enumerate(zip(students, teachers)):
        if isinstance(s, Tensor) and isinstance(t, Tensor) and \
                s.dim() == t.dim() == 4:
            _check_level(loss_name, kind, loss, level, len(students) > 1, s,
                         t)


def _check_level(loss_name: str, kind: str, loss, level: int, named: bool,
                 student: Tensor, teacher: Tensor) -> None:
    where = f'{loss_name} ({kind})' + (f', level {level}' if named else '')
    s_shape: Tuple[int, ...] = tuple(student.shape)
    t_shape: Tuple[int, ...] = tuple(teacher.shape)
    if s_shape[2:] != t_shape[2:]:
        raise DistillPairError(
            f'{where}: on the same image the student map is {s_shape} and '
            f"the teacher's {t_shape}: their strides differ. {_SAME_LEVELS}")
    declared = (getattr(loss, 'student_channels', None),
                getattr(loss, 'teacher_channels', None))
    if declared != (None, None):
        for role, got, want in (('student', s_shape[1], declared[0]),
                                ('teacher', t_shape[1], declared[1])):
            if got != want:
                raise DistillPairError(
                    f'{where}: the {role} has {got} channels, the loss is '
                    f'configured with {role}_channels={want}; set '
                    f'{role}_channels={got}.')
    elif s_shape[1] != t_shape[1]:
        raise DistillPairError(
            f'{where}: the student has {s_shape[1]} channels and the '
            f'teacher {t_shape[1]}, and {kind} does not align them. Give '
            "the student's neck the teacher's out_channels, or map the "
            'student through a connector (e.g. MMRazor\'s '
            'ConvModuleConnector), or use a loss that aligns its input '
            '(AMDLoss, MultiLevelMGDLoss, FGDLoss: student_channels, '
            'teacher_channels).')
