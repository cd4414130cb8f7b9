"""The benchmark harness: settings (``configs/benchmark``), the plan of a
setting's runs, their execution through ``mim``, tables, figures and the
cost script's parts (``cost``). The library (``models``, ``engine``,
``compat``) never imports it."""
