"""A training session: the data, the live network, its training steps, and what the view draws.

Both faces of the playground (the notebook widget and the served page) hold one ``Session``; it knows
nothing of either. The network is this library's ``nn.MLP``: hidden layers of the chosen activation and a
tanh output neuron, trained on labels -1 / +1 with the mean squared error, as TensorFlow Playground does.

Two paths through the network, each for what it is good at:

- a training step runs a program from ``compile_graph``: the loss graph of one batch is built with Values
  and compiled once (the batch's points, targets and the regularisation rate are inputs of the program, so
  one program serves every batch); a step is then a replay on floats, 6 to 10 times faster than building
  the graph and calling backward() (demos/playground_benchmark.py measures it);
- the pictures (the output over the input plane, every hidden neuron's output, the losses) read the weights
  as floats and evaluate the layers column by column in plain Python, building no graph at all.

``explain(name)`` builds the last batch's graph with Values once more, so its chain rule is the engine's.
"""
from __future__ import annotations

import base64
import math
import random
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from .. import checks, data, losses, optim
from ..compile import Program, compile_graph
from ..engine import Value
from ..nn import MLP
from .settings import DEFAULTS, FEATURES, MAX_SAMPLES, REBUILDS, checked, to_address

GRID = 40           # points per side of the input plane where the pictures are evaluated
EXTENT = 2.5        # the built-in datasets lie in [-EXTENT, EXTENT]^2
HISTORY_SHOWN = 300  # the view's loss curves get at most this many points
Column = list[float]


def _squash(name: str) -> Callable[[Column], Column]:
    """An activation applied to a column of floats."""
    if name == 'tanh':
        return lambda z: list(map(math.tanh, z))
    if name == 'relu':
        return lambda z: [v if v > 0 else 0.0 for v in z]
    if name == 'sigmoid':
        return lambda z: [1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in z]
    return lambda z: z


def _points(dataset: str, n_samples: int, noise: float, seed: int) -> tuple[list[list[float]], list[int]]:
    """One of the built-in two-class datasets, placed in [-EXTENT, EXTENT]^2 (a little noise may stray out)."""
    if dataset == 'moons':
        X, y = data.make_moons(n_samples, noise, seed=seed)
        return [[(a - 0.5) * 1.3, (b - 0.25) * 1.3] for a, b in X], y
    if dataset == 'circles':
        X, y = data.make_circles(n_samples, noise, factor=0.5, seed=seed)
        scale = 2.0
    elif dataset == 'xor':
        X, y = data.make_xor(n_samples, noise, seed=seed)
        scale = 1.25
    elif dataset == 'spiral':
        return _spiral(n_samples, noise, seed)
    else:
        X, y = data.make_blobs(n_samples, centers=[[-1.0, -1.0], [1.0, 1.0]], cluster_std=0.25 + noise, seed=seed)
        scale = 1.0
    return [[a * scale, b * scale] for a, b in X], y


def _spiral(n_samples: int, noise: float, seed: int) -> tuple[list[list[float]], list[int]]:
    """Two arms of 1.75 turns each, half a turn apart (TensorFlow Playground's spiral; data.make_spiral's arms
    turn less than a turn, which a two-neuron layer can already separate)."""
    rng = random.Random(seed)
    points, labels = [], []
    for label, offset in ((0, 0.0), (1, math.pi)):
        n = n_samples // 2 + (label < n_samples % 2)
        for i in range(n):
            radius = EXTENT * 0.9 * i / n
            angle = 1.75 * 2 * math.pi * i / n + offset
            points.append([radius * math.sin(angle) + rng.gauss(0, noise),
                           radius * math.cos(angle) + rng.gauss(0, noise)])
            labels.append(label)
    return points, labels


def _own_points(X: Any, y: Any) -> tuple[list[list[float]], list[int]]:
    """Your own points: X a list of [x1, x2], y their labels, 0 / 1 (or -1 / +1, or False / True)."""
    X = checks.sequence('X', X, 'a list of points [x1, x2]')
    y = checks.sequence('y', y, 'a list of labels, 0 or 1')
    if len(X) != len(y):
        raise ValueError(f'X and y must have the same length, got {len(X)} points and {len(y)} labels')
    if not 4 <= len(X) <= MAX_SAMPLES:
        raise ValueError(f'the playground takes 4 to {MAX_SAMPLES:,} points, got {len(X):,}')
    points = []
    for i, point in enumerate(X):
        pair = checks.sequence(f'X[{i}]', point, 'a point [x1, x2]')
        if len(pair) != 2:
            raise ValueError(f'X[{i}] must be a point [x1, x2] (two numbers), got {checks.shown(point)}')
        points.append([checks.real(f'X[{i}]: each coordinate', c) for c in pair])
    labels = []
    for i, label in enumerate(y):
        if label not in (0, 1, -1) or isinstance(label, str):
            raise ValueError(f'y[{i}] must be a label 0 or 1 (or -1 / +1), got {checks.shown(label)}: the playground '
                             'separates two classes')
        labels.append(1 if label == 1 else 0)
    return points, labels


def _extent(points: Sequence[Sequence[float]]) -> tuple[float, float]:
    """A square around your own points, with a margin."""
    low = min(min(p) for p in points)
    high = max(max(p) for p in points)
    margin = 0.1 * (high - low) or 1.0
    return low - margin, high + margin


def _heatmap(values: Column) -> str:
    """A column of outputs in [-1, 1] as signed bytes (-127..127), in base64: 1,600 numbers in 2 kB of JSON.
    Beyond +-1 is shown as +-1; nan (a network that diverged) as 0."""
    if not (math.isfinite(sum(values)) and min(values) >= -1 and max(values) <= 1):  # relu, linear, diverged
        values = [1.0 if v >= 1 else -1.0 if v <= -1 else v if v == v else 0.0 for v in values]
    return base64.b64encode(array('b', [int(v * 127) for v in values]).tobytes()).decode('ascii')


def _weighted_sum(bias: float, weights: list[float], columns: Sequence[Column]) -> Column:
    """bias + sum_i weights[i] * columns[i], point by point: two inputs per pass over the columns, so the
    loops Python runs (and the lists they make) are half as many."""
    z = [bias] * len(columns[0])
    for i in range(0, len(weights) - 1, 2):
        w0, w1 = weights[i], weights[i + 1]
        z = [a + w0 * c0 + w1 * c1 for a, c0, c1 in zip(z, columns[i], columns[i + 1])]
    if len(weights) % 2:
        w = weights[-1]
        z = [a + w * c for a, c in zip(z, columns[-1])]
    return z


def _scaled(column: Column) -> Column:
    """A feature over the plane divided by its largest size, so each fills its picture's colour range."""
    largest = max(map(abs, column)) or 1.0
    return [v / largest for v in column]


def _finite(x: float) -> float | None:
    """A number for JSON: nan and inf (a diverged network) become null, which JSON has and JavaScript reads."""
    return x if math.isfinite(x) else None


class Session:
    """The data, the model and its training, with the settings in ``settings.DEFAULTS``."""

    def __init__(self, X: Any = None, y: Any = None, **settings: Any) -> None:
        self._own: tuple[list[list[float]], list[int]] | None = None
        base = DEFAULTS
        if X is not None or y is not None:
            self._own = _own_points(X, y)
            base = {**DEFAULTS, 'dataset': 'custom'}
        self._settings = checked(settings, base)
        self.generation = 0
        self._build()

    # ---------------------------------------------------------------- settings

    @property
    def settings(self) -> dict[str, Any]:
        """A copy of the settings in force."""
        return {name: list(v) if isinstance(v, list) else v for name, v in self._settings.items()}

    def update(self, **changes: Any) -> bool:
        """Change settings (checked first: on an error nothing changes). Data, architecture or seed: a new
        network from step 0 (returns True); learning rate, optimizer, batch size, regularisation: training
        goes on with them."""
        new = checked(changes, self._settings)
        old, self._settings = self._settings, new
        if new['dataset'] != 'custom':
            self._own = None
        if any(new[name] != old[name] for name in REBUILDS):
            self._build()
            return True
        if new['optimizer'] != old['optimizer']:
            self._optimizer = self._make_optimizer()
        return False

    def reset(self) -> None:
        """A new network, initialised from the seed, and step 0 (the same data)."""
        self._build()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        s = self._settings
        points, labels = self._own or _points(s['dataset'], s['n_samples'], s['noise'], s['seed'])
        X_train, X_test, y_train, y_test = data.train_test_split(points, labels, test_fraction=1 - s['train_fraction'],
                                                                 seed=s['seed'])
        self.extent = (-EXTENT, EXTENT) if self._own is None else _extent(points)
        self.points = {'train': (X_train, y_train), 'test': (X_test, y_test)}
        self._columns = {'train': self._feature_columns(X_train), 'test': self._feature_columns(X_test)}
        self._targets = {'train': [2.0 * t - 1 for t in y_train], 'test': [2.0 * t - 1 for t in y_test]}
        low, high = self.extent
        cell = (high - low) / GRID
        self._grid = [[low + (i + 0.5) * cell, high - (j + 0.5) * cell] for j in range(GRID) for i in range(GRID)]
        self._grid_columns = self._feature_columns(self._grid)
        self._feature_pictures = {name: _heatmap(_scaled([feature(a, b) for a, b in self._grid]))
                                  for name, (feature, _) in FEATURES.items()}
        init = 'he' if s['activation'] == 'relu' else 'xavier'
        self.model = MLP(len(s['features']), s['layers'] + [1], activation=s['activation'], output_activation='tanh',
                         init=init, rng=s['seed'])
        self._parameters = self.model.parameters()
        self._weights = [w for layer in self.model.layers for neuron in layer.neurons for w in neuron.w]
        self._optimizer = self._make_optimizer()
        self._programs: dict[tuple[int, str], Program] = {}
        self._rng = random.Random(s['seed'])
        self._order: list[int] = []
        n_train = len(X_train)
        self._last_batch = list(range(min(s['batch_size'], n_train)))
        self.step_count = 0
        self._history: dict[str, list[Any]] = {'step': [], 'train_loss': [], 'test_loss': []}
        self.generation += 1
        self._record()

    def _feature_columns(self, points: Sequence[Sequence[float]]) -> list[Column]:
        return [[FEATURES[name][0](a, b) for a, b in points] for name in self._settings['features']]

    def _make_optimizer(self) -> optim.SGD | optim.Adam:
        lr, kind = self._settings['learning_rate'], self._settings['optimizer']
        if kind == 'adam':
            return optim.Adam(self._parameters, lr=lr)
        return optim.SGD(self._parameters, lr=lr, momentum=0.9 if kind == 'momentum' else 0.0)

    # ---------------------------------------------------------------- training

    def _loss_graph(self, inputs: Sequence[Sequence[Any]], targets: Sequence[Any], rate: Any) -> Value:
        """The batch's loss, mean (output - target)^2, plus rate times the L1 or L2 norm of the weights."""
        loss = losses.mse([self.model(x) for x in inputs], list(targets))
        regularization = self._settings['regularization']
        if regularization == 'L2':
            loss = loss + rate * losses.l2_penalty(self._weights, 1.0)
        elif regularization == 'L1':
            loss = loss + rate * losses.l1_penalty(self._weights, 1.0)
        return loss

    def _program(self, size: int) -> Program:
        """The compiled step for batches of ``size`` points: inputs are the parameters, then the points'
        features, their targets and the regularisation rate (if any); built once per batch size and regularisation."""
        key = (size, self._settings['regularization'])
        if key not in self._programs:
            inputs = [[Value(0.0) for _ in self._settings['features']] for _ in range(size)]
            targets = [Value(0.0) for _ in range(size)]
            rate = [Value(0.0)] if key[1] != 'none' else []  # an input only where the loss reads it
            loss = self._loss_graph(inputs, targets, rate[0] if rate else 0.0)
            self._programs[key] = compile_graph(loss, self._parameters + [v for x in inputs for v in x] + targets
                                                + rate)
        return self._programs[key]

    def _next_batch(self, size: int) -> list[int]:
        """The next ``size`` training points, in an order shuffled anew each epoch; all of them in a fixed
        order when the batch is the whole training set."""
        n = len(self._targets['train'])
        if size >= n:
            return list(range(n))
        batch: list[int] = []
        while len(batch) < size:
            if not self._order:
                self._order = list(range(n))
                self._rng.shuffle(self._order)
            take = size - len(batch)
            batch += self._order[:take]
            del self._order[:take]
        return batch

    def step(self, n: int = 1) -> None:
        """``n`` training steps, each on one batch: gradients from the compiled program, then the optimizer."""
        n = checks.count('step(n)', n, at_most=1_000_000)
        columns, targets = self._columns['train'], self._targets['train']
        size = min(self._settings['batch_size'], len(targets))
        program = self._program(size)
        parameters, optimizer = self._parameters, self._optimizer
        for _ in range(n):
            batch = self._next_batch(size)
            values = [p.data for p in parameters]
            values += [column[i] for i in batch for column in columns]
            values += [targets[i] for i in batch]
            if self._settings['regularization'] != 'none':
                values.append(self._settings['regularization_rate'])
            _, grads = program(values)
            for p, g in zip(parameters, grads):
                p.grad = g
            optimizer.lr = self._settings['learning_rate']
            optimizer.step()
            self._last_batch = batch
            self.step_count += 1
            self._record()

    # ---------------------------------------------------------------- reading the network as floats

    def _layer_outputs(self, columns: Sequence[Column]) -> list[list[Column]]:
        """Every neuron's output at many points at once, as floats: [layer][neuron][point], from the
        inputs given as feature columns (one list per feature). No graph is built."""
        outputs: list[list[Column]] = []
        last = len(self.model.layers) - 1
        for depth, layer in enumerate(self.model.layers):
            squash = _squash('tanh' if depth == last else self._settings['activation'])
            layer_out = []
            for neuron in layer.neurons:
                z = _weighted_sum(neuron.b.data if neuron.b is not None else 0.0, [w.data for w in neuron.w], columns)
                layer_out.append(squash(z))
            outputs.append(layer_out)
            columns = layer_out
        return outputs

    def _loss_and_accuracy(self, which: str) -> tuple[float, float]:
        outputs = self._layer_outputs(self._columns[which])[-1][0]
        targets = self._targets[which]
        loss = sum((o - t) ** 2 for o, t in zip(outputs, targets)) / len(targets)
        right = sum((o > 0) == (t > 0) for o, t in zip(outputs, targets))
        return loss, right / len(targets)

    def _record(self) -> None:
        self._losses = {which: self._loss_and_accuracy(which) for which in ('train', 'test')}
        self._history['step'].append(self.step_count)
        self._history['train_loss'].append(self._losses['train'][0])
        self._history['test_loss'].append(self._losses['test'][0])

    # ---------------------------------------------------------------- what scripts and the view read

    @property
    def history(self) -> dict[str, list[Any]]:
        """The step of every record and the train and test losses then (mean squared error, no penalty)."""
        return {name: list(values) for name, values in self._history.items()}

    def state(self) -> dict[str, Any]:
        """The settings, the step and the losses and accuracies now: what /api/state serves."""
        return {'step': self.step_count, 'train_loss': self._losses['train'][0],
                'test_loss': self._losses['test'][0], 'train_accuracy': self._losses['train'][1],
                'test_accuracy': self._losses['test'][1], **self.settings,
                'n_train': len(self._targets['train']), 'n_test': len(self._targets['test']),
                'parameters': len(self._parameters),
                'weight_norm': math.sqrt(sum(w.data * w.data for w in self._weights))}

    def parameter(self, name: str) -> Value:
        """The parameter named ``name`` (as in model.named_parameters(): 'layers.0.neurons.3.w.1')."""
        name = checks.text('the parameter name', name)
        found = dict(self.model.named_parameters()).get(name)
        if found is None:
            raise ValueError(f'the network has no parameter {name!r}: names are like layers.0.neurons.0.w.1 (a weight) '
                             'or layers.0.neurons.0.b (a bias), as in model.named_parameters()')
        return found

    def info(self, name: str) -> dict[str, Any]:
        """A parameter's number and its gradient from the last step."""
        p = self.parameter(name)
        return {'target': name, 'value': _finite(p.data), 'grad': _finite(p.grad)}

    def explain(self, name: str) -> str:
        """explain() of a parameter's gradient on the last batch: the engine builds that batch's loss graph
        with Values, runs backward(), and writes the chain rule with the graph's own names and numbers."""
        p = self.parameter(name)
        columns, targets = self._columns['train'], self._targets['train']
        inputs = [[column[i] for column in columns] for i in self._last_batch]
        loss = self._loss_graph(inputs, [targets[i] for i in self._last_batch],
                                self._settings['regularization_rate'])
        loss.label = 'loss'
        self.model.zero_grad()
        loss.backward()
        return p.explain(root=loss)  # the teaching layer's explain(), as `import micrograd_plus` registers it

    def frame(self) -> dict[str, Any]:
        """Everything the view draws, as JSON-ready data (heatmaps as base64 bytes, see _heatmap)."""
        grid_outputs = self._layer_outputs(self._grid_columns)
        network = []
        for layer, outputs in zip(self.model.layers, grid_outputs):
            network.append([{'bias': _finite(n.b.data if n.b else 0.0), 'bias_grad': _finite(n.b.grad if n.b else 0.0),
                             'weights': [_finite(w.data) for w in n.w], 'grads': [_finite(w.grad) for w in n.w],
                             'heatmap': _heatmap(out)} for n, out in zip(layer.neurons, outputs)])
        every = max(1, -(-len(self._history['step']) // HISTORY_SHOWN))
        history = {name: [_finite(v) if isinstance(v, float) else v for v in values[::every]]
                   for name, values in self._history.items()}
        state = self.state()
        return {
            'step': self.step_count, 'generation': self.generation,
            'train_loss': _finite(state['train_loss']), 'test_loss': _finite(state['test_loss']),
            'train_accuracy': state['train_accuracy'], 'test_accuracy': state['test_accuracy'],
            'settings': self.settings, 'address': to_address(self._settings), 'history': history,
            'grid': GRID, 'extent': list(self.extent),
            'features': [{'name': name, 'label': FEATURES[name][1], 'heatmap': self._feature_pictures[name]}
                         for name in self._settings['features']],
            'feature_pictures': self._feature_pictures,
            'network': network,
            'points': {which: [[round(a, 4), round(b, 4), label] for (a, b), label in zip(*pair)]
                       for which, pair in self.points.items()},
        }

