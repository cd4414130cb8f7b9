"""The harness around mmrazor_amd: the benchmark, the generated dataset, the
pictures of what AMD hides, and the commands of ``scripts/``.

Nothing in ``mmrazor_amd`` (models, engine, compat, tools) imports this
package; it imports ``mmrazor_amd`` and the OpenMMLab stack.

``ROOT`` is the checkout the harness runs in: benchmark settings, configs,
``work_dirs/`` and ``results/`` are paths relative to it.
"""
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
