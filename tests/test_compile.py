import linecache
import math
import random
import struct
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd_plus import Value, compile_graph, dot, topological_order
from micrograd_plus.compile import kernels, schedule
from micrograd_plus.losses import hinge, l2_penalty
from micrograd_plus.nn import MLP

import rows
from catalogue import cube, lecture_neuron

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1e-310, 1e308, -1e308, 710.0]


def same(a, b):
    """The same float, bit for bit (any nan matches any nan)."""
    return (a != a and b != b) or struct.pack('<d', a) == struct.pack('<d', b)


def equal(a, b):
    """The same number: a zero of either sign, any nan."""
    return a == b or (a != a and b != b)


def close(a, b, scale):
    """Equal up to rounding, where the terms of a gradient are added in another order than backward()'s:
    ``scale`` is the sum of their sizes (see ``term_sizes``). Where that is not finite, any order may give
    inf or nan, and nothing is checked."""
    return not math.isfinite(scale) or abs(a - b) <= 1e-12 * scale


def term_sizes(out, leaves):
    """d out / d leaf with every term of the chain rule taken as its absolute value: how large the terms
    of each gradient are, so that adding them in another order may move it by at most ~1e-16 of this."""
    sizes = {out: 1.0}
    for node in reversed(topological_order(out)):
        g = sizes.get(node)
        if g is not None and node._prev:
            for parent, term in zip(node._prev, node.vjp(g)):
                if term is not None:  # a selected zero passes nothing
                    sizes[parent] = sizes.get(parent, 0.0) + abs(term)
    return [sizes.get(x, 0.0) for x in leaves]


def engine(build, values, sizes=False):
    """The output's number and each input's grad from backward(), on a graph built afresh at ``values``."""
    leaves = [Value(x) for x in values]
    out = build(*leaves)
    out.backward()
    if sizes:
        return out.data, [x.grad for x in leaves], term_sizes(out, leaves)
    return out.data, [x.grad for x in leaves]


def compiled_at(build, compile_values, run_values):
    leaves = [Value(x) for x in compile_values]
    program = compile_graph(build(*leaves), leaves)
    return program(run_values)


# ---------------------------------------------------------------- every row, bit for bit: tests/test_ops.py

def test_an_input_used_by_both_sides_of_an_op_gets_both_terms():
    value, grads = compiled_at(lambda a: a * a + a, [3.0], [-2.0])
    assert (value, grads) == (2.0, [-3.0])


# ---------------------------------------------------------------- the guards of the table, and relu's branch

def test_relu_passes_nothing_below_zero_even_when_upstream_is_nan():
    def f(x):
        return x.relu() * math.nan
    for t in (-1.0, 0.0, -0.0):
        value, grads = compiled_at(f, [1.0], [t])
        assert math.isnan(value) and grads == [0.0] == engine(f, [t])[1]


def test_relu_branch_is_taken_on_the_new_values():
    def f(x):
        return (x * 3.0).relu() + x
    assert compiled_at(f, [1.0], [-1.0]) == (-1.0, [1.0]) == engine(f, [-1.0])
    assert compiled_at(f, [-1.0], [2.0]) == (8.0, [4.0]) == engine(f, [2.0])


def test_x_to_the_zero_and_zero_to_the_y_select_zero_like_pytorch():
    def power(x, y):
        return x ** y
    # d/dx x**0 at x = 0 would be 0 * 0**-1 = nan; d/dy 0**y for y >= 0 would be log(0) * 0 = nan
    assert compiled_at(power, [2.0, 3.0], [0.0, 0.0]) == (1.0, [0.0, 0.0]) == engine(power, [0.0, 0.0])
    assert compiled_at(power, [2.0, 3.0], [0.0, 2.0]) == (0.0, [0.0, 0.0]) == engine(power, [0.0, 2.0])
    value, grads = compiled_at(lambda x: x ** 0, [2.0], [0.0])
    assert (value, grads) == (1.0, [0.0])


def test_a_zero_gradient_still_multiplies_an_infinity_into_nan_as_backward_does():
    # relu at -inf passes nothing, so the dot's grad is 0; 0 * inf is nan in its weight's grad
    def f(w, x):
        return dot([w], [x]).relu()
    value, grads = compiled_at(f, [1.0, 1.0], [1.0, -math.inf])
    expected = engine(f, [1.0, -math.inf])
    assert value == expected[0] == 0.0
    assert all(map(same, grads, expected[1])) and math.isnan(grads[0])


def test_a_zero_gradient_skipped_for_speed_changes_no_bit():
    def f(w1, w2, x):
        return dot([w1, w2], [x, x]).relu() * 2.0 + dot([w2], [x]) * 0.0
    for values in ([1.0, -3.0, 2.0], [-0.0, 0.0, 1.0], [1.0, 2.0, -0.0]):
        value, grads = compiled_at(f, [1.0, 1.0, 1.0], values)
        expected = engine(f, values)
        assert same(value, expected[0]) and all(map(same, grads, expected[1])), (values, grads, expected)


# ---------------------------------------------------------------- random graphs, in every layout of the loops

CASES = rows.cases()  # every row of the table, with the constants each is tried with


@st.composite
def graphs(draw):
    """A recipe for a graph: inputs, constants, then ops on earlier nodes (nodes are used more than once)."""
    n_inputs = draw(st.integers(1, 4))
    constants = draw(st.lists(st.floats(-3, 3), max_size=2))
    steps = []
    for i in range(draw(st.integers(1, 14))):
        available = n_inputs + len(constants) + i
        pick = st.integers(0, available - 1)
        case = draw(st.integers(0, len(CASES) - 1))
        steps.append((case, draw(st.lists(pick, min_size=3, max_size=7)) if CASES[case][1].repeat else
                      [draw(pick), draw(pick)]))
    values = draw(st.lists(st.floats(-3, 3), min_size=n_inputs, max_size=n_inputs))
    again = draw(st.lists(st.one_of(st.floats(-3, 3), st.sampled_from(EDGES)), min_size=n_inputs,
                          max_size=n_inputs))
    return constants, steps, values, again


def build_graph(constants, steps):
    def build(*inputs):
        nodes = list(inputs) + [Value(c) for c in constants]
        for case, args in steps:
            _, op, settings = CASES[case]
            if op.repeat:
                ws, xs = args[1::2], args[2::2][:len(args[1::2])]
                nodes.append(dot([nodes[i] for i in ws[:len(xs)]], [nodes[i] for i in xs], nodes[args[0]]))
            else:
                nodes.append(rows.make(op, [nodes[i] for i in args[:op.arity]], settings))
        return sum(nodes[1:], nodes[0])  # every input and every step reaches the output
    return build


LAYOUTS = {
    'as shipped': {},
    'every group its own loop, long columns': dict(GROUP_MIN=1, ARRAY_FROM=2),
    'one shared loop': dict(GROUP_MIN=10 ** 9),
    'dots too long to write out': dict(UNROLLED_PAIRS=1),
}


@pytest.mark.parametrize('layout', LAYOUTS)
def test_random_graphs_match_backward_at_new_values_and_print_as_code_that_runs(layout, monkeypatch):
    for name, value in LAYOUTS[layout].items():
        monkeypatch.setattr(schedule, name, value)

    @given(graphs())
    def check(recipe):
        constants, steps, values, again = recipe
        build = build_graph(constants, steps)
        inputs = [Value(x) for x in values]
        program = compile_graph(build(*inputs), inputs)
        for point in (values, again):
            value, grads = program(point)
            expected, expected_grads, sizes = engine(build, point, sizes=True)
            assert same(value, expected), (point, value, expected)
            assert all(map(close, grads, expected_grads, sizes)), (point, grads, expected_grads, sizes)
            namespace = {}
            exec(program.code(), namespace)
            printed_value, printed_grads = namespace['program'](*point)
            # the printed code assigns a gradient's first term where the loops add it to 0.0: a zero may be -0.0
            assert same(printed_value, value) and all(map(equal, printed_grads, grads))
    check()


def test_a_hundred_thousand_op_chain_compiles_into_one_loop_over_ranges_and_runs():
    x, c = Value(1.0, label='x'), Value(1.0000001)
    y = x
    for _ in range(100_000):
        y = y * c
    y.backward()
    program = compile_graph(y, [x])
    assert program.size == 100_000 and len(program._segments) == 1
    outs, xs, cs = program._segments[0].table  # no tuple per node: the slots as ranges, c's as one repeated slot
    assert isinstance(outs, range) and isinstance(xs, range) and isinstance(cs, schedule._Repeated)
    assert program([1.0]) == (y.data, [x.grad])
    assert program([2.0]) == (2 * y.data, [x.grad])  # doubling is exact: every product rounds the same
    assert 'program.code(0, 60)' in program.source


# ---------------------------------------------------------------- training: micrograd's demo step

def test_the_moons_training_step_gives_backwards_loss_and_gradients_step_after_step():
    rng = random.Random(0)
    X = [[rng.uniform(-1, 2), rng.uniform(-1, 1)] for _ in range(30)]
    y = [1 if a * a + b > 0.5 else -1 for a, b in X]
    model = MLP(2, [8, 8, 1], rng=1)
    params = model.parameters()

    def step():
        return hinge([model(x) for x in X], y) + l2_penalty(params, alpha=1e-4)
    program = compile_graph(step(), params)
    for _ in range(3):
        loss, grads = program([p.data for p in params])
        reference = step()
        model.zero_grad()
        reference.backward()
        assert loss == reference.data
        sizes = term_sizes(reference, params)
        assert all(map(close, grads, [p.grad for p in params], sizes))
        for p, g in zip(params, grads):
            p.data -= 0.5 * g


# ---------------------------------------------------------------- constants, inputs and values

def test_leaves_that_are_not_inputs_are_constants_with_their_number_at_compile_time():
    x, c = Value(2.0), Value(3.0)
    program = compile_graph(x * c + c.exp(), [x])
    c.data = 100.0  # the program keeps the number c had
    assert program([1.0]) == (3.0 + math.exp(3.0), [3.0])


def test_the_output_may_be_an_input_and_values_may_be_any_real_numbers():
    x = Value(2.0)
    assert compile_graph(x, [x])([5]) == (5.0, [1.0])
    y = Value(1.0)
    program = compile_graph(x * y, (x, y))
    assert program(iter([3, 4.0])) == (12.0, [4.0, 3.0])
    np = pytest.importorskip('numpy')
    assert program([np.float64(0.5), np.int64(2)]) == (1.0, [2.0, 0.5])


def test_bad_arguments_say_what_was_given_and_what_to_do():
    x, y = Value(1.0, label='x'), Value(2.0, label='y')
    z = x * y
    with pytest.raises(TypeError, match='needs a Value as output, got float'):
        compile_graph(1.0, [x])
    with pytest.raises(TypeError, match='inputs must be Values .* got int 3 at position 1'):
        compile_graph(z, [x, 3])
    with pytest.raises(ValueError, match="input 0 is the node with data 2.0 \\(op '\\*'\\), the result of an op"):
        compile_graph(z * 2, [z])
    with pytest.raises(ValueError, match="input 1 is the same Value as input 0 \\(the node 'x'"):
        compile_graph(z, [x, x])
    with pytest.raises(ValueError, match="input 1 \\(the node 'w' with data 5.0\\) is not in the graph"):
        compile_graph(z, [x, Value(5.0, label='w')])
    program = compile_graph(z, [x, y])
    with pytest.raises(ValueError, match='takes 2 input values .* got 3'):
        program([1.0, 2.0, 3.0])
    for values in (iter([1.0]), iter([1.0, 2.0, None])):
        with pytest.raises(ValueError, match='takes 2 input values .* got another number'):
            program(values)
    with pytest.raises(TypeError, match='a program takes real numbers, got str'):
        program(['1', 2.0])
    with pytest.raises(TypeError, match='takes the numbers of its inputs, got Value\\(data=1.0.*pass its .data'):
        program([x, y])
    for values in (None, 1.0, '12', {'x': 1.0, 'y': 2.0}, x):
        with pytest.raises(TypeError, match='a program takes a list of numbers, one per input'):
            program(values)
    with pytest.raises(TypeError, match='compile_graph inputs must be Values .*a list of them, got None'):
        compile_graph(z, None)
    with pytest.raises(ValueError, match=r'code\(start\) must be an int >= 0, got -1'):
        program.code(-1)
    with pytest.raises(TypeError, match=r"code\(stop\) must be an int, got str '3'"):
        program.code(0, '3')
    assert program.code(0, 10 ** 400) == program.code() and program.code(10 ** 400) == ''


def test_no_inputs_make_a_constant_program_and_an_input_may_be_the_output():
    x = Value(2.0, label='x')
    program = compile_graph(x.exp(), [])
    assert program([]) == (math.exp(2.0), []) and 'return 7.38905609893065, []' in program.source
    program = compile_graph(x, [x])
    assert program([3.0]) == (3.0, [1.0]) and program.source.endswith('    dx = 1.0\n    return x, [dx]')


def test_a_node_built_by_hand_is_named_in_the_error():
    x = Value(2.0, label='x')
    out = cube(x) + 1
    with pytest.raises(TypeError, match="cannot compile the node with data 8.0 \\(op 'cube'\\): it was built by hand"):
        compile_graph(out, [x])

    class Square(Value):  # a node class of one's own, with no row in the table
        __slots__ = ('_a', '_b')
        _is_leaf = False

        @property
        def _prev(self):
            return (self._a,)
    square = Value.__new__(Square, 4.0)
    square._a, square._b = x, None
    with pytest.raises(TypeError, match='its class Square has no row in the derivative table'):
        compile_graph(square, [x])


# ---------------------------------------------------------------- reading the program

LECTURE_SOURCE = '''\
from micrograd_plus.ops import f_tanh


def program(x1, x2, w1, w2, b):
    """o and its gradient with respect to x1, x2, w1, w2, b: 5 ops, compiled by compile_graph"""
    # forward pass
    x2w2 = x2 * w2
    x1w1 = x1 * w1
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = f_tanh(n)
    # backward pass: do/d(each node), by the chain rule, from the output back
    do = 1.0
    dn = do * (1 - o * o)
    dx1w1x2w2 = dn
    db = dn
    dx1w1 = dx1w1x2w2
    dx2w2 = dx1w1x2w2
    dx1 = dx1w1 * w1
    dw1 = dx1w1 * x1
    dx2 = dx2w2 * w2
    dw2 = dx2w2 * x2
    return o, [dx1, dx2, dw1, dw2, db]'''


def test_the_lecture_neuron_prints_as_its_manual_backprop_and_the_printout_runs():
    v = lecture_neuron()
    inputs = [v[name] for name in ('x1', 'x2', 'w1', 'w2', 'b')]
    program = compile_graph(v['o'], inputs)
    assert program.source == str(program) == LECTURE_SOURCE
    namespace = {}
    exec(program.source, namespace)
    numbers = [x.data for x in inputs]
    v['o'].backward()
    assert namespace['program'](*numbers) == program(numbers) == (v['o'].data, [x.grad for x in inputs])


def test_constants_are_named_by_their_labels_and_guards_on_numbers_alone_are_decided():
    v = lecture_neuron()
    source = compile_graph(v['o'], [v['w1'], v['w2'], v['b']]).source
    assert '    x1 = 2.0\n' in source and 'dx1 =' not in source and 'def program(w1, w2, b):' in source
    x = Value(3.0, label='x')
    source = compile_graph(x ** 2, [x]).source
    assert '    dx = dt1 * (2.0 * f_pow(x, 1.0))\n' in source and 'if' not in source.split('"""')[2]


def test_labels_become_names_without_clashes():
    a, b, c = Value(1.0, label='a'), Value(2.0, label='a'), Value(3.0, label='lambda')
    out = (a * b) * c
    out.label = 'layers.0.out'
    source = compile_graph(out, [a, b, c]).source
    assert 'def program(a, a_2, lambda_2):' in source
    assert 'layers_0_out = t1 * lambda_2' in source and 'return layers_0_out, [da, da_2, dlambda_2]' in source


def test_a_graph_too_long_to_read_prints_a_summary_and_any_part_on_request():
    model = MLP(2, [16, 16, 1], rng=0)
    xs = [[0.1 * i, -0.2 * i] for i in range(20)]
    program = compile_graph(sum(model(x) for x in xs), model.parameters())
    summary = program.source
    assert summary.startswith('# A compiled program: the output and its gradient with respect to 337 inputs')
    assert '660 dot' in summary and '640 ReLU' in summary and 'program.code(0, 60)' in summary
    first = program.code(0, 8).splitlines()
    assert len(first) == 8 and first[0] == 'from micrograd_plus.ops import f_relu'
    assert repr(program).startswith('<compiled program: 1320 ops, 337 inputs')


def test_loops_are_written_only_when_a_graph_is_compiled_and_tracebacks_show_them():
    script = ('import micrograd_plus, micrograd_plus.compile.kernels as c; assert c._written_kernels == {}; '
              'x = micrograd_plus.Value(1.0); micrograd_plus.compile_graph(x * x, [x]); '
              'print(len(c._written_kernels))')
    assert subprocess.run([sys.executable, '-c', script], capture_output=True, text=True).stdout.strip() == '1'
    _, _, source = kernels.kernels('mixed')
    names = [name for name in linecache.cache if name.startswith('<compile_graph loops')]
    assert any(linecache.getline(name, 1) == source.splitlines(True)[0] for name in names)


def test_an_op_added_with_register_op_compiles_like_a_built_in_one():
    from micrograd_plus import Op, register_op
    register_op(Op('cube', 'x ** 3', ('3 * x ** 2',)), method='cube')
    x = Value(2.0, label='x')
    y = (x.cube() * x).tanh()
    program = compile_graph(y, [x])
    for value in (2.0, 0.5, -1.25):
        x.data = value
        again = (x.cube() * x).tanh()
        x.grad = 0.0
        again.backward()
        assert program([value]) == (again.data, [x.grad])
    assert 'f_pow(x, 3)' in program.source


def test_the_whole_printout_of_a_training_step_with_an_l2_term_runs_as_written():
    from micrograd_plus.losses import l2_penalty
    model = MLP(2, [8, 8, 1], rng=3)
    params = model.parameters()  # 105 of them: the penalty's dot has 105 pairs, 330 made unparse recurse too deep
    points = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]
    loss = sum((model(x) - 1.0) ** 2 for x in points) + l2_penalty(params + params + params + params, alpha=1e-3)
    program = compile_graph(loss, params)
    namespace: dict = {}
    exec(program.code(), namespace)
    assert namespace['program'](*[p.data for p in params]) == program([p.data for p in params])


def test_a_gradient_whose_terms_are_all_selected_zeros_is_printed_as_zero():
    x = Value(3.0, label='x')
    t = x.exp()
    t.label = 't'
    program = compile_graph(t ** 0, [x])  # d/dt t ** 0 selects 0: dt gets no term at all
    namespace: dict = {}
    exec(program.code(), namespace)
    assert 'dt = 0.0' in program.code() and namespace['program'](3.0) == program([3.0]) == (1.0, [0.0])
