"""Format a config's text with yapf once per process, not once per use.

mmengine 0.10.7 builds ``Config.pretty_text`` by rendering the config as
Python and running yapf over it, every time the property is read. A
training run reads it at start-up (the log, ``dump_config``, the
visualizer's copy) and again at every checkpoint save (``meta['cfg']``),
always for the same config. yapf is slow on the nested dicts of a
distillation config: about 2.5 s for the embedded AMD config on one CPU
core, so a short run spends more time formatting its config than
training. :func:`apply` wraps the ``FormatCode`` that
``mmengine.config.config`` calls so that a text already formatted with
the same style returns the same result from memory. The output is yapf's,
unchanged; only repeated work is saved.

This file is executed by the start-up hook right after
``mmengine.config.config`` is imported, and again (idempotently) when
``mmrazor_amd`` is imported.
"""
import functools

import mmengine.config.config as mmengine_config

_MARK = '_mmrazor_amd_memoized'
#: formatted texts kept per process (a run formats one or two configs)
CACHE_SIZE = 16


def _yapf(text: str, **kwargs) -> tuple:
    from yapf.yapflib import yapf_api
    return yapf_api.FormatCode(text, **kwargs)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _remembered(text: str, style: tuple, options: tuple) -> tuple:
    return _yapf(text, style_config=dict(style), **dict(options))


def format_code(text: str, style_config=None, **kwargs) -> tuple:
    """``yapf_api.FormatCode(text, style_config=..., **kwargs)``,
    remembered by its arguments when the style is a dict of plain values
    (mmengine's); any other call goes to yapf directly."""
    try:
        style = tuple(sorted(style_config.items()))
        options = tuple(sorted(kwargs.items()))
        hash((style, options))
    except (AttributeError, TypeError):
        return _yapf(text, style_config=style_config, **kwargs)
    return _remembered(text, style, options)


setattr(format_code, _MARK, True)


def apply() -> None:
    """Make ``mmengine.config.config`` format through :func:`format_code`."""
    if getattr(mmengine_config.FormatCode, _MARK, False):
        return
    mmengine_config.FormatCode = format_code
