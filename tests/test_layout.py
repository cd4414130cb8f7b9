"""The layout: the library (``mmrazor_amd``) never imports the harness
(``mmrazor_amd_bench``), the pictures never read benchmark settings, and
every Python script in ``scripts/`` is an entry point over a ``main`` of an
importable module."""
import ast
import os
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def imported_modules(package_dir):
    """``(file, module)`` of every import statement under ``package_dir``;
    relative imports are resolved against the file's package."""
    for folder, _, names in os.walk(package_dir):
        for name in names:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            package = osp.relpath(folder, ROOT).split(os.sep)
            with open(path) as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield path, alias.name
                elif isinstance(node, ast.ImportFrom):
                    base = package[:len(package) - node.level + 1] \
                        if node.level else []
                    yield path, '.'.join(base + [node.module or ''])


@pytest.mark.parametrize('package,forbidden', [
    ('mmrazor_amd', 'mmrazor_amd_bench'),
    (osp.join('mmrazor_amd_bench', 'visualization'),
     'mmrazor_amd_bench.benchmark'),
    (osp.join('mmrazor_amd_bench', 'datagen'), 'mmrazor_amd_bench.benchmark'),
])
def test_imports_point_downward(package, forbidden):
    found = [(osp.relpath(path, ROOT), module)
             for path, module in imported_modules(osp.join(ROOT, package))
             if module == forbidden or module.startswith(forbidden + '.')]
    assert not found, f'{package} imports {forbidden}: {found}'


def test_the_import_walk_sees_relative_imports():
    """The check above would pass vacuously if it missed ``from ..x``."""
    modules = {m for _, m in imported_modules(
        osp.join(ROOT, 'mmrazor_amd_bench', 'benchmark'))}
    assert 'mmrazor_amd_bench.benchmark.runs' in modules
    assert 'mmrazor_amd_bench.datagen' in modules


@pytest.mark.parametrize('script', sorted(
    name for name in os.listdir(osp.join(ROOT, 'scripts'))
    if name.endswith('.py')))
def test_scripts_are_entry_points(script):
    with open(osp.join(ROOT, 'scripts', script)) as f:
        tree = ast.parse(f.read())
    body = [node for node in tree.body
            if not (isinstance(node, ast.Expr)
                    and isinstance(node.value, ast.Constant))]
    assert ast.get_docstring(tree), f'{script} has no usage docstring'
    assert len(body) == 4, (
        f'{script}: an entry point is the checkout check, one import of '
        'main and the __main__ guard')
    check, call, imported, _ = body
    assert ast.unparse(check) == (
        'from mmrazor_amd_bench.checkout import check_script')
    assert ast.unparse(call) == 'check_script(__file__)'
    assert isinstance(imported, ast.ImportFrom)
    assert [alias.name for alias in imported.names] == ['main']
    assert imported.module.split('.')[0] in ('mmrazor_amd',
                                             'mmrazor_amd_bench')
