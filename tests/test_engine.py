import gc
import math
import tracemalloc

import pytest
from hypothesis import strategies as st

from micrograd_plus import (
    Value,
    central_difference,
    grad,
    gradcheck,
    no_grad,
    topological_order,
)
from micrograd_plus.engine import dot

from catalogue import close, cube, lecture_neuron


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------- every op: tests/test_ops.py, from the table

def test_third_derivatives_of_tanh_and_sin():
    x = Value(0.5)
    t = math.tanh(0.5)
    d1 = grad(x.tanh(), x, create_graph=True)
    d2 = grad(d1, x, create_graph=True)
    d3 = grad(d2, x)
    assert close(d1.data, 1 - t * t, rel=1e-12)
    assert close(d2.data, -2 * t * (1 - t * t), rel=1e-12)
    assert close(d3, -2 * (1 - t * t) ** 2 + 4 * t * t * (1 - t * t), rel=1e-12)
    s = grad(grad(grad(x.sin(), x, create_graph=True), x, create_graph=True), x)
    assert close(s, -math.cos(0.5), rel=1e-12)


def test_dot_equals_the_chain_of_products_in_value_and_all_derivatives():
    ws, xs, b = [0.5, -1.2, 2.0], [1.5, 0.3, -0.7], 0.25
    w1, x1, b1 = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    w2, x2, b2 = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    fused = dot(w1, x1, b1).tanh()
    chain = sum((w * x for w, x in zip(w2, x2)), b2).tanh()
    assert close(fused.data, chain.data, rel=1e-14)
    fused.backward()
    chain.backward()
    for p, q in zip(w1 + x1 + [b1], w2 + x2 + [b2]):
        assert close(p.grad, q.grad, rel=1e-12)
    h1 = grad(grad(dot(w1, x1, b1).tanh(), w1[0], create_graph=True), x1)
    h2 = grad(grad(sum((w * x for w, x in zip(w2, x2)), b2).tanh(), w2[0], create_graph=True), x2)
    assert all(close(p, q, rel=1e-12) for p, q in zip(h1, h2))


def test_dot_rejects_mismatched_lengths_and_non_numbers():
    with pytest.raises(ValueError, match='as many weights as inputs'):
        dot([Value(1.0)], [1.0, 2.0])
    with pytest.raises(TypeError, match='dot\\(\\) takes Values or real numbers, got str'):
        dot([Value(1.0)], ['x'])


# ---------------------------------------------------------------- the lecture and micrograd's README

LECTURE_GRADS = dict(x1=-1.5, w1=1.0, x2=0.5, w2=0.0, b=0.5, n=0.5, o=1.0)


def test_lecture_neuron_numbers():
    v = lecture_neuron()
    v['o'].backward()
    assert v['o'].data == pytest.approx(0.7071, abs=1e-4)
    for name, expected in LECTURE_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-12), name


def test_lecture_manual_backprop_node_by_node():
    v = lecture_neuron()
    v['o'].grad = 1.0
    for name in ('o', 'n', 'b', 'x1w1x2w2', 'x2w2', 'x1w1', 'x1', 'w1'):
        v[name]._backward()  # a leaf's _backward does nothing, as in the lecture
    for name, expected in LECTURE_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-12), name


def test_lecture_b_equals_a_plus_a_accumulates():
    a = Value(3.0, label='a')
    b = a + a
    b.backward()
    assert a.grad == 2.0
    assert b._prev == (a, a)


def test_lecture_tanh_built_from_exp_matches_tanh():
    x = Value(0.8814)
    e = (2 * x).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(math.tanh(0.8814), rel=1e-12)
    assert x.grad == pytest.approx(1 - math.tanh(0.8814) ** 2, rel=1e-12)


def micrograd_readme_example():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, c, g


def test_micrograd_readme_example():
    a, b, _, g = micrograd_readme_example()
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)


# ---------------------------------------------------------------- backward semantics

def test_repeated_backward_recomputes_inner_grads_and_accumulates_leaves():
    a, b, c, g = micrograd_readme_example()
    g.backward()
    first = (a.grad, b.grad, c.grad, g.grad)
    g.backward()
    assert (c.grad, g.grad) == first[2:]          # non-leaf: recomputed, not doubled
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])  # leaves accumulate like PyTorch
    a.grad = b.grad = 0.0
    g.backward()
    assert (a.grad, b.grad) == first[:2]


def test_repeated_backward_through_a_node_that_passes_nothing_on():
    a, b = Value(2.0), Value(3.0)
    e = a * b
    opaque = Value(1.0, (e,), 'custom')  # built by hand: no rule, so e gets nothing through it
    z = opaque * e + e
    for _ in range(3):
        z.backward()
        assert e.grad == opaque.data + 1.0  # recomputed each time, never skipped or doubled
    assert a.grad == 3 * b.data * (opaque.data + 1.0)  # the leaf accumulated three times


def test_backward_of_a_leaf_seeds_it():
    a = Value(2.0)
    a.backward()
    assert a.grad == 1.0


def test_million_op_chain_backprops_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0000001
    y.backward()
    assert y.data == pytest.approx(math.exp(0.1), rel=1e-6)
    assert x.grad == pytest.approx(y.data, rel=1e-9)
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_topological_order_puts_inputs_first_and_root_last():
    v = lecture_neuron()
    order = topological_order(v['o'])
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is v['o'] and len(order) == len(set(map(id, order)))
    for node in order:
        for parent in node._prev:
            assert position[id(parent)] < position[id(node)]


def test_graph_has_no_reference_cycles_and_is_freed_by_refcounting():
    def build_and_drop():  # 1,200 inner nodes: more than backward() remembers for explain()
        x = [Value(float(i)) for i in range(200)]
        loss = sum(((xi * xi).tanh() + xi.exp().log() for xi in x), Value(0.0))
        loss.backward()
        grad(loss, x[:3], create_graph=True)

    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        build_and_drop()  # warm up, traced: first calls fill interpreter caches that stay (3.10 keeps a frame
        build_and_drop()  # per function), so they are counted in `before` as well as in `after`
        before = tracemalloc.get_traced_memory()[0]
        build_and_drop()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert gc.collect() == 0  # nothing was left for the cyclic collector
        # ~1,400 nodes (~140 KB) were all freed by reference counting; CPython keeps up to 100 freed
        # floats (2.4 KB) on its free list, which tracemalloc still counts
        assert after - before < 4096
    finally:
        gc.enable()


def test_backward_remembers_only_a_lecture_sized_root_for_explain():
    from micrograd_plus.teach.record import LAST_BACKWARD, BackwardRecord
    small = lecture_neuron()['o']
    small.backward()
    assert LAST_BACKWARD.output is small
    x = Value(1.0)
    big = x
    for _ in range(BackwardRecord.KEEP_UP_TO + 1):
        big = big * 1.0
    big.backward()
    assert LAST_BACKWARD.output is None  # a training-sized graph is never kept alive by the record


# ---------------------------------------------------------------- grad()

def test_grad_does_not_touch_dot_grad_and_returns_list_or_single():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x
    assert grad(z, [x, y]) == [4.0, 2.0]
    assert grad(z, y) == 2.0
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_grad_of_an_unused_input_is_zero():
    x, y = Value(2.0), Value(3.0)
    assert grad(x * x, [x, y]) == [4.0, 0.0]
    assert grad(x * x, y, create_graph=True).data == 0.0


def test_grad_rejects_non_values():
    with pytest.raises(TypeError, match='inputs must be a Value or a list of Values, got float 1.0'):
        grad(Value(1.0), [1.0])
    with pytest.raises(TypeError, match='needs a Value as output'):
        grad(1.0, [Value(1.0)])


def test_mixed_partials_of_a_two_variable_function():
    x, y = Value(1.5), Value(-0.5)
    f = (x * y).sin() * x ** 2
    dx, dy = grad(f, [x, y], create_graph=True)
    dxy = grad(dx, y)
    # d/dy d/dx [sin(xy) x^2] = d/dy [y cos(xy) x^2 + 2x sin(xy)] = cos(xy) x^2 - x^3 y sin(xy) + 2x^2 cos(xy)
    X, Y = 1.5, -0.5
    expected = math.cos(X * Y) * X**2 - X**3 * Y * math.sin(X * Y) + 2 * X**2 * math.cos(X * Y)
    assert dxy == pytest.approx(expected, rel=1e-12)
    assert grad(dy, x) == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------- gradcheck and central differences

def test_gradcheck_passes_smooth_functions_with_a_readable_report():
    x, y = Value(1.3, label='x'), Value(0.7, label='y')
    report = gradcheck(lambda x, y: (x * y).sin() + x ** y + (x / y).log(), x, y, second_order=True)
    assert report and report.passed
    text = str(report)
    assert 'PASSED' in text and 'd/dx' in text and 'd2/dxdy' in text and 'mismatch' not in text
    assert len(report.rows) == 2 + 4


def test_gradcheck_names_each_derivative_by_the_functions_parameter_name():
    report = gradcheck(lambda x, w, b: (x * w + b).tanh(), 0.5, -1.2, 0.3, second_order=True)
    names = [row[0] for row in report.rows]
    assert names[:3] == ['d/dx', 'd/dw', 'd/db'] and 'd2/dwdb' in names
    assert [row[0] for row in gradcheck(lambda *vs: vs[0] * vs[1], 2.0, 3.0).rows] == ['d/dx0', 'd/dx1']
    assert gradcheck(lambda a, b: a * b, Value(2.0, label='u'), 3.0).rows[0][0] == 'd/du'  # a label wins


def test_gradcheck_fails_where_the_derivative_is_not_what_numbers_say():
    report = gradcheck(lambda x: x.relu(), 0.0)  # relu's derivative at the kink is 0; numbers say 0.5
    assert not report
    assert 'FAILED' in str(report) and 'mismatch' in str(report)


def test_central_difference_is_the_derivative_by_numbers():
    assert central_difference(lambda x: x ** 3, 2.0) == pytest.approx(12.0, rel=1e-6)
    assert central_difference(lambda x, y: x * y.exp(), 2.0, 0.5, arg=1) == pytest.approx(2 * math.exp(0.5), rel=1e-6)


# ---------------------------------------------------------------- detach, grad's graph (the modes: test_modes.py)

def test_grad_of_a_sum_adds_no_multiply_by_one_nodes():
    x = Value(3.0)
    g = grad(x + x, x, create_graph=True)
    assert g._op == '+' and g._prev[0]._op == '' and g.data == 2.0


def test_detach_is_a_leaf_with_the_same_data_and_label():
    a = Value(2.0, label='a')
    d = (a * a).detach()
    assert d._prev == () and d.data == 4.0
    (d * a).backward()
    assert a.grad == 4.0


# ---------------------------------------------------------------- IEEE numerics

@pytest.mark.parametrize('expr, expected', [
    (lambda: Value(1000.0).exp(), math.inf),
    (lambda: Value(-1000.0).exp(), 0.0),
    (lambda: Value(0.0).log(), -math.inf),
    (lambda: Value(1.0) / 0.0, math.inf),
    (lambda: Value(-1.0) / 0.0, -math.inf),
    (lambda: Value(10.0) ** 400, math.inf),
    (lambda: Value(-10.0) ** 401, -math.inf),
    (lambda: Value(0.0) ** -1, math.inf),
    (lambda: Value(1000.0).tanh(), 1.0),
    (lambda: Value(-1000.0).tanh(), -1.0),
    (lambda: Value(1000.0).sigmoid(), 1.0),
    (lambda: Value(-1000.0).sigmoid(), 0.0),
    (lambda: 2 ** Value(5000.0), math.inf),
])
def test_ieee_results_instead_of_exceptions(expr, expected):
    assert expr().data == expected


@pytest.mark.parametrize('expr', [
    lambda: Value(-1.0).log(), lambda: Value(-1.0).sqrt(), lambda: Value(-8.0) ** (1 / 3),
    lambda: Value(0.0) / 0.0, lambda: Value(math.inf).sin(),
])
def test_undefined_results_are_nan(expr):
    assert math.isnan(expr().data)


def test_stable_sigmoid_and_tanh_gradients_at_extremes():
    for x in (-1000.0, 1000.0):
        for op in ('sigmoid', 'tanh'):
            v = Value(x)
            getattr(v, op)().backward()
            assert v.grad == 0.0


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize('bad, message', [
    ('a', 'got str'), (None, 'got NoneType'), (Value(1.0), 'got a Value'), (1 + 2j, 'real numbers only'),
    ([1.0], 'got list'),
])
def test_bad_input_raises_type_error_saying_what_is_accepted(bad, message):
    with pytest.raises(TypeError, match=message) as info:
        Value(bad)
    assert 'real number' in str(info.value) or 'Value' in str(info.value)


@pytest.mark.parametrize('bad, message', [
    ('a', 'an op with a Value takes a real number or a Value, got str .*float\\(\\) first'),
    (None, 'an op with a Value takes a real number or a Value, got NoneType'),
    (1j, 'real numbers only'), ([1], None),
])
def test_operators_with_non_numbers_raise_type_error(bad, message):
    with pytest.raises(TypeError, match=message):
        Value(1.0) + bad
    with pytest.raises(TypeError):
        bad * Value(1.0)  # [1] * v is the list's own error
    with pytest.raises(TypeError, match=message):
        Value(1.0) ** bad


# ---------------------------------------------------------------- compatibility and friendliness

def test_repr_matches_micrograd_with_label_when_set():
    assert repr(Value(2.0)) == 'Value(data=2.0, grad=0.0)'
    assert repr(Value(2.0, label='a')) == "Value(data=2.0, grad=0.0, label='a')"


def test_prev_and_op_strings_like_micrograd():
    a, b = Value(2.0), Value(3.0)
    assert (a * b)._op == '*' and (a * b)._prev == (a, b)
    assert (a + b)._op == '+' and (b + a)._prev == (b, a)
    assert (a ** 2)._op == '**2' and (a ** 2)._prev == (a,)
    assert (a ** 0.5)._op == '**0.5'
    assert a.relu()._op == 'ReLU' and a.tanh()._op == 'tanh' and a.exp()._op == 'exp'
    assert a._op == '' and a._prev == ()
    c = 2 * a
    assert c._prev[1] is a and c._prev[0].data == 2.0  # the constant becomes a leaf, as in micrograd


def test_hand_built_node_with_positional_children_and_op():
    a, b = Value(2.0), Value(3.0)
    c = Value(5.0, (a, b), '+')
    assert c._prev == (a, b) and c._op == '+' and c.data == 5.0 and c.label == ''
    d = Value(1.0, (a,), 'custom', 'd')
    assert d.label == 'd' and d._prev == (a,)
    d.backward()  # no _backward given: nothing flows, nothing breaks (micrograd's lambda: None)
    assert a.grad == 0.0
    with pytest.raises(TypeError, match='needs the op in the derivative table'):
        grad(d, a)


def test_an_op_written_the_lectures_way_backprops():
    """The lecture defines ops by building Value(data, (inputs,), op) and assigning out._backward."""
    x = Value(2.0)
    y = cube(x) * 2 + 1
    y.backward()
    assert x.grad == 24.0
    assert cube(x)._prev == (x,) and cube(x)._op == 'cube'


def test_x_to_the_zero_has_derivative_zero_at_zero_like_pytorch():
    for power in (lambda x: x ** 0, lambda x: x ** Value(0.0)):
        x = Value(0.0)
        power(x).backward()
        assert x.grad == 0.0


def test_huge_ints_become_infinities_not_overflow_errors():
    assert Value(10 ** 400).data == math.inf and Value(-10 ** 400).data == -math.inf
    assert (Value(1.0) * 10 ** 400).data == math.inf


def test_op_nodes_pickle_and_come_back_the_same_op():
    import pickle
    a = Value(2.0, label='a')
    for node in (a * 3, (a * 3).tanh(), a ** 2, 2 ** a, Value(5.0, (a,), 'mine')):
        back = pickle.loads(pickle.dumps(node))
        assert (back.data, back._op, type(back).__name__) == (node.data, node._op, type(node).__name__)


def test_numpy_scalars_on_either_side_give_a_value():
    np = pytest.importorskip('numpy')
    a = Value(3.0)
    for result in (np.float64(2.0) * a, a * np.float32(2.0), np.int64(2) + a, a - np.float64(1.0),
                   np.float64(6.0) / a, Value(np.float32(1.5)) * 1, a + np.bool_(True), np.bool_(True) * a,
                   a ** np.bool_(True), a ** np.float32(2.0)):
        assert isinstance(result, Value)
    assert isinstance(Value(np.float64(2.0)).data, float)


def test_sum_of_values_and_comparisons():
    vs = [Value(float(i)) for i in range(5)]
    total = sum(vs)
    assert isinstance(total, Value) and total.data == 10.0
    total.backward()
    assert all(v.grad == 1.0 for v in vs)
    assert Value(1.0) < Value(2.0) and Value(2.0) >= 2 and not (Value(1.0) > 3) and Value(1.0) <= 1.0
    assert max(vs).data == 4.0


def test_values_hash_by_identity_and_copy():
    import copy
    a = Value(1.0)
    assert a != Value(1.0) and len({a, Value(1.0)}) == 2
    b = copy.deepcopy((a * 2).tanh())
    assert b.data == pytest.approx(math.tanh(2.0)) and b._op == 'tanh'


def test_generated_backward_source_is_readable():
    import inspect
    source = inspect.getsource(type(Value(1.0) * Value(2.0))._backward)
    assert 'a.grad += g * y' in source and 'b.grad += g * x' in source


# ---------------------------------------------------------------- a hand-built op under no_grad

def test_a_hand_built_op_under_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        y = cube(x)
    assert y._prev == () and y.data == 8.0
    y.backward()
    assert x.grad == 0.0 and y.grad == 1.0


# ---------------------------------------------------------------- zeros PyTorch selects rather than multiplies

def test_relu_below_zero_passes_no_nan_from_upstream_like_pytorch():
    x = Value(-2.0)
    (x ** x.relu()).backward()  # d/dy of (-2) ** y is log(-2) * out = nan, and relu' = 0 selects it away
    assert x.grad == 0.0
    assert grad(x ** x.relu(), x) == 0.0
    assert grad(grad(x ** x.relu(), x, create_graph=True), x) == 0.0


def test_x_to_the_zero_passes_no_nan_from_upstream_like_pytorch():
    for negative in (-3.0, -0.5):
        x, y = Value(-2.0), Value(negative)
        (y ** (x ** 0.0)).backward()  # d/dz y ** z = log(y) * out = nan, and d/dx x ** 0 = 0 selects it away
        assert x.grad == 0.0
        assert grad(y ** (x ** 0.0), x) == 0.0


def test_abs_at_zero_multiplies_like_pytorch():
    x = Value(0.0)
    (abs(x) * math.nan).backward()
    assert math.isnan(x.grad)  # PyTorch: grad * sgn(x) = nan * 0 = nan; abs selects nothing


# ---------------------------------------------------------------- copies and pickles at any depth

def test_a_graph_thousands_deep_deep_copies_and_pickles():
    import copy
    import pickle
    x = Value(0.5, label='x')
    y = x
    for i in range(20_000):
        y = (y * 1.0001 + 0.01) if i % 2 else (y ** 2).tanh()
    for again in (copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert again.data == y.data and again._op == y._op
        again.backward()
    y.backward()
    assert [n.grad for n in topological_order(again) if n.label == 'x'] == [x.grad]


def test_a_deep_copy_keeps_what_is_shared_shared():
    import copy
    a = Value(2.0, label='a')
    b = a * a
    c = b + a ** 3
    c_copy, b_copy = copy.deepcopy([c, b])
    assert c_copy._a is b_copy and b_copy._a is b_copy._b and c_copy._b._a is b_copy._a
    assert b_copy._a is not a and c_copy._b._c == 3.0


# ---------------------------------------------------------------- numerics at the edges

def test_a_negative_base_to_a_fraction_is_nan_even_when_it_would_overflow():
    assert math.isnan((Value(-10.0) ** 400.5).data) and math.isnan((Value(-10.0) ** Value(400.5)).data)
    assert (Value(-10.0) ** 401).data == -math.inf and (Value(-10.0) ** 400).data == math.inf


def test_divide_and_log_divide_the_upstream_grad_so_subnormals_do_not_overflow():
    x, y = Value(1e-300), Value(1e-310)
    (x / y * 1e-10).backward()
    assert x.grad == pytest.approx(1e-10 / 1e-310)  # g * (1/y) would be 1e-10 * inf = inf
    z = Value(1e-310)
    (z.log() * 1e-10).backward()
    assert z.grad == pytest.approx(1e-10 / 1e-310)


# ---------------------------------------------------------------- gradcheck on hand-written derivatives

def lecture_op(derivative):
    """x**3 the lecture's way, with the given hand-written derivative in its _backward."""
    def cube_op(x):
        out = Value(x.data ** 3, (x,), 'cube')

        def _backward():
            x.grad += derivative(x.data) * out.grad
        out._backward = _backward
        return out
    return cube_op


def test_gradcheck_passes_a_right_hand_written_derivative():
    right = lecture_op(lambda x: 3 * x ** 2)
    report = gradcheck(lambda x, y: right(x) * y + x, 1.3, 0.7)
    assert report and [row[0] for row in report.rows] == ['d/dx', 'd/dy']
    assert report.rows[0][1] == pytest.approx(3 * 1.3 ** 2 * 0.7 + 1)


def test_gradcheck_fails_a_wrong_hand_written_derivative_with_the_numbers():
    wrong = lecture_op(lambda x: 2 * x ** 2)  # the student forgot the power rule's factor
    report = gradcheck(lambda x: wrong(x).tanh(), 0.4)
    assert not report and 'FAILED' in str(report) and '<-- mismatch' in str(report)
    (name, analytic, numeric, error), = report.rows
    assert analytic == pytest.approx(2 * 0.16 * (1 - math.tanh(0.064) ** 2))
    assert numeric == pytest.approx(3 * 0.16 * (1 - math.tanh(0.064) ** 2), rel=1e-6) and error > 1


def test_gradcheck_of_a_hand_written_op_changes_no_grad_and_not_what_explain_remembers():
    from micrograd_plus.teach.record import LAST_BACKWARD
    w = Value(2.0)
    o = (w * 3).tanh()
    o.backward()
    before = w.grad
    gradcheck(lambda x: lecture_op(lambda t: 3 * t ** 2)(x) * w, 0.5)
    assert w.grad == before and LAST_BACKWARD.output is o


def test_gradcheck_says_second_order_needs_the_op_in_the_table():
    with pytest.raises(ValueError, match="'cube' was built by hand.*register_op"):
        gradcheck(lambda x: lecture_op(lambda t: 3 * t ** 2)(x), 0.5, second_order=True)


@pytest.mark.parametrize('settings, error, match', [
    (dict(eps=0), ValueError, 'eps must be a positive step'),
    (dict(eps=-1e-6), ValueError, 'eps must be a positive step'),
    (dict(atol=-1), ValueError, r'atol must be a finite number >= 0 \(0 asks for exact equality\), got int -1'),
    (dict(rtol=math.nan), ValueError, 'rtol must be a finite number'),
    (dict(atol=10 ** 400), ValueError, 'atol must be a finite number'),
    (dict(eps='1e-6'), TypeError, 'eps must be a number, got str'),
])
def test_gradcheck_refuses_settings_that_would_pass_everything_or_divide_by_zero(settings, error, match):
    with pytest.raises(error, match=match):
        gradcheck(lambda x: x * x, 1.0, **settings)


def test_gradcheck_with_zero_tolerances_asks_for_exact_equality():
    assert gradcheck(lambda x: x * 2, 1.0, eps=0.5, atol=0, rtol=0)  # central differences of a line are exact
    assert not gradcheck(lambda x: x.exp(), 1.0, atol=0, rtol=0)


@pytest.mark.parametrize('point, match', [((10 ** 400,), 'finite point'), ((), 'needs the point'),
                                          (('a',), 'takes the point as numbers')])
def test_gradcheck_says_what_point_it_needs(point, match):
    with pytest.raises((TypeError, ValueError), match=match):
        gradcheck(lambda *xs: xs[0] * 2, *point)


def test_in_a_notebook_a_value_shows_its_label_data_grad_and_op():
    a = Value(2.0, label='a')
    b = a * a
    b.backward()
    assert '<b>a</b> data 2.0' in a._repr_html_() and 'grad 4.0' in a._repr_html_()
    assert '(*)' in b._repr_html_() and '<b>' not in b._repr_html_()
    assert '&lt;x&gt;' in Value(1.0, label='<x>')._repr_html_()  # labels are text, never markup


# ---------------------------------------------------------------- arguments checked where they enter

@pytest.mark.parametrize('call, error, match', [
    (lambda: Value(1.0, label=None), TypeError, r"Value\(label=...\) is the node's name as text .*, got None"),
    (lambda: Value(1.0, ('a',), 'op'), TypeError, r"_children\) must be a tuple of Values .*, got str 'a' at position"),
    (lambda: Value(1.0, 2.0, 'op'), TypeError, r'_children\) must be a tuple of Values .*, got float 2.0'),
    (lambda: Value(1.0, (Value(2.0),), 5), TypeError, r"Value\(_op=...\) is the op's name as text"),
    (lambda: topological_order(None), TypeError, r'topological_order\(\) takes the Value .*, got None'),
    (lambda: dot(None, [1.0]), TypeError, r'dot\(weights, inputs\): weights must be a list of Values or numbers, got'),
    (lambda: dot([Value(1.0)], (x for x in [1.0])), TypeError, r'inputs must be a list.*a generator: pass list'),
    (lambda: grad(Value(1.0), 1.0), TypeError, r'grad\(\) inputs must be a Value or a list of Values, got float 1.0'),
    (lambda: grad(Value(1.0), [Value(1.0)], create_graph='yes'), TypeError, r'create_graph=...\) is True or False'),
    (lambda: central_difference(lambda x: x, 1.0, arg=1), ValueError, r'arg=...\), the position .* must be at most 0'),
    (lambda: central_difference(lambda x: x, 1.0, eps=0), ValueError, 'eps must be a positive step'),
    (lambda: central_difference(None, 1.0), TypeError, r'f must be a function, got None'),
    (lambda: central_difference(lambda x: 'a', 1.0), TypeError, 'f must return a Value or a number, got str'),
    (lambda: no_grad()(None), TypeError, 'a mode decorates a function, and must be a function, got None'),
])
def test_engine_arguments_are_checked_where_they_enter(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_hand_built_op_node_still_takes_any_iterable_of_values_as_micrograd_does():
    x = Value(2.0)
    for children in ((x,), [x], {x}):
        out = Value(8.0, children, 'cube')
        assert out._prev == (x,) and out._op == 'cube'
    assert Value(1.0, [], '')._prev == () and Value(1.0, label='a').label == 'a'


def test_register_op_checks_its_op_and_names_before_generating_code():
    from micrograd_plus import Op, register_op
    with pytest.raises(TypeError, match=r"register_op takes an Op, e.g. Op\('cube'.*, got None"):
        register_op(None)
    with pytest.raises(ValueError, match=r"reflected=...\) names the method .* an op of two inputs.*got str '__rq__'"):
        register_op(Op('quad', 'x ** 4', ('4 * x ** 3',)), method='quad', reflected='__rq__')
    with pytest.raises(TypeError, match="the rules are a tuple of strings, one per input"):
        register_op(Op('quad', 'x ** 4', 4), method='quad')
    with pytest.raises(TypeError, match=r"replace=...\) is True or False, got str 'yes'"):
        register_op(Op('quad', 'x ** 4', ('4 * x ** 3',)), method='quad', replace='yes')
    assert not hasattr(Value, 'quad')  # nothing was registered by the refused calls


def test_the_engines_plumbing_says_what_it_takes_too():
    from micrograd_plus import modes
    from micrograd_plus.engine import describe, format_exponent, reset_mode, set_mode
    with pytest.raises(TypeError, match=r'set_mode\(\) takes a ModeState'):
        set_mode(None)
    with pytest.raises(TypeError, match=r'reset_mode\(\) takes what set_mode\(\) returned'):
        reset_mode((1, True))
    with pytest.raises(TypeError, match=r'describe\(\) takes a Value'):
        describe(1.0)
    with pytest.raises(TypeError, match=r"grad_enabled=...\) is True or False, got str 'no'"):
        modes.Mode(grad_enabled='no')
    assert format_exponent(2) == '2' and format_exponent(0.5) == '0.5'


def test_grad_to_any_order_selects_pytorchs_zeros_too():
    x, y = Value(1.5), Value(-2.0)
    for create_graph in (False, True):  # log(-2) * out = nan arrives at x ** 0, whose d/dx selects 0
        dx, dy = grad(y ** (x ** 0.0), [x, y], create_graph=create_graph)
        assert (float(dx), float(dy)) == (0.0, 1.0)
    z = Value(3.0)
    assert float(grad((z ** Value(0.0)) * math.nan, z, create_graph=True)) == 0.0


def test_grad_divides_by_a_subnormal_as_backward_does():
    x = Value(1e-310)
    loss = x.log() * 1e-300
    loss.backward()
    for create_graph in (False, True):
        assert float(grad(loss, x, create_graph=create_graph)) == pytest.approx(x.grad) == pytest.approx(1e10)
    from micrograd_plus import explain
    assert 'note:' not in explain(x, loss)  # the sum explain writes is the engine's own: g / x, not g * inf
