"""What a run logged while it trained: validation curve and loss balance.

mmengine's ``LocalVisBackend`` writes every logged scalar to
``<work_dir>/<timestamp>/vis_data/scalars.json`` (one json object a line,
with its ``step``); a resumed run adds a folder. :func:`read_scalars` merges
them; :func:`summarise_training` keeps what the reports draw.
"""
import glob
import json
import os.path as osp
from typing import Dict, List

# logged training scalars kept in the summary (prefix match)
TRAIN_KEYS = ('loss', 'student.loss', 'distill.', 'grad_norm', 'lr')
VAL_KEY = 'coco/bbox_mAP'


def read_scalars(work_dir: str) -> List[Dict]:
    """Every logged record of the run: training log lines (with ``iter``;
    ``step`` = iteration) by iteration, then validations (``step`` =
    epoch, ``coco/...`` keys, none when nothing was detected) by epoch.
    Records that a resumed run logged again replace the earlier ones.
    """
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    train, val = {}, {}
    for path in files:  # timestamp folders sort in time order
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                record = json.loads(line)
                target = train if 'iter' in record else val
                target[record.get('step')] = record
    return [train[k] for k in sorted(train)] + [val[k] for k in sorted(val)]


def summarise_training(records: List[Dict]) -> Dict:
    """``val``: ``[{epoch, mAP}]`` of the in-training validations (COCO
    values in [0, 1]); ``train``: ``{key: [[iteration, value], ...]}`` of
    the losses, the balance scalars, ``grad_norm`` and ``lr``;
    ``seconds_per_iter``: the median of the logged iteration times (robust
    to a run that was paused or resumed, unlike its wall time) and
    ``iters``, the last logged iteration."""
    import statistics
    val, train, times = [], {}, []
    for record in records:
        if 'iter' not in record:  # CocoMetric logs nothing without boxes
            val.append(dict(epoch=record['step'],
                            mAP=record.get(VAL_KEY, 0.0)))
            continue
        step = record.get('iter', record.get('step'))
        if isinstance(record.get('time'), (int, float)):
            times.append(record['time'])
        for key, value in record.items():
            if key.startswith(TRAIN_KEYS) and isinstance(value, (int, float)):
                train.setdefault(key, []).append([step, value])
    iters = max((r.get('iter', 0) for r in records), default=0)
    return dict(val=val, train=train, iters=iters,
                seconds_per_iter=statistics.median(times) if times else None)
