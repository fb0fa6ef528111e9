"""Graph drawing: DOT source, colours, clusters, limits, text view. Rendering is tested in test_render.py."""
import re

import graphviz
import pytest

from micrograd_plus import Value
from micrograd_plus.engine import dot
from micrograd_plus.viz import GraphTooLargeError, draw_dot, neighbourhood, text_view, to_svg, trace
from micrograd_plus.viz.graph import NON_FINITE_COLOR, neuron_clusters, node_roles

import catalogue


def lecture_neuron():
    """The lecture neuron after backward: (o, its nodes by name)."""
    nodes = catalogue.lecture_neuron()
    nodes['o'].backward()
    return nodes['o'], nodes


def hand_built_mlp():
    """A 2-2-1 MLP built as micrograd_plus.nn builds it: dotted labels, dot() then ReLU, a linear last layer."""
    x = [Value(0.5, label='x0'), Value(-1.0, label='x1')]
    params = {}

    def neuron(layer, index, inputs, activate):
        prefix = f'layers.{layer}.neurons.{index}'
        w = [Value(0.1 * (i + 1) * (-1) ** index, label=f'{prefix}.w.{i}') for i in range(len(inputs))]
        b = Value(0.05, label=f'{prefix}.b')
        params[prefix] = w + [b]
        act = dot(w, inputs, b)
        return act.relu() if activate else act

    hidden = [neuron(0, i, x, True) for i in range(2)]
    out = neuron(1, 0, hidden, False)
    loss = (out - 1.0) ** 2
    loss.label = 'loss'
    loss.backward()
    return loss, out, hidden, params


def cluster_members(source):
    """{cluster name: node names declared inside it, nested clusters included}, read from DOT text."""
    members, open_clusters = {}, []
    for line in source.splitlines():
        line = line.strip()
        opened = re.match(r'subgraph "?(cluster_[^"]*)"? \{', line)
        if opened:
            open_clusters.append(opened[1])
            members[opened[1]] = set()
        elif line == '}':
            if open_clusters:
                open_clusters.pop()
        else:
            declared = re.match(r'"?([^"\s]+)"? \[label=', line)
            if declared:
                for cluster in open_clusters:
                    members[cluster].add(declared[1])
    return members


def node_line(source, value):
    return next(line for line in source.splitlines() if line.strip().startswith(f'{id(value)} '))


# ---------------------------------------------------------------- trace

def test_trace_lists_inputs_before_results_in_argument_order_with_root_last():
    o, v = lecture_neuron()
    nodes, edges = trace(o)
    assert nodes[-1] is o
    assert [n.label for n in nodes] == ['x1', 'w1', 'x1*w1', 'x2', 'w2', 'x2*w2', 'x1*w1 + x2*w2', 'b', 'n', 'o']
    assert (v['x1'], v['x1w1']) in edges and (v['n'], o) in edges
    assert len(edges) == 9
    assert trace(o) == (nodes, edges)  # deterministic


def test_trace_keeps_both_edges_of_a_times_a():
    a = Value(3.0)
    nodes, edges = trace(a * a)
    assert len(nodes) == 2 and edges.count((a, nodes[-1])) == 2


def test_trace_is_iterative():
    x = Value(1.0)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    nodes, edges = trace(y)
    assert len(nodes) == 40_001 and len(edges) == 40_000


# ---------------------------------------------------------------- DOT source

def test_draw_dot_is_micrograds_picture():
    o, v = lecture_neuron()
    g = draw_dot(o)
    assert isinstance(g, graphviz.Digraph) and g.format == 'svg'
    assert 'rankdir=LR' in g.source
    assert '[label="{ x1 | data 2.0000 | grad -1.5000 }" shape=record]' in node_line(g.source, v['x1'])
    assert '{ o | data 0.7071 | grad 1.0000 }' in g.source
    assert '{ b | data 6.8814 | grad 0.5000 }' in g.source
    # one op node per op, named id + op, and edges child -> op -> result
    assert f'"{id(o)}tanh" [label=tanh]' in g.source
    assert f'"{id(o)}tanh" -> {id(o)}' in g.source
    assert f'{id(v["n"])} -> "{id(o)}tanh"' in g.source
    assert f'{id(v["x1"])} -> "{id(v["x1w1"])}*"' in g.source
    assert g.source.count('shape=record') == 10
    assert len(re.findall(r'\[label="?(\*|\+|tanh)"?\]', g.source)) == 5


def test_unlabelled_values_show_data_and_grad_only():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    c.backward()
    source = draw_dot(c).source
    assert '{ data 2.0000 | grad -3.0000 }' in source
    assert '{ data -6.0000 | grad 1.0000 }' in source


def test_rankdir_and_format_are_passed_through():
    g = draw_dot(Value(1.0) + 2, format='png', rankdir='TB')
    assert g.format == 'png' and 'rankdir=TB' in g.source


def test_show_grad_false_and_number_formats():
    o, _ = lecture_neuron()
    assert 'grad' not in draw_dot(o, show_grad=False).source
    assert '{ o | data 0.71 | grad 1.00 }' in draw_dot(o, number_format='.2f').source
    assert '{ o | data 7.071e-01 | grad 1.000e+00 }' in draw_dot(o, number_format='.3e').source
    assert '{ o | data ~0.707 | grad ~1.0 }' in draw_dot(o, number_format=lambda x: f'~{round(x, 3)}').source
    huge = Value(1.234567e300, label='huge')
    y = huge * 2
    y.backward()  # '.4f' would print 301 digits, most of them not really there
    assert '{ huge | data 1.2346e+300 | grad 2.0000 }' in draw_dot(y).source
    assert '2.4691e+300' in text_view(y) and '2.47E+300' in text_view(y, number_format='.2F')
    assert '2.5e+302%' in text_view(y, number_format='.1%') and '200.0%' in text_view(y, number_format='.1%')
    with pytest.raises(ValueError, match="number_format='.4q' is not a float format spec"):
        draw_dot(o, number_format='.4q')


def test_record_specials_in_labels_are_escaped(renderer):
    a = Value(1.0, label='a|b {c} <d>')
    source = draw_dot(a).source
    assert r'{ a\|b \{c\} \<d\> | data 1.0000 | grad 0.0000 }' in source
    svg = to_svg(a)
    assert 'a|b {c} &lt;d&gt;' in svg  # rendered as text, not as record structure


def test_colour_by_role():
    o, v = lecture_neuron()
    source = draw_dot(o, color_by='role').source
    assert 'fillcolor="#dbeafe"' in node_line(source, v['x1'])      # input
    assert 'fillcolor="#fef3c7"' in node_line(source, v['w1'])      # parameter (lecture name)
    assert 'fillcolor="#fef3c7"' in node_line(source, v['b'])
    assert 'fillcolor="#fecaca"' in node_line(source, o)            # output
    assert 'penwidth=2' in node_line(source, o)
    assert 'fillcolor=white' in node_line(source, v['n'])           # intermediate
    assert 'input' in source and 'parameter' in source              # the legend
    # explicit parameters override the guess from labels
    explicit = draw_dot(o, color_by='role', parameters=[v['x1']]).source
    assert 'fillcolor="#fef3c7"' in node_line(explicit, v['x1'])
    assert 'fillcolor="#dbeafe"' in node_line(explicit, v['w1'])


def test_colour_by_gradient_sign_and_magnitude():
    o, v = lecture_neuron()
    source = draw_dot(o, color_by='grad').source
    fill = {k: re.search(r'fillcolor="?([^" \]]+)', node_line(source, node))[1] for k, node in v.items()}
    assert fill['w2'] == 'white'                                   # grad 0
    red, green, blue = (int(fill['w1'][i:i + 2], 16) for i in (1, 3, 5))
    assert red > blue                                              # w1.grad = +1.0: red
    red, green, blue = (int(fill['x1'][i:i + 2], 16) for i in (1, 3, 5))
    assert blue > red                                              # x1.grad = -1.5: blue
    # larger |grad| is a stronger colour (further from white)
    def distance_from_white(color):
        return sum(255 - int(color[i:i + 2], 16) for i in (1, 3, 5))
    assert distance_from_white(fill['o']) > distance_from_white(fill['n'])
    assert 'max 1.5000' in source
    broken = Value(1.0, label='broken')
    broken.grad = float('nan')
    assert NON_FINITE_COLOR in node_line(draw_dot(broken, color_by='grad').source, broken)  # not white like 0
    with pytest.raises(ValueError, match="color_by must be None, 'role' or 'grad'"):
        draw_dot(o, color_by='rainbow')


# ---------------------------------------------------------------- clusters

def test_neurons_from_nn_names_become_boxes_declared_layer_by_layer():
    loss, out, hidden, params = hand_built_mlp()
    g = draw_dot(loss, color_by='role')
    clusters = cluster_members(g.source)
    assert list(clusters) == ['cluster_layers.0.neurons.0', 'cluster_layers.0.neurons.1', 'cluster_layers.1.neurons.0']
    neuron = clusters['cluster_layers.0.neurons.1']
    relu = hidden[1]
    pre_activation = relu._prev[0]
    assert {str(id(p)) for p in params['layers.0.neurons.1']} <= neuron
    assert {str(id(pre_activation)), f'{id(pre_activation)}dot', str(id(relu)), f'{id(relu)}ReLU'} <= neuron
    assert str(id(out)) in clusters['cluster_layers.1.neurons.0']
    everything_clustered = set().union(*clusters.values())
    assert str(id(loss)) not in everything_clustered                       # the loss is outside
    assert str(id(hidden[0])) not in clusters['cluster_layers.1.neurons.0']  # a layer-0 output feeds layer 1 ...
    assert str(id(hidden[0])) in clusters['cluster_layers.0.neurons.0']   # ... but belongs to its own neuron
    # titles, and parameters named by their last part inside their box
    assert 'label="layers.0.neurons.1"' in g.source  # module names
    assert '{ w.1 | data' in g.source and 'layers.0.neurons.1.w.1 |' not in g.source
    # parameters are recognised from nn's names for colouring too
    w = params['layers.0.neurons.1'][0]
    assert 'fillcolor="#fef3c7"' in node_line(g.source, w)


def test_inside_a_neurons_box_the_nodes_nn_names_show_their_last_name_only():
    from micrograd_plus.nn import MLP
    model = MLP(2, [2, 1], rng=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    source = draw_dot(loss, parameters=model.parameters()).source
    assert '{ z | data' in source and '{ y | data' in source and '{ w.1 | data' in source
    assert 'layers.0.neurons.1.z' not in source
    assert 'layers.0.neurons.1.z |' in draw_dot(loss, clusters=False).source


def test_clusters_can_be_switched_off():
    loss, *_ = hand_built_mlp()
    source = draw_dot(loss, clusters=False).source
    assert 'subgraph' not in source and '{ layers.0.neurons.1.w.1 | data' in source


def test_a_hand_written_neuron_chain_joins_its_cluster_and_the_loss_does_not():
    """micrograd's Neuron writes sum(w*x, b): the * and + nodes join the neuron, what follows does not."""
    x = [Value(1.0), Value(2.0)]
    w = [Value(0.5, label='neurons.0.w.0'), Value(-0.5, label='neurons.0.w.1')]
    b = Value(0.1, label='neurons.0.b')
    total = sum((wi * xi for wi, xi in zip(w, x)), b)
    act = total.tanh()
    loss = act * act
    groups = neuron_clusters(trace(loss)[0])
    assert groups[id(total)] == groups[id(act)] == groups[id(b)] == 'neurons.0'
    assert id(loss) not in groups and id(x[0]) not in groups
    assert 'label="neurons.0"' in draw_dot(loss).source  # no layer: a top-level neuron box, by its module name


def test_lecture_names_make_no_clusters():
    o, _ = lecture_neuron()
    assert 'subgraph' not in draw_dot(o).source


def test_roles():
    o, v = lecture_neuron()
    roles = node_roles(trace(o)[0], o)
    assert [roles[id(v[k])] for k in ('x1', 'w1', 'b', 'n', 'o')] == \
        ['input', 'parameter', 'parameter', 'intermediate', 'output']
    lone_neuron = dot([Value(0.3, label='w.0')], [Value(1.0, label='x')], Value(0.0, label='b')).relu()
    roles = node_roles(trace(lone_neuron)[0], lone_neuron)
    assert sorted(roles.values()) == ['input', 'intermediate', 'output', 'parameter', 'parameter']


# ---------------------------------------------------------------- roles from the model

PARAMETER_FILL = 'fillcolor="#fef3c7"'


def batchnorm_model():
    """Linear then BatchNorm, trained on a batch of two: BatchNorm's weight and bias take part."""
    from micrograd_plus.nn import BatchNorm, Linear, Sequential
    model = Sequential(Linear(2, 2, rng=0), BatchNorm(2))
    outputs = model.batch([[0.5, -1.0], [1.5, 2.0]])
    loss = sum((y for out in outputs for y in out), Value(0.0))
    loss.backward()
    return model, loss


def test_batchnorm_weight_and_bias_are_parameters_with_the_model_and_by_their_nn_names():
    model, loss = batchnorm_model()
    bn = model.layers[1]
    nodes = trace(loss)[0]
    for roles in (node_roles(nodes, loss, model=model), node_roles(nodes, loss)):
        assert {roles[id(p)] for p in [*bn.weight, *bn.bias]} == {'parameter'}
        assert {roles[id(p)] for p in model.layers[0].parameters()} == {'parameter'}
    source = draw_dot(loss, model=model, color_by='role').source
    assert PARAMETER_FILL in node_line(source, bn.weight[0]) and PARAMETER_FILL in node_line(source, bn.bias[1])
    groups = neuron_clusters(nodes, model=model)
    assert groups[id(bn.weight[0])] == groups[id(bn.bias[1])] == 'layers.1'  # BatchNorm's box, by its module


def test_a_custom_modules_parameters_are_parameters_when_the_model_is_given():
    from micrograd_plus.nn import Linear, Module

    class Affine(Module):
        def __init__(self):
            self.gain = Value(2.0)
            self.shift = Value(0.5)
            self.inner = Linear(1, 1, rng=0)

        def __call__(self, x):
            return self.inner([x * self.gain + self.shift])[0]

    model = Affine()
    x = Value(3.0, label='x')
    out = model(x)
    out.backward()
    nodes = trace(out)[0]
    assert model.gain.label == 'gain'  # a name nn gave, but not one of a neuron: by label it is an input
    assert node_roles(nodes, out)[id(model.gain)] == 'input'
    roles = node_roles(nodes, out, model=model)
    assert [roles[id(v)] for v in (model.gain, model.shift, x)] == ['parameter', 'parameter', 'input']
    source = draw_dot(out, model=model, color_by='role').source
    assert PARAMETER_FILL in node_line(source, model.gain) and PARAMETER_FILL not in node_line(source, x)
    groups = neuron_clusters(nodes, model=model)
    assert id(model.gain) not in groups  # held by the model itself: no box around everything
    assert groups[id(model.inner.neurons[0].w[0])] == 'inner.neurons.0'
    assert 'label="inner.neurons.0"' in source  # the neuron's box is named by its path in the model


def test_the_model_knows_its_parameters_by_identity_not_by_label():
    from micrograd_plus.nn import MLP
    model = MLP(2, [2, 1], rng=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    nodes = trace(loss)[0]
    by_label = neuron_clusters(nodes)
    assert neuron_clusters(nodes, model=model) == by_label  # nn's names and the model agree
    for k, p in enumerate(model.parameters()):
        p.label = f'p{k}'
    assert neuron_clusters(nodes) == {}  # the labels no longer say anything
    assert neuron_clusters(nodes, model=model) == by_label
    roles = node_roles(nodes, loss, model=model)
    assert {roles[id(p)] for p in model.parameters()} == {'parameter'}
    expanded = draw_dot(loss, model=model, expand_dot=True, color_by='role').source
    assert expanded.count(PARAMETER_FILL) == len(model.parameters())
    assert draw_dot(loss, model=model).source.count('subgraph "cluster_layers.0.neurons.') == 2


def test_the_lecture_neuron_is_drawn_as_before():
    o, v = lecture_neuron()
    roles = node_roles(trace(o)[0], o)
    assert {k: roles[id(v[k])] for k in ('x1', 'x2', 'w1', 'w2', 'b', 'n', 'o')} == {
        'x1': 'input', 'x2': 'input', 'w1': 'parameter', 'w2': 'parameter', 'b': 'parameter',
        'n': 'intermediate', 'o': 'output'}
    assert 'subgraph' not in draw_dot(o).source


@pytest.mark.parametrize(('call', 'error', 'message'), [
    (lambda o: draw_dot(o, model=object()), TypeError, r'model=...\) takes a model with named_parameters\(\)'),
    (lambda o: draw_dot(o, model=_mlp(), parameters=[o]), ValueError, 'parameters= or model=, not both'),
    (lambda o: node_roles(trace(o)[0], o, model=[o]), TypeError, r'node_roles\(model=...\) takes a model'),
    (lambda o: neuron_clusters(trace(o)[0], model='MLP'), TypeError, r"got str 'MLP'"),
])
def test_a_model_without_named_parameters_is_refused_with_what_to_pass(call, error, message):
    o, _ = lecture_neuron()
    with pytest.raises(error, match=message):
        call(o)


def _mlp():
    from micrograd_plus.nn import MLP
    return MLP(2, [1], rng=0)


# ---------------------------------------------------------------- size limit and neighbourhood

def training_step_sized_graph():
    xs = [Value(float(i)) for i in range(17_500)]
    return sum(x * 0.5 for x in xs)  # 70,001 nodes: each x, its constant 0.5, the product, the running sum


def test_node_limit_refuses_a_training_step_with_advice():
    big = training_step_sized_graph()
    with pytest.raises(GraphTooLargeError) as caught:
        draw_dot(big)
    message = str(caught.value)
    assert '70,001 nodes' in message and 'max_nodes=1,000' in message
    assert 'around=node' in message and 'max_nodes=70001' in message
    with pytest.raises(GraphTooLargeError, match='5 nodes, more than max_nodes=4'):
        draw_dot(Value(1.0) * 2 + 3, max_nodes=4)
    assert draw_dot(Value(1.0) * 2 + 3, max_nodes=None).source


def test_neighbourhood_of_one_node_in_a_huge_graph():
    big = training_step_sized_graph()
    nodes = trace(big)[0]
    center = nodes[len(nodes) // 2]
    near = neighbourhood(big, center, steps=1)
    expected = {id(center), *(id(p) for p in center._prev)} | {id(n) for n in nodes if center in n._prev}
    assert {id(n) for n in near} == expected
    g = draw_dot(big, around=center, steps=2)
    drawn = re.findall(r'^\t(\d+) \[label', g.source, flags=re.M)
    two_steps = neighbourhood(big, center, steps=2)
    assert sorted(drawn) == sorted(str(id(n)) for n in two_steps) and len(drawn) < 20
    assert 'penwidth=3' in node_line(g.source, center)
    # nodes whose inputs or uses were left out are dashed; the centre's were all drawn
    assert 'dashed' not in node_line(g.source, center)
    assert any('dashed' in node_line(g.source, n) for n in two_steps)          # uses left out
    assert re.search(r'^\t"\d+\+" \[label="\+" style=dashed\]', g.source, flags=re.M)  # inputs left out
    assert 'dashed: some inputs (op) or uses (value) not shown' in g.source
    with pytest.raises(ValueError, match='is not part of the graph'):
        draw_dot(big, around=Value(1.0))
    with pytest.raises(ValueError, match='steps must be an int >= 0, got -1'):
        neighbourhood(big, center, steps=-1)


# ---------------------------------------------------------------- text view

def test_text_view_of_the_lecture_neuron():
    o, _ = lecture_neuron()
    text = text_view(o)
    lines = text.splitlines()
    assert lines[0].split() == ['node', 'op', 'data', 'grad']
    assert lines[1].split() == ['#1', 'o', 'tanh', '0.7071', '1.0000']
    assert lines[2].split() == ['#2', '└─', 'n', '+', '0.8814', '0.5000']
    assert lines[-1].split() == ['#10', '└─', 'b', '6.8814', '0.5000']
    assert len(lines) == 11
    assert repr(text) == str(text)  # a REPL shows the table, not a quoted string
    assert 'grad' not in text_view(o, show_grad=False)


def test_text_view_shows_a_shared_node_once_then_refers_to_it():
    a = Value(3.0, label='a')
    c = (a * a + a).relu()
    c.backward()
    text = text_view(c, ascii=True)
    rows_of_a = [line for line in text.splitlines() if re.search(r'\ba\b', line)]
    assert len(rows_of_a) == 3
    assert rows_of_a[0].split()[0] == '#4' and rows_of_a[0].split()[-2:] == ['3.0000', '7.0000']
    assert rows_of_a[1].endswith('a  -> see #4') and rows_of_a[2].endswith('a  -> see #4')
    assert text.count('3.0000') == 1
    assert all(ord(ch) < 128 for ch in text)


def test_text_view_shares_whole_subtrees():
    x = Value(2.0, label='x')
    h = (x * 3).tanh(); h.label = 'h'
    y = h + h * h
    lines = text_view(y).splitlines()
    assert sum('h ' in line or line.endswith(' h') for line in lines if '#' in line.split()[0]) == 1
    assert sum('-> see' in line for line in lines) == 2
    assert len(lines) == 1 + 8  # header; y, h, x*3, x, 3, h*h; then h twice by reference


def test_text_view_stops_at_max_rows_and_is_iterative():
    x = Value(1.0)
    y = x
    for _ in range(1500):
        y = y * 1.0
    text = text_view(y, max_rows=10)
    assert len(text.splitlines()) == 12 and 'stopped after max_rows=10 rows; the graph has 3,001 nodes' in text
    full = text_view(y, max_rows=None, ascii=True)
    assert len(full.splitlines()) == 1 + 3001
    assert max(map(len, full.splitlines())) < 120  # 1,500 levels deep, drawn as the last 20 after '...'
    assert full.splitlines()[1500].split()[1].startswith('...|')


def test_text_view_reads_any_micrograd_like_object():
    class Node:  # micrograd's Value shape: _prev is a set
        def __init__(self, data, children=(), op='', label=''):
            self.data, self.grad, self._prev, self._op, self.label = data, 0.0, set(children), op, label
    leaf = Node(2.0, label='leaf')
    root = Node(4.0, (leaf,), '**2', 'out')
    assert [line.split()[:3] for line in text_view(root).splitlines()[1:]] == [['#1', 'out', '**2'],
                                                                              ['#2', '└─', 'leaf']]
    assert '{ out | data 4.0000 | grad 0.0000 }' in draw_dot(root).source


# ---------------------------------------------------------------- drawings that stay quick to lay out

def test_a_leaf_used_many_times_is_drawn_beside_each_use_and_the_legend_says_so():
    x = Value(1.0, label='x')
    y = x
    for _ in range(50):
        y = y + x
    graph = draw_dot(y, max_nodes=None)
    assert graph.source.count('{ x | data') == 51  # one copy per use
    assert 'drawn again at each use (dashed): x, each used by more than 8 ops' in graph.source
    assert draw_dot(y, max_nodes=None, max_uses=None).source.count('{ x | data') == 1


def test_a_recurrence_unrolled_75_steps_is_drawn_with_its_layout_work_bounded(renderer):
    w, b, h = Value(0.5, label='w'), Value(0.1, label='b'), Value(1.0, label='h0')
    for _ in range(75):
        h = h * w + h * b
    graph = draw_dot(h, max_nodes=None)
    assert 'nslimit=2' in graph.source and 'nslimit1=2' in graph.source  # without them: minutes of layout
    assert graph.pipe(format='svg').startswith(b'<?xml')
    assert 'nslimit=9' in draw_dot(h, max_nodes=None, graph_attr={'nslimit': '9'}).source  # the user's choice wins


def test_an_op_name_with_a_colon_draws_one_op_node_not_a_port():
    x = Value(2.0, label='x')
    y = Value(3.0, (x,), 'a:b')
    source = draw_dot(y).source
    assert '"a":b' not in source and source.count('->') == 2


# ---------------------------------------------------------------- the lecture's neuron picture, networks

def test_expand_dot_draws_a_neuron_as_the_lectures_ten_value_nodes():
    from micrograd_plus.nn import Neuron
    neuron = Neuron(2, rng=0)
    x = [Value(1.0, label='x1'), Value(2.0, label='x2')]
    out = neuron(x)
    out.backward()
    nodes, _ = trace(out)
    assert len(nodes) == 7  # one dot node for speed
    source = draw_dot(out, expand_dot=True).source
    records = re.findall(r'\[label="\{[^"]*\}" shape=record', source)
    ops = re.findall(r'\[label="?(\*|\+|ReLU)"?\]', source)
    assert len(records) == 10 and sorted(ops) == ['*', '*', '+', '+', 'ReLU']  # micrograd's picture of Neuron(2)
    w0, w1 = neuron.w
    weighted_sum = out._prev[0]
    assert f'data {w0.data * 1.0:.4f} | grad {weighted_sum.grad:.4f}' in source  # w0*x1, with the sum's grad
    assert f'{{ z | data {out._prev[0].data:.4f}' in source and str(id(out._prev[0])) in source  # z keeps its name


def test_inside_a_neuron_box_the_weights_stand_in_index_order(renderer):
    from micrograd_plus.nn import MLP
    model = MLP(3, [2, 1], rng=1)
    loss = (model([Value(0.5), Value(-1.0), Value(2.0)]) - 1.0) ** 2
    loss.backward()
    for rankdir, axis in (('LR', 'y'), ('TB', 'x')):
        svg = draw_dot(loss, rankdir=rankdir).pipe(format='svg').decode()
        for neuron in ('layers.0.neurons.0', 'layers.0.neurons.1', 'layers.1.neurons.0'):
            names = [f'{neuron}.b'] + [f'{neuron}.w.{i}' for i, _ in enumerate(model.parameters()) if
                                       f'{neuron}.w.{i}' in {p.label for p in model.parameters()}]
            where = {p.label: p for p in model.parameters()}
            positions = []
            for name in names:
                block = svg[svg.index(f'<title>{id(where[name])}</title>'):]
                positions.append(float(re.search(rf'{axis}="(-?[\d.]+)"', block).group(1)))
            assert positions == sorted(positions), (rankdir, neuron, names, positions)


def test_each_box_is_titled_by_its_module_name():
    from micrograd_plus.nn import MLP
    model = MLP(2, [3, 1], rng=1)
    loss = (model([Value(0.5), Value(-1.0)]) - 1.0) ** 2
    source = draw_dot(loss).source
    assert 'label="layers.0.neurons.2"' in source
    assert 'label="layers.1.neurons.0"' in source and 'label="neuron 0"' not in source


def network_nodes(svg):
    """{node name: (x, y)} of the circles in draw_network's SVG."""
    circle = r'<title>([^<]+)</title>\s*(?:<g[^>]*>\s*<a[^>]*>\s*)?<ellipse[^>]*?cx="(-?[\d.]+)" cy="(-?[\d.]+)"'
    return {name: (float(x), float(y)) for name, x, y in re.findall(circle, svg)}


def test_draw_network_draws_a_2_16_16_1_network_legibly_at_1400_px(renderer):
    from micrograd_plus.nn import MLP
    from micrograd_plus.viz import draw_network
    model = MLP(2, [16, 16, 1], rng=1337)
    graph = draw_network(model, x=[0.5, -0.3])
    svg = graph.pipe(format='svg').decode()
    nodes = network_nodes(svg)
    assert len(nodes) == 2 + 16 + 16 + 1 + 3  # and a bias node b for each layer
    assert len(weight_edges(graph.source)) == 2 * 16 + 4 * 16 + 16  # layers.1 thinned: 4 strongest per neuron
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
    smallest_text = min(float(size) for size in re.findall(r'font-size="([\d.]+)"', svg))
    assert smallest_text * 1400 / width >= 14  # points scaled to 1400 px: text a room can read
    ys = [nodes[f'layers.0.{j}'][1] for j in range(16)]
    assert ys == sorted(ys)  # neurons in index order, from the top
    first = model.layers[0].neurons[0]
    activation = max(0.0, first.b.data + first.w[0].data * 0.5 + first.w[1].data * -0.3)
    assert f'{activation:.2f}' in svg and 'layers.0' in svg and '16 relu' in svg and 'x0' in svg


def test_draw_network_reads_sequentials_and_micrograds_own_classes():
    from types import SimpleNamespace

    from micrograd_plus.nn import Dropout, Linear, Sequential, Tanh
    from micrograd_plus.viz import draw_network
    from micrograd_plus.viz.network import dense_columns
    model = Sequential(Linear(2, 3, rng=0), Tanh(), Dropout(0.2), Linear(3, 1, rng=1))
    columns = dense_columns(model)
    assert [(c.name, c.kind, len(c.neurons), c.activation) for c in columns] == [
        ('layers.0', 'dense', 3, 'tanh'), ('layers.2', 'dropout', 0, 'linear'), ('layers.3', 'dense', 1, 'linear')]
    # karpathy/micrograd's MLP, by its attributes: layers -> neurons -> w, b, nonlin
    neuron = SimpleNamespace(w=[Value(0.5), Value(-0.5)], b=Value(0.1), nonlin=True)
    micrograd_mlp = SimpleNamespace(layers=[SimpleNamespace(neurons=[neuron])])
    assert dense_columns(micrograd_mlp)[0].activation == 'relu'
    assert 'x1' in draw_network(micrograd_mlp, x=[1.0, 2.0]).source


def test_draw_network_names_each_weight_as_the_model_does():
    from micrograd_plus.nn import Linear
    from micrograd_plus.viz import draw_network
    layer = Linear(2, 2, rng=0)
    source = draw_network(layer).source
    w = layer.neurons[1].w[0]
    assert f'tooltip="neurons.1.w.0 = {w.data:.2f}"' in source  # its name in the model, not the picture's column
    assert 'tooltip="neurons.0.b = 0.00"' in source


@pytest.mark.parametrize('call, error, match', [
    (lambda model: __import__('micrograd_plus.viz', fromlist=['draw_network']).draw_network(model, edges='size'),
     ValueError, "edges must be 'weight' or 'grad'"),
    (lambda model: __import__('micrograd_plus.viz', fromlist=['draw_network']).draw_network(model, x=[1.0]),
     ValueError, 'takes 2 inputs, got a sample of 1'),
    (lambda model: __import__('micrograd_plus.viz', fromlist=['draw_network']).draw_network(model, max_neurons=5),
     ValueError, 'more than max_neurons=5'),
    (lambda model: __import__('micrograd_plus.viz', fromlist=['draw_network']).draw_network(Value(1.0)),
     TypeError, 'draws a network of dense layers'),
])
def test_draw_network_says_what_it_needs(call, error, match):
    from micrograd_plus.nn import MLP
    with pytest.raises(error, match=match):
        call(MLP(2, [4, 1], rng=0))


def test_draw_network_refuses_layers_it_cannot_draw_and_points_to_draw_dot():
    from micrograd_plus.nn import Linear, Module, Residual, Sequential
    from micrograd_plus.viz import draw_network

    class Square(Module):
        def __call__(self, x):
            return [v * v for v in x]
    with pytest.raises(TypeError, match='layers.1 is a Square. Use draw_dot'):
        draw_network(Sequential(Linear(2, 3, rng=0), Square()))
    with pytest.raises(TypeError, match='layers.1.module is a Square. Use draw_dot'):
        draw_network(Sequential(Linear(2, 3, rng=0), Residual(Square())))


def weight_edges(source):
    """[(tail, head)] of the edges that draw a weight (their tooltip names it), from draw_network's DOT."""
    return re.findall(r'"?([\w.]+)"? -> "?([\w.]+)"? \[[^\]]*tooltip="[\w.]+\.w\.\d+ =', source)


def bias_edges(source):
    return re.findall(r'"?([\w.]+\.bias)"? -> "?([\w.]+)"? \[[^\]]*tooltip="([\w.]+\.b) = ([-\d.]+)"', source)


def regularised_model():
    from micrograd_plus.losses import mse
    from micrograd_plus.nn import BatchNorm, Dropout, Linear, ReLU, Residual, Sequential, Tanh
    model = Sequential(Linear(2, 4, rng=0), BatchNorm(4), ReLU(), Dropout(0.3, rng=0),
                       Residual(Sequential(Linear(4, 4, rng=1), Tanh())), Linear(4, 1, rng=2))
    outputs = model.batch([[0.5, -0.3], [1.0, 0.2], [-0.4, 0.9]])  # training mode: BatchNorm learns statistics
    mse([y[0] for y in outputs], [1.0, 0.0, 1.0]).backward()
    return model.eval()


def test_draw_network_draws_batchnorm_dropout_and_residual_as_what_they_do_to_the_signal():
    from micrograd_plus.viz import draw_network
    from micrograd_plus.viz.network import dense_columns
    model = regularised_model()
    columns = dense_columns(model)
    assert [(c.name, c.kind) for c in columns] == [
        ('layers.0', 'dense'), ('layers.1', 'batchnorm'), ('layers.2', 'activation'), ('layers.3', 'dropout'),
        ('layers.4.module.layers.0', 'dense'), ('layers.4', 'sum'), ('layers.5', 'dense')]
    assert columns[5].skip_from == 4  # x of x + f(x) is the output of column 4 (the dropout; 0 = the inputs)
    graph = draw_network(model, x=[0.5, -0.3], number_format='.4f')
    source = graph.source
    # each acts on each feature alone: squares fed one to one; the residual adds x along a dashed skip edge
    assert source.count('shape=square') == 4 * 4
    assert all(f'"layers.0.{j}" -> "layers.1.{j}"' in source for j in range(4))
    assert all(f'"layers.3.{j}" -> "layers.4.{j}" [color="#475569" constraint=false' in source for j in range(4))
    assert 'BatchNorm' in source and 'Dropout p=0.3' in source and 'x + f(x)' in source
    # the numbers carried through them are the model's own (eval mode)
    assert f'{model([0.5, -0.3])[0].data:.4f}' in source
    residual = model[4](model[3](model[2](model[1](model[0]([0.5, -0.3])))))
    assert all(f'{y.data:.4f}' in source for y in residual)
    graph.pipe(format='svg')  # and Graphviz draws it


def test_draw_network_draws_each_layers_biases_as_edges_from_a_bias_node():
    from micrograd_plus.nn import MLP, Linear, Sequential
    from micrograd_plus.viz import draw_network
    model = MLP(2, [3, 1], rng=0)
    for neuron in model.layers[0].neurons:
        neuron.b.data = 0.25
    model.layers[1].neurons[0].b.data = -0.5
    edges = bias_edges(draw_network(model).source)
    assert [(tail, head, value) for tail, head, _, value in edges] == [
        ('layers.0.bias', 'layers.0.0', '0.25'), ('layers.0.bias', 'layers.0.1', '0.25'),
        ('layers.0.bias', 'layers.0.2', '0.25'), ('layers.1.bias', 'layers.1.0', '-0.50')]
    assert '.bias' not in draw_network(Sequential(Linear(2, 3, bias=False, rng=0))).source


def test_draw_network_with_edges_grad_writes_each_neurons_dl_dz_in_its_circle():
    from micrograd_plus.nn import MLP
    from micrograd_plus.viz import draw_network
    model = MLP(2, [3, 1], rng=0)
    loss = (model([0.5, -0.3]) - 1.0) ** 2
    loss.backward()
    source = draw_network(model, edges='grad', number_format='.4f').source
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            assert re.search(rf'"layers\.{k}\.{j}" \[label="?{neuron.b.grad:.4f}"? ', source)
    assert 'dL/dz' in source
    both = draw_network(model, x=[0.5, -0.3], edges='grad', number_format='.4f').source
    top = model.layers[1].neurons[0]
    assert f'label="{model([0.5, -0.3]).data:.4f}\n{top.b.grad:.4f}"' in both  # activation, then dL/dz


def test_draw_network_thins_a_dense_layer_to_each_neurons_strongest_weights_and_says_how_many_it_hid():
    from micrograd_plus.nn import MLP
    from micrograd_plus.viz import draw_network
    model = MLP(2, [16, 16, 1], rng=1337)
    source = draw_network(model).source
    for j, neuron in enumerate(model.layers[1].neurons):
        drawn = sorted(int(tail.rsplit('.', 1)[1]) for tail, head in weight_edges(source) if head == f'layers.1.{j}')
        strongest = sorted(sorted(range(16), key=lambda i: -abs(neuron.w[i].data))[:4])
        assert drawn == strongest
    assert '192 weakest weights hidden, 112 drawn' in source and '4 strongest of 16 inputs drawn' in source
    everything = draw_network(model, max_edges=None).source
    assert len(weight_edges(everything)) == 2 * 16 + 16 * 16 + 16 and 'hidden' not in everything
    assert len(weight_edges(draw_network(model, max_edges=32).source)) == 2 * 16 + 2 * 16 + 16


def test_draw_network_fits_longer_numbers_and_takes_graph_attributes():
    from micrograd_plus import draw_network
    from micrograd_plus.nn import MLP
    model = MLP(2, [3, 1], rng=0)
    narrow = draw_network(model, x=[0.5, -0.3]).source
    wide = draw_network(model, x=[0.5, -0.3], number_format='.6f', graph_attr={'dpi': '150'}).source
    assert 'width=0.62' in narrow and 'width=1.02' in wide and 'dpi=150' in wide


@pytest.mark.parametrize('call, error, match', [
    (lambda: trace(None), TypeError, r'trace\(root\) takes a Value \(a node of a graph: .*\), got None'),
    (lambda: neighbourhood(Value(1.0), Value(1.0), steps=None), TypeError, 'steps must be an int, got None'),
    (lambda: text_view(None), TypeError, r'text_view\(root\) takes a Value'),
    (lambda: text_view(Value(1.0), max_rows='10'), TypeError, r"max_rows=...\) must be an int, got str '10'"),
    (lambda: text_view(Value(1.0), ascii=None), TypeError, r'ascii=...\) is True or False, got None'),
])
def test_walking_and_text_views_check_their_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nodes_around_says_its_edges_must_be_pairs_of_the_nodes_given():
    from micrograd_plus.viz.walk import nodes_around, op_id
    a = Value(1.0)
    b = a * 2
    nodes, edges = trace(b)
    assert nodes_around(nodes, edges, b, a, 1) == [a, b]  # the constant 2 is two steps from a
    with pytest.raises(ValueError, match=r'takes \(input, result\) pairs of the nodes given'):
        nodes_around(nodes, [(a, Value(3.0))], b, a, 1)
    with pytest.raises(TypeError, match=r'op_id\(\) takes a Value \(with an _op\), got float 1.0'):
        op_id(1.0)


def draw_network_of(**options):
    from micrograd_plus.nn import MLP
    from micrograd_plus.viz import draw_network
    return draw_network(MLP(2, [3, 1], rng=0), **options)


@pytest.mark.parametrize('call, error, match', [
    (lambda o: draw_dot(None), TypeError, r'draw_dot\(root\) takes a Value .*, got None'),
    (lambda o: draw_dot(o, format=3), TypeError, r'draw_dot\(format=...\) must be text \(one of .*\), got int 3'),
    (lambda o: draw_dot(o, format='svgz!'), ValueError, "unknown format: 'svgz!'"),
    (lambda o: draw_dot(o, rankdir='lr'), ValueError, r"rankdir=...\) must be one of 'LR', 'TB', 'RL', 'BT', got str"),
    (lambda o: draw_dot(o, show_grad='no'), TypeError, r"draw_dot\(show_grad=...\) is True or False, got str 'no'"),
    (lambda o: draw_dot(o, expand_dot=1), TypeError, r'draw_dot\(expand_dot=...\) is True or False, got int 1'),
    (lambda o: draw_dot(o, number_format=lambda x: x), TypeError, r'must return text \(a str\) .* gave float 0.5'),
    (lambda o: draw_dot(o, number_format=4), TypeError, "number_format must be a float format spec like '.4f'"),
    (lambda o: draw_dot(o, parameters=o), TypeError, r'parameters=...\) must be None or a list of Values'),
    (lambda o: draw_dot(o, parameters=[o, 'w1']), TypeError, r"got str 'w1' at position 1"),
    (lambda o: draw_dot(o, around=1.5), TypeError, r'draw_dot\(around=...\) takes a Value'),
    (lambda o: draw_dot(o, steps=1.5), TypeError, r'draw_dot\(steps=...\) must be an int, got float 1.5'),
    (lambda o: draw_dot(o, max_nodes=0), ValueError, r'max_nodes=...\) \(or None\) must be an int >= 1, got 0'),
    (lambda o: draw_dot(o, max_uses='8'), TypeError, r"max_uses=...\) \(or None\) must be an int, got str '8'"),
    (lambda o: draw_dot(o, graph_attr={'dpi': 150}), TypeError, r"graph_attr=...\) must be None or a dict .* "
                                                                 r"got str 'dpi': int 150 in it"),
    (lambda o: to_svg(o, rankdir=None), ValueError, r'rankdir=...\) must be one of'),
    (lambda o: node_roles(None, o), TypeError, r'node_roles\(nodes\) must be a list of Values \(from trace\(root\)\)'),
    (lambda o: node_roles([o], None), TypeError, r'node_roles\(root\) takes a Value'),
    (lambda o: neuron_clusters([o, 2.0]), TypeError, r'neuron_clusters\(nodes\) .* got float 2.0 at position 1'),
    (lambda o: text_view(o, number_format=lambda x: 2 * x), TypeError, 'must return text'),
    (lambda o: draw_network_of(x=['1', 2.0]), TypeError, r"draw_network\(x\) at position 0 must be a number, got str"),
    (lambda o: draw_network_of(x=0.5), TypeError, r'draw_network\(x\) must be None or one sample: a list of numbers'),
    (lambda o: draw_network_of(format=None), TypeError, r"draw_network\(format=...\) must be text, like 'svg'"),
    (lambda o: draw_network_of(max_neurons=-1), ValueError, r'max_neurons=...\) \(or None\) must be an int >= 1'),
    (lambda o: draw_network_of(graph_attr=[('dpi', '96')]), TypeError, r'graph_attr=...\) must be None or a dict'),
    (lambda o: draw_network_of(edges=None), ValueError, "edges must be 'weight' or 'grad', got None"),
])
def test_drawing_checks_every_argument_before_drawing(call, error, match):
    o, _ = lecture_neuron()
    with pytest.raises(error, match=match):
        call(o)


def test_draw_network_takes_values_as_the_sample_and_says_which_layer_has_no_neurons():
    from types import SimpleNamespace

    from micrograd_plus.viz.network import dense_columns
    source = draw_network_of(x=[Value(1.0), 2]).source
    assert 'label="x0\n1.00"' in source and 'label="x1\n2.00"' in source  # a Value's number, an int's
    with pytest.raises(ValueError, match='layers.0 has no neurons to draw'):
        dense_columns(SimpleNamespace(layers=[SimpleNamespace(neurons=[])]))


# ---------------------------------------------------------------- inputs given as numbers, constants

def test_a_sample_given_as_numbers_is_named_x0_x1_in_draw_dot_and_text_view():
    from micrograd_plus.nn import MLP
    model = MLP(3, [2, 1], rng=0)
    out = model([1.0, -2.0, 0.5])
    out.backward()
    inputs = next(n for n in trace(out)[0] if n._op == 'dot' and n.label.startswith('layers.0'))._prev[2::2]
    source = draw_dot(out).source
    for i, x in enumerate(inputs):
        assert f'{{ x{i} | data' in node_line(source, x)
        assert f'{{ x{i} | data' in node_line(draw_dot(out, expand_dot=True).source, x)
    view = text_view(out)
    assert all(f'x{i} ' in view for i in range(3)) and '·' not in view


def test_a_constant_is_named_by_its_value_in_text_view():
    x = Value(0.5, label='x')
    y = 1 + x.exp()
    rows = text_view(y).splitlines()
    assert rows[2].split()[1:4] == ['├─', '1', '1.0000']   # the constant, not '·'
    assert '·' in rows[1] and '·' in rows[3]          # unlabelled results stay '·'
    assert 'x0' not in text_view(y)                   # no neuron reads it: not an input


def test_a_constant_that_is_nan_or_infinite_is_named_by_its_value_too():
    rows = text_view(Value(float('nan')) + float('inf')).splitlines()
    assert rows[2].split()[2] == 'nan' and rows[3].split()[2] == 'inf'
