"""Neurons, layers and MLPs on the engine, compatible with karpathy/micrograd and the lecture.

``Neuron(nin)`` / ``Layer(nin, nout)`` / ``MLP(nin, nouts)`` build, call and repr exactly as micrograd's
(ReLU hidden layers, a linear last layer, ``parameters()`` in the same order, the same weights from the
same ``random.seed``). On top: a choice of activation and initialisation, dotted parameter names that
also label the weights in graph drawings, ``state_dict()``, and saving to JSON that round-trips exactly.

Speed: a neuron's weighted sum is one ``dot`` node instead of 2n ``*``/``+`` nodes.
"""
from __future__ import annotations

import errno
import json
import math
import os
import pathlib
import secrets
import stat
from typing import Any, Iterator, Mapping, Sequence

from .data import Seed, random_source
from .engine import Value, _number, dot

ACTIVATIONS = ('relu', 'tanh', 'sigmoid', 'linear')
INITS = ('uniform', 'xavier', 'he')
_ACTIVATE = {'relu': Value.relu, 'tanh': Value.tanh, 'sigmoid': Value.sigmoid, 'linear': None}
_REPR_NAME = {'relu': 'ReLU', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid', 'linear': 'Linear'}
FILE_FORMAT = 'micrograd_plus.parameters'
FILE_VERSION = 1


class ParameterFileError(ValueError):
    """A parameter file that is corrupt or does not match the model; the model was left untouched."""


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
        values = _checked_values(self, state)
        for (_, p), value in zip(self.named_parameters(), values):
            p.data = value

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to a JSON file, atomically: the file is either the old one or the new one."""
        document = {'format': FILE_FORMAT, 'version': FILE_VERSION, 'model': repr(self),
                    'parameters': {name: _encode(v) for name, v in self.state_dict().items()}}
        _write_atomically(pathlib.Path(path), json.dumps(document, indent=1, allow_nan=False) + '\n')

    def load(self, path: str | os.PathLike) -> None:
        """Read parameters written by ``save``. A corrupt or mismatched file raises ParameterFileError
        and leaves the model untouched."""
        path = pathlib.Path(path)
        state = _read_parameter_file(path)
        try:
            self.load_state_dict(state['parameters'])
        except ValueError as error:
            raise ParameterFileError(f"{path} does not fit this model ({self!r}); it was saved from "
                                     f"{state['model']}. {error}") from None


def _checked_values(module: Module, state: Any) -> list[float]:
    """The new parameter values in ``named_parameters()`` order, or a ValueError naming every problem."""
    if not isinstance(state, Mapping):
        raise ValueError(f'a state dict maps parameter names to numbers, got {type(state).__name__}')
    names = [name for name, _ in module.named_parameters()]
    missing = [n for n in names if n not in state]
    unexpected = [n for n in state if n not in set(names)]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f'missing {len(missing)} parameter(s): {_some(missing)}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected parameter(s): {_some(unexpected)}')
        raise ValueError(f"The parameter names do not match ({'; '.join(parts)}). "
                         'Build the model with the same architecture as the one that was saved.')
    values = []
    for name in names:
        value = state[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f'parameter {name!r} must be a number, got {type(value).__name__} {value!r}')
        try:
            values.append(float(value))
        except OverflowError:
            raise ValueError(f'parameter {name!r} is a {value.bit_length()}-bit integer, too large for a float') from None
    return values


def _some(names: list[str], limit: int = 5) -> str:
    shown = ', '.join(repr(n) for n in names[:limit])
    return shown + (f', ... ({len(names) - limit} more)' if len(names) > limit else '')


# JSON has no nan or inf: they are written as strings; every finite float is written by repr,
# which Python reads back to the identical float.
_NON_FINITE = {'nan': math.nan, 'inf': math.inf, '-inf': -math.inf}


def _encode(x: float) -> float | str:
    x = _number(x)  # a numpy scalar or a huge int put into .data by hand is written as a float
    return x if math.isfinite(x) else repr(x)


def _decode(x: Any) -> Any:
    return _NON_FINITE.get(x, x) if isinstance(x, str) else x


def _write_atomically(path: pathlib.Path, text: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    A symlink is followed (the link stays, its target gets the new text). The new file gets the old
    one's permissions, set before any data goes in, or the usual ones (0o666 less the umask) like open().
    """
    path = pathlib.Path(os.path.realpath(path))
    directory = path.parent
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f'cannot save to {path}: it is a folder; give a file name such '
                                f'as {path / "model.json"}', str(path))
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f'cannot save {path.name}: {directory} is a file, not a folder',
                                 str(directory))
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f'cannot save {path.name}: the folder {directory} does not exist',
                                str(directory))
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    temporary = directory / f'.{path.name}.{secrets.token_hex(6)}.tmp'
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as file:
            if mode is not None:
                os.chmod(temporary, mode)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.chmod(temporary, 0o600)  # Windows cannot delete a read-only file
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX only; harmless to skip elsewhere)
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _read_parameter_file(path: pathlib.Path) -> dict:
    """The checked contents of a parameter file (parameters decoded to floats), or ParameterFileError."""
    def fail(problem: str) -> ParameterFileError:
        return ParameterFileError(f'{path} is not a usable micrograd_plus parameter file: {problem}. '
                                  'Save the model again with model.save(path).')
    try:
        text = path.read_text(encoding='utf-8')
    except UnicodeDecodeError:
        raise fail('it is not UTF-8 text') from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = 'it is empty' if not text.strip() else f'its JSON is corrupt or cut off ({error})'
        raise fail(where) from None
    except (ValueError, RecursionError) as error:  # a number of 5,000 digits, brackets nested 100,000 deep
        raise fail(f'its JSON cannot be read ({str(error).splitlines()[0]})') from None
    if not isinstance(document, dict) or document.get('format') != FILE_FORMAT:
        raise fail(f"it has no \"format\": \"{FILE_FORMAT}\" field")
    if document.get('version') != FILE_VERSION:
        raise fail(f"its version is {document.get('version')!r}; this micrograd_plus reads version {FILE_VERSION}")
    parameters = document.get('parameters')
    if not isinstance(parameters, dict):
        raise fail('its "parameters" field is missing or not an object')
    return {'model': document.get('model', 'an unknown model'),
            'parameters': {name: _decode(value) for name, value in parameters.items()}}


# ---------------------------------------------------------------- the network

def _check_activation(activation: str) -> str:
    if activation not in _ACTIVATE:
        raise ValueError(f'activation must be one of {", ".join(map(repr, ACTIVATIONS))}, got {activation!r}')
    return activation


def _initial_weight(init: str, rng: Any, nin: int, nout: int) -> float:
    if init == 'uniform':  # micrograd's
        return rng.uniform(-1, 1)
    if init == 'xavier':  # Glorot & Bengio: keeps the variance of activations and gradients for tanh
        limit = math.sqrt(6.0 / (nin + nout))
        return rng.uniform(-limit, limit)
    if init == 'he':  # He et al.: variance 2/nin suits ReLU, which zeroes half its inputs
        return rng.gauss(0.0, math.sqrt(2.0 / nin))
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
        return x[0] if len(x) == 1 else x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
