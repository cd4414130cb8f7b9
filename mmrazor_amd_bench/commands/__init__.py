"""The bodies of the commands in ``scripts/``: each module has a ``main``
(``main(argv=None)``) and the usage in its docstring."""
