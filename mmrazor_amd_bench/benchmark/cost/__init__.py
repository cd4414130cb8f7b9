"""What AMD costs next to MGD and FGD (``scripts/benchmark_cost.py``).

:mod:`.methods`  what is measured: the loss modules, a setting's models
:mod:`.timing`   interleaved timing, summaries, stage laps, op tables
:mod:`.memory`   peak memory of a loss step in a fresh process
:mod:`.parts`    parts ``loss`` and ``step``: methods timed side by side
:mod:`.stages`   part ``profile``: the stages of a real training step
:mod:`.report`   ``cost_benchmark.md`` and ``.json``
"""
