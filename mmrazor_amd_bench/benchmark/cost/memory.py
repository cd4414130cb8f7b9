"""Peak memory of one loss method's forward + backward.

Each method runs in a fresh process (``python -m
mmrazor_amd_bench.benchmark.cost.memory METHOD ...``), which prints its result as
one ``MEMORY {json}`` line.

On the CPU, glibc's mmap threshold is fixed at 64 KiB
(``MALLOC_MMAP_THRESHOLD_``) so that every large buffer goes back to the
system when freed. The child builds the inputs, runs one warm-up step (code
pages, oneDNN kernels), resets the kernel's high-water mark of its resident
set to the current RSS (``/proc/self/clear_refs``), runs two more steps and
reports ``VmHWM - VmRSS before``: the peak extra memory of a step, every
allocation counted, oneDNN's buffers that bypass torch's allocator
included. Where the reset is not allowed it falls back on ``ru_maxrss``
minus the RSS before, valid only when the step grows past the earlier peak
(``valid`` in the result). As a cross-check the child replays one step
under ``torch.profiler`` (``profile_memory=True``) and reports the peak of
torch's allocator from its memory timeline (private API: reported when
available). ``tracemalloc`` is not used: it sees Python objects, not tensor
storage.

On CUDA: ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats``, minus the memory held before the step.
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
from typing import Callable, Dict, Optional

import torch

from .methods import LOSS_METHODS, LossProblem, loss_inputs, loss_step
from .timing import is_cuda

PREFIX = 'MEMORY '


def _status_bytes(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` of this process from /proc/self/status."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak_rss() -> bool:
    """Reset the kernel's high-water mark of this process to its current
    RSS (Linux >= 4.0, ``/proc/self/clear_refs``); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def allocator_peak(step: Callable[[], None]) -> Optional[int]:
    """Peak of torch's CPU allocator during ``step``, from torch.profiler's
    memory timeline (private API; None when it is not there)."""
    try:
        from torch.profiler import ProfilerActivity, profile
        from torch.profiler._memory_profiler import Action
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True,
                     record_shapes=True, with_stack=True) as prof:
            step()
        live = peak = 0
        events = [e for e in prof._memory_profile().timeline if e[0] >= 0]
        for _, action, key, size in sorted(events, key=lambda e: e[0]):
            tensor_key = key[0] if isinstance(key, tuple) else key
            if tensor_key.device.type != 'cpu':
                continue
            if action == Action.CREATE:
                live += size
            elif action == Action.DESTROY:
                live -= size
            peak = max(peak, live)
        return peak
    except Exception as error:  # noqa: BLE001  (diagnostic only)
        print(f'allocator peak unavailable: {error!r}', file=sys.stderr)
        return None


def _cuda_peak(step: Callable[[], None]) -> Dict:
    step()  # warm-up: cuDNN workspaces and the caching allocator
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    step()
    torch.cuda.synchronize()
    return dict(
        peak_bytes=torch.cuda.max_memory_allocated() - before,
        how='cuda max_memory_allocated - memory_allocated before')


def _cpu_peak(step: Callable[[], None]) -> Dict:
    step()  # warm-up: lazily loaded code pages, oneDNN kernels
    # The high-water mark may already be above the current RSS (imports,
    # building the inputs): reset it where the kernel allows; otherwise
    # ru_maxrss only sees a step that grows past the earlier peak.
    reset = _reset_peak_rss()
    before, hwm_before = _status_bytes('VmRSS'), _status_bytes('VmHWM')
    maxrss_before = _max_rss_bytes()
    step()
    step()
    if reset:
        peak = _status_bytes('VmHWM')
        how = ('VmHWM (reset to VmRSS once the inputs exist) - VmRSS, '
               'fresh process')
    else:
        peak = _max_rss_bytes()
        how = 'ru_maxrss - VmRSS once the inputs exist, fresh process'
    return dict(
        peak_bytes=peak - before,
        rss_before_bytes=before,
        hwm_before_bytes=hwm_before,
        maxrss_before_bytes=maxrss_before,
        peak_rss_bytes=peak,
        how=how,
        valid=bool(reset or peak > maxrss_before),
        allocator_peak_bytes=allocator_peak(step))


def peak_of_step(name: str, problem: LossProblem, device: str) -> Dict:
    """In this process: the peak extra memory of one step of ``name``."""
    students, teachers = loss_inputs(problem, device)
    step = loss_step(name, problem, device, students, teachers)
    result = _cuda_peak(step) if is_cuda(device) else _cpu_peak(step)
    inputs = sum(t.numel() * t.element_size() for t in students + teachers)
    return dict(method=name, inputs_bytes=inputs, **result)


def measure_memory(name: str, problem: LossProblem, device: str,
                   threads: Optional[int] = None) -> Dict:
    """:func:`peak_of_step` of ``name`` in a fresh process."""
    command = [sys.executable, '-m', __name__, name, '--device', device,
               '--problem', json.dumps(problem._asdict())]
    if threads:
        command += ['--threads', str(threads)]
    # A fixed mmap threshold turns off glibc's dynamic one, so every large
    # tensor is mmapped and unmapped on free: the RSS follows the live
    # tensors, and the warm-up step leaves no freed memory in the heap that
    # the measured steps would reuse unseen.
    package_parent = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    path = os.environ.get('PYTHONPATH')
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536',
               PYTHONPATH=package_parent + (os.pathsep + path if path else ''))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in done.stdout.splitlines():
        if line.startswith(PREFIX):
            return json.loads(line[len(PREFIX):])
    raise RuntimeError(f'memory child for {name} failed:\n'
                       f'{done.stdout[-2000:]}\n{done.stderr[-4000:]}')


def compare(memory: Dict[str, Dict], reference: str) -> None:
    """Add each method's ratios to ``reference`` (RSS and allocator)."""
    ref = memory[reference]
    for result in memory.values():
        result['ratio_to_' + reference] = (
            result['peak_bytes'] / ref['peak_bytes'])
        alloc, ref_alloc = (result.get('allocator_peak_bytes'),
                            ref.get('allocator_peak_bytes'))
        if alloc and ref_alloc:
            result[f'allocator_ratio_to_{reference}'] = alloc / ref_alloc


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('method', choices=LOSS_METHODS)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--problem', type=json.loads, default='{}',
                        help='fields of LossProblem, as JSON')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = peak_of_step(args.method, LossProblem(**args.problem),
                          args.device)
    print(PREFIX + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
