"""viz.collapsed: a conv's and an RNN's graph with each repeated node drawn once, marked 'x N'."""
import pytest

from micrograd_plus import data, losses, nn
from micrograd_plus.viz import collapsed, draw_dot, trace


def cnn_loss():
    images, labels = data.load_digits()
    model = nn.Sequential(nn.Conv2d(1, 4, 3, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 10, rng=1))
    loss = losses.cross_entropy([model(images[0])], [labels[0]])
    loss.backward()
    return model, loss


def test_a_conv_graph_collapses_to_one_box_per_channel_and_draws():
    model, loss = cnn_loss()
    assert len(trace(loss)[0]) > 900
    root = collapsed(loss)
    nodes, _ = trace(root)
    assert root.data == loss.data and len(nodes) < 100
    by_label = {node.label.split(' x ')[0]: node for node in nodes}
    z = by_label['layers.0.z.2[row,col]']
    assert z.count == 36 and z.label.startswith('layers.0.z.2[row,col] x 36 (shown: [')
    assert z.grad == max((m.grad for m in z.members), key=abs)
    assert by_label['layers.0.weight'].count == 36 and by_label['layers.2.y.0[row,col]'].count == 9
    assert by_label['inputs of layers.0.z.0[row,col]'].count == 64
    assert by_label['layers.0.weight'] in z._prev
    source = draw_dot(root).source
    assert 'layers.0.z.2[row,col] x 36' in source


def test_a_twelve_step_rnn_draws_rolled_up():
    rnn, head = nn.RNN(2, 3, rng=0), nn.Linear(3, 1, rng=1)
    outputs, h = rnn([[0.1 * t, 1.0] for t in range(12)])
    loss = (head(h)[0] - 1.0) ** 2
    loss.backward()
    root = collapsed(loss)
    nodes, _ = trace(root)
    assert len(nodes) * 10 < len(trace(loss)[0])
    by_label = {node.label.split(' x ')[0]: node for node in nodes}
    h1, z0 = by_label['h.1[t]'], by_label['z.0[t]']
    assert h1.count == z0.count == 12 and by_label['weight_hh'].count == 9
    assert h1 in z0._prev  # the loop: h at t-1 feeds z at t
    assert 'h.1[t] x 12' in draw_dot(root).source


def test_collapsed_refuses_what_is_not_a_node():
    with pytest.raises(TypeError, match='takes a Value'):
        collapsed(3.0)


def test_a_graph_too_large_to_draw_points_a_conv_or_rnn_to_collapsed():
    from micrograd_plus.viz.graph import GraphTooLargeError
    rnn = nn.RNN(4, 32, rng=0)
    _, h = rnn([[0.1 * t, -0.2, 0.3, 0.0] for t in range(12)])
    loss = sum(v * v for v in h)
    with pytest.raises(GraphTooLargeError, match=r'collapsed\(root\) draws each once'):
        draw_dot(loss)
