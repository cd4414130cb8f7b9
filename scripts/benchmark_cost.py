"""What AMD costs next to MGD and FGD: loss modules and full training steps.

    python scripts/benchmark_cost.py                 # both parts, CPU
    python scripts/benchmark_cost.py --device cuda   # same on a GPU
    python scripts/benchmark_cost.py --part loss --repeats 5
    python scripts/benchmark_cost.py --profile amd   # op table of one step

Part ``loss`` (a): the distillation modules alone, forward + backward over
the five FPN levels of a COCO training batch (batch 2, 1333x800 padded to
1344x800 as mmdet's ``pad_size_divisor=32`` does, strides 8..128 with
ceil): ``AMDLoss`` (256 channels, 5 levels) against MGD as MMRazor runs it
(5 x ``MGDConnector`` + ``MGDLoss``, lambda 0.65) and ``FGDLoss``, plus
``amd_plain``, AMD's loss as first written (plain autograd expression for
the squared error, ``abs().mean()`` for Eq 2), to measure the fix. The
methods run alternately in one process, in a rotating order, so that drift
of the machine (frequency, other load) hits all of them alike; we report
the median time per method and the median of the per-round ratios.

Peak memory. On the CPU each method runs in a fresh subprocess, with
glibc's mmap threshold fixed at 64 KiB (``MALLOC_MMAP_THRESHOLD_``) so that
every large buffer is returned to the system when freed. The child builds
the inputs, runs one warm-up forward + backward (code pages, oneDNN
kernels), resets the kernel's high-water mark of its resident set to the
current RSS (``/proc/self/clear_refs``), runs two more steps and reports
``VmHWM - VmRSS before``: the peak extra memory of a step, every allocation
counted, oneDNN's buffers that bypass torch's allocator included. Where the
reset is not allowed it falls back on ``ru_maxrss`` (``getrusage``) minus
the RSS before, valid only when the step grows past the earlier peak
(flagged in the JSON). As a cross-check,
the same child then replays one step under ``torch.profiler`` with
``profile_memory=True`` and reports the peak of torch's allocator from its
memory timeline (``torch.profiler`` private API: reported when available).
``tracemalloc`` is not used: it sees Python objects, not tensor storage.
On CUDA: ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats``, minus the memory held before the step.

Part ``step`` (b): one full ``model.train_step(batch, optim_wrapper)`` of
the embedded setting (RetinaNet half-width R50 teacher -> half-width R18
student, 64 FPN channels, batch 8 of 160x160 images from
``mmdet.testing.demo_mm_inputs``), for the plain student (baseline) and
for MGD, FGD and AMD built from the ``*_synthetic.py`` configs with random
initialisation (``teacher_ckpt=None``). Interleaved in the same way;
ratios to the baseline.

Writes ``results/cost_benchmark.md`` and ``results/cost_benchmark.json``
with the exact command, the machine, torch version and threads.
The CUDA path (CUDA events, ``max_memory_allocated``) has not been run on
a GPU by the authors of this script.
"""
import argparse
import datetime
import json
import logging
import math
import os
import os.path as osp
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mmrazor_amd  # noqa: E402,F401  (before anything from mmrazor)
import torch  # noqa: E402

LOSS_METHODS = ('mgd', 'amd', 'fgd', 'amd_plain')
LOSS_LABELS = {
    'mgd': 'MGD',
    'amd': 'AMD',
    'fgd': 'FGD',
    'amd_plain': 'AMD, plain autograd (before the fix)',
}
STEP_METHODS = ('baseline', 'mgd', 'fgd', 'amd')
STEP_CONFIGS = {
    'baseline': 'configs/embedded/retinanet_r18-mini_fpn_synthetic.py',
    'mgd': 'configs/distill/mgd/mgd_fpn_retina_r50-mini_retina_r18-mini_'
    'synthetic.py',
    'fgd': 'configs/distill/fgd/fgd_fpn_retina_r50-mini_retina_r18-mini_'
    'synthetic.py',
    'amd': 'configs/distill/amd/amd_fpn_retina_r50-mini_retina_r18-mini_'
    'synthetic.py',
}
STRIDES = (8, 16, 32, 64, 128)


# ---------------------------------------------------------------- helpers


def level_shapes(batch, channels, height, width, divisor=32):
    """FPN map shapes of a ``height x width`` input padded to ``divisor``."""
    pad_h = int(math.ceil(height / divisor) * divisor)
    pad_w = int(math.ceil(width / divisor) * divisor)
    return [(batch, channels, int(math.ceil(pad_h / s)),
             int(math.ceil(pad_w / s))) for s in STRIDES], (pad_h, pad_w)


class Timer:
    """Wall time of a callable; CUDA events on a GPU."""

    def __init__(self, device):
        self.cuda = torch.device(device).type == 'cuda'

    def __call__(self, fn):
        if self.cuda:
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


def interleaved(runners, warmup, repeats, device):
    """Time each runner ``warmup + repeats`` times, one of each per round,
    the order rotating from round to round. Returns seconds per method
    (after warm-up) and the rounds, as lists."""
    timer = Timer(device)
    names = list(runners)
    times = {name: [] for name in names}
    for round_ in range(warmup + repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = timer(runners[name])
            if round_ >= warmup:
                times[name].append(seconds)
    return times


def summary(times, reference):
    """Median seconds and ratios to ``reference`` (of the medians, and the
    median of the per-round ratios)."""
    out = {}
    ref = times[reference]
    for name, values in times.items():
        paired = [v / r for v, r in zip(values, ref)]
        out[name] = dict(
            median_s=statistics.median(values),
            min_s=min(values),
            max_s=max(values),
            repeats=len(values),
            ratio_of_medians=statistics.median(values) /
            statistics.median(ref),
            median_paired_ratio=statistics.median(paired),
            times_s=values)
    return out


def machine_info(device):
    cpu = platform.processor() or ''
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    info = dict(
        cpu=cpu,
        logical_cores=os.cpu_count(),
        affinity_cores=len(os.sched_getaffinity(0))
        if hasattr(os, 'sched_getaffinity') else None,
        platform=platform.platform(),
        python=platform.python_version(),
        torch=torch.__version__,
        torch_threads=torch.get_num_threads(),
        torch_interop_threads=torch.get_num_interop_threads(),
        mkldnn=torch.backends.mkldnn.is_available(),
        device=device,
        load_average_start=os.getloadavg(),
    )
    if torch.device(device).type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name()
        info['cuda'] = torch.version.cuda
    return info


def busy_warning():
    """A sentence when other heavy work shares the machine, else ''."""
    others = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(
                    errors='replace')
        except OSError:
            continue
        for script in ('scripts/demo.py', 'scripts/benchmark.py', 'mim train',
                       'tools/train.py'):
            if script in cmdline:
                others.append(f'{pid} ({script})')
    load = os.getloadavg()[0]
    words = []
    if others:
        words.append('other training processes run: ' + ', '.join(others))
    if load > 0.5:
        words.append(f'1-min load average {load:.2f} at the start')
    return '; '.join(words) + ('; timings are not from a quiet machine'
                               if words else '')


# ---------------------------------------------------------------- part (a)


def build_loss_method(name, channels, num_levels=5):
    """``(modules, fn)``: ``fn(students, teachers, samples)`` -> loss."""
    import torch.nn as nn
    from mmrazor.models import MGDConnector, MGDLoss

    from mmrazor_amd.models.losses import AMDLoss, FGDLoss
    if name == 'amd':
        loss = AMDLoss(channels, channels, num_levels, loss_weight=2e-5,
                       phi=1.0, tau=0.5)
        return loss, lambda s, t, _: loss(s, t)
    if name == 'amd_plain':
        # AMDLoss as first written: the same modules and maths, the
        # squared error as a plain autograd expression and Eq 2 as
        # abs().mean(); kept to measure the fix in the same run
        loss = AMDLoss(channels, channels, num_levels, loss_weight=2e-5,
                       phi=1.0, tau=0.5)
        masker = loss.masker

        def plain(students, teachers, _):
            total = 0
            for level, (s, t) in enumerate(zip(students, teachers)):
                t = t.detach()
                n, _, h, w = t.shape
                with torch.no_grad():
                    weights = torch.softmax(
                        t.float().abs().mean(dim=1).reshape(n, h * w) /
                        masker.tau, dim=1)
                    mask = (h * w * weights).reshape(n, 1, h, w) <= masker.phi
                generated = loss.generations[level](s * mask.to(t.dtype), t)
                error = t.float() - generated.float()
                total = total + error.pow(2).sum() / n
            return loss.loss_weight * total

        return loss, plain
    if name == 'mgd':
        connectors = nn.ModuleList(
            MGDConnector(channels, channels, lambda_mgd=0.65)
            for _ in range(num_levels))
        losses = nn.ModuleList(
            MGDLoss(alpha_mgd=2e-5) for _ in range(num_levels))
        modules = nn.ModuleList([connectors, losses])

        def mgd(students, teachers, _):
            total = 0
            for connector, loss, s, t in zip(connectors, losses, students,
                                             teachers):
                total = total + loss(connector(s), t)
            return total

        return modules, mgd
    if name == 'fgd':
        loss = FGDLoss(channels, channels, num_levels)
        return loss, lambda s, t, samples: loss(s, t, samples)
    raise ValueError(name)


def fake_samples(batch, image_hw, pad_hw, boxes_per_image=6, seed=0):
    """Data samples with gt boxes, for FGD's box masks."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(seed)
    samples = []
    h, w = image_hw
    for _ in range(batch):
        xy = torch.rand(boxes_per_image, 2, generator=generator) * \
            torch.tensor([w * 0.8, h * 0.8])
        wh = torch.rand(boxes_per_image, 2, generator=generator) * \
            torch.tensor([w * 0.3, h * 0.3]) + 8
        sample = DetDataSample(
            metainfo=dict(img_shape=(h, w), batch_input_shape=pad_hw))
        sample.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], dim=1),
            labels=torch.zeros(boxes_per_image, dtype=torch.long))
        samples.append(sample)
    return samples


def loss_inputs(shapes, device, seed=0):
    generator = torch.Generator().manual_seed(seed)
    students = [
        torch.randn(shape, generator=generator).to(device).requires_grad_()
        for shape in shapes
    ]
    teachers = [
        torch.randn(shape, generator=generator).to(device) for shape in shapes
    ]
    return students, teachers


def loss_runner(name, args, shapes, pad_hw, students, teachers):
    torch.manual_seed(0)
    modules, fn = build_loss_method(name, args.channels)
    modules.to(args.device).train()
    samples = fake_samples(args.batch, (args.height, args.width), pad_hw)

    def step():
        loss = fn(students, teachers, samples)
        loss.backward()
        # as the optimizer's zero_grad(set_to_none=True) between steps
        for p in modules.parameters():
            p.grad = None
        for s in students:
            s.grad = None

    return modules, step


def _status_bytes(field):
    """``VmRSS`` / ``VmHWM`` of this process from /proc/self/status."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak_rss():
    """Reset the kernel's high-water mark of this process to its current
    RSS (Linux >= 4.0, ``/proc/self/clear_refs``); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def _allocator_peak(step):
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


def memory_child(args):
    """Run in a fresh process: peak memory of one method's step."""
    torch.set_num_threads(args.threads or torch.get_num_threads())
    shapes, pad_hw = level_shapes(args.batch, args.channels, args.height,
                                  args.width)
    students, teachers = loss_inputs(shapes, args.device)
    _, step = loss_runner(args.memory_child, args, shapes, pad_hw, students,
                          teachers)
    inputs = sum(s.numel() * s.element_size() for s in students + teachers)
    if torch.device(args.device).type == 'cuda':
        step()  # warm-up: cuDNN workspaces and the caching allocator
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        step()
        torch.cuda.synchronize()
        result = dict(
            method=args.memory_child,
            peak_bytes=torch.cuda.max_memory_allocated() - before,
            inputs_bytes=inputs,
            how='cuda max_memory_allocated - memory_allocated before')
    else:
        step()  # warm-up: lazily loaded code pages, oneDNN kernels
        # The process's high-water mark may already be above its current
        # RSS (imports, building the inputs). Reset it to the current RSS
        # when the kernel allows; otherwise fall back on ru_maxrss, which
        # can only see a step that grows past the earlier peak.
        reset = _reset_peak_rss()
        before = _status_bytes('VmRSS')
        hwm_before = _status_bytes('VmHWM')
        maxrss_before = resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss * 1024
        step()
        step()
        if reset:
            peak, how = _status_bytes('VmHWM'), (
                'VmHWM (reset to VmRSS once the inputs exist) - VmRSS, '
                'fresh process')
        else:
            peak, how = resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss * 1024, (
                    'ru_maxrss - VmRSS once the inputs exist, fresh process')
        result = dict(
            method=args.memory_child,
            peak_bytes=peak - before,
            rss_before_bytes=before,
            hwm_before_bytes=hwm_before,
            maxrss_before_bytes=maxrss_before,
            peak_rss_bytes=peak,
            inputs_bytes=inputs,
            how=how,
            valid=bool(reset or peak > maxrss_before))
        result['allocator_peak_bytes'] = _allocator_peak(step)
    print('MEMORY ' + json.dumps(result))


def measure_memory(args, name):
    command = [
        sys.executable, osp.abspath(__file__), '--memory-child', name,
        '--device', args.device, '--batch', str(args.batch), '--channels',
        str(args.channels), '--height', str(args.height), '--width',
        str(args.width)
    ]
    if args.threads:
        command += ['--threads', str(args.threads)]
    # A fixed mmap threshold turns off glibc's dynamic one, so every large
    # tensor is mmapped and unmapped on free: the RSS follows the live
    # tensors, and the warm-up step leaves no freed memory in the heap that
    # the measured steps would reuse unseen.
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_='65536')
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                          env=env)
    for line in done.stdout.splitlines():
        if line.startswith('MEMORY '):
            return json.loads(line[len('MEMORY '):])
    raise RuntimeError(f'memory child for {name} failed:\n'
                       f'{done.stdout[-2000:]}\n{done.stderr[-4000:]}')


def run_loss_part(args):
    shapes, pad_hw = level_shapes(args.batch, args.channels, args.height,
                                  args.width)
    print(f'[loss] levels {[s[2:] for s in shapes]}, input padded to '
          f'{pad_hw}', flush=True)
    students, teachers = loss_inputs(shapes, args.device)
    runners = {}
    for name in LOSS_METHODS:
        _, runners[name] = loss_runner(name, args, shapes, pad_hw, students,
                                       teachers)
    times = interleaved(runners, args.warmup, args.repeats, args.device)
    result = dict(
        shapes=[list(s) for s in shapes],
        padded_input=list(pad_hw),
        timing=summary(times, 'mgd'))
    for name in LOSS_METHODS:
        t = result['timing'][name]
        print(f'[loss] {name}: median {t["median_s"] * 1e3:.1f} ms, '
              f'x{t["median_paired_ratio"]:.3f} MGD (paired)', flush=True)
    del runners, students, teachers
    if not args.no_memory:
        memory = {}
        for name in LOSS_METHODS:
            memory[name] = measure_memory(args, name)
            peak_mib = memory[name]['peak_bytes'] / 2**20
            print(f'[loss] {name}: peak +{peak_mib:.0f} MiB', flush=True)
        for name in LOSS_METHODS:
            memory[name]['ratio_to_mgd'] = (
                memory[name]['peak_bytes'] / memory['mgd']['peak_bytes'])
            alloc, ref = (memory[name].get('allocator_peak_bytes'),
                          memory['mgd'].get('allocator_peak_bytes'))
            if alloc and ref:
                memory[name]['allocator_ratio_to_mgd'] = alloc / ref
        result['memory'] = memory
    return result


# ---------------------------------------------------------------- part (b)


def build_step_method(name, device):
    """Model and optim wrapper of one method, random initialisation."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from mmrazor_amd.visualization import _register_all
    _register_all()
    cfg = Config.fromfile(osp.join(ROOT, STEP_CONFIGS[name]))
    model_cfg = cfg.model
    if name == 'baseline':
        from mmdet.registry import MODELS
    else:
        from mmrazor.registry import MODELS
        model_cfg.teacher_ckpt = None
        # the student's head starts from the teacher's checkpoint in the
        # configs; random initialisation is enough to time a step
        model_cfg.architecture.bbox_head.pop('init_cfg', None)
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    model.to(device)
    model.train()
    optim_cfg = cfg.optim_wrapper
    described = optim_cfg.optimizer.type + (
        f', grad clip {optim_cfg.clip_grad.max_norm}'
        if optim_cfg.get('clip_grad') else '')
    return model, build_optim_wrapper(model, optim_cfg), described


def step_batch(batch, size, device):
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(0)
    data = demo_mm_inputs(
        batch_size=batch, image_shapes=[(3, size, size)] * batch,
        num_items=[4] * batch, num_classes=6)
    if torch.device(device).type == 'cuda':
        data['inputs'] = [x.to(device) for x in data['inputs']]
        data['data_samples'] = [s.to(device) for s in data['data_samples']]
    return data


def run_step_part(args):
    runners, log_vars, optimizers = {}, {}, {}
    data = step_batch(args.step_batch, args.step_size, args.device)
    for name in STEP_METHODS:
        model, optim_wrapper, optimizers[name] = build_step_method(
            name, args.device)

        def step(model=model, optim_wrapper=optim_wrapper, name=name):
            log_vars[name] = model.train_step(data, optim_wrapper)

        runners[name] = step
    times = interleaved(runners, args.step_warmup, args.step_repeats,
                        args.device)
    result = dict(
        batch=args.step_batch,
        image_size=args.step_size,
        configs=STEP_CONFIGS,
        optimizers=optimizers,
        timing=summary(times, 'baseline'))
    amd, mgd = times['amd'], times['mgd']
    result['amd_over_mgd'] = dict(
        ratio_of_medians=statistics.median(amd) / statistics.median(mgd),
        median_paired_ratio=statistics.median(
            [a / m for a, m in zip(amd, mgd)]))
    result['last_losses'] = {
        name: {k: float(torch.as_tensor(v).detach()) for k, v in
               values.items()}
        for name, values in log_vars.items()
    }
    for name in STEP_METHODS:
        t = result['timing'][name]
        print(f'[step] {name}: median {t["median_s"] * 1e3:.0f} ms, '
              f'x{t["median_paired_ratio"]:.3f} baseline (paired)',
              flush=True)
    return result


# ---------------------------------------------------------------- profile


def profile_method(args):
    from torch.profiler import ProfilerActivity, profile
    shapes, pad_hw = level_shapes(args.batch, args.channels, args.height,
                                  args.width)
    students, teachers = loss_inputs(shapes, args.device)
    _, step = loss_runner(args.profile, args, shapes, pad_hw, students,
                          teachers)
    step()
    activities = [ProfilerActivity.CPU]
    if torch.device(args.device).type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities, record_shapes=True) as prof:
        step()
    table = prof.key_averages()
    if torch.device(args.device).type == 'cuda':
        try:  # renamed in torch 2.4
            print(table.table(sort_by='self_device_time_total', row_limit=30))
        except (AttributeError, KeyError, ValueError):
            print(table.table(sort_by='self_cuda_time_total', row_limit=30))
    else:
        print(table.table(sort_by='self_cpu_time_total', row_limit=30))


# ---------------------------------------------------------------- report


def _fmt_mib(value):
    return 'n/a' if value is None else f'{value / 2**20:.0f}'


def markdown(report):
    m = report['machine']
    lines = [
        '# Cost of AMD against MGD and FGD', '',
        f'Measured {report["date"]} with', '', '```bash',
        report['command'], '```', '',
        f'Machine: {m["cpu"]}, {m["logical_cores"]} logical cores '
        f'({m["affinity_cores"]} usable), {m["platform"]}; Python '
        f'{m["python"]}, torch {m["torch"]}, {m["torch_threads"]} intra-op '
        f'threads, device `{m["device"]}`'
        + (f' ({m["gpu"]})' if 'gpu' in m else '') +
        f'. Load average at the start {m["load_average_start"][0]:.2f}, '
        f'at the end {report["load_average_end"][0]:.2f}.', ''
    ]
    if 'loss' in report:
        part = report['loss']
        shapes = ', '.join(f'({", ".join(map(str, s))})'
                           for s in part['shapes'])
        lines += [
            '## (a) Distillation modules alone, forward + backward', '',
            f'Batch {report["args"]["batch"]}, '
            f'{report["args"]["width"]}x{report["args"]["height"]} input '
            f'padded to {part["padded_input"][1]}x{part["padded_input"][0]}'
            f', FPN maps {shapes}. AMD: `AMDLoss` '
            f'({report["args"]["channels"]} channels, 5 levels,'
            ' phi 1, tau 0.5, SE ratio 16); MGD: 5 x (`MGDConnector` + '
            '`MGDLoss`), lambda 0.65; FGD: `FGDLoss` with 6 gt boxes per '
            'image; "AMD, plain autograd" is `AMDLoss` as first written '
            '(same modules and maths, the squared error of Eq 7 as a plain '
            'autograd expression and Eq 2 as `abs().mean()`), kept to '
            'measure the fix in the same run. Methods alternate within '
            'each round (rotating order); '
            f'{report["args"]["warmup"]} warm-up rounds, then '
            f'{report["args"]["repeats"]} measured rounds.', '',
            '| method | median time (ms) | min-max (ms) | time / MGD '
            '(medians) | time / MGD (median of per-round ratios) | '
            'peak memory (MiB) | memory / MGD | allocator peak (MiB) | '
            'allocator / MGD |', '| --- | ---: | ---: | ---: | ---: | ---: '
            '| ---: | ---: | ---: |'
        ]
        memory = part.get('memory', {})
        for name in LOSS_METHODS:
            t = part['timing'][name]
            mem = memory.get(name, {})
            lines.append(
                f'| {LOSS_LABELS[name]} | {t["median_s"] * 1e3:.0f} | '
                f'{t["min_s"] * 1e3:.0f}-{t["max_s"] * 1e3:.0f} | '
                f'{t["ratio_of_medians"]:.3f} | '
                f'{t["median_paired_ratio"]:.3f} | '
                f'{_fmt_mib(mem.get("peak_bytes"))} | '
                f'{mem.get("ratio_to_mgd", float("nan")):.3f} | '
                f'{_fmt_mib(mem.get("allocator_peak_bytes"))} | '
                f'{mem.get("allocator_ratio_to_mgd", float("nan")):.3f} |')
        lines += [
            '', 'Peak memory: ' + (
                'peak of `torch.cuda.max_memory_allocated` during one step, '
                'minus what was allocated before it.'
                if torch.device(report['machine']['device']).type == 'cuda'
                else 'each method in a fresh subprocess (glibc mmap '
                'threshold fixed at 64 KiB, so freed buffers leave the '
                'resident set); after one warm-up step the kernel\'s '
                'high-water mark is reset to the current RSS '
                '(`/proc/self/clear_refs`), two forward + backward steps '
                'run, and the table gives `VmHWM` minus the RSS before them'
                ' (the inputs, student and teacher maps of '
                f'{_fmt_mib(memory.get("amd", {}).get("inputs_bytes"))} MiB,'
                ' already exist then). It counts everything the step '
                'touches, oneDNN buffers and parameter gradients included. '
                '"Allocator peak" replays one step under '
                '`torch.profiler` (`profile_memory=True`) and takes the peak '
                'of the live bytes of torch\'s CPU allocator in its memory '
                'timeline.'), ''
        ]
    if 'step' in report:
        part = report['step']
        lines += [
            '## (b) One full training step, embedded setting', '',
            f'`model.train_step(batch, optim_wrapper)`, batch '
            f'{part["batch"]} of {part["image_size"]}x{part["image_size"]}'
            ' images (`mmdet.testing.demo_mm_inputs`, 4 boxes each), random'
            ' initialisation, the configs\' optimizer ('
            f'{", ".join(sorted(set(part["optimizers"].values())))}). '
            'Distillation steps include the teacher\'s forward. '
            f'{report["args"]["step_warmup"]} warm-up rounds, '
            f'{report["args"]["step_repeats"]} measured rounds, methods '
            'alternating.', '',
            '| method | config | median step (ms) | / baseline (medians) | '
            '/ baseline (median of per-round ratios) |',
            '| --- | --- | ---: | ---: | ---: |'
        ]
        for name in STEP_METHODS:
            t = part['timing'][name]
            lines.append(
                f'| {name} | `{part["configs"][name]}` | '
                f'{t["median_s"] * 1e3:.0f} | {t["ratio_of_medians"]:.3f} | '
                f'{t["median_paired_ratio"]:.3f} |')
        ratio = part['amd_over_mgd']
        lines += [
            '', f'AMD / MGD step: {ratio["ratio_of_medians"]:.3f} (medians),'
            f' {ratio["median_paired_ratio"]:.3f} (median of per-round '
            'ratios).', ''
        ]
    if report.get('notes'):
        lines += ['## Notes', ''] + [f'- {n}' for n in report['notes']] + ['']
    return '\n'.join(lines)


# ---------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--part', choices=('all', 'loss', 'step'),
                        default='all')
    parser.add_argument('--repeats', type=int, default=11,
                        help='measured rounds of part (a)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--height', type=int, default=800)
    parser.add_argument('--width', type=int, default=1333)
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory measurement of (a)')
    parser.add_argument('--step-repeats', type=int, default=20)
    parser.add_argument('--step-warmup', type=int, default=3)
    parser.add_argument('--step-batch', type=int, default=8)
    parser.add_argument('--step-size', type=int, default=160)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--out', default='results/cost_benchmark',
                        help='writes <out>.md and <out>.json')
    parser.add_argument('--note', action='append', default=[],
                        help='a line for the notes of the report')
    parser.add_argument('--profile', choices=LOSS_METHODS, default=None,
                        help='print the op table of one step of (a) for '
                        'this method and exit')
    parser.add_argument('--memory-child', choices=LOSS_METHODS,
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        return memory_child(args)
    if torch.device(args.device).type == 'cuda' and \
            not torch.cuda.is_available():
        sys.exit('--device cuda: no CUDA device')
    if args.profile:
        return profile_method(args)

    argv = sys.argv[1:] if argv is None else list(argv)
    report = dict(
        command=shlex.join(['python', 'scripts/benchmark_cost.py'] + argv),
        date=datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%d %H:%M UTC'),
        machine=machine_info(args.device),
        args=vars(args),
        notes=list(args.note))
    busy = busy_warning()
    if busy:
        print(f'WARNING: {busy}', flush=True)
        report['notes'].append(f'WARNING: {busy}')
    if args.part in ('all', 'loss'):
        report['loss'] = run_loss_part(args)
    if args.part in ('all', 'step'):
        report['step'] = run_step_part(args)
    report['load_average_end'] = os.getloadavg()

    out_dir = osp.dirname(args.out)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(report, f, indent=1)
    with open(args.out + '.md', 'w') as f:
        f.write(markdown(report))
    print(f'wrote {args.out}.md and {args.out}.json')
    return report


if __name__ == '__main__':
    main()
