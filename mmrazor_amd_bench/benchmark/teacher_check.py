"""A committed teacher must score on freshly generated data what it scored
when it was committed.

The embedded settings generate their data on the user's machine from a
seed; a committed teacher (``results/embedded-long/teacher/``) was trained
and scored on data generated elsewhere. If the generator, OpenCV's drawing
or numpy's random streams gave other images here, the teacher would meet
data it was not trained on and every student distilled from it would be
measured against a wrong reference. :func:`check_recorded` compares the
fresh evaluation with the recorded one, metric by metric.
"""
import json
from typing import Dict

# COCO metrics are rounded to 3 decimals; identical data and weights give
# the recorded values up to float rounding across CPUs and BLAS builds.
TOLERANCE = 0.005


class TeacherMismatchError(RuntimeError):
    """The fresh evaluation of a committed teacher differs from its
    record."""


def recorded_metrics(path: str) -> Dict[str, float]:
    with open(path) as f:
        return json.load(f)['metrics']


def check_recorded(fresh: Dict[str, float], recorded_file: str,
                   data_root: str, tolerance: float = TOLERANCE) -> str:
    """Compare ``fresh`` metrics with those in ``recorded_file``; return a
    line that says they match, or raise :class:`TeacherMismatchError`
    naming every metric that differs by more than ``tolerance``."""
    recorded = recorded_metrics(recorded_file)
    differ = {key: (fresh.get(key), value) for key, value in recorded.items()
              if fresh.get(key) is None
              or abs(fresh[key] - value) > tolerance}
    if differ:
        listed = ', '.join(f'{key} {new} (recorded {old})'
                           for key, (new, old) in differ.items())
        raise TeacherMismatchError(
            f'the committed teacher scores differently on {data_root} than '
            f'when it was committed ({recorded_file}): {listed}. The data '
            'generated here differ from the data it was trained and scored '
            'on (generator version, its arguments, or OpenCV/numpy drawing '
            'differently); regenerate them with the setting\'s arguments '
            '(--redo data), or train a teacher on these data.')
    return (f'test mAP {100 * fresh["mAP"]:.1f}, as recorded in '
            f'{recorded_file} ({100 * recorded["mAP"]:.1f})')
