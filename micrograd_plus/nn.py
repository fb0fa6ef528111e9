"""Neurons, layers and networks on the engine: micrograd's MLP, and the layers a backprop course needs.

``Neuron(nin)`` / ``Layer(nin, nout)`` / ``MLP(nin, nouts)`` build, call and repr exactly as micrograd's
(ReLU hidden layers, a linear last layer, ``parameters()`` in the same order, the same weights from the
same ``random.seed``). Beside them, layers in PyTorch's shape that compose: ``Linear``, ``ReLU``, ``Tanh``,
``Sigmoid``, ``Dropout``, ``BatchNorm``, ``Residual`` and ``Sequential``, with ``train()`` / ``eval()``,
``batch(samples)`` for a whole batch, ``state_dict()`` / ``save`` / ``load`` (JSON that round-trips
exactly), ``grad_norms`` and a way on to PyTorch (``to_torch()``, ``from_torch``).

Names. Every parameter and every node a layer makes is labelled with its dotted path in the model, so
pictures, ``explain()`` and the stepper say where a number comes from:

    layers.1.neurons.3.w.0   a weight          layers.1.neurons.3.z   that neuron's weighted sum (b + w . x)
    layers.1.neurons.3.b     its bias          layers.1.neurons.3.y   its activation (a linear neuron stops at z)
    layers.2.y.5             output 5 of any other layer: ReLU, Dropout, BatchNorm, Residual
    layers.2.mean.5          BatchNorm's inner nodes: sum, mean, centered, sumsq, var, var_eps, std, xhat

A Sequential keeps its layers in ``layers``, like an MLP. A model is named when its outermost ``__init__``
returns (custom Modules too), so a layer's names say where it sits in the model it was built into; call
``label_parameters()`` after changing a model's structure by hand.

Speed: a neuron's weighted sum is one ``dot`` node instead of 2n ``*``/``+`` nodes.
"""
from __future__ import annotations

import functools
import html
import importlib
import itertools
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from . import checks, saving
from .data import Seed, random_source
from .engine import Value, dot
from .saving import ParameterFileError

ACTIVATIONS = ('relu', 'tanh', 'sigmoid', 'linear')
INITS = ('uniform', 'xavier', 'he')
_ACTIVATE = {'relu': Value.relu, 'tanh': Value.tanh, 'sigmoid': Value.sigmoid, 'linear': None}
_REPR_NAME = {'relu': 'ReLU', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid', 'linear': 'Linear'}

M = TypeVar('M', bound='Module')


class Module:
    """Anything with parameters. Values and Modules held in attributes, directly or in lists, tuples and
    dicts of them at any depth, are found automatically, in attribute order, so a subclass only needs
    ``__init__`` and ``__call__``. Attributes whose names start with ``_`` are private: never searched."""

    training = True  # a class default, so a subclass need not call super().__init__(); train()/eval() set it
    buffer_names: tuple[str, ...] = ()  # attributes holding state that is saved but not trained (float lists)
    _name = ''  # dotted path in the model; label_parameters() sets it

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Name each model when it is complete: after the outermost ``__init__`` returns, every parameter and
        layer gets its dotted name, so a custom Module needs no call of its own."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get('__init__')
        if init is not None:
            cls.__init__ = _named_when_built(init)  # type: ignore[method-assign]

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f'{type(self).__name__} needs a __call__(self, x) method: what it computes')

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        """The outputs for a list of samples. One call per sample, except in layers that need the whole batch
        at once (BatchNorm in training mode), which is why a training loop with BatchNorm calls this."""
        return [self(x) for x in _batch_of(samples)]

    # ------------------------------------------------------------ structure

    def named_modules(self, prefix: str = '') -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (named ``prefix``, '' by default) and every module inside."""
        checks.text('named_modules(prefix)', prefix)  # here, not at the first next(): a plain function's check
        inside = [(name, item) for name, item in _walk(self, prefix) if isinstance(item, Module)]
        return iter([(prefix, self), *inside])

    def modules(self) -> list[Module]:
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix: str = '') -> Iterator[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs, e.g. ``('layers.0.neurons.3.w.1', Value(...))``; a parameter
        held in two places is listed once, under its first name."""
        checks.text('named_parameters(prefix)', prefix)
        return iter([(name, item) for name, item in _walk(self, prefix) if isinstance(item, Value)])

    def parameters(self) -> list[Value]:
        return [item for _, item in _walk(self, named=False) if isinstance(item, Value)]

    def named_buffers(self) -> Iterator[tuple[str, float]]:
        """``(dotted name, number)`` for the state that is saved but not trained: BatchNorm's
        ``running_mean.0``, ``running_var.0``, ..., ``num_batches_tracked``. No optimizer sees these."""
        for name, owner, key in self._buffer_slots():
            yield name, owner[key] if isinstance(owner, list) else getattr(owner, key)

    def _buffer_slots(self) -> Iterator[tuple[str, Any, Any]]:
        """(dotted name, list and index, or module and attribute name) of every buffer number."""
        for path, module in self.named_modules():
            for attribute in module.buffer_names:
                name = _dotted(path, attribute)
                value = getattr(module, attribute)
                if isinstance(value, list):
                    for index in range(len(value)):
                        yield f'{name}.{index}', value, index
                else:
                    yield name, module, attribute

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def train(self: M, mode: bool = True) -> M:
        """Training mode for this module and every module inside (Dropout drops, BatchNorm uses the batch's
        statistics); returns the module. It switches a mode only: the training loop is yours to write."""
        if not isinstance(mode, bool):
            raise TypeError(f'train(mode) switches training mode on or off and takes True or False, got '
                            f'{type(mode).__name__}; it does not train: write the loop (see the README)')
        for module in self.modules():
            module.training = mode
        return self

    def eval(self: M) -> M:
        """Evaluation mode (Dropout passes everything, BatchNorm uses its running statistics); returns the module."""
        return self.train(False)

    # ------------------------------------------------------------ a summary, for people

    def summary(self) -> list[tuple[str, str, int]]:
        """``(name, what it is, parameters)`` for the model, then each module directly inside it (each layer
        of an MLP or a Sequential): what a notebook shows as a table."""
        named = dict(self.named_modules())
        children = [name for name in named if name and not any(
            name.startswith(other + '.') for other in named if other and other != name)]
        rows = [(name, _described(named[name]), len(named[name].parameters())) for name in children]
        return [(type(self).__name__, f'{len(children)} modules', len(self.parameters())), *rows]

    def _repr_html_(self) -> str:
        """A notebook shows a model as a table of its layers: what each is, and its parameter count."""
        rows = self.summary()
        body = ''.join(f'<tr><td style="padding:2px 10px;font-family:monospace">{html.escape(name)}</td>'
                       f'<td style="padding:2px 10px">{html.escape(what)}</td>'
                       f'<td style="padding:2px 10px;text-align:right">{count:,}</td></tr>'
                       for name, what, count in rows[1:])
        mode = 'training' if self.training else 'eval'
        return (f'<div><b>{html.escape(type(self).__name__)}</b>: {rows[0][2]:,} parameters, {mode} mode</div>'
                '<table style="border-collapse:collapse"><tr><th style="padding:2px 10px">module</th>'
                '<th style="padding:2px 10px">what</th><th style="padding:2px 10px">parameters</th></tr>'
                f'{body}</table>')

    def label_parameters(self) -> None:
        """Name everything after its dotted path in this model: each parameter's ``label``, and the labels of
        the nodes each layer makes (``layers.1.neurons.3.z``). Runs by itself when a model is built."""
        for name, module in self.named_modules():
            module._named(name)
        for name, p in self.named_parameters():
            p.label = name

    def _named(self, name: str) -> None:
        """Told its dotted path in the model: the prefix of the labels of the nodes it makes."""
        self._name = name
        self.__dict__.pop('_label_cache', None)

    def _node_labels(self, kind: str, n: int) -> list[str]:
        """``<path>.<kind>.0``, ``<path>.<kind>.1``, ...: labels for n nodes of one kind, made once per name."""
        cache: dict[str, list[str]] = self.__dict__.setdefault('_label_cache', {})
        labels = cache.get(kind)
        if labels is None or len(labels) < n:
            labels = cache[kind] = [_dotted(self._name, f'{kind}.{j}') for j in range(n)]
        return labels

    def _labelled(self, kind: str, nodes: list[Value]) -> list[Value]:
        for node, label in zip(nodes, self._node_labels(kind, len(nodes))):
            node.label = label
        return nodes

    # ------------------------------------------------------------ state

    def state_dict(self) -> dict[str, float]:
        """Parameter values by dotted name, in ``parameters()`` order, then the buffers (``named_buffers()``)."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter and buffer from ``state``. Everything is checked first: on any mismatch a
        ValueError says what is wrong and nothing has changed."""
        parameters = list(self.named_parameters())
        buffers = list(self._buffer_slots())
        values = saving.checked_values([name for name, _ in parameters] + [name for name, _, _ in buffers], state)
        counts = [_buffer_value(name, owner, key, value) for (name, owner, key), value in
                  zip(buffers, values[len(parameters):])]  # all checked before anything changes
        for (_, p), value in zip(parameters, values):
            p.data = value
        for (_, owner, key), value in zip(buffers, counts):
            if isinstance(owner, list):
                owner[key] = value
            else:
                setattr(owner, key, value)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters (and buffers) to a JSON file, atomically: the file is either the old one or
        the new one."""
        saving.write_atomically(checks.path('save(path)', path), saving.document(repr(self), self.state_dict()))

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read parameters written by ``save``. A corrupt or mismatched file raises ParameterFileError
        and leaves the model untouched."""
        path = checks.path('load(path)', path)
        state = saving.read_parameter_file(path)
        try:
            self.load_state_dict(state['parameters'])
        except ValueError as error:
            raise ParameterFileError(f"{path} does not fit this model ({saving.shortened(repr(self))}); it was "
                                     f"saved from {saving.shortened(state['model'])}. {error}") from None

    # ------------------------------------------------------------ PyTorch

    def to_torch(self) -> Any:
        """This model as a ``torch.nn.Module`` in float64 with the same weights, buffers and mode; it takes a
        batch (a tensor of shape (batch, nin)). Needs PyTorch, which micrograd_plus never installs."""
        torch = _import_torch('to_torch()')
        layers = self._torch_layers(torch)
        module = layers[0] if len(layers) == 1 else torch.nn.Sequential(*layers)
        return module.train(self.training)

    def _torch_layers(self, torch: Any) -> list[Any]:
        raise TypeError(f'{type(self).__name__} has no PyTorch counterpart that to_torch() knows: it converts '
                        f'{", ".join(_CONVERTIBLE)}. Write this module in PyTorch by hand')


def _buffer_value(name: str, owner: Any, key: Any, value: float) -> float | int:
    """A buffer's new value, of the type it holds: a count (num_batches_tracked) must be a whole number."""
    current = owner[key] if isinstance(owner, list) else getattr(owner, key)
    if not isinstance(current, int):
        return value
    if not (math.isfinite(value) and value == int(value) and value >= 0):
        raise ValueError(f'buffer {name!r} counts batches and must be a whole number >= 0, got {value!r}')
    return int(value)


def _described(module: Module) -> str:
    """A module in a few words: its repr when short (Linear(2, 8), Dropout(p=0.1)), a layer of micrograd's
    as '16 ReLU neurons, 2 inputs each', anything else its repr cut short."""
    text = repr(module)
    neurons = getattr(module, 'neurons', None)
    if len(text) > 40 and isinstance(neurons, list) and neurons and all(isinstance(n, Neuron) for n in neurons):
        kinds = '/'.join(sorted({_REPR_NAME[n.activation] for n in neurons}))
        return f'{len(neurons)} {kinds} neuron{"s" if len(neurons) > 1 else ""}, {len(neurons[0].w)} inputs each'
    return saving.shortened(' '.join(text.split()), 80)


def _named_when_built(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self).__init__ is __init__:  # the outermost __init__: a subclass's own runs this one inside it
            self.label_parameters()
    return __init__


def _dotted(prefix: str, name: str) -> str:
    return f'{prefix}.{name}' if prefix else name


def _walk(module: Module, prefix: str = '', named: bool = True,
          descend: bool = True) -> list[tuple[str, Value | Module]]:
    """Every Value and Module inside ``module``, depth first in attribute order, each once (the first time
    it is met), with its dotted name (or '' when not ``named``: parameters() runs every training step).
    ``descend=False``: what the module holds itself, its submodules listed but not entered.

    Searched: public attributes holding Values or Modules, directly or in lists, tuples and dicts at any
    depth (``heads.a``, ``grid.0.0``)."""
    found: list[tuple[str, Value | Module]] = []
    seen = {id(module)}

    def visit(path: str, item: Any) -> None:
        if isinstance(item, Value):
            if id(item) not in seen:
                seen.add(id(item))
                found.append((path, item))
        elif isinstance(item, Module):
            if id(item) not in seen:
                seen.add(id(item))
                found.append((path, item))
                if descend:
                    visit_attributes(path, item)
        elif isinstance(item, (list, tuple)):
            for index, element in enumerate(item):
                if isinstance(element, Value):  # a neuron's weights: the common case, without a call each
                    if id(element) not in seen:
                        seen.add(id(element))
                        found.append((f'{path}.{index}' if named else '', element))
                else:
                    visit(f'{path}.{index}' if named else '', element)
        elif isinstance(item, dict):
            for key, element in item.items():
                visit(f'{path}.{key}' if named else '', element)

    def visit_attributes(path: str, owner: Module) -> None:
        for name, attribute in vars(owner).items():
            if name[0] != '_':
                visit(_dotted(path, name) if named else '', attribute)

    visit_attributes(prefix, module)
    return found


# ---------------------------------------------------------------- micrograd's network

def _check_parameters(model: str, n: int) -> None:
    """A model of n parameters: at most checks.MAX_SIZE, or refused before any is made."""
    checks.count(f'the number of parameters of {model}', n)


def _batch_of(samples: Any) -> Sequence[Any]:
    return checks.sequence('batch(samples)', samples, 'a list of samples')


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
    if isinstance(x, (Value, int, float)):
        return [x]
    return x if x.__class__ is list else checks.sequence('a sample', x, 'a list of numbers or Values (or one number)')


def _as_values(x: Any) -> list[Value]:
    """Inputs as Values, made once per layer call: otherwise every neuron would wrap the same numbers
    again (16 neurons reading 2 numbers would add 32 leaves to the graph instead of 2)."""
    return [v if isinstance(v, Value) else Value(v) for v in _as_inputs(x)]


class Neuron(Module):
    """``y = activation(z)``, ``z = b + w . x``. ``nonlin=True`` is micrograd's ReLU neuron, ``nonlin=False``
    its linear one; ``activation`` ('relu', 'tanh', 'sigmoid', 'linear') overrides it. Weights are drawn
    from ``rng`` (an int seed, a ``random.Random``, or None for the global ``random``, like micrograd);
    the bias starts at 0 (``bias=False``: no bias)."""

    _z_label, _y_label = 'z', 'y'

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
        self.w = [Value(_initial_weight(init, source, nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        self.nonlin = self.activation != 'linear'

    def __call__(self, x: Any) -> Value:
        if x.__class__ is not list:  # a layer passes a list: _as_inputs only for the rest (3,300 calls a step)
            x = _as_inputs(x)
        w, b = self.w, self.b
        if len(x) != len(w):
            raise ValueError(f'{self!r} takes {len(w)} inputs, got {len(x)}')
        z = dot(w, x, 0.0 if b is None else b)
        z.label = self._z_label
        activate = _ACTIVATE[self.activation]
        if activate is None:
            return z
        y = activate(z)
        y.label = self._y_label
        return y

    def _named(self, name: str) -> None:
        super()._named(name)
        self._z_label, self._y_label = _dotted(name, 'z'), _dotted(name, 'y')

    def _torch_layers(self, torch: Any) -> list[Any]:
        return _torch_dense(torch, [self])

    def __repr__(self) -> str:
        return f'{_REPR_NAME[self.activation]}Neuron({len(self.w)})'


class Layer(Module):
    """``nout`` neurons reading the same inputs. Returns a single Value when ``nout == 1`` (micrograd's API)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nin = checks.count(f'{type(self).__name__}: nin', nin)
        nout = checks.count(f'{type(self).__name__}: nout', nout)
        _check_parameters(f'{type(self).__name__}({nin}, {nout})', (nin + 1) * nout)
        kwargs['rng'] = random_source(kwargs.get('rng'))  # one generator for all neurons: distinct weights
        kwargs.setdefault('fan_out', nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def outputs(self, x: Any) -> list[Value]:
        """Every neuron's output as a list, even for one neuron."""
        x = _as_values(x)
        return [n(x) for n in self.neurons]

    def __call__(self, x: Any) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def _torch_layers(self, torch: Any) -> list[Any]:
        return _torch_dense(torch, self.neurons)

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
        _check_parameters(f'MLP({nin}, {sizes[1:]})', sum((a + 1) * b for a, b in itertools.pairwise(sizes)))
        for what, name in (('activation', activation), ('output_activation', output_activation)):
            checks.choice(f"MLP: {what} (use 'linear' for none)", name, ACTIVATIONS)
        source = random_source(rng)
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], activation=output_activation if i == last else activation,
                             init=init, rng=source) for i in range(len(nouts))]

    def __call__(self, x: Any) -> Value | list[Value]:
        # Layer.outputs (a list even for one neuron) lets a one-neuron hidden layer feed the next layer
        for layer in self.layers:
            x = layer.outputs(x)
        outputs: list[Value] = x
        return outputs[0] if len(outputs) == 1 else outputs

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [module for layer in self.layers for module in layer._torch_layers(torch)]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# ---------------------------------------------------------------- layers that compose

class Linear(Layer):
    """``z_j = b_j + w_j . x`` for j < nout: a Layer of linear neurons that always returns a list (PyTorch's
    ``nn.Linear``, one neuron per output). Initialised by ``init`` like MLP: 'uniform' (micrograd's U(-1, 1)),
    'xavier' or 'he'; biases start at 0."""

    def __init__(self, nin: int, nout: int, bias: bool = True, init: str = 'uniform', rng: Seed = None) -> None:
        super().__init__(nin, nout, activation='linear', bias=bias, init=init, rng=rng)

    def __call__(self, x: Any) -> list[Value]:
        x = _as_values(x)
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
        activate = _ACTIVATE[self.activation]
        assert activate is not None
        x = _as_inputs(x)
        out = []
        for v, label in zip(x, self._node_labels('y', len(x))):  # one loop: this runs per sample and layer
            y = activate(v if isinstance(v, Value) else Value(v))
            y.label = label
            out.append(y)
        return out

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [getattr(torch.nn, _TORCH_ACTIVATION[self.activation])()]

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
        outputs = list(_batch_of(samples))
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
        lines = [f'  ({i}): {_indented(repr(layer))}' for i, layer in enumerate(self.layers)]
        return 'Sequential(\n' + '\n'.join(lines) + '\n)' if lines else 'Sequential()'


def _indented(text: str) -> str:
    return text.replace('\n', '\n  ')


class Dropout(Module):
    """Inverted dropout, as PyTorch: in training mode each input is zeroed with probability ``p`` and the
    others are scaled by 1 / (1 - p), so a unit's expected output is what eval mode (the identity) gives.
    The masks come from ``rng`` (an int seed, a ``random.Random``, or None for the global ``random``)."""

    def __init__(self, p: float = 0.5, rng: Seed = None) -> None:
        self.p = checks.real('Dropout(p): p, the probability of zeroing an input,', p, at_least=0, below=1,
                             need='in [0, 1)')
        self._rng = random_source(rng)

    def __call__(self, x: Any) -> list[Value]:
        inputs = _as_values(x)
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
        stds = [math.sqrt(v + self.eps) for v in self.running_var]
        xhat = self._labelled('xhat', [c / s for c, s in zip(centered, stds)])
        return self._labelled('y', [dot([w], [h], b) for w, h, b in zip(self.weight, xhat, self.bias)])

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        if not self.training:
            return [self(x) for x in samples]
        rows = [self._checked(x) for x in _batch_of(samples)]
        if len(rows) < 2:
            raise ValueError(f'{self!r} in training mode needs a batch of 2 or more samples to take a variance '
                             f'over, got {len(rows)} (PyTorch refuses it too); use bigger batches, or eval mode')
        columns = [self._normalised(j, [row[j] for row in rows]) for j in range(self.num_features)]
        self.num_batches_tracked += 1
        return [list(row) for row in zip(*columns)]

    def _normalised(self, j: int, column: list[Value]) -> list[Value]:
        """Feature j of every sample, normalised with the batch's statistics; updates the running ones."""
        n = len(column)

        def name(node: Value, kind: str) -> Value:
            node.label = self._node_labels(kind, self.num_features)[j]
            return node
        total = name(dot(column, [1.0] * n), 'sum')
        mean = name(total / n, 'mean')
        centered = [name(x - mean, 'centered') for x in column]
        sumsq = name(dot(centered, centered), 'sumsq')
        var = name(sumsq / n, 'var')
        std = name(name(var + self.eps, 'var_eps').sqrt(), 'std')
        weight, bias = self.weight[j], self.bias[j]
        out = [name(dot([weight], [name(c / std, 'xhat')], bias), 'y') for c in centered]
        factor = 1.0 / (self.num_batches_tracked + 1) if self.momentum is None else self.momentum
        self.running_mean[j] = factor * mean.data + (1 - factor) * self.running_mean[j]
        self.running_var[j] = factor * (sumsq.data / (n - 1)) + (1 - factor) * self.running_var[j]
        return out

    def _checked(self, x: Any) -> list[Value]:
        features = _as_values(x)
        if len(features) != self.num_features:
            raise ValueError(f'{self!r} takes {self.num_features} features, got {len(features)}')
        return features

    def _torch_layers(self, torch: Any) -> list[Any]:
        module = torch.nn.BatchNorm1d(self.num_features, eps=self.eps, momentum=self.momentum, dtype=torch.float64)
        with torch.no_grad():
            module.weight.copy_(_tensor(torch, [w.data for w in self.weight]))
            module.bias.copy_(_tensor(torch, [b.data for b in self.bias]))
            module.running_mean.copy_(_tensor(torch, self.running_mean))
            module.running_var.copy_(_tensor(torch, self.running_var))
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
        x = _as_values(x)
        return self._added(x, self.module(x))

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        inputs = [_as_values(x) for x in _batch_of(samples)]
        return [self._added(x, fx) for x, fx in zip(inputs, self.module.batch(inputs))]

    def _added(self, x: list[Value], fx: Any) -> list[Value]:
        fx = _as_inputs(fx)
        if len(fx) != len(x):
            raise ValueError(f'Residual adds x and module(x), which need the same size, but {self.module!r} '
                             f'turned {len(x)} inputs into {len(fx)} outputs; give the module as many outputs '
                             'as inputs')
        return self._labelled('y', [a + b for a, b in zip(x, fx)])

    def _torch_layers(self, torch: Any) -> list[Any]:
        return [_torch_residual_class(torch)(self.module.to_torch())]

    def __repr__(self) -> str:
        return f'Residual({_indented(repr(self.module))})'


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


def _grouped_parameters(module: Module, path: str, layer: str | None, by: str,
                        seen: set[int]) -> Iterator[tuple[str, Value]]:
    """(group name, parameter) for every parameter inside ``module``, grouped as grad_norms' ``by`` says."""
    if layer is None and isinstance(module, (Layer, BatchNorm)):
        layer = path
    for name, item in _walk(module, path, descend=False):
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

_CONVERTIBLE = ('MLP', 'Layer', 'Neuron', 'Linear', 'ReLU', 'Tanh', 'Sigmoid', 'Dropout', 'BatchNorm', 'Residual',
                'Sequential')
_TORCH_ACTIVATION = {'relu': 'ReLU', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid'}
_torch_residual: Any = None  # torch.nn.Module subclass, made the first time a Residual goes to PyTorch


def _import_torch(caller: str) -> Any:
    """torch, imported only now: PyTorch is a way on, never a dependency."""
    try:
        return importlib.import_module('torch')  # typed as Any: mypy need not read PyTorch
    except ImportError:
        raise ModuleNotFoundError(f'{caller} needs PyTorch, which micrograd_plus does not install: '
                                  'pip install torch') from None


def _tensor(torch: Any, data: Any) -> Any:
    return torch.tensor(data, dtype=torch.float64)


def _torch_dense(torch: Any, neurons: Sequence[Neuron]) -> list[Any]:
    """Neurons reading the same inputs as a torch Linear, then their activation (when not linear)."""
    activations = {n.activation for n in neurons}
    if len(activations) > 1:
        raise TypeError(f'to_torch() needs one activation per layer, got {sorted(activations)} in one layer')
    has_bias = {n.b is not None for n in neurons}
    linear = torch.nn.Linear(len(neurons[0].w), len(neurons), bias=has_bias == {True}, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(_tensor(torch, [[w.data for w in n.w] for n in neurons]))
        if linear.bias is not None:
            linear.bias.copy_(_tensor(torch, [n.b.data for n in neurons if n.b is not None]))
    activation = activations.pop()
    return [linear] if activation == 'linear' else [linear, getattr(torch.nn, _TORCH_ACTIVATION[activation])()]


def _torch_residual_class(torch: Any) -> Any:
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


def from_torch(module: Any) -> Module:
    """A PyTorch model as a micrograd_plus one with the same weights, buffers and mode: ``nn.Sequential``
    becomes Sequential (nested ones too), and ``nn.Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Dropout``,
    ``BatchNorm1d`` (affine, with running statistics) and a Residual made by ``to_torch()`` their namesakes.
    Weights are read as float64 (a float32 model's numbers exactly)."""
    torch = _import_torch('from_torch()')
    nn = torch.nn
    if isinstance(module, nn.Sequential):
        converted: Module = Sequential(*(from_torch(child) for child in module))
    elif isinstance(module, nn.Linear):
        converted = _from_torch_linear(module)
    elif type(module) in (nn.ReLU, nn.Tanh, nn.Sigmoid):
        converted = {nn.ReLU: ReLU, nn.Tanh: Tanh, nn.Sigmoid: Sigmoid}[type(module)]()
    elif isinstance(module, nn.Dropout):
        converted = Dropout(module.p)
    elif isinstance(module, nn.BatchNorm1d):
        converted = _from_torch_batchnorm(module)
    elif _torch_residual is not None and isinstance(module, _torch_residual):
        converted = Residual(from_torch(module.module))
    else:
        raise TypeError(f'from_torch() converts nn.Sequential, Linear, ReLU, Tanh, Sigmoid, Dropout and '
                        f'BatchNorm1d, not {type(module).__name__}')
    return converted.train(bool(module.training))


def _floats(tensor: Any) -> Any:
    return tensor.detach().double().tolist()


def _from_torch_linear(module: Any) -> Linear:
    linear = Linear(module.in_features, module.out_features, bias=module.bias is not None)
    weights = _floats(module.weight)
    biases = _floats(module.bias) if module.bias is not None else [None] * module.out_features
    for neuron, row, b in zip(linear.neurons, weights, biases):
        for w, value in zip(neuron.w, row):
            w.data = value
        if neuron.b is not None:
            neuron.b.data = b
    return linear


def _from_torch_batchnorm(module: Any) -> BatchNorm:
    if not module.affine or not module.track_running_stats:
        raise TypeError('from_torch() converts BatchNorm1d with affine=True and track_running_stats=True '
                        '(the defaults) only')
    norm = BatchNorm(module.num_features, momentum=module.momentum, eps=module.eps)
    for p, value in zip(norm.weight + norm.bias, _floats(module.weight) + _floats(module.bias)):
        p.data = value
    norm.running_mean = _floats(module.running_mean)
    norm.running_var = _floats(module.running_var)
    norm.num_batches_tracked = int(module.num_batches_tracked)
    return norm
