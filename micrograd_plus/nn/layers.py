"""Layers in PyTorch's shape that compose: Linear, ReLU, Tanh, Sigmoid, Sequential, Dropout, BatchNorm,
Residual; and ``grad_norms``, the gradient's size in each part of a model."""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from .. import checks
from ..activations import ACTIVATIONS
from ..data import Seed, random_source
from ..engine import Value, dot
from .conv import feature_maps, map_feature_maps, position_labels
from .micrograd import Layer
from .module import Module, as_inputs, as_values, batch_of, indented, tensor, walk

# what users import; the other public names here serve the layer files of this package
__all__ = ['BatchNorm', 'Dropout', 'Linear', 'ReLU', 'Residual', 'Sequential', 'Sigmoid', 'Tanh', 'grad_norms',
           'parameter_groups']


class Linear(Layer):
    """``z_j = b_j + w_j . x`` for j < nout: a Layer of linear neurons that always returns a list (PyTorch's
    ``nn.Linear``, one neuron per output). Initialised by ``init`` like MLP: 'uniform' (micrograd's U(-1, 1)),
    'xavier' or 'he'; biases start at 0."""

    def __init__(self, nin: int, nout: int, bias: bool = True, init: str = 'uniform', rng: Seed = None) -> None:
        super().__init__(nin, nout, activation='linear', bias=bias, init=init, rng=rng)

    def __call__(self, x: Any) -> list[Value]:
        x = as_values(x)
        if len(x) != len(self.neurons[0].w):
            raise ValueError(f'{self!r} takes {len(self.neurons[0].w)} inputs, got {len(x)}')
        return [n(x) for n in self.neurons]

    def __repr__(self) -> str:
        bias = '' if self.neurons[0].b is not None else ', bias=False'
        return f'Linear({len(self.neurons[0].w)}, {len(self.neurons)}{bias})'


class _Activation(Module):
    """An activation applied to each input; output j is labelled ``<path>.y.<j>``."""

    activation = 'relu'

    def __call__(self, x: Any) -> list[Value]:
        activate = ACTIVATIONS[self.activation].apply
        assert activate is not None  # the activation layers are ReLU, Tanh and Sigmoid
        if x.__class__ is list and x and x[0].__class__ is list:  # feature maps [channel][row][col]
            return self._on_feature_maps(activate, x)
        x = as_inputs(x)
        out = []
        label = self._samples.label
        for v, base in zip(x, self._node_labels('y', len(x))):  # one loop: this runs per sample and layer
            y = activate(v if isinstance(v, Value) else Value(v))
            y.label = label(base)
            out.append(y)
        return out

    def _on_feature_maps(self, activate: Any, x: list[Any]) -> list[Any]:
        maps = feature_maps(f'{self!r}: the input', x)
        return map_feature_maps(activate, maps, position_labels(self, 'y', len(maps), len(maps[0]), len(maps[0][0])))

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [getattr(torch.nn, str(ACTIVATIONS[self.activation].torch_class))()]

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'


class ReLU(_Activation):
    """``max(0, x)`` for each input."""
    activation = 'relu'


class Tanh(_Activation):
    """``tanh(x)`` for each input."""
    activation = 'tanh'


class Sigmoid(_Activation):
    """``1 / (1 + e^-x)`` for each input."""
    activation = 'sigmoid'


class Sequential(Module):
    """Modules applied in order, each to the output of the one before: ``Sequential(Linear(2, 16), ReLU(),
    Linear(16, 1))``. ``model(x)`` runs one sample, ``model.batch(samples)`` a whole batch through each layer
    in turn (needed for BatchNorm in training mode). The layers are ``model.layers`` (also ``model[i]``)."""

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if isinstance(module, type) and issubclass(module, Module):
                raise TypeError(f'Sequential takes modules, got the class {module.__name__} at position {i}: '
                                f'write {module.__name__}(...) with parentheses')
            if not isinstance(module, Module):
                raise TypeError(f'Sequential takes modules (Linear, ReLU(), ...), got {type(module).__name__} '
                                f'{module!r} at position {i}')
        self.layers = list(modules)

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        outputs = list(batch_of(samples))
        with self._one_call():  # each layer's batch() is part of this one call
            for layer in self.layers:
                outputs = layer.batch(outputs)
        return outputs

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [torch.nn.Sequential(*(layer.to_torch() for layer in self.layers))]

    def __repr__(self) -> str:
        lines = [f'  ({i}): {indented(repr(layer))}' for i, layer in enumerate(self.layers)]
        return 'Sequential(\n' + '\n'.join(lines) + '\n)' if lines else 'Sequential()'


class Dropout(Module):
    """Inverted dropout, as PyTorch: in training mode each input is zeroed with probability ``p`` and the
    others are scaled by 1 / (1 - p), so a unit's expected output is what eval mode (the identity) gives.
    The masks come from ``rng`` (an int seed, a ``random.Random``, or None for the global ``random``)."""

    def __init__(self, p: float = 0.5, rng: Seed = None) -> None:
        self.p = checks.real('Dropout(p): p, the probability of zeroing an input,', p, at_least=0, below=1,
                             need='in [0, 1)')
        self._rng = random_source(rng)

    def __call__(self, x: Any) -> list[Value]:
        inputs = as_values(x)
        if not self.training or self.p == 0:
            return inputs
        p, keep, draw = self.p, 1.0 / (1.0 - self.p), self._rng.random
        return self._labelled('y', [v * (0.0 if draw() < p else keep) for v in inputs])

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [torch.nn.Dropout(self.p)]

    def __repr__(self) -> str:
        return f'Dropout(p={self.p})'


class BatchNorm(Module):
    """Batch normalisation (Ioffe & Szegedy) of ``num_features`` inputs, as PyTorch's ``BatchNorm1d``.

    Training mode normalises each feature j over a batch of B samples (``model.batch(samples)``):
    ``y_ij = weight_j (x_ij - mean_j) / sqrt(var_j + eps) + bias_j`` with the batch's mean and biased
    variance, and moves the running statistics towards the batch's:
    ``running = (1 - momentum) running + momentum batch`` (the unbiased variance, sum / (B - 1), for
    ``running_var``; ``momentum=None`` keeps a plain average of all batches). Eval mode uses the running
    statistics, one sample at a time. ``weight`` (1) and ``bias`` (0) are trained; the running statistics
    are buffers: saved and loaded, never seen by an optimizer.
    """

    buffer_names = ('running_mean', 'running_var', 'num_batches_tracked')

    def __init__(self, num_features: int, momentum: float | None = 0.1, eps: float = 1e-5) -> None:
        num_features = checks.count('BatchNorm: num_features', num_features)
        if momentum is not None:
            momentum = checks.real('BatchNorm: momentum', momentum, at_least=0, at_most=1,
                                   need='in [0, 1] or None (a plain average)')
        eps = checks.real('BatchNorm: eps', eps, above=0, need='> 0 (it keeps the division finite)')
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self.weight = [Value(1.0) for _ in range(num_features)]
        self.bias = [Value(0.0) for _ in range(num_features)]
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features
        self.num_batches_tracked = 0

    def __call__(self, x: Any) -> list[Value]:
        if self.training:
            raise ValueError(f'{self!r} normalises over a batch in training mode: pass the whole batch with '
                             'model.batch(samples), or call model.eval() to use the running statistics')
        x = self._checked(x)
        centered = self._labelled('centered', [v - m for v, m in zip(x, self.running_mean)])
        # a negative variance (a file may hold one) gives nan, as PyTorch's sqrt does, not "math domain error"
        stds = [math.sqrt(v + self.eps) if v + self.eps >= 0 else math.nan for v in self.running_var]
        xhat = self._labelled('xhat', [c / s for c, s in zip(centered, stds)])
        return self._labelled('y', [dot([w], [h], b) for w, h, b in zip(self.weight, xhat, self.bias)])

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        if not self.training:
            return super().batch(samples)
        rows = [self._checked(x) for x in batch_of(samples)]
        if len(rows) < 2:
            raise ValueError(f'{self!r} in training mode needs a batch of 2 or more samples to take a variance '
                             f'over, got {len(rows)} (PyTorch refuses it too); use bigger batches, or eval mode')
        with self._one_call():
            columns = [self._normalised(j, [row[j] for row in rows]) for j in range(self.num_features)]
        self.num_batches_tracked += 1
        return [list(row) for row in zip(*columns)]

    def _normalised(self, j: int, column: list[Value]) -> list[Value]:
        """Feature j of every sample, normalised with the batch's statistics; updates the running ones."""
        n = len(column)
        samples = self._samples

        def name(node: Value, kind: str, sample: int | None = None) -> Value:
            """The batch's statistics are one node per feature; centered, xhat and y one per sample."""
            base = self._node_labels(kind, self.num_features)[j]
            if sample is None:
                node.label = base
            else:
                samples.at(sample, n)
                node.label = samples.label(base)
            return node
        total = name(dot(column, [1.0] * n), 'sum')
        mean = name(total / n, 'mean')
        centered = [name(x - mean, 'centered', i) for i, x in enumerate(column)]
        sumsq = name(dot(centered, centered), 'sumsq')
        var = name(sumsq / n, 'var')
        std = name(name(var + self.eps, 'var_eps').sqrt(), 'std')
        weight, bias = self.weight[j], self.bias[j]
        out = [name(dot([weight], [name(c / std, 'xhat', i)], bias), 'y', i) for i, c in enumerate(centered)]
        factor = 1.0 / (self.num_batches_tracked + 1) if self.momentum is None else self.momentum
        self.running_mean[j] = factor * mean.data + (1 - factor) * self.running_mean[j]
        self.running_var[j] = factor * (sumsq.data / (n - 1)) + (1 - factor) * self.running_var[j]
        return out

    def _checked(self, x: Any) -> list[Value]:
        features = as_values(x)
        if len(features) != self.num_features:
            raise ValueError(f'{self!r} takes {self.num_features} features, got {len(features)}')
        return features

    def _torch_layers(self, torch: Any) -> list[Any]:
        module = torch.nn.BatchNorm1d(self.num_features, eps=self.eps, momentum=self.momentum, dtype=torch.float64)
        with torch.no_grad():
            module.weight.copy_(tensor(torch, [w.data for w in self.weight]))
            module.bias.copy_(tensor(torch, [b.data for b in self.bias]))
            module.running_mean.copy_(tensor(torch, self.running_mean))
            module.running_var.copy_(tensor(torch, self.running_var))
            module.num_batches_tracked.fill_(self.num_batches_tracked)
        return [module]

    def __repr__(self) -> str:
        momentum = '' if self.momentum == 0.1 else f', momentum={self.momentum}'
        eps = '' if self.eps == 1e-5 else f', eps={self.eps}'
        return f'BatchNorm({self.num_features}{momentum}{eps})'


class Residual(Module):
    """``y = x + module(x)``, elementwise: a skip connection (He et al.). The sum passes its gradient to x
    unchanged, dL/dx = dL/dy (1 + dmodule/dx), so a deep stack of these keeps its gradients alive."""

    def __init__(self, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f'Residual wraps a module (Residual(Linear(4, 4))), got {type(module).__name__}')
        self.module = module

    def __call__(self, x: Any) -> list[Value]:
        x = as_values(x)
        return self._added(x, self.module(x))

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        inputs = [as_values(x) for x in batch_of(samples)]
        with self._one_call() as calls:
            outputs = []
            for i, (x, fx) in enumerate(zip(inputs, self.module.batch(inputs))):
                calls.at(i, len(inputs))
                outputs.append(self._added(x, fx))
            return outputs

    def _added(self, x: list[Value], fx: Any) -> list[Value]:
        fx = as_inputs(fx)
        if len(fx) != len(x):
            raise ValueError(f'Residual adds x and module(x), which need the same size, but {self.module!r} '
                             f'turned {len(x)} inputs into {len(fx)} outputs; give the module as many outputs '
                             'as inputs')
        return self._labelled('y', [a + b for a, b in zip(x, fx)])

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [torch_residual_class(torch)(self.module.to_torch())]

    def __repr__(self) -> str:
        return f'Residual({indented(repr(self.module))})'


# ---------------------------------------------------------------- gradients by layer

def grad_norms(model: Module, by: str = 'layer') -> dict[str, float]:
    """The L2 norm sqrt(sum grad^2) of the gradients in each part of ``model``, by dotted name: the numbers
    to watch for vanishing gradients (norms shrinking layer by layer towards the input) and exploding ones.
    Reads ``.grad`` only.

    ``by='layer'``: one norm per layer. A layer is a ``Layer`` of an MLP (``layers.0``, ``layers.1``, ...),
    a ``Linear`` or ``BatchNorm`` of a Sequential (``layers.0``, ``layers.2``: activations have no
    parameters and no entry), or any other module holding parameters itself (a lone Neuron, a custom
    module's own Values; the model itself is named ``''``). ``by='neuron'``: one norm per module holding
    parameters itself (``layers.0.neurons.3``, a BatchNorm). ``by='parameter'``: |grad| of each parameter.
    """
    if not isinstance(model, Module):
        raise TypeError(f'grad_norms(model) takes a model (a Module), got {checks.shown(model)}')
    checks.choice('grad_norms: by', by, ('layer', 'neuron', 'parameter'))
    squares: dict[str, float] = {}
    for group, p in _grouped_parameters(model, '', None, by, {id(model)}):
        squares[group] = squares.get(group, 0.0) + p.grad * p.grad
    return {group: math.sqrt(total) for group, total in squares.items()}


def parameter_groups(model: Module, by: str = 'layer') -> dict[str, list[Value]]:
    """The parameters of each part of ``model`` by dotted name, grouped as grad_norms groups them (``by``:
    'layer', 'neuron' or 'parameter'): what a per-layer picture (plots.gradient_histograms) is made of."""
    if not isinstance(model, Module):
        raise TypeError(f'parameter_groups(model) takes a model (a Module), got {checks.shown(model)}')
    checks.choice('parameter_groups: by', by, ('layer', 'neuron', 'parameter'))
    groups: dict[str, list[Value]] = {}
    for group, p in _grouped_parameters(model, '', None, by, {id(model)}):
        groups.setdefault(group, []).append(p)
    return groups


def _grouped_parameters(module: Module, path: str, layer: str | None, by: str,
                        seen: set[int]) -> Iterator[tuple[str, Value]]:
    """(group name, parameter) for every parameter inside ``module``, grouped as grad_norms' ``by`` says."""
    if layer is None and isinstance(module, (Layer, BatchNorm)):
        layer = path
    for name, item in walk(module, path, descend=False):
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Module):
            yield from _grouped_parameters(item, name, layer, by, seen)
        elif by == 'parameter':
            yield name, item
        else:
            yield (layer if by == 'layer' and layer is not None else path), item


# ---------------------------------------------------------------- PyTorch, both ways

_torch_residual: Any = None  # torch.nn.Module subclass, made the first time a Residual goes to PyTorch


def torch_residual_class(torch: Any) -> Any:
    global _torch_residual
    if _torch_residual is None:
        class Residual(torch.nn.Module):
            """x + module(x): micrograd_plus's Residual in PyTorch, with its size check."""

            def __init__(self, module: Any) -> None:
                super().__init__()
                self.module = module

            def forward(self, x: Any) -> Any:
                fx = self.module(x)
                if fx.shape != x.shape:
                    raise ValueError(f'Residual adds x and module(x), which need the same shape; got '
                                     f'{tuple(x.shape)} and {tuple(fx.shape)}')
                return x + fx
        _torch_residual = Residual
    return _torch_residual

