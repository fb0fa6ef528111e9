"""plots: the matplotlib pictures a course needs, checked by what they draw (Agg backend, no window)."""
import math
import statistics
import sys

import pytest

from micrograd_plus.data import make_moons
from micrograd_plus.losses import mse
from micrograd_plus.nn import MLP, BatchNorm, Linear, Sequential, Tanh
from micrograd_plus.optim import SGD
from micrograd_plus.training import History

matplotlib = pytest.importorskip('matplotlib')
matplotlib.use('Agg')
plt = pytest.importorskip('matplotlib.pyplot')
plots = pytest.importorskip('micrograd_plus.plots')


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close('all')


def test_decision_boundary_shades_each_class_and_draws_the_samples():
    X, y = make_moons(30, noise=0.1, seed=0)
    model = MLP(2, [8, 1], rng=0)
    ax = plots.decision_boundary(model, X, y, title='moons')
    assert ax.get_title() == 'moons'
    scatters = [c for c in ax.collections if c.__class__.__name__ == 'PathCollection']
    assert [len(c.get_offsets()) for c in scatters] == [y.count(0), y.count(1)]
    assert [c.get_label() for c in scatters] == ['class 0', 'class 1']
    x_lo, x_hi = ax.get_xlim()
    assert x_lo == pytest.approx(min(p[0] for p in X) - 0.3) and x_hi == pytest.approx(max(p[0] for p in X) + 0.3)


def test_decision_boundary_of_a_linear_model_is_its_line():
    """A model z = x0 - x1 puts class 1 below the diagonal: the drawn boundary is the line x0 = x1."""
    model = Linear(2, 1, rng=0)
    model.neurons[0].w[0].data, model.neurons[0].w[1].data = 1.0, -1.0
    ax = plots.decision_boundary(model, [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]], [0, 0, 1], resolution=21)
    boundary = [c for c in ax.collections if c.__class__.__name__ in ('QuadContourSet', 'ContourSet')]
    lines = boundary[-1].allsegs[0] if boundary else ax.collections[-1].get_paths()
    points = [p for segment in lines for p in (segment if hasattr(segment, '__len__') else segment.vertices)]
    assert points and all(abs(x - y) < 1e-9 for x, y in points)


def test_decision_boundary_takes_class_scores_and_draws_on_given_axes():
    model = MLP(2, [4, 3], rng=0)
    fig, ax = plt.subplots()
    X = [[0.0, 0.0], [1.0, 0.5], [-1.0, 0.3]]
    assert plots.decision_boundary(model, X, [0, 1, 2], ax=ax) is ax
    assert len([c for c in ax.collections if c.__class__.__name__ == 'PathCollection']) == 3


def test_activation_histograms_draw_one_histogram_per_hidden_layer():
    X, _ = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [6, 6, 6, 1], activation='tanh', rng=0)
    fig = plots.activation_histograms(model, X, bins=10)
    axes = fig.axes
    assert len(axes) == 3  # three tanh layers; the linear output is not an activation
    assert all(len(ax.patches) == 10 for ax in axes)  # one bar per bin
    assert [ax.get_title().splitlines()[0] for ax in axes] == ['layers.0 (tanh)', 'layers.1 (tanh)', 'layers.2 (tanh)']
    first = [n.data for x in X for n in model.layers[0].outputs(x)]
    assert f'std {statistics.pstdev(first):.2f}' in axes[0].get_title() and 'saturated' in axes[0].get_title()
    assert sum(p.get_height() for p in axes[0].patches) == len(X) * 6


def test_activation_histograms_of_a_sequential_use_its_batch_and_pick_layers():
    X, _ = make_moons(16, noise=0.1, seed=0)
    model = Sequential(Linear(2, 5, rng=0), BatchNorm(5), Tanh(), Linear(5, 5, rng=1), Tanh(), Linear(5, 1, rng=2))
    model.train()
    fig, axes = plt.subplots(1, 2)
    assert plots.activation_histograms(model, X, layers=[0, -1], axes=axes, bins=8, color='green') is fig
    assert [ax.get_title().splitlines()[0] for ax in axes] == ['layers.2 (tanh)', 'layers.4 (tanh)']
    with pytest.raises(ValueError, match='got 1 axes for 2 layers'):
        plots.activation_histograms(model, X, axes=[axes[0]])
    with pytest.raises(IndexError, match='has 5, but the model has 2 such layers'):
        plots.activation_histograms(model, X, layers=[5])


def test_gradient_histograms_draw_each_layers_grads_with_the_grad_to_data_ratio():
    X, y = make_moons(10, noise=0.1, seed=0)
    model = MLP(2, [4, 4, 1], rng=0)
    mse([model(x) for x in X], y).backward()
    fig = plots.gradient_histograms(model, bins=5)
    assert [ax.get_title().splitlines()[0] for ax in fig.axes] == ['layers.0', 'layers.1', 'layers.2']
    assert [sum(p.get_height() for p in ax.patches) for ax in fig.axes] == [12, 20, 5]  # every parameter counted
    ps = model.layers[1].parameters()
    ratio = statistics.pstdev([p.grad for p in ps]) / statistics.pstdev([p.data for p in ps])
    assert f'grad:data {ratio:.2g}' in fig.axes[1].get_title()


def test_update_ratios_from_a_history_draw_one_line_per_layer_and_the_rule_of_thumb():
    X, y = make_moons(10, noise=0.1, seed=0)
    model = MLP(2, [4, 1], rng=0)
    optimizer = SGD(model.parameters(), lr=0.05)
    history = History()
    for step in range(4):
        loss = mse([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        before = model.state_dict()
        optimizer.step()
        history.record_update_ratios(step, model, before)
    ax = plots.update_ratios(history)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ['layers.0', 'layers.1', '1e-3, the rule of thumb']
    assert list(lines[0].get_ydata()) == history['update:layers.0'] and ax.get_yscale() == 'log'


def test_update_ratios_from_an_optimizer_draw_a_bar_per_layer():
    model = MLP(2, [3, 1], rng=0)
    ((model([0.5, -1.0]) - 1.0) ** 2).backward()
    optimizer = SGD(model.parameters(), lr=0.1)
    ax = plots.update_ratios(optimizer, model)
    bars = ax.patches
    assert len(bars) == 2
    ps = model.layers[0].parameters()
    expected = 0.1 * math.sqrt(sum(p.grad ** 2 for p in ps)) / math.sqrt(sum(p.data ** 2 for p in ps))
    assert bars[0].get_height() == pytest.approx(expected)
    with pytest.raises(TypeError, match='takes a History .* or an optimizer and its model'):
        plots.update_ratios([1, 2])
    with pytest.raises(ValueError, match='record_update_ratios'):
        plots.update_ratios(History())


def test_plots_check_their_arguments():
    model = MLP(2, [3, 1], rng=0)
    with pytest.raises(ValueError, match='0 samples but 1 labels|is empty'):
        plots.decision_boundary(model, [], [1])
    with pytest.raises(ValueError, match='has 3 numbers; a decision boundary is drawn in the plane'):
        plots.decision_boundary(model, [[1.0, 2.0, 3.0]], [1])
    with pytest.raises(ValueError, match='2 samples but 1 labels'):
        plots.decision_boundary(model, [[1.0, 2.0], [0.0, 0.0]], [1])
    with pytest.raises(TypeError, match=r'takes a model \(a Module'):
        plots.activation_histograms(lambda x: x, [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r'ax=...\) takes matplotlib axes'):
        plots.decision_boundary(model, [[1.0, 2.0]], [1], ax='axes')


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    monkeypatch.setitem(sys.modules, 'matplotlib.pyplot', None)
    with pytest.raises(ModuleNotFoundError, match='pip install matplotlib'):
        plots.decision_boundary(MLP(2, [1], rng=0), [[1.0, 2.0]], [1])
