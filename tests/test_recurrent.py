"""RNN, RNNCell, Embedding: PyTorch's values and gradients in float64, time steps in names, checks, state."""
import random

import pytest

from micrograd_plus.autodiff import gradcheck
from micrograd_plus.engine import Value, topological_order
from micrograd_plus.nn import RNN, Embedding, Linear, RNNCell, from_torch


def sequence(steps, features, seed=0):
    rng = random.Random(seed)
    return [[Value(rng.uniform(-1, 1)) for _ in range(features)] for _ in range(steps)]


def coefficients(n, seed=1):
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)]


def weighted(values, cs):
    return sum((v * c for v, c in zip(values, cs)), Value(0.0))


def flat_grads(module):
    return [p.grad for p in module.parameters()]


def torch_grads(module, names):
    return [g for name in names for g in getattr(module, name).grad.flatten().tolist()]


@pytest.mark.parametrize('nonlinearity, bias, with_h0', [('tanh', True, True), ('tanh', True, False),
                                                          ('relu', True, True), ('tanh', False, True)])
def test_rnn_gives_pytorchs_outputs_last_state_and_gradients_in_float64(nonlinearity, bias, with_h0):
    torch = pytest.importorskip('torch')
    rnn = RNN(3, 4, nonlinearity=nonlinearity, bias=bias, rng=0)
    xs = sequence(5, 3)
    h0 = [Value(v) for v in coefficients(4, seed=7)] if with_h0 else None
    outputs, h_last = rnn(xs, h0)
    cs, cl = coefficients(20), coefficients(4, seed=2)
    (weighted([v for h in outputs for v in h], cs) + weighted(h_last, cl)).backward()

    model = rnn.to_torch()
    tx = torch.tensor([[[v.data for v in x] for x in xs]], dtype=torch.float64, requires_grad=True)
    th0 = torch.tensor([[[v.data for v in h0]]], dtype=torch.float64, requires_grad=True) if with_h0 else None
    tout, th = model(tx, th0)
    ((tout.flatten() * torch.tensor(cs, dtype=torch.float64)).sum()
     + (th.flatten() * torch.tensor(cl, dtype=torch.float64)).sum()).backward()
    assert [v.data for h in outputs for v in h] == pytest.approx(tout[0].flatten().tolist(), rel=1e-12, abs=1e-12)
    assert [v.data for v in h_last] == pytest.approx(th[0, 0].tolist(), rel=1e-12, abs=1e-12)
    assert [v.grad for x in xs for v in x] == pytest.approx(tx.grad[0].flatten().tolist(), rel=1e-12, abs=1e-12)
    if with_h0:
        assert [v.grad for v in h0] == pytest.approx(th0.grad[0, 0].tolist(), rel=1e-12, abs=1e-12)
    names = ['weight_ih_l0', 'weight_hh_l0'] + (['bias_ih_l0', 'bias_hh_l0'] if bias else [])
    assert flat_grads(rnn) == pytest.approx(torch_grads(model, names), rel=1e-12, abs=1e-12)


def test_rnn_cell_gives_pytorchs_step_and_gradients():
    torch = pytest.importorskip('torch')
    cell = RNNCell(2, 3, rng=1)
    x, h = sequence(1, 2)[0], [Value(v) for v in coefficients(3, seed=5)]
    out = cell(x, h)
    cs = coefficients(3)
    weighted(out, cs).backward()
    model = cell.to_torch()
    tx = torch.tensor([v.data for v in x], dtype=torch.float64, requires_grad=True)
    th = torch.tensor([v.data for v in h], dtype=torch.float64, requires_grad=True)
    tout = model(tx, th)
    (tout * torch.tensor(cs, dtype=torch.float64)).sum().backward()
    assert [v.data for v in out] == pytest.approx(tout.tolist(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in h] == pytest.approx(th.grad.tolist(), rel=1e-12, abs=1e-12)
    assert flat_grads(cell) == pytest.approx(
        torch_grads(model, ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']), rel=1e-12, abs=1e-12)


def test_embedding_gives_pytorchs_rows_and_gradients():
    torch = pytest.importorskip('torch')
    embedding = Embedding(5, 3, rng=0)
    indices = [3, 1, 3, 0]
    rows = embedding(indices)
    cs = coefficients(12)
    weighted([v for row in rows for v in row], cs).backward()
    model = embedding.to_torch()
    out = model(torch.tensor(indices))
    (out.flatten() * torch.tensor(cs, dtype=torch.float64)).sum().backward()
    assert [[v.data for v in row] for row in rows] == out.tolist()
    assert flat_grads(embedding) == pytest.approx(model.weight.grad.flatten().tolist(), rel=1e-12, abs=1e-12)


def test_to_torch_and_from_torch_round_trip_every_recurrent_layer():
    pytest.importorskip('torch')
    for layer in (RNN(3, 4, rng=0), RNN(2, 2, nonlinearity='relu', bias=False, rng=1), RNNCell(3, 2, rng=2),
                  Embedding(6, 2, rng=3)):
        back = from_torch(layer.to_torch())
        assert repr(back) == repr(layer)
        assert back.state_dict() == layer.state_dict()


def test_from_torch_refuses_a_stacked_rnn():
    torch = pytest.importorskip('torch')
    with pytest.raises(TypeError, match='one-layer, one-directional'):
        from_torch(torch.nn.RNN(2, 3, num_layers=2))


def test_rnn_gradients_match_central_differences():
    rnn = RNN(1, 2, rng=3)

    def f(a, b, c):
        outputs, h = rnn([[a], [b], [c]])
        return weighted(h, [1.0, -0.5])
    assert gradcheck(f, 0.3, -0.7, 0.9)


def test_an_rnn_uses_its_weights_at_every_step_and_names_the_step():
    rnn = RNN(2, 3, rng=0)
    outputs, h = rnn(sequence(12, 2))
    assert (outputs[5][2].label, outputs[5][2]._prev[0].label) == ('h.2[t=5]', 'z.2[t=5]')
    z = outputs[5][2]._prev[0]
    assert z._op == 'dot' and rnn.weight_hh[2][0] in z._prev and rnn.bias_hh[2] in z._prev
    uses = [node for node in topological_order(h[0]) if rnn.weight_hh[0][1] in node._prev]
    assert sorted(node.label for node in uses) == sorted(f'z.0[t={t}]' for t in range(12))


def test_names_inside_a_model_carry_the_path():
    from micrograd_plus.nn import Module

    class Model(Module):
        def __init__(self):
            self.embed = Embedding(27, 4, rng=0)
            self.rnn = RNN(4, 8, rng=1)
            self.head = Linear(8, 27, rng=2)

        def __call__(self, indices):
            outputs, _ = self.rnn(self.embed(indices))
            return [self.head(h) for h in outputs]
    model = Model()
    logits = model([1, 2, 3])
    z = logits[2][0]._prev[2]  # the head's first weight's input: the RNN's output at t = 2
    assert z.label == 'rnn.h.0[t=2]'
    assert 'rnn.weight_hh.3.5' in model.state_dict() and 'embed.weight.26.3' in model.state_dict()
    assert model.summary()[1:] == [('embed', 'Embedding(27, 4)', 108), ('rnn', 'RNN(4, 8)', 112),
                                   ('head', 'Linear(8, 27)', 243)]


def test_batch_runs_one_sequence_at_a_time():
    rnn = RNN(1, 2, rng=0)
    results = rnn.batch([[[1.0], [2.0]], [[0.5]]])
    assert [len(outputs) for outputs, _ in results] == [2, 1]


def test_a_cell_names_the_step_when_given():
    cell = RNNCell(1, 2, rng=0)
    assert cell([1.0])[1].label == 'h.1'
    assert cell([1.0], t=4)[1].label == 'h.1[t=4]'


@pytest.mark.parametrize('make, error, message', [
    (lambda: RNN(0, 2), ValueError, 'input_size must be an int >= 1'),
    (lambda: RNN(2, 2, nonlinearity='sigmoid'), ValueError, "nonlinearity must be one of 'tanh', 'relu'"),
    (lambda: RNN(2, 2)([[1.0, 2.0], [1.0]]), ValueError, 'takes an input of 2 features, got 1'),
    (lambda: RNN(2, 2)([]), ValueError, 'at least one time step'),
    (lambda: RNN(2, 2)([[1.0, 2.0]], [0.0]), ValueError, 'hidden state of 2 numbers, got 1'),
    (lambda: RNN(2, 2)('ab'), TypeError, r'\[time\]\[feature\]'),
    (lambda: Embedding(3, 2)(3), ValueError, 'rows 0..2, got index int 3'),
    (lambda: Embedding(3, 2)(1.0), TypeError, 'takes an index'),
    (lambda: Embedding(3, 2)(True), TypeError, 'takes an index'),
])
def test_bad_input_is_refused_with_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()
