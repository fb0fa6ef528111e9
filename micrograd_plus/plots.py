"""Pictures a course needs, drawn with matplotlib: decision boundaries, histograms per layer, update ratios.

matplotlib is optional (``pip install matplotlib``, or the ``demo`` extra): it is imported the first time a
picture is drawn, and a clear error says how to install it when it is missing. Every function draws on the
axes it is given, or on a new figure, and returns what it drew on (a Figure or an Axes), so a lesson can
set titles, save it, or test what is in it.
"""
from __future__ import annotations

import importlib
import itertools
import math
import statistics
from collections.abc import Sequence
from typing import Any

from . import checks
from .autodiff import no_grad
from .engine import Value
from .nn import Module
from .nn.layers import parameter_groups

__all__ = ['activation_histograms', 'decision_boundary', 'feature_maps', 'gradient_histograms', 'image_grid', 'kernels',
           'layer_outputs', 'unrolled', 'update_ratios']

# ================================================================ training pictures: boundaries, histograms, ratios
# (decision_boundary, activation_histograms, gradient_histograms, update_ratios; History.plot is in training.py)

CLASS_COLORS = ['#3b6fb6', '#d9534f', '#3f9e4d', '#8e6bb8', '#e0a030']  # one per class, fine for colour-blind eyes
MAX_CLASSES = 100  # a label beyond this is a mistake (a score passed as a label), not a class to colour
HEALTHY_UPDATE_RATIO = 1e-3  # the rule of thumb (Karpathy, "Building makemore" part 3): steps about 1/1000 of p


def _pyplot() -> Any:
    """matplotlib.pyplot, imported now; a ModuleNotFoundError naming what to install when it is missing."""
    try:
        return importlib.import_module('matplotlib.pyplot')
    except ImportError:
        raise ModuleNotFoundError('micrograd_plus.plots draws with matplotlib, which micrograd_plus does not '
                                  "install: pip install matplotlib (or pip install 'micrograd_plus[demo]')") from None


def _axes(what: str, ax: Any) -> Any:
    """``ax`` if it is matplotlib axes, else new axes on a new figure."""
    if ax is None:
        return _pyplot().subplots()[1]
    if not all(hasattr(ax, method) for method in ('plot', 'contourf', 'hist', 'figure')):
        raise TypeError(f'{what}(ax=...) takes matplotlib axes (fig, ax = plt.subplots()), or None for new ones, '
                        f'got {checks.shown(ax)}')
    return ax


def _model(what: str, model: Any) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f'{what} takes a model (a Module: an MLP, a Sequential...), got {checks.shown(model)}')
    return model


def _points(what: str, X: Any) -> list[list[float]]:
    rows = checks.sequence(what, X, 'a list of samples, each a list of 2 numbers')
    points = []
    for i, row in enumerate(rows):
        numbers = checks.sequence(f'{what}[{i}]', row, 'a sample of 2 numbers')
        if len(numbers) != 2:
            raise ValueError(f'{what}[{i}] has {len(numbers)} numbers; a decision boundary is drawn in the plane, '
                             'for samples of 2 features')
        points.append([checks.real(f'{what}[{i}]', getattr(v, 'data', v)) for v in numbers])
    if not points:
        raise ValueError(f'{what} is empty: give the samples to draw')
    return points


def _scores(model: Module, x: list[float]) -> list[float]:
    """The model's output for one sample, as a list of numbers (one for a single output)."""
    return [float(getattr(v, 'data', v)) for v in _as_list(model(x))]


def decision_boundary(model: Module, X: Sequence[Any], y: Sequence[Any], ax: Any = None, *, resolution: int = 80,
                      pad: float = 0.3, threshold: float = 0.0, title: str | None = None) -> Any:
    """Shade where ``model`` puts each class over the plane around the samples ``X`` (2 features each), draw the
    boundary, and plot the samples coloured by their labels ``y``; returns the axes.

    One output is a score: class 1 where it is above ``threshold`` (0 for a logit or a +-1 target; use 0.5
    for a sigmoid output). Several outputs are class scores: each class where its score beats the others.
    The grid is evaluated in the model's current mode under no_grad(): no graph is built.
    """
    model = _model('decision_boundary(model, X, y)', model)
    points = _points('decision_boundary(X)', X)
    labels = _labels(y)
    if len(labels) != len(points):
        raise ValueError(f'decision_boundary: {len(points)} samples but {len(labels)} labels; give one label each')
    resolution = checks.count('decision_boundary(resolution=...)', resolution, at_least=2, at_most=1000)
    pad = checks.real('decision_boundary(pad=...)', pad, at_least=0)
    threshold = checks.real('decision_boundary(threshold=...)', threshold)
    if title is not None:
        title = checks.text('decision_boundary(title=...)', title)
    ax = _axes('decision_boundary', ax)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi, y_lo, y_hi = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    grid_x = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():
        scores = [[_scores(model, [gx, gy]) for gx in grid_x] for gy in grid_y]
    if len(scores[0][0]) == 1:  # class scores [threshold - s, s - threshold]: each margin has the sign of s
        scores = [[[threshold - s[0], s[0] - threshold] for s in row] for row in scores]
    classes = len(scores[0][0])
    colors = [CLASS_COLORS[k % len(CLASS_COLORS)] for k in range(max(classes, max(labels) + 1))]
    for k in range(classes):  # margins, not predicted labels: smooth boundaries on a coarse grid
        margin = [[row[k] - max(s for j, s in enumerate(row) if j != k) for row in line] for line in scores]
        ax.contourf(grid_x, grid_y, margin, levels=[0, math.inf], colors=[colors[k]], alpha=0.25)
        ax.contour(grid_x, grid_y, margin, levels=[0], colors='#333333', linewidths=0.8)
    for k in sorted(set(labels)):
        ax.scatter([x for x, t in zip(xs, labels) if t == k], [v for v, t in zip(ys, labels) if t == k],
                   color=colors[k], s=24, edgecolors='black', linewidths=0.5, zorder=3, label=f'class {k}')
    ax.set(xlabel='$x_0$', ylabel='$x_1$', xlim=(x_lo, x_hi), ylim=(y_lo, y_hi))
    if title is not None:
        ax.set_title(title)
    return ax


def _labels(y: Any) -> list[int]:
    labels = []
    for i, t in enumerate(checks.sequence('decision_boundary(y)', y, 'one class label (0, 1, ...) per sample')):
        label = checks.count(f'decision_boundary(y)[{i}], a class label,', t, at_least=0, at_most=None)
        if label >= MAX_CLASSES:
            raise ValueError(f'decision_boundary(y)[{i}] is {label}: class labels are 0, 1, ... (at most '
                             f'{MAX_CLASSES - 1}); give labels, not scores')
        labels.append(label)
    return labels


def layer_outputs(model: Module, X: Sequence[Any]) -> list[tuple[str, list[float]]]:
    """``[(name, every output of that layer for every sample)]`` for each layer whose outputs are activations:
    an activation module (ReLU, Tanh, Sigmoid) or a layer of neurons with a nonlinearity. A model without
    any gives every layer. The batch goes through layer by layer (``layer.batch``), in the model's current
    mode (BatchNorm in training mode uses the batch's statistics), under no_grad()."""
    model = _model('layer_outputs(model, X)', model)
    layers = list(getattr(model, 'layers', [model]))
    outputs: list[Any] = list(checks.sequence('the samples X', X, 'a list of samples'))
    if not outputs:
        raise ValueError('layer_outputs(model, X) got no samples in X: give the samples whose activations to take')
    recorded, every = [], []
    with no_grad():
        for i, layer in enumerate(layers):
            outputs = [_as_list(out) for out in (
                [layer.outputs(x) for x in outputs] if hasattr(layer, 'outputs') else layer.batch(outputs))]
            name = f'layers.{i}' if hasattr(model, 'layers') else type(model).__name__
            kind = _activation_name(layer)
            numbers = [float(getattr(v, 'data', v)) for out in outputs for v in out]
            every.append((f'{name} ({type(layer).__name__})', numbers))
            if kind is not None:
                recorded.append((f'{name} ({kind})', numbers))
    return recorded or every


def _as_list(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _activation_name(layer: Any) -> str | None:
    """'tanh', 'relu'... when the layer's outputs are activations, else None."""
    own = getattr(layer, 'activation', None)
    if isinstance(own, str) and own != 'linear' and not hasattr(layer, 'neurons'):
        return own
    neurons = getattr(layer, 'neurons', None)
    if neurons:
        kinds = {getattr(n, 'activation', 'linear') for n in neurons}
        return None if kinds == {'linear'} else '/'.join(sorted(kinds))
    return None


def _saturation(kind: str, values: list[float]) -> str:
    """', 12% saturated' for tanh (|y| > 0.97) and sigmoid (y < 0.03 or > 0.97); ', 40% zero' for ReLU."""
    if not values:
        return ''
    if 'tanh' in kind:
        return f', {sum(abs(v) > 0.97 for v in values) / len(values):.0%} saturated'
    if 'sigmoid' in kind:
        return f', {sum(v < 0.03 or v > 0.97 for v in values) / len(values):.0%} saturated'
    if 'relu' in kind:
        return f', {sum(v == 0 for v in values) / len(values):.0%} zero'
    return ''


def activation_histograms(model: Module, X: Sequence[Any], *, bins: int | Sequence[float] = 40,
                          layers: Sequence[int] | None = None, axes: Sequence[Any] | None = None,
                          **hist: Any) -> Any:
    """One histogram per hidden layer of the activations ``model`` gives the samples ``X`` (see layer_outputs),
    titled with their mean, spread and how many are saturated (tanh, sigmoid) or zero (ReLU); returns the
    Figure. ``layers`` picks some (indices into those layers, -1 the last); ``axes``, one per layer shown,
    draws into a figure of yours; other keywords go to ``ax.hist`` (``color``, ``histtype``, ``label``...)."""
    shown = _chosen('activation_histograms', layer_outputs(model, X), layers)
    bins = _bins('activation_histograms', bins)
    axes = _row_of_axes('activation_histograms', axes, len(shown))
    for ax, (name, values) in zip(axes, shown):
        ax.hist(values, bins=bins, **hist)
        spread = statistics.pstdev(values) if len(values) > 1 else 0.0
        ax.set_title(f'{name}\nmean {statistics.fmean(values):+.2f}, std {spread:.2f}'
                     f'{_saturation(name, values)}', fontsize=10)
        ax.set_xlabel('activation')
    axes[0].set_ylabel('count')
    return axes[0].figure


def gradient_histograms(model: Module, *, bins: int | Sequence[float] = 40, axes: Sequence[Any] | None = None,
                        **hist: Any) -> Any:
    """One histogram per layer of its parameters' grads (after backward()), titled with their spread and the
    grad-to-data ratio std(grad) / std(data): layers whose gradients are far smaller than the others' learn
    slowly (vanishing), far larger, too fast. Returns the Figure; ``axes`` and ``hist`` as activation_histograms."""
    groups = parameter_groups(_model('gradient_histograms(model)', model), 'layer')
    if not groups:
        raise ValueError(f'{type(model).__name__} has no parameters: there are no grads to draw')
    bins = _bins('gradient_histograms', bins)
    axes = _row_of_axes('gradient_histograms', axes, len(groups))
    for ax, (name, parameters) in zip(axes, groups.items()):
        grads, data = [p.grad for p in parameters], [p.data for p in parameters]
        ax.hist(grads, bins=bins, **hist)
        g, d = (statistics.pstdev(v) if len(v) > 1 else abs(v[0]) for v in (grads, data))
        ratio = f'{g / d:.2g}' if d else 'inf'
        ax.set_title(f'{name or type(model).__name__}\ngrad std {g:.2g}, grad:data {ratio}', fontsize=10)
        ax.set_xlabel('grad')
    axes[0].set_ylabel('count')
    return axes[0].figure


def _chosen(what: str, layers: list[tuple[str, list[float]]], picked: Sequence[int] | None) -> list[Any]:
    if picked is None:
        return layers
    chosen = []
    for index in checks.sequence(f'{what}(layers=...)', picked, 'None or a list of layer indices, like [0, -1]'):
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f'{what}(layers=...) takes layer indices (ints, like [0, -1]), got {checks.shown(index)}')
        if not -len(layers) <= index < len(layers):
            raise IndexError(f'{what}(layers=...) has {index}, but the model has {len(layers)} such layers: '
                             f'{[name for name, _ in layers]}')
        chosen.append(layers[index])
    return chosen


def _bins(what: str, bins: Any) -> int | list[float]:
    """A number of bins, or their edges (numbers in increasing order)."""
    if isinstance(bins, int) and not isinstance(bins, bool):
        return checks.count(f'{what}(bins=...)', bins, at_most=10_000)
    edges = [checks.real(f'{what}(bins=...) at position {i}', b) for i, b in enumerate(
        checks.sequence(f'{what}(bins=...)', bins, 'a number of bins (an int) or their edges (a list of numbers)'))]
    if len(edges) < 2 or any(a >= b for a, b in itertools.pairwise(edges)):
        raise ValueError(f'{what}(bins=...) as edges needs 2 or more numbers in increasing order, got {edges[:6]}')
    return edges


def _row_of_axes(what: str, axes: Sequence[Any] | None, count: int) -> list[Any]:
    """``axes`` checked to be ``count`` matplotlib axes, or a new figure's row of them."""
    if axes is None:
        _, row = _pyplot().subplots(1, count, figsize=(3.2 * count, 3.2), layout='constrained', squeeze=False)
        return list(row[0])
    if hasattr(axes, 'flat'):  # a numpy array of axes, as plt.subplots gives
        given = list(axes.flat)
    else:
        given = list(checks.sequence(f'{what}(axes=...)', axes, 'None or a list of matplotlib axes, one per layer'))
    if len(given) != count:
        raise ValueError(f'{what}(axes=...) got {len(given)} axes for {count} layers: give one per layer')
    return [_axes(what, ax) for ax in given]


def update_ratios(source: Any, model: Module | None = None, ax: Any = None) -> Any:
    """The update-to-data ratio of each layer, ||step|| / ||p|| (log scale, with the 1e-3 rule of thumb).

    ``source`` a History: the ``update:<layer>`` metrics its ``record_update_ratios`` recorded, one line per
    layer over the steps. ``source`` an optimizer (with ``lr`` and ``params``) and its ``model``: one bar per
    layer for the step plain SGD would take now, lr * ||grad|| / ||p|| (the lecture's measure; Adam's own
    steps differ: record them in a History). Returns the axes.
    """
    ax = _axes('update_ratios', ax)
    if hasattr(source, 'metrics') and hasattr(source, 'steps'):
        metrics = [name for name in source.metrics if name.startswith('update:')]
        if not metrics:
            raise ValueError('update_ratios(history): it has no update:<layer> metrics; record them each step with '
                             'history.record_update_ratios(step, model, before), before = model.state_dict() '
                             'taken before optimizer.step()')
        for name in metrics:
            ax.semilogy(source.steps[name], source.values[name], label=name.removeprefix('update:'))
        ax.set_xlabel('step')
    elif hasattr(source, 'lr') and hasattr(source, 'params'):
        groups = parameter_groups(_model('update_ratios(optimizer, model)', model), 'layer')
        names, ratios = [], []
        for name, parameters in groups.items():
            size = math.sqrt(sum(p.data * p.data for p in parameters))
            names.append(name or type(model).__name__)
            ratios.append(source.lr * math.sqrt(sum(p.grad * p.grad for p in parameters)) / size if size else 0.0)
        ax.bar(names, ratios, color='#7570b3')
        ax.set_yscale('log')
        ax.set_xlabel('layer')
    else:
        raise TypeError(f'update_ratios takes a History (with update:<layer> metrics) or an optimizer and its '
                        f'model, got {checks.shown(source)}')
    ax.axhline(HEALTHY_UPDATE_RATIO, color='grey', linestyle=':', label='1e-3, the rule of thumb')
    ax.set_ylabel('update / data, ||step|| / ||p||')
    ax.legend(fontsize=8)
    return ax


# ================================================================ end of the training pictures


# ================================================================ images and sequences: kernels, feature maps, BPTT

def _number(x: Any) -> float:
    return float(x.data) if isinstance(x, Value) else float(x)


def _grid(what: str, image: Any) -> list[list[float]]:
    """A 2-D list of numbers from rows of numbers or Values."""
    rows = checks.sequence(what, image, 'rows of numbers or Values')
    grid = [[_number(v) for v in checks.sequence(f'{what}: row {r}', row, 'a list of numbers or Values')]
            for r, row in enumerate(rows)]
    if not grid or len({len(row) for row in grid}) != 1 or not grid[0]:
        raise ValueError(f'{what} must be rows of the same length (at least one), got lengths '
                         f'{[len(row) for row in grid]}')
    return grid


def _checked_axes(what: str, ax: Any) -> Any:
    if not (hasattr(ax, 'imshow') and hasattr(ax, 'figure')):
        raise TypeError(f'{what} must be a matplotlib Axes (fig, ax = plt.subplots()), got {checks.shown(ax)}')
    return ax


def _axes_row(n: int, axes: Any, size: float) -> list[Any]:
    """n Axes in a row: the ones given (a list of n), or a new figure's, each size inches wide."""
    size = checks.real('size (inches per picture)', size, above=0, at_most=20)
    if axes is None:
        _, made = _pyplot().subplots(1, n, figsize=(size * n, size + 0.4), squeeze=False, layout='constrained')
        return list(made[0])
    axes = list(checks.sequence('axes', axes, f'a list of {n} matplotlib Axes'))
    if len(axes) != n:
        raise ValueError(f'axes must hold {n} matplotlib Axes, one per picture, got {len(axes)}')
    return [_checked_axes(f'axes[{k}]', ax) for k, ax in enumerate(axes)]


COLORS = {'grey': 'gray_r', 'signed': 'RdBu_r', 'heat': 'viridis'}  # what image_grid's colors name


def image_grid(images: Sequence[Any], titles: Sequence[str] | None = None, axes: Any = None,
               colors: str = 'grey', size: float = 1.6) -> list[Any]:
    """Small 2-D images (rows of numbers or Values) side by side, each with its title: digits, kernels,
    feature maps. ``colors``: 'grey' (ink on paper), 'heat' (dark low, yellow high) or 'signed' (the scale
    centred on 0: red +, blue -, for weights)."""
    images = checks.sequence('image_grid(images)', images, 'a list of images (rows of numbers or Values)')
    if not images:
        raise ValueError('image_grid(images) needs at least one image')
    grids = [_grid(f'image_grid(images): image {k}', image) for k, image in enumerate(images)]
    if titles is not None:
        titles = [checks.text('image_grid(titles): a title', title)
                  for title in checks.sequence('image_grid(titles)', titles, 'a list of titles')]
        if len(titles) != len(grids):
            raise ValueError(f'image_grid: {len(grids)} images but {len(titles)} titles')
    colors = checks.choice('image_grid(colors)', colors, COLORS)
    row = _axes_row(len(grids), axes, size)
    for k, (ax, grid) in enumerate(zip(row, grids)):
        extra: dict[str, Any] = {}
        if colors == 'signed':
            reach = max(abs(v) for line in grid for v in line) or 1.0
            extra = {'vmin': -reach, 'vmax': reach}
        ax.imshow(grid, cmap=COLORS[colors], interpolation='nearest', **extra)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    return row


def kernels(conv: Any, axes: Any = None, size: float = 1.6) -> list[Any]:
    """A Conv2d's kernels as small images, one per (output channel, input channel): red weights add the
    pixel under them, blue ones subtract it. Titled with the weights' names (``weight.o.c``)."""
    weight = getattr(conv, 'weight', None)
    if not hasattr(conv, 'kernel_size') or not isinstance(weight, list):
        raise TypeError(f'kernels(conv) takes a Conv2d, got {checks.shown(conv)}')
    images = [plane for kernel in weight for plane in kernel]
    prefix = f'{conv._name}.' if conv._name else ''
    titles = [f'{prefix}weight.{o}.{c}' for o, kernel in enumerate(weight) for c in range(len(kernel))]
    return image_grid(images, titles, axes=axes, colors='signed', size=size)


def feature_maps(maps: Any, axes: Any = None, title: str = 'channel', size: float = 1.6) -> list[Any]:
    """One sample's feature maps ``[channel][row][col]`` (numbers or Values), one image per channel."""
    maps = checks.sequence('feature_maps(maps)', maps, 'feature maps [channel][row][col]')
    title = checks.text('feature_maps(title)', title)
    return image_grid(list(maps), [f'{title} {c}' for c in range(len(maps))], axes=axes, colors='heat', size=size)


def unrolled(norms: Sequence[float], ax: Any = None, label: str = 'h', title: str | None = None) -> Any:
    """An RNN unrolled through time: one box per time step (h_0, h_1, ...) chained left to right, each with a
    bar under it as tall as the gradient norm that reached it, on a log scale: backpropagation through time
    at a glance (bars that shrink to the left: vanishing; that grow: exploding)."""
    norms = [checks.real(f'unrolled(norms): step {t}', n, at_least=0, finite=False)
             for t, n in enumerate(checks.sequence('unrolled(norms)', norms, 'a list of gradient norms'))]
    if not norms:
        raise ValueError('unrolled(norms) needs the norm of at least one time step')
    label = checks.text('unrolled(label)', label)
    title = None if title is None else checks.text('unrolled(title)', title)
    if ax is not None:
        _checked_axes('unrolled(ax)', ax)
    else:
        _, ax = _pyplot().subplots(figsize=(max(4.0, 0.45 * len(norms) + 1.5), 3.2), layout='constrained')
    positive = [n for n in norms if n > 0 and math.isfinite(n)] or [1.0]
    low, high = math.log10(min(positive)), math.log10(max(positive))
    span = max(high - low, 1e-9)
    crowded = len(norms) > 12  # then every box is drawn, and every few steps named and numbered
    every = max(1, round(len(norms) / 8)) if crowded else 1
    for t, n in enumerate(norms):
        height = 0.05 + 0.95 * ((math.log10(n) - low) / span if n > 0 and math.isfinite(n) else 0.0)
        ax.bar(t, -height, width=0.6, bottom=-0.25, color='#d95f02')
        ax.add_patch(_pyplot().Rectangle((t - 0.3, 0.0), 0.6, 0.5, facecolor='#e8f1fa', edgecolor='#3b6ea5'))
        if t and not crowded:
            ax.annotate('', xy=(t - 0.3, 0.25), xytext=(t - 0.7, 0.25), arrowprops={'arrowstyle': '->'})
        if t % every == 0 or t == len(norms) - 1:
            ax.text(t, 0.25, f'{label}{t}', ha='center', va='center', fontsize=8 if not crowded else 7,
                    rotation=0 if not crowded else 90)
            ax.text(t, -1.3, f'{n:.0e}', ha='center', va='top', fontsize=7, rotation=90)
    ax.set_xlim(-0.7, len(norms) - 0.3)
    ax.set_ylim(-1.75, 0.6)
    ax.set_yticks([])
    ax.set_xlabel('time step t (the gradient flows right to left)')
    ax.set_title(title or f'|dL/d{label}_t| reaching each time step (bars: log scale)', fontsize=10)
    for side in ('left', 'right', 'top'):
        ax.spines[side].set_visible(False)
    return ax
