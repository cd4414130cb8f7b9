"""Put committed benchmark results back under ``work_dirs/`` so that they
can be extended without training them again.

A results JSON (:mod:`.publish`) holds every finished run as its
``metrics.json`` had it, with the work dir in ``checkpoint``.
:func:`restore_runs` writes those files back: each run is then done for
:mod:`.runs` (and passes its reuse check), and the report keeps the
training summaries stored in the JSON, since logs are not committed.

The weights are not in the JSON. Runs added to a restored tree that learn
from a trained teacher need the very teacher the restored runs learned
from; :class:`~.benchmark.Benchmark` stops with an error when the
teacher's record is there without its weights. A committed teacher
(:func:`restore_teacher`: a folder with ``teacher.pth``, its ``state_dict``
and ``meta``, and the ``metrics.json`` of its run) starts a new tree of runs
on that teacher; :func:`commit_teacher` writes that folder from a trained
teacher.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional


def _write(path: str, record: Dict) -> None:
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        json.dump(record, f, indent=2)


def _same_teacher(a: Dict, b: Dict) -> bool:
    """Two teacher records of the same weights: same scores and curve."""
    return (a.get('metrics') == b.get('metrics')
            and a.get('training', {}).get('val')
            == b.get('training', {}).get('val'))


def _refuse_another_teacher(record_path: str, teacher: Dict,
                            message: str) -> None:
    """Raise ``RuntimeError(message)`` when ``record_path`` holds the record
    of a teacher other than ``teacher``; nothing there is fine."""
    if not osp.isfile(record_path):
        return
    with open(record_path) as f:
        if not _same_teacher(json.load(f), teacher):
            raise RuntimeError(message)


def _run_dir(run: Dict, teacher_run_dir: Optional[str]) -> str:
    """Where a run's record goes: the folder of the ``final.pth`` it trained;
    a teacher that was only evaluated from a given checkpoint (a setting
    without ``teacher.train``) goes to ``teacher_run_dir``, not beside that
    checkpoint."""
    trained = osp.basename(run['checkpoint']) == 'final.pth'
    if run['group'] == 'teacher' and not trained and teacher_run_dir:
        return teacher_run_dir
    return osp.dirname(run['checkpoint'])


def restore_runs(results_json: str,
                 teacher_run_dir: Optional[str] = None
                 ) -> Dict[str, List[str]]:
    """Write each run's ``metrics.json`` where it was trained (the folder
    of its ``checkpoint``, relative to the current directory; an evaluated
    teacher's in ``teacher_run_dir``), unless one is there. Refuses a work
    dir whose teacher is another one than the JSON's. Returns
    ``{'restored': [...], 'kept': [...]}``."""
    with open(results_json) as f:
        runs = json.load(f)['runs']
    paths = [osp.join(_run_dir(run, teacher_run_dir), 'metrics.json')
             for run in runs]
    for run, path in zip(runs, paths):
        if run['group'] == 'teacher':
            _refuse_another_teacher(
                path, run, f'{path} is another teacher than the one the runs '
                f'of {results_json} learned from: restore them into a work '
                'dir without it')
    done: Dict[str, List[str]] = dict(restored=[], kept=[])
    for run, path in zip(runs, paths):
        if osp.isfile(path):
            done['kept'].append(path)
        else:
            _write(path, run)
            done['restored'].append(path)
    return done


def refuse_another_teacher(folder: str, teacher_run_dir: str) -> None:
    """Raise ``RuntimeError`` when ``teacher_run_dir`` holds the record of
    another teacher than the committed one in ``folder``."""
    with open(osp.join(folder, 'metrics.json')) as f:
        record = json.load(f)
    _refuse_another_teacher(
        osp.join(teacher_run_dir, 'metrics.json'), record,
        f'{teacher_run_dir} holds another teacher than {folder}: choose '
        'another work dir')


def restore_teacher(folder: str, teacher_run_dir: str,
                    teacher_target: str) -> None:
    """Copy a committed teacher (``folder``: ``teacher.pth`` and
    ``metrics.json``) to ``teacher_target``, the checkpoint the setting's
    students read, and its run record to ``teacher_run_dir``. Refuses to
    replace another teacher."""
    refuse_another_teacher(folder, teacher_run_dir)
    with open(osp.join(folder, 'metrics.json')) as f:
        record = json.load(f)
    os.makedirs(osp.dirname(teacher_target) or '.', exist_ok=True)
    shutil.copyfile(osp.join(folder, 'teacher.pth'), teacher_target)
    _write(osp.join(teacher_run_dir, 'metrics.json'),
           dict(record, checkpoint=osp.join(teacher_run_dir, 'final.pth')))


def commit_teacher(run_dir: str, checkpoint: str, folder: str) -> bool:
    """Write a trained teacher in its committed form to ``folder``, what
    :func:`restore_teacher` reads: ``teacher.pth`` with the ``state_dict``
    and ``meta`` of ``checkpoint`` (without the optimizer's state, a third
    of the file) and the ``metrics.json`` of its run in ``run_dir`` (its
    scores and learning curve), the record last. Returns False, writing
    nothing, when ``folder`` holds this teacher already; raises
    ``RuntimeError`` when it holds another one."""
    with open(osp.join(run_dir, 'metrics.json')) as f:
        record = json.load(f)
    committed = osp.join(folder, 'metrics.json')
    weights = osp.join(folder, 'teacher.pth')
    _refuse_another_teacher(
        committed, record, f'{folder} holds another teacher; move it, or '
        'write these results to another --out')
    if osp.isfile(weights) and osp.isfile(committed):
        return False
    import torch
    from mmrazor_amd.compat.checkpoint import load_from_local
    state = load_from_local(checkpoint, map_location='cpu')
    os.makedirs(folder, exist_ok=True)
    torch.save(dict(state_dict=state['state_dict'],
                    meta=state.get('meta') or {}), weights + '.part')
    os.replace(weights + '.part', weights)
    _write(committed, record)
    return True
