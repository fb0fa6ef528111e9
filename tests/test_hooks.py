"""Hooks and seeds: Value.register_hook, backward(gradient=...), what .grad holds after backward(),
Module.register_forward_hook; against PyTorch in float64 where it has the same thing."""
import copy
import math

import pytest

from micrograd_plus import Value, detect_anomaly, grad, hooks
from micrograd_plus.nn import MLP, BatchNorm, Linear, Sequential, Sigmoid


def graph(x, y):
    """A small graph with a shared inner node (b is used twice), on Values or tensors."""
    a = x * y
    b = a.tanh()
    return b * b + b * x, a, b


def torch_graph(torch, hook_on=None, hook=None, seed=1.0):
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    out, a, b = graph(x, y)
    named = {'x': x, 'y': y, 'a': a, 'b': b, 'out': out}
    if hook_on is not None:
        named[hook_on].register_hook(hook)
    out.backward(torch.tensor(seed, dtype=torch.float64))
    return x.grad.item(), y.grad.item()


def our_graph(hook_on=None, hook=None, seed=1.0):
    x, y = Value(0.7), Value(-1.3)
    out, a, b = graph(x, y)
    named = {'x': x, 'y': y, 'a': a, 'b': b, 'out': out}
    handle = named[hook_on].register_hook(hook) if hook_on is not None else None
    out.backward(gradient=seed) if seed != 1.0 else out.backward()
    return (x.grad, y.grad), named, handle


# ---------------------------------------------------------------- backward(gradient=...)

@pytest.mark.parametrize('seed', [1.0, 2.5, -0.25, 0.0])
def test_backward_with_a_seed_scales_every_grad_as_pytorch(seed):
    torch = pytest.importorskip('torch')
    (gx, gy), _, _ = our_graph(seed=seed)
    assert (gx, gy) == pytest.approx(torch_graph(torch, seed=seed), rel=1e-14, abs=1e-300)


def test_the_seed_of_a_leaf_is_added_to_its_grad():
    x = Value(1.0)
    x.backward(gradient=3)
    x.backward()
    assert x.grad == 4.0


def test_a_seed_that_is_not_a_number_is_refused():
    with pytest.raises(TypeError, match=r'backward\(gradient=...\).* must be a number, got str'):
        (Value(1.0) * 2).backward(gradient='1')


# ---------------------------------------------------------------- .grad of inner nodes

def test_every_inner_node_keeps_its_grad_after_backward_unlike_pytorchs_default():
    x, y = Value(0.7), Value(-1.3)
    out, a, b = graph(x, y)
    out.backward()
    d_out_d_b, d_out_d_a = grad(out, [b, a])
    assert b.grad == d_out_d_b and a.grad == d_out_d_a != 0.0
    assert out.grad == 1.0
    out.backward()  # recomputed from zero: the same again, while the leaves accumulate
    assert b.grad == d_out_d_b and x.grad == pytest.approx(2 * grad(out, x), rel=1e-15)


def test_inner_grads_are_what_pytorch_gives_with_retain_grad():
    torch = pytest.importorskip('torch')
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    tout, ta, tb = graph(tx, ty)
    ta.retain_grad()
    tb.retain_grad()
    tout.backward()
    _, named, _ = our_graph()
    assert [named['a'].grad, named['b'].grad] == pytest.approx([ta.grad.item(), tb.grad.item()], rel=1e-14)


# ---------------------------------------------------------------- Value.register_hook

@pytest.mark.parametrize('node', ['a', 'b', 'out', 'x', 'y'])
def test_a_hook_that_replaces_the_grad_changes_what_flows_on_as_in_pytorch(node):
    torch = pytest.importorskip('torch')
    ours, _, _ = our_graph(node, lambda g: 3 * g + 0.5)
    assert ours == pytest.approx(torch_graph(torch, node, lambda g: 3 * g + 0.5), rel=1e-14)


def test_a_hook_sees_the_complete_grad_once_and_returning_none_keeps_it():
    seen = []
    (gx, gy), named, _ = our_graph('b', seen.append)
    assert seen == [named['b'].grad]  # b feeds two nodes: the hook ran once, on the sum
    assert (gx, gy) == our_graph()[0]


def test_a_leaf_hook_gets_what_this_backward_brings_not_the_accumulated_grad():
    x = Value(2.0)
    x.grad = 100.0
    seen = []
    x.register_hook(lambda g: seen.append(g) or 2 * g)
    (x * x).backward()
    assert seen == [4.0] and x.grad == 108.0


def test_hooks_run_in_the_order_registered_each_on_what_the_one_before_returned():
    x = Value(1.5)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    y.register_hook(lambda g: g * 10)
    y.backward()
    assert x.grad == (1 + 1) * 10 * 2


def test_a_removed_hook_runs_no_more_and_removing_twice_is_harmless():
    calls = []
    (gx, _), named, handle = our_graph('a', lambda g: calls.append(g) or 0.0)
    assert gx != 0.0 and len(calls) == 1 and named['x'].grad == named['b'].data  # a's path cut: only b * x left
    handle.remove()
    handle.remove()
    named['x'].grad = 0.0
    named['out'].backward()
    assert len(calls) == 1 and named['x'].grad == our_graph()[0][0]


def test_the_handle_is_a_context_manager():
    x = Value(3.0)
    with x.register_hook(lambda g: 0.0):
        (x * x).backward()
    assert x.grad == 0.0
    (x * x).backward()
    assert x.grad == 6.0


def test_backward_takes_its_plain_walk_again_once_no_node_has_hooks():
    x = Value(1.0)
    handle = x.register_hook(lambda g: g)
    assert hooks.grad_hooks_exist()
    handle.remove()
    assert not hooks.grad_hooks_exist()
    y = Value(1.0)
    y.register_hook(lambda g: g)
    del y  # freed with its node
    assert not hooks.grad_hooks_exist()


def test_a_copied_node_comes_without_hooks():
    x = Value(2.0)
    x.register_hook(lambda g: 0.0)
    twin = copy.deepcopy(x)
    (twin * twin).backward()
    assert twin.grad == 4.0


def test_hooks_run_under_detect_anomaly_too_and_a_hook_returning_text_is_refused():
    x = Value(2.0)
    y = x.exp()
    y.register_hook(lambda g: math.inf)
    with detect_anomaly(), pytest.raises(FloatingPointError, match='gave grad inf'):
        y.backward()
    z = Value(1.0)
    z.register_hook(lambda g: 'no')
    with pytest.raises(TypeError, match="returned something: a number to replace the grad, or None"):
        (z * 2).backward()


def test_register_hook_needs_a_function():
    with pytest.raises(TypeError, match=r'register_hook\(hook\).* must be a function, got int'):
        Value(1.0).register_hook(3)


# ---------------------------------------------------------------- Module.register_forward_hook

def test_a_forward_hook_sees_each_layer_input_and_output_as_pytorchs_does():
    model = MLP(2, [3, 2, 1], rng=0)
    seen = []
    for layer in model.layers:
        layer.register_forward_hook(lambda module, inputs, output: seen.append((module, inputs, output)))
    out = model([0.5, -1.0])
    assert [module for module, _, _ in seen] == model.layers
    assert all(isinstance(inputs, tuple) and len(inputs) == 1 for _, inputs, _ in seen)
    assert seen[0][1] == ([0.5, -1.0],) and seen[1][1][0] is seen[0][2] and seen[2][2] is out


def test_a_forward_hook_can_replace_the_output():
    layer = Linear(2, 2, rng=0)
    handle = layer.register_forward_hook(lambda module, inputs, output: [v * 0 for v in output])
    assert [v.data for v in layer([1.0, 2.0])] == [0.0, 0.0]
    handle.remove()
    assert [v.data for v in layer([1.0, 2.0])] != [0.0, 0.0]


def test_a_hooked_module_keeps_its_name_repr_and_class_and_others_are_untouched():
    model = MLP(2, [3, 1], rng=0)
    before = repr(model)
    model.layers[0].register_forward_hook(lambda *a: None)
    assert repr(model) == before and type(model.layers[0]).__name__ == 'Layer'
    assert isinstance(model.layers[0], type(model.layers[1])) and '_calls_forward_hooks' not in vars(type(model))
    assert dict(model.named_parameters()).keys() == dict(MLP(2, [3, 1], rng=0).named_parameters()).keys()


def test_a_batch_is_one_forward_for_the_hook():
    model = Sequential(Linear(2, 3, rng=0), BatchNorm(3), Sigmoid())
    seen = []
    for layer in model:
        layer.register_forward_hook(lambda module, inputs, output: seen.append((type(module).__name__,
                                                                                len(inputs[0]), len(output))))
    model.batch([[1.0, 2.0], [3.0, 1.0], [0.0, 1.0], [2.0, 2.0]])
    assert seen == [('Linear', 4, 4), ('BatchNorm', 4, 4), ('Sigmoid', 4, 4)]


def test_forward_hooks_match_pytorch_on_the_converted_model():
    torch = pytest.importorskip('torch')
    model = MLP(3, [4, 4, 2], activation='tanh', rng=1)
    ours = []
    for layer in model.layers:
        layer.register_forward_hook(lambda module, inputs, output: ours.append([v.data for v in output]))
    model([0.3, -0.2, 0.9])
    converted = model.to_torch().double()
    theirs = []
    for module in converted:
        if isinstance(module, torch.nn.Tanh) or module is converted[-1]:
            module.register_forward_hook(lambda module, inputs, output: theirs.append(output.tolist()))
    converted(torch.tensor([0.3, -0.2, 0.9], dtype=torch.float64))
    assert ours == [pytest.approx(row, rel=1e-12) for row in theirs]


def test_register_forward_hook_needs_a_function():
    with pytest.raises(TypeError, match=r'register_forward_hook\(hook\).* must be a function, got str'):
        Linear(2, 2).register_forward_hook('print')


def test_a_model_that_had_forward_hooks_pickles_as_its_own_class_without_them():
    import pickle

    from micrograd_plus import nn
    model = nn.MLP(2, [2, 1], rng=0)
    model.register_forward_hook(lambda module, inputs, output: None).remove()
    again = pickle.loads(pickle.dumps(model))  # PicklingError before: the hooked class shares MLP's name
    assert type(again) is nn.MLP and again([1.0, 2.0]).data == model([1.0, 2.0]).data
    model.register_forward_hook(lambda module, inputs, output: None)
    again = pickle.loads(pickle.dumps(model))
    assert type(again) is nn.MLP and '_forward_hooks' not in vars(again)  # hooks are this session's functions
