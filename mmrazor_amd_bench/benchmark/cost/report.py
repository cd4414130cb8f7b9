"""The cost report: ``<out>/cost_benchmark.md`` and ``.json``.

The report is a dict: ``command``, ``date``, ``machine``
(:func:`mmrazor_amd_bench.benchmark.environment.machine`), ``load_average``
(``start``, ``end``), ``args``, ``notes``, and one entry per part that ran
(``loss``, ``step``, ``profile``: what :mod:`.parts` and :mod:`.stages`
return). One markdown function per section.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .methods import LOSS_LABELS, LOSS_METHODS
from .timing import is_cuda

NAME = 'cost_benchmark'
NAN = float('nan')


def table(header: Sequence[str], rows: Sequence[Sequence[str]],
          numeric_from: int = 1) -> List[str]:
    """Markdown table lines; columns from ``numeric_from`` right-aligned."""
    rules = ['---' if i < numeric_from else '---:'
             for i in range(len(header))]
    return ['| ' + ' | '.join(line) + ' |'
            for line in (header, rules, *rows)]


def mib(value) -> str:
    return 'n/a' if value is None else f'{value / 2**20:.0f}'


def ms(seconds: float) -> str:
    return f'{seconds * 1e3:.0f}'


def header(report: Dict) -> List[str]:
    m = report['machine']
    load = report['load_average']
    return [
        '# Cost of AMD against MGD, FGD, PKD and CWD', '',
        f'Measured {report["date"]} with', '', '```bash', report['command'],
        '```', '',
        f'Machine: {m["cpu"]}, {m["logical_cores"]} logical cores, '
        f'{m["sys.platform"]}; Python {m["Python"].split()[0]}, torch '
        f'{m["PyTorch"]}, {m["torch_threads"]} intra-op threads, mmdet '
        f'{m["mmdet"]}, mmrazor {m["mmrazor"]}, device `{m["device"]}`' +
        (f' ({m["gpu"]})' if 'gpu' in m else '') +
        f'. 1-min load average at the start {load["start"][0]:.2f}, at the '
        f'end {load["end"][0]:.2f}.', ''
    ]


def loss_table(part: Dict) -> List[str]:
    problem = part['problem']
    pad_h, pad_w = part['padded_input']
    shapes = ', '.join(f'({", ".join(map(str, s))})' for s in part['shapes'])
    lines = [
        '## (a) Distillation modules alone, forward + backward', '',
        f'Batch {problem["batch"]}, {problem["width"]}x{problem["height"]} '
        f'input padded to {pad_w}x{pad_h}, FPN maps {shapes}.', ''
    ]
    lines += [f'- {LOSS_LABELS[name]}: {part["methods"][name]}'
              for name in LOSS_METHODS]
    lines += [
        '', 'Methods alternate within each round (rotating order); '
        f'{part["warmup"]} warm-up rounds, then {part["repeats"]} measured '
        'rounds.', ''
    ]
    memory = part.get('memory', {})
    # the CPU allocator's own peak: measured on a CPU only
    allocator = any('allocator_peak_bytes' in mem for mem in memory.values())
    rows = []
    for name in LOSS_METHODS:
        t, mem = part['timing'][name], memory.get(name, {})
        rows.append([
            LOSS_LABELS[name], ms(t['median_s']),
            f'{ms(t["min_s"])}-{ms(t["max_s"])}',
            f'{t["ratio_of_medians"]:.3f}', f'{t["median_paired_ratio"]:.3f}',
            mib(mem.get('peak_bytes')),
            f'{mem.get("ratio_to_mgd", NAN):.3f}'
        ] + ([
            mib(mem.get('allocator_peak_bytes')),
            f'{mem.get("allocator_ratio_to_mgd", NAN):.3f}'
        ] if allocator else []))
    return lines + table([
        'method', 'median time (ms)', 'min-max (ms)', 'time / MGD (medians)',
        'time / MGD (median of per-round ratios)', 'peak memory (MiB)',
        'memory / MGD'
    ] + (['allocator peak (MiB)', 'allocator / MGD'] if allocator else []),
                         rows) + ['']


def memory_note(part: Dict, device: str) -> List[str]:
    if 'memory' not in part:
        return ['Peak memory: not measured (`--no-memory`).', '']
    if is_cuda(device):
        return [
            'Peak memory: peak of `torch.cuda.max_memory_allocated` during '
            'one step, minus what was allocated before it.', ''
        ]
    inputs = mib(part['memory']['amd'].get('inputs_bytes'))
    return [
        'Peak memory: each method in a fresh subprocess (glibc mmap '
        'threshold fixed at 64 KiB, so freed buffers leave the resident '
        'set); after one warm-up step the kernel\'s high-water mark is reset'
        ' to the current RSS (`/proc/self/clear_refs`), two forward + '
        'backward steps run, and the table gives `VmHWM` minus the RSS '
        f'before them (the inputs, student and teacher maps of {inputs} MiB,'
        ' already exist then). It counts everything the step touches, oneDNN'
        ' buffers and parameter gradients included. "Allocator peak" replays'
        ' one step under `torch.profiler` (`profile_memory=True`) and takes '
        'the peak of the live bytes of torch\'s CPU allocator in its memory '
        'timeline.', ''
    ]


def teacher_sentence(modes: Dict[str, Optional[str]],
                     forced: Optional[str] = None) -> str:
    """One sentence on how each configuration's teacher ran (the configs'
    ``FastFrozenTeacherHook``); '' where no mode is recorded (reports
    written before they were) or no configuration has a teacher."""
    groups: Dict[str, List[str]] = {}
    for name, mode in modes.items():
        if mode:
            groups.setdefault(mode, []).append(name)
    if not groups:
        return ''
    how = 'as in training (`FastFrozenTeacherHook` of the configs)' \
        if forced in (None, 'config') else \
        f'with `FastFrozenTeacherHook` {forced} (`--fast-teacher {forced}`)'
    return f'The teacher ran {how}: ' + '; '.join(
            f'{", ".join(names)}: {mode}' for mode, names in groups.items()
        ) + '.'


def step_table(part: Dict) -> List[str]:
    baseline = part['baseline']
    optimizers = '; '.join(sorted(set(part['optimizers'].values())))
    lines = [
        f'## (b) One full training step, setting `{part["setting"]}`', '',
        f'`model.train_step(batch, optim_wrapper)`, batch {part["batch"]} of '
        f'{part["image_size"]}x{part["image_size"]} images '
        '(`mmdet.testing.demo_mm_inputs`, 4 boxes each), random weights (no '
        f'checkpoint), the configs\' optimizer ({optimizers}). Distillation '
        'steps include the teacher\'s forward. '
        f'{part["warmup"]} warm-up rounds, {part["repeats"]} measured '
        'rounds, methods alternating. '
        + teacher_sentence(part.get('teacher_modes', {}),
                           part.get('fast_teacher')), ''
    ]
    rows = [[
        name, f'`{part["configs"][name]}`', ms(t['median_s']),
        f'{t["ratio_of_medians"]:.3f}', f'{t["median_paired_ratio"]:.3f}'
    ] for name, t in part['timing'].items()]
    lines += table([
        'method', 'config', 'median step (ms)', f'/ {baseline} (medians)',
        f'/ {baseline} (median of per-round ratios)'
    ], rows, numeric_from=2)
    scale = part.get('loss_scale')
    if scale:
        lines += [
            '', 'AMP\'s dynamic loss scale over the steps (a step whose '
            'gradients overflow is skipped and halves the scale; the last '
            'step\'s scale is not counted): ' + '; '.join(
                f'{name} {s["first"]:g} -> {s["last"]:g}, '
                f'{s["skipped_steps"]} skipped' for name, s in scale.items())
            + '.'
        ]
    ratio = part.get('amd_over_mgd')
    if ratio:
        lines += [
            '', f'AMD / MGD step: {ratio["ratio_of_medians"]:.3f} (medians), '
            f'{ratio["median_paired_ratio"]:.3f} (median of per-round '
            'ratios).'
        ]
    return lines + ['']


def profile_table(part: Dict) -> List[str]:
    names = list(part['methods'])
    ann_file, images = part['split']
    lines = [
        f'## (c) Stages of a real training step, setting `{part["setting"]}`',
        '', f'The configs\' train dataloader on `{part["data_root"]}` '
        f'(`{ann_file}`, `{images}`), batch {part["batch_size"]}, random '
        'weights; the distilled forward as MMRazor\'s '
        '`FpnTeacherDistill.loss` runs it. Median over '
        f'{part["steps"]} steps after {part["warmup"]} warm-up steps, each '
        'method on its own; "-": the stage does not exist for the model. The '
        'stages of a step need not add up to its median. '
        + teacher_sentence({n: m.get('teacher_mode')
                            for n, m in part['methods'].items()}), ''
    ]
    rows = []
    for stage, label in part['stages'].items():
        values = [part['methods'][n]['stages_ms'][stage] for n in names]
        rows.append([label] + ['-' if v is None else f'{v:.0f}'
                               for v in values])
    rows.append(['**step (s/iter)**'] + [
        f'{part["methods"][n]["s_per_iter"]:.3f}' for n in names])
    return lines + table(['stage (ms)', *names], rows) + ['']


def notes(report: Dict) -> List[str]:
    if not report.get('notes'):
        return []
    return ['## Notes', ''] + [f'- {note}' for note in report['notes']] + ['']


def markdown(report: Dict) -> str:
    lines = header(report)
    if 'loss' in report:
        lines += loss_table(report['loss'])
        lines += memory_note(report['loss'], report['machine']['device'])
    if 'step' in report:
        lines += step_table(report['step'])
    if 'profile' in report:
        lines += profile_table(report['profile'])
    return '\n'.join(lines + notes(report))


def write_files(out_dir: str, name: str, text: str,
                data: Dict) -> Tuple[str, str]:
    """Write ``<out_dir>/<name>.md`` (``text``) and ``.json`` (``data``);
    return their paths."""
    os.makedirs(out_dir, exist_ok=True)
    md_path = osp.join(out_dir, name + '.md')
    json_path = osp.join(out_dir, name + '.json')
    with open(json_path, 'w') as f:
        # default=str: collect_env reports some values as numpy scalars
        json.dump(data, f, indent=1, default=str)
    with open(md_path, 'w') as f:
        f.write(text)
    return md_path, json_path


def write(report: Dict, out_dir: str) -> Tuple[str, str]:
    """Write ``<out_dir>/cost_benchmark.{md,json}``; return their paths."""
    return write_files(out_dir, NAME, markdown(report), report)
