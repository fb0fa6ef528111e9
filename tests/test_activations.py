"""The activation registry: each entry agrees with itself, with the engine and with PyTorch, and nobody
keeps a table of their own."""
import ast
import pathlib

import pytest

import micrograd_plus
from micrograd_plus import Value, nn
from micrograd_plus.activations import ACTIVATIONS, NAMES, NODE_OPS, activation

ROOT = pathlib.Path(micrograd_plus.__file__).parent.parent
POINTS = (-3.0, -0.5, 0.0, 0.25, 2.0)


@pytest.mark.parametrize('name', NAMES)
def test_each_entry_computes_the_same_on_values_and_on_floats(name):
    entry = ACTIVATIONS[name]
    for x in POINTS:
        out = Value(x) if entry.apply is None else entry.apply(Value(x))
        assert out.data == pytest.approx(entry.on_float(x), abs=1e-15)
        if entry.apply is not None:
            assert out._op == entry.op and out._op in NODE_OPS  # how pictures recognise its node


def test_linear_is_the_identity_and_makes_no_node():
    linear = activation('linear')
    assert linear.apply is None and linear.op is None and linear.torch_class is None
    assert [linear.on_float(x) for x in POINTS] == list(POINTS)


def test_nn_offers_exactly_the_registry_and_prints_its_names():
    assert nn.ACTIVATIONS == NAMES == ('relu', 'tanh', 'sigmoid', 'linear')
    for name in NAMES:
        assert repr(nn.Neuron(2, activation=name, rng=0)) == f'{ACTIVATIONS[name].shown}Neuron(2)'
    assert [repr(layer()) for layer in (nn.ReLU, nn.Tanh, nn.Sigmoid)] == ['ReLU()', 'Tanh()', 'Sigmoid()']
    assert {layer.activation for layer in (nn.ReLU(), nn.Tanh(), nn.Sigmoid())} == set(NAMES) - {'linear'}


def test_an_unknown_name_is_refused_with_the_names():
    with pytest.raises(ValueError, match=r"activation must be one of 'relu', 'tanh', 'sigmoid', 'linear', got str"):
        activation('gelu')


@pytest.mark.parametrize('name', [n for n in NAMES if n != 'linear'])
def test_each_torch_class_computes_what_the_entry_does(name):
    torch = pytest.importorskip('torch')
    module = getattr(torch.nn, ACTIVATIONS[name].torch_class)()
    for x in POINTS:
        assert float(module(torch.tensor(x, dtype=torch.float64))) == pytest.approx(ACTIVATIONS[name].on_float(x),
                                                                                 abs=1e-15)


def test_the_cli_reads_the_registry():
    from micrograd_plus.teach.cli import FUNCTIONS
    for name, entry in ACTIVATIONS.items():
        if entry.apply is not None:
            assert FUNCTIONS[name] is entry.apply


def _tables_keyed_by_activation(path: pathlib.Path) -> list[str]:
    """Dict literals with an activation name as a key: a table of activations of its own."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(keys & set(NAMES)) >= 2:
                found.append(f'{path.relative_to(ROOT)}:{node.lineno}')
    return found


def test_no_module_keeps_a_table_of_activations_of_its_own():
    files = [p for p in (ROOT / 'micrograd_plus').rglob('*.py') if p.name != 'activations.py']
    files.append(ROOT / 'demos' / 'benchmark.py')
    assert [where for path in files for where in _tables_keyed_by_activation(path)] == []
    assert _tables_keyed_by_activation_in("{'relu': 1, 'tanh': 2}") == ['<source>:1']


def _tables_keyed_by_activation_in(source: str) -> list[str]:
    return [f'<source>:{n.lineno}' for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Dict)
            and len({k.value for k in n.keys if isinstance(k, ast.Constant)} & set(NAMES)) >= 2]
