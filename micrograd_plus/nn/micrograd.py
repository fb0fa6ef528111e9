"""micrograd's network: ``Neuron(nin)``, ``Layer(nin, nout)`` and ``MLP(nin, nouts)``.

They build, call and repr exactly as micrograd's (ReLU hidden layers, a linear last layer, ``parameters()``
in the same order, the same weights from the same ``random.seed``). A neuron's weighted sum is one ``dot``
node instead of 2n ``*``/``+`` nodes.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

from .. import checks
from ..activations import ACTIVATIONS as REGISTRY
from ..activations import NAMES as ACTIVATIONS
from ..data import Seed, random_source
from ..engine import Value, dot
from .module import Module, as_inputs, as_values, check_parameters, dotted, tensor
from .samples import SampleLabel

# what users import; the other public names here serve the layer files of this package
__all__ = ['ACTIVATIONS', 'INITS', 'MLP', 'Layer', 'Neuron']

INITS = ('uniform', 'xavier', 'he')


def initial_weight(init: str, rng: Any, nin: int, nout: int) -> float:
    if init == 'uniform':  # micrograd's
        return float(rng.uniform(-1, 1))
    if init == 'xavier':  # Glorot & Bengio: keeps the variance of activations and gradients for tanh
        limit = math.sqrt(6.0 / (nin + nout))
        return float(rng.uniform(-limit, limit))
    if init == 'he':  # He et al.: variance 2/nin suits ReLU, which zeroes half its inputs
        return float(rng.gauss(0.0, math.sqrt(2.0 / nin)))
    raise ValueError(f'init must be one of {", ".join(map(repr, INITS))}, got {init!r}')



class Neuron(Module):
    """``y = activation(z)``, ``z = b + w . x``. ``nonlin=True`` is micrograd's ReLU neuron, ``nonlin=False``
    its linear one; ``activation`` ('relu', 'tanh', 'sigmoid', 'linear') overrides it. Weights are drawn
    from ``rng`` (an int seed, a ``random.Random``, or None for the global ``random``, like micrograd);
    the bias starts at 0 (``bias=False``: no bias)."""

    _z_label, _y_label = 'z', 'y'
    counts_its_own_calls = True  # a layer calls its neurons thousands of times a step: no wrapper (see Module)

    def __init__(self, nin: int, nonlin: bool = True, *, activation: str | None = None, init: str = 'uniform',
                 rng: Seed = None, fan_out: int = 1, bias: bool = True) -> None:
        nin = checks.count('Neuron: nin, its number of inputs,', nin)
        nonlin = checks.flag('Neuron: nonlin', nonlin)
        self.activation = checks.choice('Neuron: activation', activation, ACTIVATIONS) if activation is not None \
            else 'relu' if nonlin else 'linear'
        init = checks.choice('init', init, INITS)
        fan_out = checks.count('Neuron: fan_out', fan_out)
        bias = checks.flag('Neuron: bias', bias)
        source = random_source(rng)
        self.w = [Value(initial_weight(init, source, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        self.nonlin = self.activation != 'linear'

    def __call__(self, x: Any) -> Value:
        if x.__class__ is not list:  # a layer passes a list: as_inputs only for the rest (3,300 calls a step)
            x = as_inputs(x)
        w, b = self.w, self.b
        if len(x) != len(w):
            raise ValueError(f'{self!r} takes {len(w)} inputs, got {len(x)}')
        z = dot(w, x, 0.0 if b is None else b)
        samples = self._samples
        if not samples.depth:  # called on its own, not by its layer: each call is a sample
            samples.new_call()
        if samples.suffix:  # a sample of a batch: the name, its number and which sample it is (nn.samples)
            z.label = samples.label(self._z_label)
        else:  # Samples.label inline: this runs for every neuron of every sample
            z.label = label = SampleLabel(self._z_label)
            label.sample = samples.key
        activate = REGISTRY[self.activation].apply
        if activate is None:
            return z
        y = activate(z)
        if samples.suffix:
            y.label = samples.label(self._y_label)
        else:
            y.label = label = SampleLabel(self._y_label)
            label.sample = samples.key
        return y

    def _named(self, name: str) -> None:
        super()._named(name)
        self._z_label, self._y_label = dotted(name, 'z'), dotted(name, 'y')

    def _torch_layers(self, torch: Any) -> list[Any]:
        return torch_dense(torch, [self])

    def __repr__(self) -> str:
        return f'{REGISTRY[self.activation].shown}Neuron({len(self.w)})'


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a single Value when ``nout == 1`` (micrograd's API)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nin = checks.count(f'{type(self).__name__}: nin', nin)
        nout = checks.count(f'{type(self).__name__}: nout', nout)
        check_parameters(f'{type(self).__name__}({nin}, {nout})', (nin + 1) * nout)
        kwargs['rng'] = random_source(kwargs.get('rng'))  # one generator for all neurons: distinct weights
        kwargs.setdefault('fan_out', nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def outputs(self, x: Any) -> list[Value]:
        """Every neuron's output as a list, even for one neuron: one sample of the model when called on its own."""
        x = as_values(x)
        if self._samples.depth:  # inside a call of the model (its __call__ or batch()): that call's sample
            return [n(x) for n in self.neurons]
        with self._one_call():  # called directly: its neurons are one sample, not one each
            return [n(x) for n in self.neurons]

    def __call__(self, x: Any) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def _torch_layers(self, torch: Any) -> list[Any]:
        return torch_dense(torch, self.neurons)

    def described(self) -> str:
        """'16 ReLU neurons, 2 inputs each', '1 Linear neuron, 16 inputs each': every layer in the same words."""
        if type(self).__repr__ is not Layer.__repr__ or not self.neurons or not all(
                isinstance(n, Neuron) for n in self.neurons):
            return super().described()  # Linear(2, 16) says it best
        kinds = '/'.join(sorted({REGISTRY[n.activation].shown for n in self.neurons}))
        plural = 's' if len(self.neurons) > 1 else ''
        each = ' each' if len(self.neurons) > 1 else ''
        return f'{len(self.neurons)} {kinds} neuron{plural}, {len(self.neurons[0].w)} inputs{each}'

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs. micrograd's network by default (ReLU hidden layers,
    linear output); the lecture's is ``MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')``."""

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = 'relu',
                 output_activation: str = 'linear', init: str = 'uniform', rng: Seed = None) -> None:
        nin = checks.count('MLP: nin', nin)
        nouts = checks.sequence('MLP: nouts', nouts, 'a list of layer sizes, like [16, 16, 1]')
        if not nouts:
            raise ValueError('an MLP needs at least one layer size in nouts, e.g. MLP(2, [16, 16, 1])')
        sizes = [nin] + [checks.count(f'MLP: nouts[{i}]', n) for i, n in enumerate(nouts)]
        check_parameters(f'MLP({nin}, {sizes[1:]})', sum((a + 1) * b for a, b in itertools.pairwise(sizes)))
        for what, name in (('activation', activation), ('output_activation', output_activation)):
            checks.choice(f"MLP: {what} (use 'linear' for none)", name, ACTIVATIONS)
        source = random_source(rng)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], activation=output_activation if i == last else activation,
                             init=init, rng=source) for i in range(len(nouts))]

    def __call__(self, x: Any) -> Value | list[Value]:
        # each layer is called (so its forward hooks run); a one-neuron layer's Value is the next one's one input
        for layer in self.layers:
            x = layer(x)
        output: Value | list[Value] = x
        return output

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [module for layer in self.layers for module in layer._torch_layers(torch)]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def torch_dense(torch: Any, neurons: Sequence[Neuron]) -> list[Any]:
    """Neurons reading the same inputs as a torch Linear, then their activation (when not linear)."""
    activations = {n.activation for n in neurons}
    if len(activations) > 1:
        raise TypeError(f'to_torch() needs one activation per layer, got {sorted(activations)} in one layer')
    has_bias = {n.b is not None for n in neurons}
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), bias=has_bias == {True}, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(tensor(torch, [[w.data for w in n.w] for n in neurons]))
        if linear.bias is not None:
            linear.bias.copy_(tensor(torch, [n.b.data for n in neurons if n.b is not None]))
    torch_class = REGISTRY[activations.pop()].torch_class
    return [linear] if torch_class is None else [linear, getattr(torch.nn, torch_class)()]

