"""Put a committed benchmark back under ``work_dirs/`` so that it can be
extended (more seeds, the ablations, the phi sweep) without retraining it.

A results JSON (:mod:`.publish`) holds every finished run as its
``metrics.json`` had it, with the work dir in ``checkpoint``. Writing those
files back makes :meth:`~.runs.Run.done` true for each of them, and the
report keeps their stored training summaries (their logs are not
committed). The students of a trained-teacher setting also need the
teacher's weights: a copy committed next to the results (``teacher.pth``,
the ``state_dict`` and ``meta`` of its final checkpoint) goes to the
setting's teacher checkpoint.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional


def restore(results_json: str, teacher_weights: Optional[str] = None,
            teacher_target: Optional[str] = None) -> Dict[str, List[str]]:
    """Write each run's ``metrics.json`` where it was trained, unless one
    is there; copy ``teacher_weights`` to ``teacher_target`` unless that
    exists. Paths in the JSON are relative to the current directory (the
    repository root). Returns ``{'restored': [...], 'kept': [...]}``."""
    with open(results_json) as f:
        runs = json.load(f)['runs']
    trains_teacher = teacher_target is not None
    if trains_teacher and not osp.isfile(teacher_target):
        if teacher_weights is None or not osp.isfile(teacher_weights):
            raise FileNotFoundError(
                f'the students need the teacher at {teacher_target}, and '
                f'there is no committed copy at {teacher_weights}: train it '
                'again (scripts/benchmark.py does) or restore without it')
        os.makedirs(osp.dirname(teacher_target) or '.', exist_ok=True)
        shutil.copyfile(teacher_weights, teacher_target)
    done: Dict[str, List[str]] = dict(restored=[], kept=[])
    for run in runs:
        path = osp.join(osp.dirname(run['checkpoint']), 'metrics.json')
        if run['group'] == 'teacher' and not trains_teacher:
            continue  # a model-zoo teacher is only evaluated: cheap
        if osp.isfile(path):
            done['kept'].append(path)
            continue
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            json.dump(run, f, indent=2)
        done['restored'].append(path)
    return done
