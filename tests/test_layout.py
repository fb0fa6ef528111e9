"""The package's layers import only downward (STYLE.md point 5, DESIGN.md), read from the source with ast.

Every import counts, also one inside a function (a lazy import is still a dependency). A module may import
from its own package (``viz.network`` from ``viz.graph``) and from the layers below its own.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

import micrograd_plus

PACKAGE = pathlib.Path(micrograd_plus.__file__).parent

# Lowest first. Modules in one layer may import each other (the import-cycle test keeps them honest).
LAYERS: list[set[str]] = [
    {'checks'},                                    # argument checks: nothing of graphs
    {'ops', 'rules'},                              # the derivative table and its rule language
    {'hooks', 'listeners', 'modes', 'copying', 'data', 'saving'},  # below the engine: what it reads, what it is told
    {'engine'},                                    # Value, its operators, backward()
    {'autodiff', 'activations', 'codegen'},        # grad() to any order; the activation registry; the generator
    {'register', 'compile', 'functional', 'losses', 'optim', 'lr_scheduler'},  # run-time rows, compile, jvp...
    {'nn'},
    {'training'},
    {'viz'},                                       # pictures read the micrograd protocol
    {'plots', 'playground'},
    {'teach'},                                     # explain, the stepper, the CLI
]
TOP = {'__init__', '__main__'}  # the public face: names only, may import anything
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}



def modules() -> list[pathlib.Path]:
    return sorted(path for path in PACKAGE.rglob('*.py') if '__pycache__' not in path.parts)


def dotted(path: pathlib.Path) -> str:
    """'nn.layers' for micrograd_plus/nn/layers.py, 'nn' for micrograd_plus/nn/__init__.py."""
    parts = list(path.relative_to(PACKAGE).with_suffix('').parts)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' and len(parts) > 1 else parts)


def _is_package(name: str) -> bool:
    return (PACKAGE.joinpath(*name.split('.')) / '__init__.py').exists()


def _resolved(base: list[str], level: int, module: str | None, names: list[str]) -> list[str]:
    """The package modules one ``from ... import ...`` reads, as dotted names inside the package."""
    start = base[:len(base) - level + 1] if level else []
    target = [*start, *(module.split('.') if module else [])]
    found = []
    for name in names:  # `from . import checks` names modules; `from .engine import Value` a name in one
        candidate = '.'.join([*target, name])
        exists = PACKAGE.joinpath(*candidate.split('.')).with_suffix('.py').exists() or _is_package(candidate)
        found.append(candidate if exists else '.'.join(target))
    return found


def imports_of(source: str, name: str, package: bool = False) -> list[tuple[str, str | None]]:
    """(imported package module, function the import sits in or None) for every import in ``source``, lazy
    ones too. ``name`` is the module's dotted name inside the package; ``package`` for an __init__.py."""
    base = name.split('.') if package else name.split('.')[:-1]
    found: list[tuple[str, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.ImportFrom):
                module = child.module or ''
                if child.level:
                    targets = _resolved(base, child.level - 1 + 1, child.module, [a.name for a in child.names])
                elif module == 'micrograd_plus' or module.startswith('micrograd_plus.'):
                    rest = module.split('.')[1:]
                    targets = _resolved(rest, 0, '.'.join(rest) or None, [a.name for a in child.names])
                else:
                    targets = []
                found.extend((t, function) for t in targets if t)
            elif isinstance(child, ast.Import):
                found.extend((a.name.split('.', 1)[1], function) for a in child.names
                             if a.name.startswith('micrograd_plus.'))
            visit(child, inner)

    visit(ast.parse(source), None)
    return found


def group(name: str) -> str:
    return name.split('.')[0]


def violations(name: str, imported: list[tuple[str, str | None]]) -> list[str]:
    """What ``name`` imports against the layers: upward, or from a module no layer lists."""
    if group(name) in TOP:
        return []
    if group(name) not in RANK:
        return [f'{name} is in no layer: add it to LAYERS in tests/test_layout.py where it belongs']
    problems = []
    for target, function in imported:
        if group(target) == group(name):
            continue
        if group(target) not in RANK:
            problems.append(f'{name} imports {target}, which is in no layer')
        elif RANK[group(target)] > RANK[group(name)]:
            where = f' (in {function})' if function else ''
            problems.append(f'{name} imports {target}{where}: {group(target)} is above {group(name)}')
    return problems


def all_imports() -> dict[str, list[tuple[str, str | None]]]:
    return {dotted(path): imports_of(path.read_text(encoding='utf-8'), dotted(path), path.name == '__init__.py')
            for path in modules()}


def test_every_module_imports_only_its_own_package_and_the_layers_below():
    problems = [p for name, imported in all_imports().items() for p in violations(name, imported)]
    assert problems == []


@pytest.mark.parametrize(('module', 'forbidden'), [
    ('engine', {'teach', 'viz', 'codegen', 'nn', 'compile', 'autodiff', 'activations', 'register'}),
    ('ops', {'engine', 'modes', 'hooks', 'listeners', 'copying', 'autodiff', 'nn', 'viz', 'teach', 'compile'}),
    ('modes', {'engine', 'autodiff', 'nn', 'viz', 'teach'}),
    ('nn', {'viz', 'teach', 'training', 'compile'}),
    ('viz', {'teach'}),
])
def test_named_layers_keep_away_from_what_sits_above_them(module, forbidden):
    imported = {group(target) for name, found in all_imports().items() if group(name) == module
                for target, function in found}
    assert imported & forbidden == set()


def test_the_engine_does_not_know_the_teaching_layer_yet_value_explain_works():
    source = (PACKAGE / 'engine.py').read_text(encoding='utf-8')
    assert 'teach' not in {group(target) for target, _ in imports_of(source, 'engine')}
    from micrograd_plus import Value
    x = Value(2.0, label='x')
    y = x * x
    y.label = 'y'
    y.backward()
    assert '      = 4.0' in x.explain().splitlines()  # dL/dx = 2x, with L the output y


def test_no_import_cycles_between_the_packages_groups():
    edges: dict[str, set[str]] = {}
    for name, found in all_imports().items():
        if group(name) not in TOP:
            edges.setdefault(group(name), set()).update(
                group(t) for t, _ in found if group(t) != group(name))
    state: dict[str, int] = {}

    def cycle_from(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (found := cycle_from(nxt, [*path, node])):
                return found
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            assert cycle_from(start, []) is None


@pytest.mark.parametrize(('source', 'name', 'wanted'), [
    ('from ..viz import draw_dot', 'nn.layers', ['nn.layers imports viz: viz is above nn']),
    ('def f():\n    from .teach.explain import explain\n', 'engine',
     ['engine imports teach.explain (in f): teach is above engine']),
    ('import micrograd_plus.nn.module\n', 'viz.graph', []),
    ('from micrograd_plus import engine\n', 'ops', ['ops imports engine: engine is above ops']),
    ('from . import codegen\n', 'engine', ['engine imports codegen: codegen is above engine']),
    ('from .walk import trace\nfrom .. import checks\n', 'viz.graph', []),
])
def test_the_checker_finds_an_upward_import_wherever_it_is_written(source, name, wanted):
    assert violations(name, imports_of(source, name)) == wanted


def test_backward_tells_the_hook_the_teaching_layer_set_and_runs_without_one(monkeypatch):
    from micrograd_plus import Value, listeners
    told = []
    monkeypatch.setattr(listeners, 'after_backward', lambda output, inner: told.append((output, len(inner))))
    x = Value(3.0)
    y = (x * x).tanh()
    y.backward()
    assert told == [(y, 2)]
    monkeypatch.setattr(listeners, 'after_backward', None)
    monkeypatch.setattr(listeners, 'explainer', None)
    y.backward()  # the engine alone: nobody to tell
    assert x.grad != 0.0
    with pytest.raises(RuntimeError, match='import micrograd_plus'):
        x.explain()


def test_the_names_users_import_from_the_old_homes_are_the_moved_ones():
    from micrograd_plus import AnomalyError, autodiff, checks, detect_anomaly, enable_grad, engine, modes, no_grad
    assert (no_grad, enable_grad, detect_anomaly, AnomalyError) == \
        (modes.no_grad, modes.enable_grad, modes.detect_anomaly, modes.AnomalyError)
    assert (autodiff.no_grad, autodiff.enable_grad, autodiff.detect_anomaly, autodiff.Mode) == \
        (modes.no_grad, modes.enable_grad, modes.detect_anomaly, modes.Mode)
    assert (engine.AnomalyError, engine.ModeState, engine.current_mode, engine.set_mode, engine.reset_mode,
            engine.describe, engine.as_number) == (modes.AnomalyError, modes.ModeState, modes.current_mode,
                                                   modes.set_mode, modes.reset_mode, modes.describe, checks.as_number)


def test_the_engines_fast_path_flag_follows_the_modes():
    from micrograd_plus import Value, engine, modes, no_grad
    assert engine._plain is modes.plain is True
    with no_grad():
        assert engine._plain is modes.plain is False
        assert (Value(2.0) * 3)._prev == ()
    assert engine._plain is modes.plain is True
    assert (Value(2.0) * 3)._prev != ()


def test_a_graph_still_copies_and_pickles_at_any_depth():
    import copy
    import pickle

    from micrograd_plus import Value, copying, engine
    x = Value(0.5, label='x')
    y = x
    for _ in range(5000):
        y = (y * 1.0001).tanh()
    y.backward()
    for again in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert (again.data, again.grad, type(again)) == (y.data, y.grad, type(y))
        assert len(engine.topological_order(again)) == len(engine.topological_order(y))
    assert engine._graph_from_records is copying.graph_from_records  # pickles written before the move still load
