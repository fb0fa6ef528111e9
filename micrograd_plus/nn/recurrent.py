"""Layers for sequences, as PyTorch's for one sequence without the batch dimension: RNN, RNNCell, Embedding.

An RNN applies the same cell at every time step, ``h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh)``, so
``W_hh`` is used once per time step and its gradient adds up over all of them (backpropagation through
time). Every node says its time step in brackets, the part that repeats::

    rnn.weight_hh.3.1   W_hh[3][1]: from hidden unit 1 at t-1 to unit 3 at t
    rnn.z.3[t=5]        unit 3's weighted sum at time step 5: ONE dot node over x_5, h_4 and both biases
    rnn.h.3[t=5]        its activation, h_5[3]

``explain(W_hh weight)`` reads the bracket: "used once per time step, t = 0..11".
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from .. import checks
from ..activations import ACTIVATIONS
from ..data import Seed, random_source
from ..engine import Value, dot
from .module import Module, as_values, check_parameters, tensor

# what users import; the other public names here serve the layer files of this package
__all__ = ['RNN', 'Embedding', 'RNNCell']

NONLINEARITIES = ('tanh', 'relu')


class RNNCell(Module):
    """One step: ``h' = f(W_ih x + b_ih + W_hh h + b_hh)`` with f = tanh or relu: PyTorch's ``nn.RNNCell`` on
    one sample. ``cell(x, h)`` returns h' (a list of ``hidden_size`` Values); h defaults to zeros, as
    PyTorch's. ``t`` (optional) names the time step in the nodes' labels when you write the loop yourself.

    Weights and biases start as PyTorch's: uniform in +-1/sqrt(hidden_size), drawn from ``rng``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = 'tanh',
                 rng: Seed = None) -> None:
        name = type(self).__name__
        self.input_size = checks.count(f'{name}: input_size', input_size, at_most=100_000)
        self.hidden_size = checks.count(f'{name}: hidden_size', hidden_size, at_most=100_000)
        self.nonlinearity = checks.choice(f'{name}: nonlinearity', nonlinearity, NONLINEARITIES)
        bias = checks.flag(f'{name}: bias', bias)
        n, m = self.hidden_size, self.input_size
        check_parameters(f'{name}({m}, {n})', n * (m + n + 2))
        source, bound = random_source(rng), 1.0 / math.sqrt(n)

        def uniform() -> Value:
            return Value(source.uniform(-bound, bound))
        # PyTorch's order of drawing: W_ih, W_hh, b_ih, b_hh (its state_dict order too)
        self.weight_ih = [[uniform() for _ in range(m)] for _ in range(n)]
        self.weight_hh = [[uniform() for _ in range(n)] for _ in range(n)]
        self.bias_ih = [uniform() for _ in range(n)] if bias else None
        self.bias_hh = [uniform() for _ in range(n)] if bias else None

    def __call__(self, x: Any, h: Any = None, t: int | None = None) -> list[Value]:
        if t is not None:
            t = checks.count(f'{self!r}: t, the time step to name,', t, at_least=0, at_most=None)
        return self._step(self._input(x), self._hidden(h), t)

    def _step(self, x: list[Value], h: list[Value], t: int | None) -> list[Value]:
        """h' from x and h (checked lists of Values): unit j's weighted sum is one dot node over
        ``[*W_ih[j], *W_hh[j], b_ih[j], b_hh[j]]`` and ``[*x, *h, 1, 1]``."""
        z_labels, h_labels = self._step_labels(t)
        activate = ACTIVATIONS[self.nonlinearity].apply
        assert activate is not None
        reads = [*x, *h] if self.bias_ih is None else [*x, *h, 1.0, 1.0]
        out = []
        for j in range(self.hidden_size):
            weights = [*self.weight_ih[j], *self.weight_hh[j]]
            if self.bias_ih is not None and self.bias_hh is not None:
                weights += [self.bias_ih[j], self.bias_hh[j]]
            z = dot(weights, reads)
            z.label = z_labels[j]
            y = activate(z)
            y.label = h_labels[j]
            out.append(y)
        return out

    def _step_labels(self, t: int | None) -> tuple[list[str], list[str]]:
        """``<path>.z.<j>[t=<t>]`` and ``<path>.h.<j>[t=<t>]`` (without ``[t=...]`` when t is None)."""
        cache: dict[Any, Any] = self.__dict__.setdefault('_label_cache', {})
        if t not in cache:
            where = '' if t is None else f'[t={t}]'
            prefix = f'{self._name}.' if self._name else ''
            cache[t] = tuple([f'{prefix}{kind}.{j}{where}' for j in range(self.hidden_size)] for kind in 'zh')
        return cache[t]  # type: ignore[no-any-return]

    def _input(self, x: Any) -> list[Value]:
        values = as_values(x)
        if len(values) != self.input_size:
            raise ValueError(f'{self!r} takes an input of {self.input_size} features, got {len(values)}')
        return values

    def _hidden(self, h: Any) -> list[Value]:
        if h is None:
            return [Value(0.0) for _ in range(self.hidden_size)]
        values = as_values(h)
        if len(values) != self.hidden_size:
            raise ValueError(f'{self!r} takes a hidden state of {self.hidden_size} numbers, got {len(values)}')
        return values

    def _torch_copy(self, torch: Any, module: Any, suffix: str = '') -> Any:
        with torch.no_grad():
            getattr(module, 'weight_ih' + suffix).copy_(tensor(torch, _numbers(self.weight_ih)))
            getattr(module, 'weight_hh' + suffix).copy_(tensor(torch, _numbers(self.weight_hh)))
            if self.bias_ih is not None and self.bias_hh is not None:
                getattr(module, 'bias_ih' + suffix).copy_(tensor(torch, _numbers(self.bias_ih)))
                getattr(module, 'bias_hh' + suffix).copy_(tensor(torch, _numbers(self.bias_hh)))
        return module

    def _torch_layers(self, torch: Any) -> list[Any]:
        cell = torch.nn.RNNCell(self.input_size, self.hidden_size, bias=self.bias_ih is not None,
                                nonlinearity=self.nonlinearity, dtype=torch.float64)
        return [self._torch_copy(torch, cell)]

    def _arguments(self) -> str:
        bias = '' if self.bias_ih is not None else ', bias=False'
        nonlinearity = '' if self.nonlinearity == 'tanh' else f", nonlinearity='{self.nonlinearity}'"
        return f'{self.input_size}, {self.hidden_size}{bias}{nonlinearity}'

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self._arguments()})'


class RNN(RNNCell):
    """The cell applied along a sequence: ``rnn(xs, h0)`` with xs ``[time][feature]`` returns
    ``(outputs, h_last)``, the hidden state at every time step ``[time][hidden]`` and the last one, as
    PyTorch's ``nn.RNN`` (one layer) does for one sequence. h0 defaults to zeros.

    The same Values ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` are used at every step; PyTorch
    calls them ``weight_ih_l0``, ... (``to_torch()`` / ``from_torch`` translate)."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = 'tanh', bias: bool = True,
                 rng: Seed = None) -> None:
        super().__init__(input_size, hidden_size, bias=bias, nonlinearity=nonlinearity, rng=rng)

    def __call__(self, xs: Any, h0: Any = None) -> tuple[list[list[Value]], list[Value]]:  # type: ignore[override]
        steps = checks.sequence(f'{self!r}: the sequence', xs, 'a list of time steps [time][feature]')
        if not steps:
            raise ValueError(f'{self!r} needs a sequence of at least one time step, got an empty one')
        h = self._hidden(h0)
        outputs = []
        for t, x in enumerate(steps):
            h = self._step(self._input(x), h, t)
            outputs.append(h)
        return outputs, h

    def _torch_layers(self, torch: Any) -> list[Any]:
        rnn = torch.nn.RNN(self.input_size, self.hidden_size, nonlinearity=self.nonlinearity,
                           bias=self.bias_ih is not None, batch_first=True, dtype=torch.float64)
        return [self._torch_copy(torch, rnn, '_l0')]

    def __repr__(self) -> str:
        bias = '' if self.bias_ih is not None else ', bias=False'
        nonlinearity = '' if self.nonlinearity == 'tanh' else f", nonlinearity='{self.nonlinearity}'"
        return f'RNN({self.input_size}, {self.hidden_size}{nonlinearity}{bias})'


class Embedding(Module):
    """A table of ``num_embeddings`` rows of ``embedding_dim`` trained numbers: ``emb(3)`` is row 3 (the very
    Values of ``emb.weight[3]``, so its gradient lands in that row), ``emb([3, 1])`` the rows 3 and 1:
    PyTorch's ``nn.Embedding``. Rows start as N(0, 1) draws, as PyTorch's, from ``rng``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, rng: Seed = None) -> None:
        self.num_embeddings = checks.count('Embedding: num_embeddings', num_embeddings, at_most=1_000_000)
        self.embedding_dim = checks.count('Embedding: embedding_dim', embedding_dim, at_most=100_000)
        check_parameters(f'Embedding({self.num_embeddings}, {self.embedding_dim})',
                         self.num_embeddings * self.embedding_dim)
        source = random_source(rng)
        self.weight = [[Value(source.gauss(0.0, 1.0)) for _ in range(self.embedding_dim)]
                       for _ in range(self.num_embeddings)]

    def __call__(self, index: Any) -> Any:
        if isinstance(index, Sequence) and not isinstance(index, (str, bytes)):
            return [self._row(i) for i in index]
        return self._row(index)

    def _row(self, index: Any) -> list[Value]:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f'{self!r} takes an index (an int) or a list of them, got {checks.shown(index)}')
        if not 0 <= int(index) < self.num_embeddings:
            raise ValueError(f'{self!r} has rows 0..{self.num_embeddings - 1}, got index {checks.shown(index)}')
        return list(self.weight[int(index)])

    def _torch_layers(self, torch: Any) -> list[Any]:
        embedding = torch.nn.Embedding(self.num_embeddings, self.embedding_dim, dtype=torch.float64)
        with torch.no_grad():
            embedding.weight.copy_(tensor(torch, _numbers(self.weight)))
        return [embedding]

    def __repr__(self) -> str:
        return f'Embedding({self.num_embeddings}, {self.embedding_dim})'


def _numbers(values: Any) -> Any:
    return [_numbers(v) for v in values] if isinstance(values, list) else values.data
