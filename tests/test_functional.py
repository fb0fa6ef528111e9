"""jvp (forward mode), jacobian and hessian: against PyTorch in float64, central differences, and each other."""
import math
import random

import pytest

from micrograd_plus import Value, dot, jacobian, jvp, ops
from micrograd_plus.autodiff import central_difference, grad
from micrograd_plus.functional import forward_pass, graph_order, hessian

# ---------------------------------------------------------------- random functions, on Values or tensors

# ops every backend writes alike (Value and torch.Tensor share these methods), smooth on the whole line
UNARY = [lambda a: a.tanh(), lambda a: a.sin(), lambda a: a.cos(), lambda a: a.sigmoid(), lambda a: (a * 0.3).exp(),
         lambda a: (a * a + 1).log(), lambda a: (a * a + 0.5).sqrt(), lambda a: -a, lambda a: a ** 3,
         lambda a: a ** 2]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1),
          lambda a, b: (a * a + 1) ** (b.tanh())]


def random_program(seed, n_inputs, n_outputs, steps=12):
    """A seeded random composition: a list of (op, operand positions), and which results are the outputs."""
    source = random.Random(seed)
    program, size = [], n_inputs
    for _ in range(steps):
        if source.random() < 0.5:
            program.append((source.choice(UNARY), (source.randrange(size),)))
        else:
            program.append((source.choice(BINARY), (source.randrange(size), source.randrange(size))))
        size += 1
    outputs = source.sample(range(n_inputs, size), n_outputs)
    return program, outputs


def run_program(program, outputs, inputs):
    nodes = list(inputs)
    for op, operands in program:
        nodes.append(op(*(nodes[k] for k in operands)))
    return [nodes[k] for k in outputs]


def function(seed, n_inputs, n_outputs):
    """f for Values (one output: a Value, else a list) and the same f for torch (a tensor or a tuple)."""
    program, outputs = random_program(seed, n_inputs, n_outputs)

    def ours(*xs):
        out = run_program(program, outputs, xs)
        return out[0] if n_outputs == 1 else out

    def theirs(*ts):
        out = run_program(program, outputs, ts)
        return out[0] if n_outputs == 1 else tuple(out)
    return ours, theirs


def point(seed, n):
    source = random.Random(1000 + seed)
    return [source.uniform(-1.5, 1.5) for _ in range(n)]


def tensors(torch, xs):
    return tuple(torch.tensor(x, dtype=torch.float64) for x in xs)


CASES = [(seed, n, m) for seed in range(6) for n, m in ((1, 1), (3, 1), (1, 3), (3, 2))]


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize('seed, n, m', CASES)
def test_jvp_matches_torch_func_jvp(seed, n, m):
    torch = pytest.importorskip('torch')
    ours, theirs = function(seed, n, m)
    x, t = point(seed, n), point(seed + 50, n)
    value, derivative = jvp(ours, x, t)
    their_value, their_derivative = torch.func.jvp(theirs, tensors(torch, x), tensors(torch, t))
    if m == 1:
        value, derivative, their_value, their_derivative = [value], [derivative], [their_value], [their_derivative]
    assert value == pytest.approx([v.item() for v in their_value], rel=1e-12, abs=1e-14)
    assert derivative == pytest.approx([d.item() for d in their_derivative], rel=1e-10, abs=1e-12)


@pytest.mark.parametrize('mode', ['reverse', 'forward'])
@pytest.mark.parametrize('seed, n, m', CASES)
def test_jacobian_in_both_modes_matches_torch(seed, n, m, mode):
    torch = pytest.importorskip('torch')
    ours, theirs = function(seed, n, m)
    x = point(seed, n)
    ours_j = jacobian(ours, x, mode=mode)
    theirs_j = torch.autograd.functional.jacobian(theirs, tensors(torch, x))
    expected = [[d.item() for d in row] for row in ([theirs_j] if m == 1 else theirs_j)]
    assert ([ours_j] if m == 1 else ours_j) == [pytest.approx(row, rel=1e-10, abs=1e-12) for row in expected]


@pytest.mark.parametrize('seed, n', [(seed, n) for seed in range(8) for n in (1, 2, 3)])
def test_hessian_matches_torch(seed, n):
    torch = pytest.importorskip('torch')
    ours, theirs = function(seed, n, 1)
    x = point(seed, n)
    expected = torch.autograd.functional.hessian(theirs, tensors(torch, x))
    assert hessian(ours, x) == [pytest.approx([d.item() for d in row], rel=1e-9, abs=1e-11) for row in expected]


# ---------------------------------------------------------------- every row of the derivative table

def build(row, inputs):
    """The node of ``row`` on ``inputs`` through its Value method; named constants (clamp's min and max...)
    keep the row's defaults, passed in the order the row lists them."""
    constants = [default for _, default in getattr(row, 'constants', ())]
    return getattr(inputs[0], row.method)(*inputs[1:], *constants)


METHOD_ROWS = [row for row in ops.TABLE if row.method is not None]


@pytest.mark.parametrize('row', METHOD_ROWS, ids=[row.name for row in METHOD_ROWS])
def test_jvp_of_every_row_is_the_directional_central_difference(row):
    arity = len(row.grads)
    x = [0.7, 1.3][:arity]
    t = [0.6, -1.1][:arity]

    def f(*xs):
        return build(row, list(xs))

    value, derivative = jvp(f, x, t)
    xs = [Value(v) for v in x]
    out = f(*xs)
    assert out.rule == row and value == out.data  # the node is the row's
    numeric = sum(ti * central_difference(f, *x, arg=i) for i, ti in enumerate(t))
    assert derivative == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    by_reverse = sum(ti * gi for ti, gi in zip(t, grad(out, xs)))
    assert derivative == pytest.approx(by_reverse, rel=1e-14, abs=1e-15)


def test_jvp_through_a_neurons_dot_uses_the_rules_of_plus_and_times():
    def neuron(b, w1, x1, w2, x2):
        return dot([w1, w2], [x1, x2], b).tanh()

    x, t = [0.1, 0.5, -1.2, 2.0, 0.3], [1.0, -0.5, 0.25, 2.0, -1.0]
    _, derivative = jvp(neuron, x, t)
    assert derivative == pytest.approx(sum(ti * central_difference(neuron, *x, arg=i) for i, ti in enumerate(t)),
                                       rel=1e-7)


# ---------------------------------------------------------------- modes agree, passes, cost

def test_forward_and_reverse_jacobians_agree_on_a_wide_and_a_tall_function():
    def wide(*xs):
        return sum((x * (k + 1)).sin() for k, x in enumerate(xs))

    def tall(x):
        return [(x * k).tanh() + x * x for k in range(5)]

    xs = [0.1 * k - 0.3 for k in range(6)]
    assert jacobian(wide, xs, mode='forward') == pytest.approx(jacobian(wide, xs, mode='reverse'), rel=1e-14)
    assert jacobian(tall, [0.4], mode='forward') == [pytest.approx(row, rel=1e-14)
                                                     for row in jacobian(tall, [0.4], mode='reverse')]


def test_one_forward_pass_gives_every_output_its_directional_derivative():
    x = Value(0.3)
    outs = [x.sin(), x * x, (x * 3).exp()]
    tangent = forward_pass(graph_order(outs), {x: 2.0})
    assert [tangent[o] for o in outs] == pytest.approx([2 * math.cos(0.3), 2 * 0.6, 2 * 3 * math.exp(0.9)],
                                                       rel=1e-15)


def test_forward_mode_leaves_out_what_does_not_depend_on_the_seed():
    x, y = Value(0.3), Value(2.0)
    a, b = x * 2, y.exp()
    tangent = forward_pass(graph_order([a + b]), {x: 1.0})
    assert b not in tangent and y not in tangent and tangent[a] == 2.0


def test_a_relu_below_zero_passes_no_tangent_not_even_nan():
    assert jvp(lambda x: (x * -1.0).relu(), [2.0], [math.nan]) == (0.0, 0.0)  # as torch: where(), not 0 * nan


def test_an_output_that_is_a_constant_has_derivative_zero():
    assert jvp(lambda x: [x * 2, 3.0], [1.0], [1.0]) == ([2.0, 3.0], [2.0, 0.0])
    assert jacobian(lambda x, y: 5.0, [1.0, 2.0], mode='forward') == [0.0, 0.0]


def test_hessian_of_a_quadratic_form_is_its_matrix():
    def f(x, y):
        return 3 * x * x + 2 * x * y + 0.5 * y * y

    assert hessian(f, [0.2, -0.7]) == [[6.0, 2.0], [2.0, 1.0]]


# ---------------------------------------------------------------- bad input

def test_bad_arguments_are_refused_with_what_was_given():
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match='one tangent per primal, got 2 primals and 1 tangents'):
        jvp(f, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match=r'one Value per number of the point, here 3'):
        jacobian(f, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="must be one of 'reverse', 'forward', got str 'sideways'"):
        jacobian(f, [1.0, 2.0], mode='sideways')
    with pytest.raises(ValueError, match='hessian needs f to return one Value'):
        hessian(lambda x: [x, x], [1.0])
    with pytest.raises(TypeError, match=r"f must return a Value, a number or a list of them, got str"):
        jvp(lambda x: 'x', [1.0], [1.0])
    with pytest.raises(ValueError, match='primals is empty'):
        jvp(f, [], [])
    with pytest.raises(TypeError, match='leaves'):
        x = Value(1.0)
        forward_pass(graph_order([x * 2]), {x * 2: 1.0})
