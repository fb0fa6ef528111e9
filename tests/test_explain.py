"""explain(): the forward formula and the chain-rule sum, with the graph's names and numbers."""
import math

import pytest

from micrograd_plus import Value
from micrograd_plus.engine import dot, topological_order
from micrograd_plus.teach.explain import Explainer, explain, format_number
from micrograd_plus.teach.record import LAST_BACKWARD

import catalogue
import rows
from catalogue import cube


def lecture_neuron(label_inner: bool = True):
    """The lecture neuron, (o, its nodes by name); with label_inner, x1*w1, x2*w2 and n are labelled."""
    nodes = catalogue.lecture_neuron(('x1w1', 'x2w2', 'n', 'o') if label_inner else ('o',))
    return nodes['o'], nodes


@pytest.fixture
def neuron():
    o, nodes = lecture_neuron()
    o.backward()
    return o, nodes


def test_lecture_gradients_are_the_ones_explained(neuron):
    o, v = neuron
    expected = {'x1': -1.5, 'w1': 1.0, 'x2': 0.5, 'w2': 0.0, 'b': 0.5}
    for name, grad in expected.items():
        assert v[name].grad == pytest.approx(grad, abs=1e-12)


def test_leaf_gradient_is_one_chain_rule_term_with_numbers(neuron):
    o, v = neuron
    assert explain(v['x1'], o).splitlines() == [
        'x1 = 2.0  (a leaf: an input or a parameter)',
        'dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5',
        'where L is o, the output backward() started from',
    ]
    assert explain(v['w1'], o).splitlines()[1] == 'dL/dw1 = dL/d(x1*w1) * x1 = 0.5 * 2.0 = 1.0'
    assert explain(v['x2'], o).splitlines()[1] == 'dL/dx2 = dL/d(x2*w2) * w2 = 0.5 * 1.0 = 0.5'
    assert explain(v['w2'], o).splitlines()[1] == 'dL/dw2 = dL/d(x2*w2) * x2 = 0.5 * 0.0 = 0.0'
    assert explain(v['b'], o).splitlines()[1] == 'dL/db = dL/dn * 1 = 0.5 * 1.0 = 0.5'


def test_forward_formula_shows_names_then_numbers(neuron):
    o, v = neuron
    x1w1 = v['n']._prev[0]._prev[0]
    assert explain(x1w1, o).splitlines()[0] == 'x1*w1 = 2.0 * -3.0 = -6.0'
    assert explain(v['n'], o).splitlines()[0] == 'n = (x1*w1 + x2*w2) + b = -6.0 + 6.88137 = 0.881374'
    assert explain(o, o).splitlines()[0] == 'o = tanh(n) = tanh(0.881374) = 0.707107'


def test_local_derivative_comes_from_the_table_with_names_put_in(neuron):
    o, v = neuron
    assert type(o).rule.grads == ('1 - out * out',)  # the rule as ops.py writes it ...
    assert explain(v['n'], o).splitlines()[1] == 'dL/dn = dL/do * (1 - o*o) = 1.0 * 0.5 = 0.5'  # ... as read


def test_the_root_is_seeded_with_one(neuron):
    o, _ = neuron
    assert explain(o, o).splitlines()[1].startswith('dL/do = 1.0')


def test_unlabelled_nodes_are_named_by_their_formula():
    o, v = lecture_neuron(label_inner=False)
    o.backward()
    assert explain(v['x1'], o).splitlines()[1] == 'dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5'
    assert explain(v['n'], o).splitlines()[0] == 'x1*w1 + x2*w2 + b = (x1*w1 + x2*w2) + b = -6.0 + 6.88137 = 0.881374'
    assert explain(v['b'], o).splitlines()[1] == 'dL/db = dL/d(x1*w1 + x2*w2 + b) * 1 = 0.5 * 1.0 = 0.5'


def test_a_node_used_twice_gets_a_sum_of_two_terms():
    a = Value(3.0, label='a')
    b = a + a
    b.label = 'b'
    b.backward()
    assert a.grad == 2.0
    assert explain(a, b).splitlines() == [
        'a = 3.0  (a leaf: an input or a parameter)',
        'dL/da = dL/db * 1 + dL/db * 1',
        '      = 1.0 * 1.0 + 1.0 * 1.0',
        '      = 1.0 + 1.0',
        '      = 2.0',
        'where L is b, the output backward() started from',
    ]


def test_terms_from_different_consumers_each_use_their_own_rule():
    a, c = Value(3.0, label='a'), Value(-2.0, label='c')
    d = a * a + a.exp() * c
    d.backward()
    lines = explain(a, d).splitlines()
    assert lines[1] == 'dL/da = dL/d(a*a) * a + dL/d(a*a) * a + dL/d(exp(a)) * exp(a)'
    assert lines[-2] == f'      = {format_number(a.grad)}'
    assert a.grad == pytest.approx(2 * 3.0 - 2.0 * math.exp(3.0))


def test_before_backward_it_says_backward_has_not_run():
    o, v = lecture_neuron()
    text = explain(v['w1'], o)
    assert text.splitlines()[0] == 'w1 = -3.0  (a leaf: an input or a parameter)'
    assert 'backward() has not run yet' in text and 'call o.backward() first' in text


def test_a_node_outside_the_roots_graph_is_refused(neuron):
    o, _ = neuron
    with pytest.raises(ValueError, match='not in the graph of root'):
        explain(Value(1.0, label='stranger'), o)
    with pytest.raises(TypeError, match='takes a Value'):
        explain(2.0, o)
    with pytest.raises(TypeError, match='root must be a Value'):
        explain(o, 'o')


def test_an_explainer_names_a_node_outside_its_graph_instead_of_a_key_error(neuron):
    o, v = neuron
    explainer = Explainer(o)
    stranger = Value(1.0, label='stranger')
    for method in (explainer.name, explainer.d, explainer.forward, explainer.backward):
        with pytest.raises(ValueError, match=r"Value\(data=1.0, grad=0.0, label='stranger'\) is not in the graph "
                                             rf"of o, so {method.__name__}\(node\) cannot explain it"):
            method(stranger)
        with pytest.raises(TypeError, match=rf"{method.__name__}\(node\) takes a Value of the graph of o, got str"):
            method('x1')
    with pytest.raises(TypeError, match=r'Explainer\(root\) takes the output Value .*, got None'):
        Explainer(None)
    with pytest.raises(TypeError, match=r'defined\(text\) must be text \(a str\), got None'):
        explainer.defined(None)
    assert explainer.name(v['w1']) == 'w1'


def test_format_number_takes_any_real_number_and_at_least_one_digit():
    assert [format_number(x) for x in (math.nan, -math.inf, 10 ** 400, 2, 0.1 + 0.2)] == \
        ['nan', '-inf', 'inf', '2.0', '0.3']
    assert format_number(0.1 + 0.2, 40) == format_number(0.1 + 0.2, 17) == '0.30000000000000004'
    with pytest.raises(TypeError, match=r"format_number\(x\) must be a number, got str '1.5'"):
        format_number('1.5')
    with pytest.raises(ValueError, match=r'format_number\(digits\) must be an int >= 1, got 0'):
        format_number(1.5, 0)


def test_without_root_after_a_big_backward_it_asks_for_the_root():
    x = Value(1.0, label='x')
    total = sum(x * i for i in range(2000))
    total.backward()  # more inner nodes than the engine remembers for explain()
    with pytest.raises(ValueError, match=r'ran over 4,000 nodes.*explain\(node, root=output\)'):
        explain(x)
    assert 'dL/dx = ' in explain(x, root=total)


def test_a_root_other_than_the_last_backward_is_not_called_its_start(neuron):
    o, v = neuron
    y = v['w1'] * 2
    y.backward()
    assert 'where L is o, the output backward() started from' not in explain(v['w1'], root=o)
    assert explain(v['w1'], root=o).endswith('where L is o')


def test_without_root_it_uses_the_engines_record_of_the_last_backward(neuron, monkeypatch):
    o, v = neuron
    monkeypatch.setattr(LAST_BACKWARD, 'output', o)
    assert explain(v['w1']) == explain(v['w1'], o)
    with pytest.raises(ValueError, match='last backward'):
        explain(Value(1.0))
    monkeypatch.setattr(LAST_BACKWARD, 'output', None)  # no backward yet
    monkeypatch.setattr(LAST_BACKWARD, 'inner_nodes', 0)
    assert 'backward() has not run yet' in explain(v['w1'])


def test_an_accumulated_leaf_grad_is_pointed_out():
    a = Value(3.0, label='a')
    b = a * 2
    b.backward()
    b.backward()  # leaf grads add up, like PyTorch
    text = explain(a, b)
    # the sum equals what it shows; the grad's other half is said in words
    assert 'dL/da = dL/d(a*2.0) * 2.0 = 1.0 * 2.0 = 2.0\n' in text and '= 4.0' not in text
    assert "note: a.grad reads 4.0, not this sum 2.0: a leaf's grad adds up over backward() calls" in text


def test_names_keep_the_grouping_of_the_graph():
    a, b, c = (Value(float(i), label=name) for i, name in enumerate('abc', 1))
    names = Explainer((a - (b - c)) * ((a - b) - c) + (-(a + b)) ** 2 + a ** (b ** c) + (a ** b) ** c)
    inner = [names.name(node) for node in names.order if node._prev]
    for expected in ('a - (b - c)', 'a - b - c', '-(a + b)', '(-(a + b))**2', 'a**b**c', '(a**b)**c',
                     '(a - (b - c))*(a - b - c)'):
        assert expected in inner


def test_long_formulas_get_short_names():
    x = Value(0.5, label='x')
    y = x
    for _ in range(30):
        y = y.tanh()
    y.backward()
    graph = Explainer(y)
    assert all(len(graph.name(node)) <= 40 for node in graph.order)
    assert graph.name(y) == 'tanh(tanh(v28))'  # v28: the 28th node in topological order
    assert explain(x, y).splitlines()[1].startswith('dL/dx = dL/d(tanh(x)) * (1 - tanh(x)*tanh(x)) = ')


def test_dot_node_terms_use_each_factors_partner():
    w1, w2, x1, x2 = Value(-3.0, label='w1'), Value(1.0, label='w2'), Value(2.0, label='x1'), Value(0.0, label='x2')
    b = Value(0.5, label='b')
    out = dot([w1, w2], [x1, x2], b)
    out.backward()  # 0.5 + -3.0 * 2.0 reads 0.5 - 3.0 * 2.0
    assert explain(out, out).splitlines()[0] == 'b + w1*x1 + w2*x2 = 0.5 - 3.0 * 2.0 + 1.0 * 0.0 = -5.5'
    assert explain(w1, out).splitlines()[1] == 'dL/dw1 = dL/d(b + w1*x1 + w2*x2) * x1 = 1.0 * 2.0 = 2.0'
    assert explain(b, out).splitlines()[1] == 'dL/db = dL/d(b + w1*x1 + w2*x2) * 1 = 1.0 * 1.0 = 1.0'


def every_op(x, y):
    """One graph using every row of the derivative table with every setting tests/rows.py tries, and the
    reflected forms (2 ** x, 1 / x)."""
    nodes = [rows.make(op, [x, y, x][:rows.width(op)], constants) for _, op, constants in rows.cases()]
    return nodes + [2 ** x, 1 / x]


@pytest.mark.parametrize('x_value', [1.5, 0.0])
def test_every_op_is_explained_and_its_numbers_add_up(x_value):
    x, y = Value(x_value, label='x'), Value(0.7, label='y')
    total = sum(every_op(x, y))
    total.backward()
    graph = Explainer(total)
    for node in graph.order:
        text = graph.backward(node)
        assert 'note:' not in text, text  # the terms shown sum to the grad the engine computed
        if node is not total:
            assert text.splitlines()[-1].endswith(f'= {format_number(node.grad)}')
    # the rule for d(x**y)/dy reads log(x)*x**y, except at x == 0 where the table takes the 0.0 branch
    assert ('log(x)*x**y' in graph.backward(y)) == (x_value != 0.0)


def test_a_labelled_formula_keeps_together_only_where_grouping_matters():
    x1, w1, x2, w2, b = (Value(float(i), label=name) for i, name in enumerate(['x1', 'w1', 'x2', 'w2', 'b']))
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = 'x1*w1', 'x2*w2'
    s = x1w1 + x2w2
    s.label = 'x1*w1 + x2*w2'
    n = s + b
    graph = Explainer(n)
    assert graph.forward(s) == 'x1*w1 + x2*w2 = 0.0 + 6.0 = 6.0'
    assert graph.forward(n) == '(x1*w1 + x2*w2) + b = 6.0 + 4.0 = 10.0'


def test_a_node_built_the_lectures_way_is_explained_through_its_own_backward():
    x = Value(2.0, label='x')
    c = cube(x)
    c.label = 'c'
    y = c * 2
    y.backward()
    grads = (x.grad, c.grad)
    assert explain(x, root=y).splitlines()[1] == (
        'dL/dx = dL/dc * 12.0 (from its hand-written _backward) = 2.0 * 12.0 = 24.0')
    assert (x.grad, c.grad) == grads  # reading the rule off _backward put every grad back
    opaque = Value(1.0, (x,), 'custom')
    opaque.backward()
    assert 'built by hand, with no _backward' in explain(x, root=opaque)


def test_hand_built_nodes_with_a_repeated_input_or_a_broken_backward():
    a = Value(2.0, label='a')
    square = Value(4.0, (a, a), 'square')
    square._backward = lambda: setattr(a, 'grad', a.grad + 2 * a.data * square.grad)
    square.backward()
    text = explain(a, root=square)
    assert '4.0 (from its hand-written _backward)' in text and 'the same input again' in text
    assert 'note:' not in text and a.grad == 4.0

    def broken():
        raise ZeroDivisionError('oops')
    square._backward = broken
    assert 'its _backward failed: ZeroDivisionError: oops' in explain(a, root=square)
    assert (a.grad, square.grad) == (4.0, 1.0)


# ---------------------------------------------------------------- beyond one neuron

def lecture_mlp_loss():
    """The lecture's MLP(3, [4, 4, 1]) over its four samples, after backward."""
    from micrograd_plus.nn import MLP
    model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', rng=0)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.backward()
    return model, loss


def test_every_name_explain_prints_is_a_label_or_defined_in_its_output():
    import re
    model, loss = lecture_mlp_loss()
    text = explain(model.parameters()[0])
    labels = {node.label for node in topological_order(loss)}  # nn names its nodes too: layers.0.neurons.0.z
    defined = set(re.findall(r'^where (v\d+) = ', text, flags=re.M))
    for name in re.findall(r'\bv\d+\b', text):
        assert name in defined, (name, text)
    assert 'where L is v' in text and set(re.findall(r'layers[\w.]+(?:\[\d+\])?', text)) <= labels


def test_a_long_chain_rule_sum_is_grouped_and_still_adds_up_to_the_grad():
    import re
    x = Value(0.5, label='x')
    uses = [(x * float(k)).tanh() for k in range(1, 31)]
    for node in uses:
        node._a.label = 'x*k'  # the same kind of node, once per 'sample'
    extra = x * x
    extra.label = 'square'
    total = sum(uses, extra)
    total.backward()
    text = explain(x, total)
    assert 'the sum of 32 chain-rule terms, one per use of x' in text
    assert '30 uses by x*k (one node of that name per forward pass), the 5 largest shown' in text
    assert 'the other 25 add up to' in text
    assert '2 uses by square' in text
    total_line, = re.findall(r'^  = (-?[\d.e-]+)$', text, flags=re.M)
    assert float(total_line) == pytest.approx(x.grad)


def test_before_backward_the_advice_is_valid_python():
    z = Value(2.0, label='z')
    out = z * 2.0
    assert 'call backward() on the output' in Explainer(out).backward(z)
    out.label = 'out'
    assert 'call out.backward() first' in Explainer(out).backward(z)


def test_dotted_names_from_a_network_read_as_one_name():
    b = Value(1.0, label='layers.0.neurons.0.b')
    w = Value(2.0, label='layers.0.neurons.0.w.0')
    z = b + w * 3.0
    z.backward()
    assert explain(w, z).splitlines()[1] == ('dL/d(layers.0.neurons.0.w.0) = dL/d(layers.0.neurons.0.w.0*3.0) * 3.0 '
                                             '= 1.0 * 3.0 = 3.0')


def test_a_weight_used_once_per_sample_lists_its_terms_sample_by_sample():
    model, loss = lecture_mlp_loss()
    lines = explain(model.layers[0].neurons[0].w[0], loss).splitlines()
    assert lines[1] == 'dL/d(layers.0.neurons.0.w.0) = the sum of its chain-rule terms over 4 samples:'
    assert [line.split(':')[0] for line in lines[2:6]] == ['  sample 0', '  sample 1', '  sample 2', '  sample 3']
    assert [f'z[{i}]) * ' in line for i, line in enumerate(lines[2:6])] == [True] * 4  # each sample's own node
    assert [line.split(' * ')[1].split(' = ')[0] for line in lines[2:6]] == ['2.0', '3.0', '0.5', '1.0']  # x_0 of each
    assert lines[6] == f'  = {format_number(model.layers[0].neurons[0].w[0].grad)}'


def test_many_samples_show_their_largest_terms_and_what_the_rest_add_up_to():
    from micrograd_plus.nn import MLP
    model = MLP(2, [3, 1], rng=0)
    xs = [[0.1 * i, 1.0 - 0.05 * i] for i in range(20)]
    loss = sum((model(x) - 1.0) ** 2 for x in xs)
    loss.backward()
    text = explain(model.layers[1].neurons[0].b, loss)
    assert 'over 20 samples:' in text and text.count('  sample ') == 5 and 'the other 15 samples add up to' in text


def test_the_l2_terms_of_a_weights_gradient_are_named_as_the_penalty():
    from micrograd_plus.losses import l2_penalty
    model, loss = lecture_mlp_loss()
    w = model.layers[0].neurons[0].w[0]
    total = loss + l2_penalty(model.parameters(), alpha=0.01)
    total.backward()
    text = explain(w, total)
    assert 'over 4 samples and 2 other uses:' in text and '2 uses by sum(p**2) (it uses it twice):' in text
    assert text.count(f'dL/d(sum(p**2)) * layers.0.neurons.0.w.0 = 0.01 * {format_number(w.data)}') == 2


# ---------------------------------------------------------------- shared weights: positions and time steps

def test_a_kernel_weight_is_explained_as_used_at_every_position_of_each_image():
    from micrograd_plus import data, losses, nn
    images, labels = data.load_digits()
    model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10, rng=1))
    loss = losses.cross_entropy([model(images[0])], [labels[0]])
    loss.backward()
    weight = model[0].weight[0][0][1][2]
    lines = explain(weight, root=loss).splitlines()
    assert lines[1] == ('dL/d(layers.0.weight.0.0.1.2) = the sum of 36 chain-rule terms, one per use of '
                        'layers.0.weight.0.0.1.2:')
    assert lines[2] == ('  36 uses by layers.0.z.0[row,col]: used at 36 positions of each image, [0,0] .. [5,5], '
                        'the 5 largest shown:')
    assert lines[3].startswith('    dL/d(layers.0.z.0[') and lines[8].startswith('    the other 31 add up to ')
    assert lines[9] == f'  = {format_number(weight.grad)}'
    model.zero_grad()
    loss = losses.cross_entropy([model(x) for x in images[:3]], labels[:3])
    loss.backward()
    assert ('  108 uses by layers.0.z.0[row,col]: used at 36 positions of each image, [0,0] .. [5,5], in each of 3 '
            'forward passes, the 5 largest shown:') in explain(weight, root=loss)


def test_the_recurrent_weight_is_explained_as_used_once_per_time_step():
    from micrograd_plus import nn
    rnn = nn.RNN(2, 3, rng=0)
    outputs, h = rnn([[0.1 * t, 1.0] for t in range(12)])
    loss = (h[0] - 1.0) ** 2
    loss.backward()
    text = explain(rnn.weight_hh[0][1], root=loss)
    assert '  12 uses by z.0[t]: used once per time step t = 0..11, the 5 largest shown:' in text
    assert '    dL/d(z.0[t=11]) * h.1[t=10] = ' in text  # a placed label is one name: no parentheses
    total = sum(float(line.rsplit('= ', 1)[1]) for line in text.splitlines()[3:8])
    assert total + float(text.split('the other 7 add up to ')[1].split()[0]) == pytest.approx(rnn.weight_hh[0][1].grad,
                                                                                              abs=1e-5)
