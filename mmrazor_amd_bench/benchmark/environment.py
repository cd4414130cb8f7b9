"""Where a measurement was taken: machine, software and how busy it was.

Shared by the benchmark and the cost script, so that every reported figure
carries the same description of its machine.
"""
import os
import platform
import shlex
import subprocess
from typing import Dict, Sequence

# command-line fragments of the project's own heavy jobs
HEAVY_JOBS = ('scripts/demo.py', 'scripts/benchmark.py', 'scripts/train.py',
              'dist_train.sh', 'mim train', 'mim test', 'tools/train.py')


def cpu_name() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_name() -> str:
    """One line naming the machine a run trained on, kept with the run."""
    return f'{cpu_name()}, {os.cpu_count()} logical CPUs'


def machine(device: str = 'cpu') -> Dict:
    """The machine and the software stack (mmengine's ``collect_env`` plus
    the CPU, the cores, the torch threads and the OpenMMLab versions)."""
    import mmcv
    import mmdet
    import mmrazor
    import torch
    from mmengine.utils.dl_utils import collect_env

    import mmrazor_amd
    env = {k: v for k, v in collect_env().items()
           if k != 'PyTorch compiling details'}
    info = dict(
        cpu=cpu_name(),
        logical_cores=os.cpu_count(),
        torch_threads=torch.get_num_threads(),
        device=device,
        mmcv=mmcv.__version__,
        mmdet=mmdet.__version__,
        mmrazor=mmrazor.__version__,
        mmrazor_amd=mmrazor_amd.__version__,
        **env)
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name()
    return info


def _cpu_seconds(pid: str) -> float:
    """User plus system CPU time of a process so far (``/proc/<pid>/stat``)."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _heavy_jobs() -> Dict[str, str]:
    """pid -> ``'<pid> (<job>)'`` for the project's heavy jobs but this one."""
    jobs = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) in (os.getpid(), os.getppid()):
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(
                    errors='replace')
        except OSError:
            continue
        for job in HEAVY_JOBS:
            if job in cmdline:
                jobs[pid] = f'{pid} ({job})'
                break
    return jobs


def busy(window_s: float = 1.0, idle_share: float = 0.05) -> str:
    """A sentence naming other heavy jobs and the load, or ''.

    Each job's CPU time is read twice, ``window_s`` apart: a job that used
    less than ``idle_share`` of a core meanwhile (stopped with SIGSTOP, or a
    parent such as ``scripts/benchmark.py`` waiting for a stopped child) is
    named apart as idle; the others compete for the cores."""
    import time
    jobs = _heavy_jobs()
    before = {}
    for pid in jobs:
        try:
            before[pid] = _cpu_seconds(pid)
        except (OSError, IndexError, ValueError):
            pass
    time.sleep(window_s if before else 0)
    running, idle = [], []
    for pid, start in before.items():
        try:
            used = _cpu_seconds(pid) - start
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        (running if used >= idle_share * window_s else idle).append(
            jobs[pid])
    load = os.getloadavg()[0]
    words = []
    if running:
        words.append('other heavy jobs run: ' + ', '.join(running))
    if idle:
        words.append('other jobs exist but are idle or stopped: ' +
                     ', '.join(idle))
    if load > 0.25 * (os.cpu_count() or 2):  # 0.5 on 2 cores
        words.append(f'1-min load average {load:.2f}')
    return '; '.join(words)


def commit(root: str) -> str:
    try:
        return subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                              capture_output=True, text=True,
                              cwd=root).stdout.strip() or 'unknown'
    except OSError:
        return 'unknown'


def markdown(command: Sequence[str], root: str, note: str = '',
             device: str = 'cpu') -> str:
    """``environment.md``: the command, the commit, the machine."""
    command = ' '.join(shlex.quote(a) for a in command)
    info = machine(device)
    lines = [
        '# Environment', '', f'- command: `{command}`' +
        (f' ({note})' if note else ''), f'- commit: {commit(root)}',
        f'- machine: {machine_name()}, torch threads '
        f'{info["torch_threads"]}, CUDA available: '
        f'{info.get("CUDA available")}'
    ]
    lines += [f'- {key}: {value}' for key, value in info.items()
              if key not in ('cpu', 'logical_cores', 'torch_threads',
                             'CUDA available')]
    return '\n'.join(lines) + '\n'
