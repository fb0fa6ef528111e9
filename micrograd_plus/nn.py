"""Neurons, layers and MLPs on the engine, compatible with karpathy/micrograd and the lecture.

``Neuron(nin)`` / ``Layer(nin, nout)`` / ``MLP(nin, nouts)`` build, call and repr exactly as micrograd's
(ReLU hidden layers, a linear last layer, ``parameters()`` in the same order, the same weights from the
same ``random.seed``). On top: a choice of activation and initialisation, dotted parameter names that
also label the weights in graph drawings, ``state_dict()``, and saving to JSON that round-trips exactly.

Speed: a neuron's weighted sum is one ``dot`` node instead of 2n ``*``/``+`` nodes.
"""
from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from . import saving
from .data import Seed, random_source
from .engine import Value, dot
from .saving import ParameterFileError

ACTIVATIONS = ('relu', 'tanh', 'sigmoid', 'linear')
INITS = ('uniform', 'xavier', 'he')
_ACTIVATE = {'relu': Value.relu, 'tanh': Value.tanh, 'sigmoid': Value.sigmoid, 'linear': None}
_REPR_NAME = {'relu': 'ReLU', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid', 'linear': 'Linear'}


class Module:
    """Anything with parameters. Values, Modules, and lists of them held in attributes are found
    automatically, in attribute order, so a subclass only needs ``__init__`` and ``__call__``."""

    def named_parameters(self, prefix: str = '') -> Iterator[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs, e.g. ``('layers.0.neurons.3.w.1', Value(...))``."""
        for name, attribute in vars(self).items():
            if name.startswith('_'):
                continue
            items = enumerate(attribute) if isinstance(attribute, (list, tuple)) else ((None, attribute),)
            for index, item in items:
                path = f'{prefix}{name}' if index is None else f'{prefix}{name}.{index}'
                if isinstance(item, Value):
                    yield path, item
                elif isinstance(item, Module):
                    yield from item.named_parameters(path + '.')

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def label_parameters(self) -> None:
        """Set each parameter's ``label`` to its dotted name, so graph drawings say which weight is which."""
        for name, p in self.named_parameters():
            p.label = name

    # ------------------------------------------------------------ state

    def state_dict(self) -> dict[str, float]:
        """Parameter values by dotted name, in ``parameters()`` order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from ``state``. Everything is checked first: on any mismatch a
        ValueError says what is wrong and no parameter has changed."""
        values = saving.checked_values([name for name, _ in self.named_parameters()], state)
        for (_, p), value in zip(self.named_parameters(), values):
            p.data = value

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to a JSON file, atomically: the file is either the old one or the new one."""
        saving.write_atomically(pathlib.Path(path), saving.document(repr(self), self.state_dict()))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read parameters written by ``save``. A corrupt or mismatched file raises ParameterFileError
        and leaves the model untouched."""
        path = pathlib.Path(path)
        state = saving.read_parameter_file(path)
        try:
            self.load_state_dict(state['parameters'])
        except ValueError as error:
            raise ParameterFileError(f"{path} does not fit this model ({saving.shortened(repr(self))}); it was "
                                     f"saved from {saving.shortened(state['model'])}. {error}") from None


# ---------------------------------------------------------------- the network

def _check_activation(activation: str) -> str:
    if activation not in _ACTIVATE:
        raise ValueError(f'activation must be one of {", ".join(map(repr, ACTIVATIONS))}, got {activation!r}')
    return activation


def _initial_weight(init: str, rng: Any, nin: int, nout: int) -> float:
    if init == 'uniform':  # micrograd's
        return float(rng.uniform(-1, 1))
    if init == 'xavier':  # Glorot & Bengio: keeps the variance of activations and gradients for tanh
        limit = math.sqrt(6.0 / (nin + nout))
        return float(rng.uniform(-limit, limit))
    if init == 'he':  # He et al.: variance 2/nin suits ReLU, which zeroes half its inputs
        return float(rng.gauss(0.0, math.sqrt(2.0 / nin)))
    raise ValueError(f'init must be one of {", ".join(map(repr, INITS))}, got {init!r}')


def _as_inputs(x: Any) -> Sequence[Any]:
    """A layer's input as a sequence: a single Value or number counts as one input."""
    return [x] if isinstance(x, (Value, int, float)) else x


def _as_values(x: Any) -> list[Value]:
    """Inputs as Values, made once per layer call: otherwise every neuron would wrap the same numbers
    again (16 neurons reading 2 numbers would add 32 leaves to the graph instead of 2)."""
    return [v if isinstance(v, Value) else Value(v) for v in _as_inputs(x)]


class Neuron(Module):
    """``activation(b + w . x)``. ``nonlin=True`` is micrograd's ReLU neuron, ``nonlin=False`` its linear one;
    ``activation`` ('relu', 'tanh', 'sigmoid', 'linear') overrides it. Weights are drawn from ``rng``
    (an int seed, a ``random.Random``, or None for the global ``random``, like micrograd)."""

    def __init__(self, nin: int, nonlin: bool = True, *, activation: str | None = None, init: str = 'uniform',
                 rng: Seed = None, fan_out: int = 1) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f'a neuron needs nin >= 1 inputs, got {nin!r}')
        source = random_source(rng)
        self.w = [Value(_initial_weight(init, source, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = _check_activation(activation if activation is not None else
                                            'relu' if nonlin else 'linear')
        self.nonlin = self.activation != 'linear'
        self.label_parameters()

    def __call__(self, x: Any) -> Value:
        x = _as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f'{self!r} takes {len(self.w)} inputs, got {len(x)}')
        activate = _ACTIVATE[self.activation]
        act = dot(self.w, x, self.b)
        return activate(act) if activate is not None else act

    def __repr__(self) -> str:
        return f'{_REPR_NAME[self.activation]}Neuron({len(self.w)})'


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a single Value when ``nout == 1`` (micrograd's API)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f'a layer needs nout >= 1 neurons, got {nout!r}')
        kwargs['rng'] = random_source(kwargs.get('rng'))  # one generator for all neurons: distinct weights
        kwargs.setdefault('fan_out', nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]
        self.label_parameters()

    def outputs(self, x: Any) -> list[Value]:
        """Every neuron's output as a list, even for one neuron."""
        x = _as_values(x)
        return [n(x) for n in self.neurons]

    def __call__(self, x: Any) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs. micrograd's network by default (ReLU hidden layers,
    linear output); the lecture's is ``MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')``."""

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = 'relu',
                 output_activation: str = 'linear', init: str = 'uniform', rng: Seed = None) -> None:
        if not nouts:
            raise ValueError('an MLP needs at least one layer size in nouts, e.g. MLP(2, [16, 16, 1])')
        source = random_source(rng)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], activation=output_activation if i == last else activation,
                             init=init, rng=source) for i in range(len(nouts))]
        self.label_parameters()

    def __call__(self, x: Any) -> Value | list[Value]:
        # Layer.outputs (a list even for one neuron) lets a one-neuron hidden layer feed the next layer
        for layer in self.layers:
            x = layer.outputs(x)
        outputs: list[Value] = x
        return outputs[0] if len(outputs) == 1 else outputs

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
