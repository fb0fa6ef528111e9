"""Beside an ordinary training loop: ``History`` (metrics, their best, a plot) and ``EarlyStopping``.

    history, stopper = History(), EarlyStopping(patience=10)
    for epoch in range(200):
        for xb, yb in batches(X_train, y_train, 16, seed=epoch):
            ...                                     # forward, loss, zero_grad, backward, step
        history.record(epoch, loss=loss, val_loss=val_loss)
        if stopper.step(val_loss, model):           # True: stop; the model has its best weights back
            break
    history.best('val_loss')                        # Best(step=41, value=0.21)
    history.plot()                                  # needs matplotlib

Neither runs the loop: every line of it stays the lecture's, in view.
"""
from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from . import checks
from .checks import as_number
from .engine import Value, dot
from .nn import Module
from .nn.layers import parameter_groups


def _number(what: str, value: Any) -> float:
    """A metric as a float: a Value's data, or a real number (nan and inf too: a diverged loss is recorded)."""
    if isinstance(value, Value):
        return float(value.data)
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        return as_number(value)  # a huge int is inf, as float() cannot say
    raise TypeError(f'{what} must be a number or a Value, got {checks.shown(value)}')


def _model(what: str, model: Any) -> Module:
    if not isinstance(model, Module):
        raise TypeError(f'{what} takes the model (a Module), got {checks.shown(model)}')
    return model


class Best(NamedTuple):
    step: float
    value: float


class History:
    """Metrics recorded during training, each with the step (or epoch) it was recorded at.

    ``history.record(epoch, loss=..., val_loss=...)`` once per step or epoch (metrics may come at different
    rates: loss every step, val_loss every epoch); ``history['loss']`` is the list of values,
    ``history.steps['loss']`` their steps; ``best()`` and ``plot()``.
    """

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}
        self.steps: dict[str, list[float]] = {}
        self.records = 0

    def record(self, step: float | None = None, **metrics: Any) -> None:
        """Add a value (a number or a Value) of each metric given, at ``step``: an epoch or step number,
        by default the count of earlier records (0, 1, 2, ...)."""
        if not metrics:
            raise ValueError('record() takes metrics by name, e.g. history.record(epoch, loss=loss.data)')
        if step is not None:
            _number('record(step): the step', step)  # checked, and kept as given: epoch 3 stays 3, not 3.0
        at = self.records if step is None else step
        numbers_ = {name: _number(f'metric {name!r}', value) for name, value in metrics.items()}
        for name, number in numbers_.items():
            self.values.setdefault(name, []).append(number)
            self.steps.setdefault(name, []).append(at)
        self.records += 1

    @property
    def metrics(self) -> list[str]:
        return list(self.values)

    def __getitem__(self, metric: str) -> list[float]:
        return self.values[self._known(metric)]

    def __contains__(self, metric: object) -> bool:
        return metric in self.values

    def __len__(self) -> int:
        return self.records

    def _known(self, metric: str) -> str:
        checks.text('a metric name', metric)
        if metric not in self.values:
            recorded = ', '.join(map(repr, self.values)) or 'nothing yet'
            raise KeyError(f'no metric {metric!r} was recorded; recorded: {recorded}')
        return metric

    def best(self, metric: str, mode: str = 'auto') -> Best:
        """The best value of ``metric`` and its step (the first, on a tie; nan is skipped). ``mode``: 'min',
        'max', or 'auto': 'max' for metrics named like accuracy (the name contains 'acc'), else 'min'."""
        metric = self._known(metric)
        if checks.choice('best(): mode', mode, ('min', 'max', 'auto')) == 'auto':
            mode = 'max' if 'acc' in metric.lower() else 'min'
        sign = 1.0 if mode == 'min' else -1.0
        pairs = [(step, value) for step, value in zip(self.steps[self._known(metric)], self.values[metric])
                 if not math.isnan(value)]
        if not pairs:
            raise ValueError(f'every value of {metric!r} is nan: there is no best')
        return Best(*min(pairs, key=lambda pair: sign * pair[1]))

    def record_update_ratios(self, step: float | None, model: Module, before: Mapping[str, float]) -> None:
        """Record, for each layer, ``update:<layer>`` = ||p - p_before|| / ||p|| over its parameters: the
        update-to-data ratio of the step just taken (``before = model.state_dict()`` before
        ``optimizer.step()``). Around 1e-3 is the usual rule of thumb; plots.update_ratios draws them."""
        self.record(step, **{f'update:{name}': ratio for name, ratio in update_ratios(model, before).items()})

    def plot(self, *metrics: str, ax: Any = None, xlabel: str = 'step', logy: bool = False,
             labels: Mapping[str, str] | Sequence[str] | None = None) -> Any:
        """Each metric (all by default) against its steps, on ``ax`` or a new figure's axes, which it returns.
        ``labels`` names the lines in the legend: a dict metric -> label, or one label per metric plotted
        (the metric's own name where none is given). Needs matplotlib (``pip install matplotlib``)."""
        names = [self._known(m) for m in metrics] or self.metrics
        if not names:
            raise ValueError('nothing to plot: record() some metrics first')
        xlabel, logy = checks.text('plot(xlabel=...)', xlabel), checks.flag('plot(logy=...)', logy)
        shown = _line_labels(names, labels)
        if ax is not None and not all(hasattr(ax, m) for m in ('plot', 'set_xlabel', 'set_yscale', 'legend')):
            raise TypeError(f'plot(ax=...) takes matplotlib axes (fig, ax = plt.subplots()), or None for new ones, '
                            f'got {checks.shown(ax)}')
        if ax is None:
            try:
                pyplot = importlib.import_module('matplotlib.pyplot')
            except ImportError:
                raise ModuleNotFoundError('History.plot() needs matplotlib, which micrograd_plus does not '
                                          'install: pip install matplotlib') from None
            _, ax = pyplot.subplots()
        for name in names:
            ax.plot(self.steps[name], self.values[name], label=shown[name])
        ax.set_xlabel(xlabel)
        if logy:
            ax.set_yscale('log')
        ax.legend()
        return ax

    def __repr__(self) -> str:
        parts = [f'{name}: {len(values)} values, last {values[-1]:.6g}' for name, values in self.values.items()]
        return f"History({'; '.join(parts)})"


def _line_labels(names: list[str], labels: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """{metric: its legend label} from History.plot's ``labels``."""
    if labels is None:
        return {name: name for name in names}
    if isinstance(labels, Mapping):
        unknown = [key for key in labels if key not in names]
        if unknown:
            raise KeyError(f'plot(labels=...) names {unknown}, which are not plotted; plotted: {names}')
        return {name: checks.text(f'plot(labels=...) for {name!r}', labels.get(name, name)) for name in names}
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f'plot(labels=...) takes a dict metric -> label or a list of labels, one per metric, '
                        f'got {checks.shown(labels)}')
    if len(labels) != len(names):
        raise ValueError(f'plot(labels=...) has {len(labels)} labels for {len(names)} metrics ({names}): '
                         'give one per metric, or a dict')
    return {name: checks.text(f'plot(labels=...) at position {i}', label)
            for i, (name, label) in enumerate(zip(names, labels))}


def update_ratios(model: Module, before: Mapping[str, float]) -> dict[str, float]:
    """``{layer: ||p - p_before|| / ||p||}``, over each layer's parameters (grouped as grad_norms groups
    them), for ``before = model.state_dict()`` taken before the step: how big the step was next to the
    weights it changed. Much above 1e-3 the layer is learning fast (maybe too fast); far below, barely."""
    model = _model('update_ratios(model)', model)
    if not isinstance(before, Mapping):
        raise TypeError(f'update_ratios(model, before) takes before = model.state_dict() (a dict of numbers by '
                        f'parameter name) taken before optimizer.step(), got {checks.shown(before)}')
    names = {id(p): name for name, p in model.named_parameters()}
    ratios = {}
    for layer, parameters in parameter_groups(model, 'layer').items():
        missing = [names[id(p)] for p in parameters if names[id(p)] not in before]
        if missing:
            raise KeyError(f'update_ratios(model, before): before has no {missing[0]!r}; take '
                           'before = model.state_dict() just before optimizer.step()')
        old = [_number(f'update_ratios: before[{names[id(p)]!r}]', before[names[id(p)]]) for p in parameters]
        step = math.sqrt(sum((p.data - b) ** 2 for p, b in zip(parameters, old)))
        size = math.sqrt(sum(p.data * p.data for p in parameters))
        ratios[layer] = step / size if size else math.inf if step else 0.0
    return ratios


class EarlyStopping:
    """Stop when a validation metric has stopped improving, and give the model back its best weights.

        if stopper.step(val_loss, model):
            break

    A value improves when it is below best - ``min_delta`` (``mode='max'``: above best + ``min_delta``);
    nan never improves. ``step`` returns True once ``patience`` values in a row have not improved; with
    ``restore_best`` the model then has the ``state_dict()`` (weights and buffers) it had at the best
    value. ``restore(model)`` does that at any time, e.g. when the loop ran out first.
    """

    def __init__(self, patience: int, min_delta: float = 0.0, restore_best: bool = True, mode: str = 'min') -> None:
        patience = checks.count('EarlyStopping: patience, how many values without improvement to wait,', patience,
                                at_most=None)
        min_delta = checks.real('EarlyStopping: min_delta', min_delta, at_least=0)
        restore_best = checks.flag('EarlyStopping: restore_best', restore_best)
        checks.choice("EarlyStopping: mode ('min' for a loss, 'max' for an accuracy)", mode, ('min', 'max'))
        self.patience, self.min_delta, self.restore_best, self.mode = patience, min_delta, restore_best, mode
        self.best = math.inf if mode == 'min' else -math.inf
        self.best_step: int | None = None
        self.best_state: dict[str, float] | None = None
        self.wait = 0  # values since the last improvement
        self.steps = 0
        self.stopped = False

    def improves(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than min_delta."""
        value = _number('EarlyStopping.improves(value)', value)
        if self.mode == 'min':
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: Any, model: Module | None = None) -> bool:
        """Take the latest validation value; True when training should stop (the best weights restored)."""
        number = _number('EarlyStopping.step(value)', value)
        if self.restore_best and not isinstance(model, Module):
            raise TypeError('EarlyStopping.step(value, model) needs the model to keep and restore its best '
                            f'weights, got {type(model).__name__}; or make it with restore_best=False')
        if self.improves(number):
            self.best, self.best_step, self.wait = number, self.steps, 0
            if self.restore_best and model is not None:
                self.best_state = model.state_dict()
        else:
            self.wait += 1
        self.steps += 1
        self.stopped = self.wait >= self.patience
        if self.stopped and self.restore_best and model is not None:
            self.restore(model)
        return self.stopped

    def restore(self, model: Module) -> None:
        """Load the weights (and buffers) the model had at the best value; nothing if none was seen yet."""
        _model('EarlyStopping.restore(model)', model)
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def __repr__(self) -> str:
        return (f'EarlyStopping(patience={self.patience}, best={self.best!r} at step {self.best_step}, '
                f'wait={self.wait}{", stopped" if self.stopped else ""})')


# ---------------------------------------------------------------- one graph, compiled once, every batch

class CompiledStep:
    """A classifier's training step built once and replayed: ``step(samples, labels)`` sets every
    parameter's ``.grad`` to d(mean cross-entropy)/d(parameter) on that batch and returns the loss.

    Every batch of the same size and sample shape builds the same graph; only the numbers differ. So the
    graph is built once on leaves (the samples' numbers and the labels as one-hot rows, so that picking the
    right class is arithmetic, not a Python choice), compiled with ``compile_graph``, and each call is
    ``program(values)``: the same gradients as ``loss.backward()`` (to rounding), without building a graph.
    ``example`` is one sample (its shape is what counts), ``classes`` the number of scores. A model that gives a
    list of score lists per sample (one per time step: a language model) takes a list of labels per sample,
    and the loss is the mean over every time step of the batch.

    The model's graph must not depend on its input beyond the ops: a max-pool, relu and the like are
    evaluated anew on each call, but Dropout's masks (training mode) or BatchNorm's batch statistics
    would be frozen, so they are refused.
    """

    def __init__(self, model: Module, example: Any, classes: int, batch_size: int) -> None:
        from .compile import compile_graph  # loaded on first use, as the package does
        from .losses import log_softmax
        self.model = _model('CompiledStep(model)', model)
        self.classes = checks.count('CompiledStep: classes', classes, at_least=2)
        self.batch_size = checks.count('CompiledStep: batch_size', batch_size, at_most=100_000)
        frozen = [type(m).__name__ for m in model.modules() if m.training and type(m).__name__ in _DATA_DEPENDENT]
        if frozen:
            raise ValueError(f'CompiledStep would freeze what {frozen[0]} draws or measures per batch: call '
                             'model.eval() first, or train this model with loss.backward()')
        self.shape = _shape_of(example)
        self.parameters = model.parameters()
        samples = [_leaves_like(example) for _ in range(self.batch_size)]
        outputs = [model(sample) for sample in samples]
        self.steps = len(outputs[0]) if outputs[0] and isinstance(outputs[0][0], list) else 0  # 0: one label
        onehots = [[Value(0.0) for _ in range(self.classes)] for _ in range(self.batch_size * max(1, self.steps))]
        scores = [s for out in outputs for s in (out if self.steps else [out])]
        if len(scores) != len(onehots) or not all(isinstance(s, list) and len(s) == self.classes for s in scores):
            raise ValueError(f'CompiledStep: the model gives {checks.shown(outputs[0])} for a sample, not a list of '
                             f'{self.classes} scores (or one such list per time step)')
        terms = [dot(onehot, log_softmax(s)) for onehot, s in zip(onehots, scores)]
        loss = dot(terms, [-1.0 / len(terms)] * len(terms))
        inputs = [v for sample in samples for v in _cells(sample)] + [v for row in onehots for v in row]
        self.program = compile_graph(loss, self.parameters + inputs)

    def __call__(self, samples: Any, labels: Any) -> float:
        samples = checks.sequence('CompiledStep(samples)', samples, 'a list of samples')
        labels = checks.sequence('CompiledStep(labels)', labels, 'a list of class numbers')
        if len(samples) != self.batch_size or len(labels) != self.batch_size:
            raise ValueError(f'this step was compiled for batches of {self.batch_size}, got {len(samples)} samples '
                             f'and {len(labels)} labels: drop the last, smaller batch (batches(drop_last=True))')
        values = [p.data for p in self.parameters]
        for sample in samples:
            if _shape_of(sample) != self.shape:
                raise ValueError(f'this step was compiled for samples shaped like its example, '
                                 f'{_shown_shape(self.shape)}, got one shaped {_shown_shape(_shape_of(sample))}')
            values += _flat(sample)
        for label in labels:
            if self.steps:
                label = checks.sequence('CompiledStep(labels): a sample\'s labels', label, 'a list of class numbers')
                if len(label) != self.steps:
                    raise ValueError(f'this step was compiled for {self.steps} labels per sample (one per time '
                                     f'step), got {len(label)}')
            for k in (label if self.steps else [label]):
                k = checks.count('CompiledStep(labels): a label', k, at_least=0, at_most=self.classes - 1)
                values += [1.0 if j == k else 0.0 for j in range(self.classes)]
        loss, grads = self.program(values)
        for p, g in zip(self.parameters, grads):
            p.grad = g
        return loss


_DATA_DEPENDENT = ('Dropout', 'BatchNorm')


def _shape_of(sample: Any) -> tuple[Any, ...]:
    if isinstance(sample, (list, tuple)):
        return (len(sample), *(_shape_of(item) for item in sample))
    return ()


def _shown_shape(shape: tuple[Any, ...]) -> str:
    """(1, (8, ...), ...) -> '[1][8][8]' for a box; a ragged shape as its nesting."""
    text = ''
    while shape:
        text += f'[{shape[0]}]'
        inner = set(shape[1:])
        if len(inner) != 1:
            return text + ('' if not inner else '[ragged]')
        shape = inner.pop()
    return text or 'a number'


def _cells(sample: Any) -> list[Any]:
    """The numbers (or Values) of a nested sample, in order."""
    if isinstance(sample, (list, tuple)):
        return [v for item in sample for v in _cells(item)]
    return [sample]


def _flat(sample: Any) -> list[Any]:
    return [v.data if isinstance(v, Value) else v for v in _cells(sample)]


def _leaves_like(sample: Any) -> Any:
    if isinstance(sample, (list, tuple)):
        return [_leaves_like(item) for item in sample]
    return Value(0.0)
