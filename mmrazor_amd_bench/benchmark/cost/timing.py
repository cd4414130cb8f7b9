"""Wall-clock timing: one callable, interleaved methods, stages of a step.

On a GPU the time of a callable comes from CUDA events around it; the
stages of a step are read from the host clock after synchronising, so that
each stage is charged with the device work it queued.
"""
import statistics
import sys
import time
from typing import Callable, Dict, List, Sequence

import torch

Times = Dict[str, List[float]]


def is_cuda(device: str) -> bool:
    return torch.device(device).type == 'cuda'


def time_call(fn: Callable[[], object], device: str) -> float:
    """Seconds that ``fn()`` takes; CUDA events on a GPU."""
    if is_cuda(device):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000.0
    begin = time.perf_counter()
    fn()
    return time.perf_counter() - begin


def interleaved(runners: Dict[str, Callable[[], object]], warmup: int,
                repeats: int, device: str) -> Times:
    """Seconds of each runner over ``repeats`` rounds after ``warmup``.

    Every round runs each method once, in an order that rotates from round
    to round, so that drift of the machine (clock frequency, other load)
    hits all methods alike.
    """
    names = list(runners)
    times: Times = {name: [] for name in names}
    for round_ in range(warmup + repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = time_call(runners[name], device)
            if round_ >= warmup:
                times[name].append(seconds)
    return times


def paired_ratios(values: Sequence[float],
                  reference: Sequence[float]) -> Dict[str, float]:
    """``values`` against ``reference``: the ratio of the medians and the
    median of the per-round ratios."""
    return dict(
        ratio_of_medians=statistics.median(values) /
        statistics.median(reference),
        median_paired_ratio=statistics.median(
            [v / r for v, r in zip(values, reference)]))


def summary(times: Times, reference: str) -> Dict[str, Dict]:
    """Median, range and ratios to ``reference`` of each method."""
    return {
        name: dict(
            median_s=statistics.median(values),
            min_s=min(values),
            max_s=max(values),
            repeats=len(values),
            times_s=values,
            **paired_ratios(values, times[reference]))
        for name, values in times.items()
    }


class Stopwatch:
    """Seconds between consecutive :meth:`lap` calls, by stage name."""

    def __init__(self, device: str) -> None:
        self.cuda = is_cuda(device)
        self.laps: Dict[str, float] = {}
        self._last = self._now()

    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def lap(self, stage: str) -> None:
        now = self._now()
        self.laps[stage] = now - self._last
        self._last = now


def print_op_table(step: Callable[[], object], device: str,
                   rows: int = 30) -> None:
    """``torch.profiler``'s op table of one call of ``step`` (after one
    call to warm up), sorted by self time."""
    from torch.profiler import ProfilerActivity, profile
    step()
    activities = [ProfilerActivity.CPU]
    if is_cuda(device):
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities, record_shapes=True) as prof:
        step()
    table = prof.key_averages()
    if not is_cuda(device):
        sys.stdout.write(table.table(sort_by='self_cpu_time_total',
                                     row_limit=rows) + '\n')
        return
    try:  # renamed in torch 2.4
        text = table.table(sort_by='self_device_time_total', row_limit=rows)
    except (AttributeError, KeyError, ValueError):
        text = table.table(sort_by='self_cuda_time_total', row_limit=rows)
    sys.stdout.write(text + '\n')
