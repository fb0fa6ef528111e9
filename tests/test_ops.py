"""Every row of the derivative table, enumerated from ops.TABLE (tests/rows.py makes its nodes): value, first
and second derivatives against central differences and against PyTorch in float64, PyTorch's choices at the
kinks, and compile_graph, explain, pictures and the command line for each row. A new row is tested as soon as it
is in the table; one missing from TORCH below fails."""
import math

import pytest

import micrograd_plus
from micrograd_plus import Value, compile_graph, explain, grad, no_grad, ops, rules
from micrograd_plus.teach import cli

import rows

CASES = rows.cases()
IDS = [case[0] for case in CASES]
POINTS = {1: [(x,) for x in (-2.3, -0.7, 0.45, 1.3, 2.9)],
          2: [(x, y) for x in (-1.1, 0.45, 1.3, 2.9) for y in (-1.7, 0.6, 2.2)],
          3: [(0.3, -1.2, 0.8), (-0.5, 2.0, 1.5), (1.0, 0.7, -2.1)]}


def function(op, constants):
    """The row as a function of floats (no graph), for central differences."""
    def f(*point):
        with no_grad():
            return rows.make(op, [Value(p) for p in point], constants).data
    return f


def ours(op, constants, point):
    """Value, gradient and Hessian by the engine: backward(), grad() and grad() of grad()."""
    leaves = [Value(p) for p in point]
    out = rows.make(op, leaves, constants)
    out.backward()
    firsts = grad(out, leaves, create_graph=True)
    assert [f.data for f in firsts] == [leaf.grad for leaf in leaves] or any(map(math.isnan, point))
    return out.data, [leaf.grad for leaf in leaves], [[float(h) for h in grad(f, leaves)] for f in firsts]


def moved(point, i, h):
    return tuple(p + h if k == i else p for k, p in enumerate(point))


def smooth(f, point, h=1e-3):
    """No kink within h of the point in any input: the one-sided slopes agree, and f is finite around it."""
    for i in range(len(point)):
        values = [f(*moved(point, i, d)) for d in (-h, 0.0, h)]
        if not all(map(math.isfinite, values)):
            return False
        left, right = (values[1] - values[0]) / h, (values[2] - values[1]) / h
        if abs(left - right) > 1e-2 * (1 + abs(left)):
            return False
    return True


def close(a, b, rel, abs_):
    return abs(a - b) <= abs_ + rel * abs(b)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_every_row_matches_central_differences_to_second_order(case):
    _, op, constants = case
    f = function(op, constants)
    checked = 0
    for point in POINTS[rows.width(op)]:
        if not smooth(f, point):
            continue
        value, firsts, hessian = ours(op, constants, point)
        for i in range(len(point)):
            numeric = (f(*moved(point, i, 1e-6)) - f(*moved(point, i, -1e-6))) / 2e-6
            assert close(firsts[i], numeric, 1e-6, 1e-6), (point, i, firsts[i], numeric)
            second = (f(*moved(point, i, 1e-4)) - 2 * value + f(*moved(point, i, -1e-4))) / 1e-8
            assert close(hessian[i][i], second, 1e-4, 1e-4), (point, i, hessian[i][i], second)
            for j in range(len(point)):  # every entry: differences of the (checked) gradient
                up, down = ours(op, constants, moved(point, j, 1e-6))[1], ours(op, constants, moved(point, j, -1e-6))[1]
                assert close(hessian[i][j], (up[i] - down[i]) / 2e-6, 1e-5, 1e-5), (point, i, j)
        checked += 1
    assert checked >= 2, f'{case[0]}: too few smooth points to check'


# ---------------------------------------------------------------- PyTorch, float64

try:
    import torch
except ImportError:  # the float64 comparisons are skipped; the rest of this file runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason='PyTorch is not installed: the float64 comparison is skipped')


def _clamp(x, min, max):
    """torch.clamp with None for a bound left out (as ours takes it); with both left out, the bounds as +-inf."""
    if math.isinf(min) and math.isinf(max):
        return torch.clamp(x, min=min, max=max)
    return torch.clamp(x, min=None if math.isinf(min) else min, max=None if math.isinf(max) else max)


# by row name: the PyTorch function of the row's inputs and constants (by name)
TORCH = {
    '+': lambda x, y: x + y, '-': lambda x, y: x - y, '*': lambda x, y: x * y, '/': lambda x, y: x / y,
    '**': lambda x, y: x ** y, '**{c}': lambda x, c: x ** c, 'neg': lambda x: -x, 'abs': lambda x: x.abs(),
    'exp': lambda x: x.exp(), 'log': lambda x: x.log(), 'sqrt': lambda x: x.sqrt(), 'tanh': lambda x: x.tanh(),
    'sigmoid': lambda x: x.sigmoid(), 'ReLU': lambda x: x.relu(), 'sin': lambda x: x.sin(), 'cos': lambda x: x.cos(),
    'log1p': lambda x: x.log1p(), 'expm1': lambda x: x.expm1(),
    'leaky_relu': lambda x, negative_slope: torch.nn.functional.leaky_relu(x, negative_slope),
    'elu': lambda x, alpha: torch.nn.functional.elu(x, alpha),
    'clamp': _clamp,
    'softplus': lambda x, beta, threshold: torch.nn.functional.softplus(x, beta, threshold),
    'max': lambda x, y: torch.maximum(x, y),
    'dot': lambda b, w, x: b + w * x,
}


def theirs(op, constants, point):
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    out = TORCH[op.name](*ts, **constants)
    firsts = [torch.zeros((), dtype=torch.float64) if f is None else f
              for f in torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)]
    hessian = []
    for f in firsts:
        row = torch.autograd.grad(f, ts, allow_unused=True) if f.requires_grad else [None] * len(ts)
        hessian.append([0.0 if r is None else r.item() for r in row])
    return out.item(), [f.item() for f in firsts], hessian


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12, abs=1e-14)


def assert_like_torch(op, constants, point):
    value, firsts, hessian = ours(op, constants, point)
    t_value, t_firsts, t_hessian = theirs(op, constants, point)
    assert same(value, t_value), ('value', point, value, t_value)
    assert all(map(same, firsts, t_firsts)), ('gradient', point, firsts, t_firsts)
    for ours_row, their_row in zip(hessian, t_hessian):
        assert all(map(same, ours_row, their_row)), ('second derivative', point, hessian, t_hessian)


def test_every_row_has_its_pytorch_function_so_no_row_goes_unchecked():
    assert sorted(op.name for op in ops.TABLE) == sorted(TORCH), 'a row of ops.TABLE is missing from TORCH'


@needs_torch
@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_every_row_matches_pytorch_in_value_gradient_and_second_derivative(case):
    _, op, constants = case
    f = function(op, constants)
    for point in POINTS[rows.width(op)]:
        if op.name == '**' and point[0] < 0:  # a negative base: PyTorch's d/dy is nan, ours too, but 0 * nan...
            continue
        if smooth(f, point):
            assert_like_torch(op, constants, point)


# PyTorch's choice at each kink, edge and threshold of the table: (row name, constants, point)
KINKS = [
    ('ReLU', {}, (0.0,)), ('abs', {}, (0.0,)), ('leaky_relu', {'negative_slope': 0.01}, (0.0,)),
    ('leaky_relu', {'negative_slope': 0.2}, (0.0,)), ('elu', {'alpha': 1.0}, (0.0,)), ('elu', {'alpha': 0.5}, (0.0,)),
    ('clamp', {'min': -1.0, 'max': 1.5}, (-1.0,)), ('clamp', {'min': -1.0, 'max': 1.5}, (1.5,)),
    ('clamp', {'min': 0.2, 'max': math.inf}, (0.2,)), ('clamp', {'min': -math.inf, 'max': 0.4}, (0.4,)),
    ('clamp', {'min': 1.0, 'max': -1.0}, (0.0,)), ('clamp', {'min': 0.0, 'max': math.inf}, (math.nan,)),
    ('softplus', {'beta': 1.0, 'threshold': 20.0}, (20.0,)), ('softplus', {'beta': 2.0, 'threshold': 20.0}, (10.0,)),
    ('softplus', {'beta': 1.0, 'threshold': 20.0}, (1000.0,)),
    ('softplus', {'beta': 1.0, 'threshold': 20.0}, (-1000.0,)),
    ('**{c}', {'c': 2.0}, (0.0,)), ('**{c}', {'c': 0.0}, (0.0,)), ('**{c}', {'c': 3.0}, (0.0,)),
    ('log1p', {}, (-1.0,)), ('expm1', {}, (1000.0,)), ('sqrt', {}, (0.0,)),
]


@needs_torch
@pytest.mark.parametrize('kink', KINKS, ids=[f'{name}{c}@{p[0]}' for name, c, p in KINKS])
def test_at_kinks_edges_and_thresholds_the_derivatives_are_pytorchs(kink):
    name, constants, point = kink
    (op,) = [op for op in ops.TABLE if op.name == name]
    assert_like_torch(op, constants, point)


def test_softplus_is_linear_above_its_threshold_so_a_large_input_stays_finite():
    x = Value(1000.0)
    y = x.softplus()
    y.backward()
    assert (y.data, x.grad) == (1000.0, 1.0)
    assert Value(-1000.0).softplus().data == 0.0


def test_a_clamp_bound_left_out_is_none_like_torch_clamp():
    x = Value(3.0)
    assert x.clamp(max=2.0).data == 2.0 and x.clamp(min=None, max=None).data == 3.0
    assert x.clamp(min=5.0).constants() == (5.0, math.inf)
    with pytest.raises(TypeError, match=r"clamp\(min=...\) takes a real number or None"):
        x.clamp(min='a')


# ---------------------------------------------------------------- what every row gets from the table

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1e-310, 1e308, -1e308, 710.0, -20.0]


def bits(a, b):
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_every_row_compiles_to_backwards_numbers_bit_for_bit_and_prints_as_code_that_runs(case):
    _, op, constants = case
    n = rows.width(op)
    leaves = [Value(0.3 + k) for k in range(n)]
    program = compile_graph(rows.make(op, leaves, constants).tanh() * 1.5, leaves)
    namespace = {}
    exec(program.code(), namespace)
    for point in POINTS[n] + [tuple(EDGES[(k + j) % len(EDGES)] for j in range(n)) for k in range(len(EDGES))]:
        value, grads = program(list(point))
        again = [Value(p) for p in point]
        out = rows.make(op, again, constants).tanh() * 1.5
        out.backward()
        assert bits(value, out.data), (point, value, out.data)
        assert all(bits(g, leaf.grad) for g, leaf in zip(grads, again)), (point, grads, [v.grad for v in again])
        printed_value, printed_grads = namespace['program'](*point)
        assert bits(printed_value, value) and all(abs(a - b) <= 0 or bits(a, b) for a, b in zip(printed_grads, grads))


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_every_row_is_explained_and_drawn_from_its_rule(case):
    _, op, constants = case
    leaves = [Value(0.3 + k, label=f'v{k}') for k in range(rows.width(op))]
    out = rows.make(op, leaves, constants)
    out.label = 'out'
    loss = out * 2.0
    loss.backward()
    for leaf in leaves:
        text = explain(leaf, root=loss)
        assert f'dL/d{leaf.label} = dL/dout * ' in text, text
    assert 'out' in micrograd_plus.draw_dot(loss, expand_dot=True).source


def test_the_command_line_offers_every_row_of_one_input_with_its_constants():
    for name, op in rules.unary_functions().items():
        assert cli.FUNCTIONS[name] is getattr(Value, name)
        constants = ''.join(f', {c}={v / 2 if math.isfinite(v) else 1.0}' for c, v in op.constants)
        tree = cli.parse(f'{name}(x{constants}) * 2')
        assert cli.evaluate(tree, {'x': Value(0.7)}).data == pytest.approx(
            2 * rows.make(op, [Value(0.7)], {c: v / 2 if math.isfinite(v) else 1.0 for c, v in op.constants}).data)
    assert {'leaky_relu', 'softplus', 'clamp', 'elu', 'log1p', 'expm1', 'tanh'} <= set(cli.FUNCTIONS)
