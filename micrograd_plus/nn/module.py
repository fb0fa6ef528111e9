"""The Module base: parameters found in attributes, dotted names, train/eval, state, save/load, summary.

A subclass needs only ``__init__`` and ``__call__``; everything it holds is found by ``walk``. The helpers
below (inputs as Values, a batch as a list, PyTorch imported on demand) are shared by every layer file.
"""
from __future__ import annotations

import contextlib
import functools
import html
import importlib
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from .. import checks, saving
from ..engine import Value
from ..hooks import HookList, RemovableHandle, checked_hook
from ..saving import ParameterFileError
from .samples import Samples

# what users import; the other public names here serve the layer files of this package
__all__ = ['Module']

M = TypeVar('M', bound='Module')
# what to_torch() converts, named in its error for anything else
CONVERTIBLE = ('MLP', 'Layer', 'Neuron', 'Linear', 'ReLU', 'Tanh', 'Sigmoid', 'Dropout', 'BatchNorm', 'Residual',
               'Sequential', 'Conv2d', 'MaxPool2d', 'AvgPool2d', 'Flatten', 'RNN', 'RNNCell', 'Embedding')


class Module:
    """Anything with parameters. Values and Modules held in attributes, directly or in lists, tuples and
    dicts of them at any depth, are found automatically, in attribute order, so a subclass only needs
    ``__init__`` and ``__call__``. Attributes whose names start with ``_`` are private: never searched."""

    training = True  # a class default, so a subclass need not call super().__init__(); train()/eval() set it
    buffer_names: tuple[str, ...] = ()  # attributes holding state that is saved but not trained (float lists)
    _name = ''  # dotted path in the model; label_parameters() sets it
    _samples = Samples()  # the calls of the model this module is part of; label_parameters() gives each its own
    # True where __call__ itself starts a sample when called on its own (Neuron: a wrapper per neuron call would
    # cost 10% of a training step); otherwise __call__ is wrapped to do it
    counts_its_own_calls = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Name each model when it is complete: after the outermost ``__init__`` returns, every parameter and
        layer gets its dotted name, so a custom Module needs no call of its own."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get('__init__')
        if init is not None:
            cls.__init__ = _named_when_built(init)  # type: ignore[method-assign]
        call = cls.__dict__.get('__call__')
        if call is not None and not cls.__dict__.get('counts_its_own_calls', False):
            cls.__call__ = _one_sample_per_call(call)  # type: ignore[method-assign]

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f'{type(self).__name__} needs a __call__(self, x) method: what it computes')

    def batch(self, samples: Sequence[Any]) -> list[Any]:
        """The outputs for a list of samples. One call per sample, except in layers that need the whole batch
        at once (BatchNorm in training mode), which is why a training loop with BatchNorm calls this. The
        nodes made for sample i are labelled ``...[i]`` (``layers.1.neurons.0.z[3]``)."""
        samples = batch_of(samples)
        with self._one_call() as calls:
            outputs = []
            for i, x in enumerate(samples):
                calls.at(i, len(samples))
                outputs.append(self(x))
            return outputs

    @contextlib.contextmanager
    def _one_call(self) -> Iterator[Samples]:
        """Inside, the model's calls (and batch() calls of its parts) belong to one call of the model: a
        batch() starts one unless it runs inside a call already (a Sequential's layers, each in turn)."""
        calls = self._samples
        if not calls.depth:
            calls.new_call()
        calls.depth += 1
        try:
            yield calls
        finally:
            calls.depth -= 1
            if not calls.depth:
                calls.suffix = ''  # what is made after the batch is not its last sample's

    # ------------------------------------------------------------ structure

    def named_modules(self, prefix: str = '') -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module (named ``prefix``, '' by default) and every module inside."""
        checks.text('named_modules(prefix)', prefix)  # here, not at the first next(): a plain function's check
        inside = [(name, item) for name, item in walk(self, prefix) if isinstance(item, Module)]
        return iter([(prefix, self), *inside])

    def modules(self) -> list[Module]:
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix: str = '') -> Iterator[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs, e.g. ``('layers.0.neurons.3.w.1', Value(...))``; a parameter
        held in two places is listed once, under its first name."""
        checks.text('named_parameters(prefix)', prefix)
        return iter([(name, item) for name, item in walk(self, prefix) if isinstance(item, Value)])

    def parameters(self) -> list[Value]:
        return [item for _, item in walk(self, named=False) if isinstance(item, Value)]

    def named_buffers(self) -> Iterator[tuple[str, float]]:
        """``(dotted name, number)`` for the state that is saved but not trained: BatchNorm's
        ``running_mean.0``, ``running_var.0``, ..., ``num_batches_tracked``. No optimizer sees these."""
        for name, owner, key in self._buffer_slots():
            yield name, owner[key] if isinstance(owner, list) else getattr(owner, key)

    def _buffer_slots(self) -> Iterator[tuple[str, Any, Any]]:
        """(dotted name, list and index, or module and attribute name) of every buffer number."""
        for path, module in self.named_modules():
            for attribute in module.buffer_names:
                name = dotted(path, attribute)
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

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> RemovableHandle:
        """Call ``hook(module, input, output)`` after each forward of this module, PyTorch's signature: ``input``
        is the tuple of positional arguments; an output the hook returns (not None) replaces the module's.
        ``module(x)`` is a forward of one sample, ``module.batch(samples)`` one of the batch (input
        ``(samples,)``, output the list), the samples inside it not again. ``handle.remove()`` unregisters it.
        Costs nothing until used: only a module that gets a hook runs the code that calls hooks."""
        checked_hook('register_forward_hook(hook)', hook, 'module, input, output')
        hooks: HookList | None = self.__dict__.get('_forward_hooks')
        if hooks is None:
            hooks = self._forward_hooks = HookList()
            self.__class__ = _runs_forward_hooks(type(self))
        return hooks.add(hook)

    # ------------------------------------------------------------ a summary, for people

    def summary(self) -> list[tuple[str, str, int]]:
        """``(name, what it is, parameters)`` for the model, then each module directly inside it (each layer
        of an MLP or a Sequential): what a notebook shows as a table."""
        named = dict(self.named_modules())
        children = [name for name in named if name and not _inside_another(name, named)]
        rows = [(name, named[name].described(), len(named[name].parameters())) for name in children]
        return [(type(self).__name__, f'{len(children)} modules', len(self.parameters())), *rows]

    def __repr__(self) -> str:
        """PyTorch's way: the class, then each module it holds by its name, indented::

            Net(
              (body): MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(2)]]
              (head): Linear(1, 1)
            )

        Classes with a repr of their own (micrograd's ``MLP of [...]``, ``Linear(2, 16)``) keep it."""
        children = [(name, item) for name, item in walk(self, descend=False) if isinstance(item, Module)]
        own = len([item for _, item in walk(self, descend=False) if isinstance(item, Value)])
        extra = f'{own} parameter{"s" if own != 1 else ""}' if own else ''
        if not children:
            return f'{type(self).__name__}({extra})'
        lines = [f'  ({name}): {indented(repr(child))}' for name, child in children]
        lines += [f'  {extra}'] if extra else []
        return f'{type(self).__name__}(\n' + '\n'.join(lines) + '\n)'

    def described(self) -> str:
        """This module in a few words, for summary(): its repr, made one line and cut short."""
        return saving.shortened(' '.join(repr(self).split()), 80)

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
        samples = Samples()  # one count of calls for the whole model: a call of the model is one sample
        for name, module in self.named_modules():
            module._named(name)
            module._samples = samples
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
            labels = cache[kind] = [dotted(self._name, f'{kind}.{j}') for j in range(n)]
        return labels

    def _labelled(self, kind: str, nodes: list[Value]) -> list[Value]:
        """``nodes`` labelled ``<path>.<kind>.<j>`` for the sample being computed (see nn.samples)."""
        label = self._samples.label
        for node, base in zip(nodes, self._node_labels(kind, len(nodes))):
            node.label = label(base)
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
        torch = import_torch('to_torch()')
        layers = self._torch_layers(torch)
        for layer in layers:  # each its own mode: a layer made by a submodule's to_torch() keeps that module's
            layer.training = self.training  # the flag alone: torch's train() would set every layer inside
        module = layers[0] if len(layers) == 1 else torch.nn.Sequential(*layers)
        module.training = self.training
        return module

    def _torch_layers(self, torch: Any) -> list[Any]:
        raise TypeError(f'{type(self).__name__} has no PyTorch counterpart that to_torch() knows: it converts '
                        f'{", ".join(CONVERTIBLE)}. Write this module in PyTorch by hand')



def _inside_another(name: str, named: Mapping[str, Module]) -> bool:
    """Whether a module named ``name`` sits inside another of ``named`` (its name a dotted prefix of this one):
    a look-up per prefix, so a table of n modules takes time linear in n, not n^2."""
    parts = name.split('.')
    return any('.'.join(parts[:k]) in named for k in range(1, len(parts)))


def _buffer_value(name: str, owner: Any, key: Any, value: float) -> float | int:
    """A buffer's new value, of the type it holds: a count (num_batches_tracked) must be a whole number."""
    current = owner[key] if isinstance(owner, list) else getattr(owner, key)
    if not isinstance(current, int):
        return value
    if not (math.isfinite(value) and value == int(value) and value >= 0):
        raise ValueError(f'buffer {name!r} counts batches and must be a whole number >= 0, got {value!r}')
    return int(value)



def _named_when_built(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if type(self).__init__ is __init__:  # the outermost __init__: a subclass's own runs this one inside it
            self.label_parameters()
    return __init__


_HOOKED: dict[type[Module], type[Module]] = {}


def _runs_forward_hooks(cls: type[Module]) -> type[Module]:
    """``cls`` with a ``__call__`` and a ``batch`` that run the forward hooks: a module becomes one when it gets
    its first hook, so the modules without hooks (every one in a training loop) call no extra code."""
    if getattr(cls, '_calls_forward_hooks', False):
        return cls
    if cls not in _HOOKED:
        def __call__(self: Module, *args: Any, **kwargs: Any) -> Any:
            output = cls.__call__(self, *args, **kwargs)
            return output if self.__dict__.get('_in_batch') else _after_forward(self, args, output)

        def batch(self: Module, samples: Sequence[Any]) -> list[Any]:
            self.__dict__['_in_batch'] = True
            try:
                outputs = cls.batch(self, samples)
            finally:
                self.__dict__['_in_batch'] = False
            return _after_forward(self, (samples,), outputs)  # type: ignore[no-any-return]

        def __reduce_ex__(self: Module, protocol: Any) -> Any:
            """Pickled (and copied) as the class it was made from, without its hooks: pickle finds a class by
            name, and this one shares its name; a hook is a function of this session, like a node's hooks."""
            state = {k: v for k, v in vars(self).items() if k not in ('_forward_hooks', '_in_batch')}
            return _rebuilt, (cls, state)

        _HOOKED[cls] = type(cls.__name__, (cls,), {
            '__call__': __call__, 'batch': batch, '__reduce_ex__': __reduce_ex__, '_calls_forward_hooks': True,
            '__module__': cls.__module__, '__qualname__': cls.__qualname__, '__doc__': cls.__doc__})
    return _HOOKED[cls]


def _rebuilt(cls: type[Module], state: dict[str, Any]) -> Module:
    """A module of class ``cls`` with attributes ``state``: how a module that had hooks is unpickled."""
    module = cls.__new__(cls)
    module.__dict__.update(state)
    return module


def _after_forward(module: Module, args: tuple[Any, ...], output: Any) -> Any:
    for (hook,) in list(module.__dict__['_forward_hooks']):  # a hook may remove itself
        replaced = hook(module, args, output)
        if replaced is not None:
            output = replaced
    return output


def _one_sample_per_call(call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` counting as one sample of its model when it is not part of a running call of that model."""
    @functools.wraps(call)
    def __call__(self: Module, *args: Any, **kwargs: Any) -> Any:
        calls = self._samples
        if calls.depth:  # a part of the model, called by the model (or by batch())
            return call(self, *args, **kwargs)
        calls.new_call()
        calls.depth = 1
        try:
            return call(self, *args, **kwargs)
        finally:
            calls.depth = 0
    return __call__


def dotted(prefix: str, name: str) -> str:
    return f'{prefix}.{name}' if prefix else name


def walk(module: Module, prefix: str = '', named: bool = True,
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
                visit(f'{path}.{checked_key(path, key)}' if named else '', element)

    def visit_attributes(path: str, owner: Module) -> None:
        for name, attribute in vars(owner).items():
            if name[0] != '_':
                visit(dotted(path, checked_key(path, name)) if named else '', attribute)

    visit_attributes(prefix, module)
    return found




def checked_key(path: str, key: Any) -> str:
    """A dict key (or an attribute name) as one segment of a dotted name, checked as PyTorch's add_module checks
    a module's name: with a '.' in it, ``{'a.b': v}`` and ``{'a': {'b': w}}`` would both be named ``a.b`` and
    share a state_dict entry."""
    name = str(key)
    if '.' in name or not name:
        problem = "can't contain '.'" if name else "can't be empty"
        where = f'{path!r} holds' if path else 'the model holds'
        raise ValueError(f"a name in a model {problem}: {where} something under the key or attribute {name!r} "
                         "(dotted names join the parts with '.', so two different things would get one name). "
                         "Rename it, e.g. with '_' for '.'")
    return name


def check_parameters(model: str, n: int) -> None:
    """A model of n parameters: at most checks.MAX_SIZE, or refused before any is made."""
    checks.count(f'the number of parameters of {model}', n)


def batch_of(samples: Any) -> Sequence[Any]:
    return checks.sequence('batch(samples)', samples, 'a list of samples')



def as_inputs(x: Any) -> Sequence[Any]:
    """A layer's input as a sequence: a single Value or number counts as one input."""
    if isinstance(x, (Value, int, float)):
        return [x]
    return x if x.__class__ is list else checks.sequence('a sample', x, 'a list of numbers or Values (or one number)')


def as_values(x: Any) -> list[Value]:
    """Inputs as Values, made once per layer call: otherwise every neuron would wrap the same numbers
    again (16 neurons reading 2 numbers would add 32 leaves to the graph instead of 2)."""
    return [v if isinstance(v, Value) else Value(v) for v in as_inputs(x)]


def indented(text: str) -> str:
    return text.replace('\n', '\n  ')


def import_torch(caller: str) -> Any:
    """torch, imported only now: PyTorch is a way on, never a dependency."""
    try:
        return importlib.import_module('torch')  # typed as Any: mypy need not read PyTorch
    except ImportError:
        raise ModuleNotFoundError(f'{caller} needs PyTorch, which micrograd_plus does not install: '
                                  'pip install torch') from None


def tensor(torch: Any, data: Any) -> Any:
    return torch.tensor(data, dtype=torch.float64)

