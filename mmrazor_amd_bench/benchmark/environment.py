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


def busy() -> str:
    """A sentence naming other heavy jobs and the load, or ''. Jobs that
    are stopped (SIGSTOP, state ``T``) use no CPU and are named apart."""
    others, stopped = [], []
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) in (os.getpid(), os.getppid()):
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(
                    errors='replace')
            with open(f'/proc/{pid}/stat') as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        jobs = [f'{pid} ({job})' for job in HEAVY_JOBS if job in cmdline]
        (stopped if state in 'Tt' else others).extend(jobs)
    load = os.getloadavg()[0]
    words = []
    if others:
        words.append('other heavy jobs run: ' + ', '.join(others))
    if stopped:
        words.append('other jobs exist but are stopped: ' +
                     ', '.join(stopped))
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
