"""Conv2d, MaxPool2d, AvgPool2d, Flatten: PyTorch's values and gradients in float64, names, checks, state."""
import random

import pytest

from micrograd_plus.autodiff import gradcheck
from micrograd_plus.engine import Value, topological_order
from micrograd_plus.nn import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    Tanh,
    from_torch,
    grad_norms,
)


def image(channels, rows, cols, seed=0):
    rng = random.Random(seed)
    return [[[Value(rng.uniform(-1, 1)) for _ in range(cols)] for _ in range(rows)] for _ in range(channels)]


def numbers(grid):
    return [[[v.data for v in row] for row in plane] for plane in grid]


def grads(grid):
    return [[[v.grad for v in row] for row in plane] for plane in grid]


def weighted_sum(grid, seed=1):
    """A loss that gives every output its own weight, so each gradient is checked, not just their sum."""
    rng = random.Random(seed)
    flat = [v for plane in grid for row in plane for v in row]
    coefficients = [rng.uniform(-1, 1) for _ in flat]
    return sum((v * c for v, c in zip(flat, coefficients)), Value(0.0)), coefficients


def close(a, b, tol=1e-12):
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y, tol)
    else:
        assert a == pytest.approx(b, rel=tol, abs=tol)


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize('layer', [
    Conv2d(2, 3, 3, rng=0),
    Conv2d(2, 3, (2, 3), stride=2, padding=1, rng=1),
    Conv2d(1, 2, 3, stride=(1, 2), padding=(2, 0), bias=False, rng=2),
    MaxPool2d(2),
    MaxPool2d(3, stride=2, padding=1),
    AvgPool2d(2),
    AvgPool2d((3, 2), stride=1, padding=1),
    Sequential(Conv2d(2, 4, 3, rng=3), ReLU(), MaxPool2d(2), Flatten(), Linear(16, 3, rng=4)),
    Sequential(Conv2d(2, 2, 3, padding=1, rng=5), Tanh(), AvgPool2d(2), Flatten()),
], ids=repr)
def test_a_layer_gives_pytorchs_values_and_gradients_in_float64(layer):
    torch = pytest.importorskip('torch')
    x = image(2, 6, 7 if not isinstance(layer, Sequential) else 6)
    if isinstance(layer, Conv2d) and layer.in_channels == 1:
        x = x[:1]
    out = layer(x)
    grid = out if isinstance(out[0], list) else [[out]]
    loss, coefficients = weighted_sum(grid)
    loss.backward()

    tx = torch.tensor([numbers(x)], dtype=torch.float64, requires_grad=True)
    model = layer.to_torch()
    tout = model(tx)
    (tout.flatten() * torch.tensor(coefficients, dtype=torch.float64)).sum().backward()
    close(numbers(grid) if isinstance(out[0], list) else [v.data for v in out], tout[0].tolist())
    close(grads(x), tx.grad[0].tolist())
    expected = _torch_order(model)
    assert len(expected) == len(layer.parameters())
    for (name, p), tp in zip(layer.named_parameters(), expected):
        assert p.grad == pytest.approx(tp, rel=1e-12, abs=1e-12), name


def _torch_order(model):
    """PyTorch's gradients in micrograd_plus's parameter order: a Conv2d's weight[o][c][a][b] then its bias;
    a Linear neuron by neuron, each neuron's weights then its bias."""
    flat = []
    for module in model.modules():
        if isinstance(module, type(model)) and list(module.children()):
            continue
        if type(module).__name__ == 'Linear':
            for row, b in zip(module.weight.grad.tolist(), module.bias.grad.tolist()):
                flat += row + [b]
        else:
            flat += [g for p in module.parameters() for g in p.grad.flatten().tolist()]
    return flat


def test_conv2d_gradients_match_central_differences():
    conv = Conv2d(1, 2, 2, stride=1, padding=1, rng=0)
    x = image(1, 3, 3)

    def f(*cells):
        grid = [[list(cells[r * 3:r * 3 + 3]) for r in range(3)]]
        return weighted_sum(conv(grid))[0]
    assert gradcheck(f, *[v.data for row in x[0] for v in row])


def test_max_pool_sends_the_gradient_to_the_first_largest_cell_as_pytorch():
    torch = pytest.importorskip('torch')
    x = [[[Value(v) for v in row] for row in [[1.0, 3.0], [3.0, 2.0]]]]
    y = MaxPool2d(2)(x)[0][0][0]
    y.backward()
    tx = torch.tensor([[[1.0, 3.0], [3.0, 2.0]]], dtype=torch.float64, requires_grad=True)
    torch.nn.MaxPool2d(2)(tx).sum().backward()
    assert grads(x) == tx.grad.tolist() == [[[0.0, 1.0], [0.0, 0.0]]]


def test_to_torch_and_from_torch_round_trip_a_cnn():
    pytest.importorskip('torch')
    model = Sequential(Conv2d(1, 4, 3, stride=1, padding=1, rng=0), ReLU(), MaxPool2d(2), AvgPool2d(2), Flatten(),
                       Linear(16, 10, rng=1))
    back = from_torch(model.to_torch())
    assert repr(back) == repr(model)
    assert back.state_dict() == model.state_dict()
    x = image(1, 8, 8)
    assert [v.data for v in back(x)] == [v.data for v in model(x)]


def test_from_torch_refuses_what_it_cannot_convert():
    torch = pytest.importorskip('torch')
    with pytest.raises(TypeError, match='groups=1, dilation=1'):
        from_torch(torch.nn.Conv2d(2, 2, 3, groups=2))
    with pytest.raises(TypeError, match='kernel_size, stride and padding only'):
        from_torch(torch.nn.MaxPool2d(2, ceil_mode=True))
    with pytest.raises(TypeError, match='start_dim=1'):
        from_torch(torch.nn.Flatten(0))


# ---------------------------------------------------------------- one dot per position, names

def test_each_output_position_is_one_dot_node_over_the_shared_kernel():
    conv = Conv2d(2, 3, 3, rng=0)
    out = conv(image(2, 5, 5))
    z = out[1][2][0]
    assert z._op == 'dot'
    kernel = set(map(id, conv.kernel(1)))
    assert kernel <= set(map(id, z._prev)) and conv.bias[1] in z._prev
    assert [len(plane) for plane in out] == [3, 3, 3] and len(out[0][0]) == 3
    assert out[0][0][0].data == pytest.approx(
        conv.bias[0].data + sum(w.data * x.data for w, x in zip(conv.kernel(0), _window(image(2, 5, 5), 0, 0))))


def _window(x, i, j):
    return [x[c][i + a][j + b] for c in range(2) for a in range(3) for b in range(3)]


def test_padding_cells_are_left_out_of_the_sum():
    conv = Conv2d(1, 1, 3, padding=1, rng=0)
    corner = conv(image(1, 4, 4))[0][0][0]
    assert len(corner._prev) == 1 + 2 * 4  # the bias, and the 4 weights that fall on the image


def test_every_node_names_its_layer_channel_and_position():
    model = Sequential(Conv2d(1, 4, 3, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(36, 10, rng=1))
    x = image(1, 8, 8)
    maps = model[1](model[0](x))
    assert (model[0](x)[2][3][4].label, maps[2][3][4].label, model[2](maps)[2][1][1].label) == \
        ('layers.0.z.2[3,4]', 'layers.1.y.2[3,4]', 'layers.2.y.2[1,1]')
    out = model(x)
    labels = {node.label for node in topological_order(out[0])}
    assert {'layers.2.y.2[1,1]', 'layers.0.weight.2.0.1.2', 'layers.0.bias.3', 'layers.4.neurons.0.z'} <= labels
    assert not any(node.label == '' for node in topological_order(out[0]) if node._prev)


def test_a_cnn_composes_with_batch_modes_state_summary_and_grad_norms(tmp_path):
    model = Sequential(Conv2d(1, 2, 3, rng=0), ReLU(), MaxPool2d(2), Flatten(), Linear(8, 2, rng=1))
    outputs = model.batch([image(1, 6, 6, seed=s) for s in range(3)])
    assert [len(o) for o in outputs] == [2, 2, 2]
    sum((o[0] for o in outputs), Value(0.0)).backward()
    norms = grad_norms(model)
    assert set(norms) == {'layers.0', 'layers.4'} and norms['layers.0'] > 0
    assert model.summary()[1] == ('layers.0', 'Conv2d(1, 2, kernel_size=3)', 20)
    assert model.eval() is model and not model[0].training
    model.save(tmp_path / 'cnn.json')
    other = Sequential(Conv2d(1, 2, 3, rng=9), ReLU(), MaxPool2d(2), Flatten(), Linear(8, 2, rng=8))
    other.load(tmp_path / 'cnn.json')
    assert other.state_dict() == model.state_dict()
    assert 'layers.0.weight.1.0.2.2' in model.state_dict()


def test_reprs_read_like_pytorchs():
    assert repr(Conv2d(3, 8, 5, stride=2, padding=(1, 2), bias=False)) == \
        'Conv2d(3, 8, kernel_size=5, stride=2, padding=(1, 2), bias=False)'
    assert repr(MaxPool2d(2)) == 'MaxPool2d(kernel_size=2)'
    assert repr(AvgPool2d(3, stride=1, padding=1)) == 'AvgPool2d(kernel_size=3, stride=1, padding=1)'
    assert repr(Flatten()) == 'Flatten()'


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize('make, error, message', [
    (lambda: Conv2d(0, 1, 3), ValueError, 'in_channels must be an int >= 1'),
    (lambda: Conv2d(1, 1, 'a'), TypeError, 'kernel_size must be an int'),
    (lambda: Conv2d(1, 1, (1, 2, 3)), ValueError, 'an int or a pair'),
    (lambda: Conv2d(1, 1, 3, stride=0), ValueError, 'stride must be an int >= 1'),
    (lambda: Conv2d(1, 1, 3, bias=1), TypeError, 'bias is True or False'),
    (lambda: MaxPool2d(2, padding=2), ValueError, 'at most half the kernel size'),
])
def test_bad_arguments_are_refused_with_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize('x, error, message', [
    ([[1.0, 2.0]], ValueError, 'no channel around them'),
    ([1.0, 2.0], ValueError, 'one list per channel'),
    ([[[1.0] * 4] * 4] * 2, ValueError, 'takes 1 channel, got 2'),
    ([[[1.0] * 4, [1.0] * 3, [1.0] * 4, [1.0] * 4]], ValueError, 'every row needs the same length'),
    ([[[1.0] * 2] * 2], ValueError, 'needs an image of at least 3 x 3'),
    ('image', TypeError, 'nested lists'),
])
def test_a_bad_sample_is_refused_with_a_clear_error(x, error, message):
    with pytest.raises(error, match=message):
        Conv2d(1, 1, 3)(x)
