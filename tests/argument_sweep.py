"""Every public function and class of micrograd_plus, each parameter given each of 22 bad values.

Each call gets good, small values for every other parameter and one bad value for one parameter, and
its outcome is put in one class (issue 15's review counted them the same way):

    clear      a TypeError or ValueError (or a subclass) raised by a ``raise`` in micrograd_plus, i.e. the
               function said what it accepts; also an OSError naming a file that was given as a path
    fine       the call worked (and what it returned worked in use, see ``then`` below)
    python     Python's own (or a library's) TypeError/ValueError from inside, e.g. "'float' object is not
               iterable", "object of type 'NoneType' has no len()"
    unrelated  any other exception from inside: AttributeError, IndexError, OverflowError, KeyError...
    hung       still running after TIME_LIMIT seconds
    oom        MemoryError under an address-space limit of MEMORY_LIMIT beyond what the sweep started with
    late       accepted, then a clear error only when the result was used (``then``): refused too late

Some specs have a ``then``: what a user does next with the result (an optimizer steps, a model is called,
a loss backpropagates). An argument accepted at the call that breaks there was "accepted, broke later";
its class is the exception's class (or ``late`` for a clear error).

    python tests/argument_sweep.py              counts per class, and the calls outside clear/fine
    python tests/argument_sweep.py --all        every call
    python tests/argument_sweep.py --json FILE  the records, for tests/test_arguments.py
    PYTHONPATH=/tmp/old python tests/argument_sweep.py   another copy of the package (e.g. an old commit)

The sweep runs in a process of its own (tests/test_arguments.py starts one) because it sets an address-space
limit, a timer signal, a temporary working directory, and registers ops on Value.
"""
from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import contextvars
import dataclasses
import functools
import importlib
import importlib.util
import inspect
import io
import json
import math
import os
import pkgutil
import random
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from typing import Any

TIME_LIMIT = 5.0  # seconds per call (each takes milliseconds; imports are done before the sweep)
MEMORY_LIMIT = 3 << 30  # bytes of address space beyond the sweep's own at the start

CLASSES = ('clear', 'fine', 'python', 'unrelated', 'hung', 'oom', 'late')

# The 22 bad values. Factories, so that a generator or a list is fresh for every call.
BAD: list[tuple[str, Callable[[], Any]]] = [
    ('None', lambda: None),
    ("'a'", lambda: 'a'),
    ('nan', lambda: math.nan),
    ('inf', lambda: math.inf),
    ('-1', lambda: -1),
    ('0', lambda: 0),
    ('10**9', lambda: 10 ** 9),
    ('10**400', lambda: 10 ** 400),
    ('[]', lambda: []),
    ('{}', lambda: {}),
    ('generator', lambda: (x for x in [1.0, 2.0])),
    ('Value(1.0)', lambda: _mgp().Value(1.0)),
    ('2.5', lambda: 2.5),
    ('True', lambda: True),
    ('-2.5', lambda: -2.5),
    ('[[1.0, 2.0], [3.0]]', lambda: [[1.0, 2.0], [3.0]]),
    ('object()', lambda: object()),
    ('lambda x: x', lambda: (lambda x: x)),
    ('-inf', lambda: -math.inf),
    ('1e308', lambda: 1e308),
    ("'12'", lambda: '12'),
    ("{'a': 1}", lambda: {'a': 1}),
]


def _mgp() -> Any:
    return importlib.import_module('micrograd_plus')


# ---------------------------------------------------------------- what is swept

# Public names that are not swept, with the reason. Everything else public in the package must have a spec.
NOT_SWEPT = {
    'codegen': 'the generator of engine.py, run by `make generate`; register_op is its public door',
    'ops': "the derivative table's vocabulary (f_div, exp, zero_if...), called by generated code on floats; "
           'Op rows are checked where they enter, by register_op',
    '__main__': 'runs the command line (teach.cli.main is swept)',
    'checks': 'the checking helpers themselves: they take anything and say what is wrong with it',
}
NOT_SWEPT_NAMES = {
    # records: a NamedTuple or dataclass stores its fields as given, like any tuple; what reads them checks them
    'engine.ModeState': 'a record (NamedTuple); set_mode() checks it',
    'training.Best': 'a record (NamedTuple) that History.best() returns',
    'autodiff.GradcheckReport': 'a result (dataclass) that gradcheck() builds',
    'teach.explain.Term': 'a record (NamedTuple)',
    # whose constructor is not ours: the class adds methods only
    'viz.text.TextView': "str's own constructor",
    'nn.module.Module.__call__': 'abstract: each subclass defines it (and is swept)',
    'engine.Value.vjp': "generated code that grad() runs once per node, with numbers the engine made: grad() checks "
                        'its own arguments, and a check here would cost every node',
}
NOT_SWEPT_PARAMETERS = {
    'viz.render.Digraph.render': {'view': 'True opens a picture viewer', 'quiet_view': 'True opens a viewer'},
}

# Modules whose checks are not done yet (owned by other work in progress): swept and reported, not asserted.
NOT_YET_CHECKED: tuple[str, ...] = ()
# Single parameters of checked modules whose outcome is decided in one of those (listed in the report)
DEPENDS_ON_UNCHECKED: dict[tuple[str, str], str] = {}


@dataclasses.dataclass
class Spec:
    """How to call one public function, class or method with good arguments.

    ``good`` returns a dict of good values by parameter name (``'self'``: the object a method is called
    on; ``'*args'`` names and ``'**kwargs'`` names hold a list and a dict). Parameters it leaves out get
    their defaults. ``then(result, arguments)`` uses the result as a user would next."""
    good: Callable[[], dict[str, Any]]
    then: Callable[[Any, dict[str, Any]], Any] | None = None


SPECS: dict[str, Spec] = {}


def spec(*names: str, then: Callable[[Any, dict[str, Any]], Any] | None = None) -> Callable[..., Any]:
    def register(good: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        for name in names:
            SPECS[name] = Spec(good, then)
        return good
    return register


# ---------------------------------------------------------------- good values

def value(x: float = 0.5, label: str = 'x') -> Any:
    return _mgp().Value(x, label=label)


def after_backward() -> tuple[Any, Any]:
    """(root, x): the lecture's small graph y = tanh(x * x + 1), after backward()."""
    x = value(0.5, 'x')
    y = (x * x + 1).tanh()
    y.label = 'y'
    y.backward()
    return y, x


def op_node() -> Any:
    return value(0.5) * value(2.0, 'w')


def mlp() -> Any:
    return _mgp().nn.MLP(2, [2, 1], rng=0)


def scores() -> list[Any]:
    return [value(0.5, 's0'), value(-1.0, 's1')]


def params() -> list[Any]:
    ps = [value(0.5, 'p0'), value(-1.5, 'p1')]
    ps[0].grad, ps[1].grad = 0.3, -0.4
    return ps


class FakeAxes:
    """Stands in for matplotlib axes: History.plot draws on it without opening a figure."""

    def plot(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_xlabel(self, *args: Any) -> None:
        pass

    def set_yscale(self, *args: Any) -> None:
        pass

    def legend(self) -> None:
        pass


def use_model(model: Any, _: Any = None) -> None:
    out = model([1.0, -2.0])
    outs = out if isinstance(out, list) else [out]
    sum(outs[1:], outs[0]).backward()


def backward(out: Any, _: Any = None) -> None:
    out.backward()


# engine
spec('engine.Value', then=lambda v, _: (repr(v), v.backward(), _text_view(v)))(lambda: {'data': 2.0})
spec('engine.Value.explain')(lambda: dict(zip(('root', 'self'), after_backward())))
spec('engine.Value.rule_inputs')(lambda: {'self': op_node(), 'as_values': True})
spec('engine.dot', then=backward)(lambda: {'weights': [value(1.0), value(2.0)], 'inputs': [3.0, 4.0], 'bias': 0.5})
spec('engine.topological_order')(lambda: {'root': op_node()})
spec('engine.register_op', then=lambda cls, a: getattr(_mgp().Value(2.0), a.get('method') or 'sweep_cube')())(
    lambda: {'op': _mgp().Op('sweep_cube', 'x ** 3', ('3 * x ** 2',)), 'method': 'sweep_cube'})
spec('engine.as_number')(lambda: {'x': 1.5, 'accepted': 'a number'})
spec('engine.format_exponent')(lambda: {'c': 2.0})
spec('engine.set_mode', then=lambda switch, _: _mgp().engine.reset_mode(switch))(
    lambda: {'state': _mgp().engine.ModeState(False, False)})
spec('engine.reset_mode')(  # its parameter is 'token' where set_mode returns a contextvars.Token (main, 37ddbb0)
    lambda: dict.fromkeys(('switch', 'token'), _mgp().engine.set_mode(_mgp().engine.ModeState(False, False))))
spec('engine.is_dot', 'engine.is_hand_built', 'engine.hand_built_backward_given', 'engine.describe')(
    lambda: {'node': op_node()})
spec('engine.BackwardRecord.remember')(lambda: {'self': _mgp().engine.BackwardRecord(), 'output': op_node(),
                                               'inner': []})

# autodiff
spec('autodiff.Mode', then=lambda mode, _: _in_mode(mode))(lambda: {'grad_enabled': False})
spec('autodiff.Mode.__call__', then=lambda f, _: f(1.0))(lambda: {'self': _mgp().no_grad(),
                                                                 'function': lambda x: x * 2})
spec('autodiff.grad')(lambda: _grad_args())
spec('autodiff.central_difference')(lambda: {'f': lambda x: x * x, 'args': [0.5], 'arg': 0, 'eps': 1e-6})
spec('autodiff.gradcheck', then=lambda report, _: str(report))(
    lambda: {'f': lambda x: x * x, 'values': [0.5], 'second_order': False})

# compile
spec('compile.compile_graph', then=lambda program, a: program([0.5, 2.0][:len(a['inputs'])]))(
    lambda: _compile_arguments())
spec('compile.Program.__call__', 'compile.Program.code')(
    lambda: {'self': _mgp().compile_graph(**_compile_arguments()), 'values': [0.5, 2.0], 'start': 0, 'stop': 5})

# nn
spec('nn.samples.name_samples')(lambda: {'nodes': [mlp().batch([[1.0, 2.0], [0.5, -1.0]])[0]]})
spec('nn.module.Module.batch')(lambda: {'self': mlp(), 'samples': [[1.0, 2.0], [0.5, -1.0]]})
spec('nn.module.Module.named_modules', 'nn.module.Module.named_parameters', then=lambda it, _: list(it))(
    lambda: {'self': mlp(), 'prefix': 'model'})
spec('nn.module.Module.train')(lambda: {'self': mlp(), 'mode': True})
spec('nn.module.Module.load_state_dict')(lambda: {'self': mlp(), 'state': mlp().state_dict()})
spec('nn.module.Module.save')(lambda: {'self': mlp(), 'path': 'model.json'})
spec('nn.module.Module.load')(lambda: {'self': mlp(), 'path': _saved_model()})
spec('nn.micrograd.Neuron', then=use_model)(lambda: {'nin': 2, 'rng': 0})
spec('nn.micrograd.Neuron.__call__')(lambda: {'self': _mgp().nn.Neuron(2, rng=0), 'x': [1.0, 2.0]})
spec('nn.micrograd.Layer', then=use_model)(lambda: {'nin': 2, 'nout': 2, 'kwargs': {'rng': 0}})
spec('nn.micrograd.Layer.outputs', 'nn.micrograd.Layer.__call__')(
    lambda: {'self': _mgp().nn.Layer(2, 2, rng=0), 'x': [1.0, 2.0]})
spec('nn.micrograd.MLP', then=use_model)(lambda: {'nin': 2, 'nouts': [2, 1], 'rng': 0})
spec('nn.micrograd.MLP.__call__')(lambda: {'self': mlp(), 'x': [1.0, 2.0]})
spec('nn.layers.Linear', then=use_model)(lambda: {'nin': 2, 'nout': 2, 'rng': 0})
spec('nn.layers.Linear.__call__')(lambda: {'self': _mgp().nn.Linear(2, 2, rng=0), 'x': [1.0, 2.0]})
spec('nn.layers._Activation.__call__')(lambda: {'self': _mgp().nn.ReLU(), 'x': [1.0, -2.0]})
spec('nn.layers.Sequential', then=use_model)(lambda: {'modules': [_mgp().nn.Linear(2, 2, rng=0), _mgp().nn.ReLU()]})
spec('nn.layers.Sequential.__call__', 'nn.layers.Sequential.batch')(
    lambda: {'self': _mgp().nn.Sequential(_mgp().nn.Linear(2, 1, rng=0)), 'x': [1.0, 2.0],
             'samples': [[1.0, 2.0], [3.0, 4.0]]})
spec('nn.layers.Dropout', then=lambda d, _: _mgp().nn.Sequential(_mgp().nn.Linear(2, 2, rng=0), d)([1.0, 2.0]))(
    lambda: {'p': 0.5, 'rng': 0})
spec('nn.layers.Dropout.__call__')(lambda: {'self': _mgp().nn.Dropout(0.5, rng=0), 'x': [1.0, 2.0]})
spec('nn.layers.BatchNorm', then=lambda bn, _: (bn.batch([[1.0, 2.0], [3.0, 5.0]]), bn.eval()([1.0, 2.0])))(
    lambda: {'num_features': 2})
spec('nn.layers.BatchNorm.__call__')(lambda: {'self': _mgp().nn.BatchNorm(2).eval(), 'x': [1.0, 2.0]})
spec('nn.layers.BatchNorm.batch')(lambda: {'self': _mgp().nn.BatchNorm(2), 'samples': [[1.0, 2.0], [3.0, 5.0]]})
spec('nn.layers.Residual', then=use_model)(lambda: {'module': _mgp().nn.Linear(2, 2, rng=0)})
spec('nn.layers.Residual.__call__', 'nn.layers.Residual.batch')(
    lambda: {'self': _mgp().nn.Residual(_mgp().nn.Linear(2, 2, rng=0)), 'x': [1.0, 2.0],
             'samples': [[1.0, 2.0], [3.0, 4.0]]})
spec('nn.layers.grad_norms')(lambda: {'model': mlp(), 'by': 'layer'})
spec('nn.torch.from_torch')(lambda: {'module': _torch_linear()})

# losses
spec('losses.mse', 'losses.hinge', 'losses.binary_cross_entropy_with_logits', then=backward)(
    lambda: {'predictions': scores(), 'scores': scores(), 'logits': scores(), 'targets': [1.0, 0.0],
             'labels': [1, -1], 'margin': 1.0, 'reduction': 'mean'})
spec('losses.softplus', then=backward)(lambda: {'x': value()})
spec('losses.log_softmax', 'losses.softmax', then=lambda out, _: out[0].backward())(lambda: {'scores': scores()})
spec('losses.cross_entropy', then=backward)(lambda: {'scores': [scores(), scores()], 'targets': [0, 1]})
spec('losses.l2_penalty', 'losses.l1_penalty', then=backward)(lambda: {'parameters': params(), 'alpha': 1e-4})
spec('losses.accuracy')(lambda: {'predictions': [1, 0, 1], 'targets': [1, 1, 1]})

# optim
spec('optim.Optimizer')(lambda: {'params': params()})
spec('optim.SGD', 'optim.Adam', then=lambda optimizer, _: (optimizer.step(), optimizer.step()))(
    lambda: {'params': params(), 'lr': 0.1, 'momentum': 0.9})
spec('optim.grad_norm', 'optim.clip_grad_norm', 'optim.clip_grad_value')(
    lambda: {'params': params(), 'norm_type': 2.0, 'max_norm': 1.0, 'clip_value': 0.1})

# data
spec('data.random_source')(lambda: {'seed': 0})
spec('data.make_moons', 'data.make_circles', 'data.make_spiral', 'data.make_xor', 'data.make_blobs')(
    lambda: {'n_samples': 12, 'seed': 0})
spec('data.train_test_split')(lambda: {'X': [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]], 'y': [0, 1, 0, 1],
                                       'seed': 0})
spec('data.batches', then=lambda epoch, _: list(epoch))(
    lambda: {'X': [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], 'y': [0, 1, 0], 'batch_size': 2, 'seed': 0})

# training
spec('training.History.record')(lambda: {'self': _mgp().training.History(), 'step': 0, 'metrics': {'loss': 0.5}})
spec('training.History.best', 'training.History.plot')(
    lambda: {'self': _history(), 'metric': 'loss', 'metrics': ['loss'], 'ax': FakeAxes()})
spec('training.EarlyStopping', then=lambda stopper, _: (stopper.step(0.5, mlp()), stopper.step(0.7, mlp())))(
    lambda: {'patience': 2})
spec('training.EarlyStopping.improves')(lambda: {'self': _mgp().training.EarlyStopping(2), 'value': 0.5})
spec('training.EarlyStopping.step')(lambda: {'self': _mgp().training.EarlyStopping(2), 'value': 0.5,
                                             'model': mlp()})
spec('training.EarlyStopping.restore')(lambda: {'self': _stopped(), 'model': mlp()})

# saving
spec('saving.document')(lambda: {'model': 'MLP', 'state': {'w': 0.5}})
spec('saving.checked_values')(lambda: {'names': ['w'], 'state': {'w': 0.5}})
spec('saving.shortened')(lambda: {'text': 'a long text', 'limit': 8})
spec('saving.encode', 'saving.decode')(lambda: {'x': 0.5})
spec('saving.write_atomically')(lambda: {'path': _path('out.json'), 'text': '{}'})
spec('saving.read_parameter_file')(lambda: {'path': _path(_saved_model())})

# viz
spec('viz.walk.node_id', 'viz.walk.op_id')(lambda: {'node': op_node()})
spec('viz.walk.check_node')(lambda: {'what': 'trace(root)', 'node': op_node()})
spec('viz.walk.check_nodes')(lambda: {'what': 'node_roles(nodes)', 'nodes': [op_node(), value()], 'want': 'Values'})
spec('viz.walk.trace', 'viz.graph.trace')(lambda: {'root': op_node()})
spec('viz.walk.neighbourhood', 'viz.graph.neighbourhood')(lambda: dict(zip(('root', 'center'), after_backward())))
spec('viz.walk.nodes_around')(lambda: _around())
spec('viz.text.text_view')(lambda: {'root': after_backward()[0]})
spec('viz.render.choose_renderer', 'viz.render.available_renderer')(lambda: {'format': 'svg'})
spec('viz.render.check_format')(lambda: {'what': 'draw_dot(format=...)', 'format': 'svg'})
spec('viz.render.render_source')(lambda: {'source': 'digraph { a -> b }', 'format': 'svg'})
spec('viz.render.Digraph.pipe', 'viz.render.Digraph.render')(
    lambda: {'self': _digraph(), 'format': 'svg', 'filename': 'g.gv'})
spec('viz.graph.node_roles')(lambda: dict(zip(('nodes', 'root'), _trace_and_root())))
spec('viz.graph.neuron_clusters')(lambda: {'nodes': _trace_and_root()[0]})
spec('viz.graph.number_formatter')(lambda: {'number_format': '.4f'})
spec('viz.graph.draw_dot')(lambda: {'root': after_backward()[0]})
spec('viz.graph.to_svg')(lambda: {'root': after_backward()[0], 'options': {'rankdir': 'TB'}})
spec('viz.network.draw_network', 'viz.network.dense_columns')(
    lambda: {'model': mlp(), 'x': [1.0, -2.0], 'edges': 'weight', 'format': 'svg', 'number_format': '.2f',
             'max_neurons': 100, 'graph_attr': {'dpi': '96'}})

# teach
spec('teach.cli.parse')(lambda: {'expression': 'x * y + 1'})
spec('teach.cli.variables')(lambda: {'tree': _parsed()})
spec('teach.cli.evaluate')(lambda: {'tree': _parsed(), 'values': {'x': value(2.0), 'y': value(3.0, 'y')}})
spec('teach.cli.read_assignments')(lambda: {'assignments': ['x=2', 'y=3']})
spec('teach.cli.graph_command')(lambda: {'expression': 'x * y', 'assignments': ['x=2', 'y=3'], 'output': None})
spec('teach.cli.main')(lambda: {'argv': ['graph', 'x * y', 'x=2', 'y=3']})
spec('teach.explain.format_number')(lambda: {'x': 0.5, 'digits': 6})
spec('teach.explain.Explainer')(lambda: {'root': after_backward()[0]})
spec('teach.explain.Explainer.defined')(lambda: {'self': _mgp().teach.explain.Explainer(after_backward()[0]),
                                                 'text': 'y'})
spec('teach.explain.Explainer.name', 'teach.explain.Explainer.d', 'teach.explain.Explainer.forward',
     'teach.explain.Explainer.backward')(lambda: _explainer_and_node())
spec('teach.explain.explain')(lambda: dict(zip(('root', 'node'), after_backward())))
spec('teach.explain.Explainer.is_made_up')(lambda: {'self': _mgp().teach.explain.Explainer(after_backward()[0]),
                                                   'name': 'v3'})
spec('teach.stepper.steps')(lambda: {'root': after_backward()[0]})
spec('teach.stepper.StepperPage')(lambda: {'html_text': '<p>hi</p>', 'title': 'a page'})
spec('teach.stepper.StepperPage.save')(lambda: {'self': _mgp().teach.stepper.StepperPage('<p>hi</p>', 't'),
                                                'path': 'page.html'})
spec('teach.stepper.stepper')(lambda: {'root': after_backward()[0], 'path': 'page.html'})


def _text_view(v: Any) -> str:
    return str(importlib.import_module('micrograd_plus.viz').text_view(v))


def _in_mode(mode: Any) -> None:
    with mode:
        value() * 2


def _grad_args() -> dict[str, Any]:
    x = value()
    return {'output': x * x, 'inputs': [x]}


def _compile_arguments() -> dict[str, Any]:
    x, w = value(0.5, 'x'), value(2.0, 'w')
    return {'output': (x * w).tanh(), 'inputs': [x, w]}


def _saved_model() -> str:
    if not os.path.exists('saved.json'):
        mlp().save('saved.json')
    return 'saved.json'


def _path(name: str) -> Any:
    import pathlib
    return pathlib.Path(name)


def _torch_linear() -> Any:
    import torch
    return torch.nn.Linear(2, 1)


def _history() -> Any:
    history = _mgp().training.History()
    history.record(0, loss=0.5)
    history.record(1, loss=0.25)
    return history


def _stopped() -> Any:
    stopper = _mgp().training.EarlyStopping(1)
    stopper.step(0.5, mlp())
    return stopper


def _around() -> dict[str, Any]:
    root, x = after_backward()
    nodes, edges = importlib.import_module('micrograd_plus.viz').trace(root)
    return {'nodes': nodes, 'edges': edges, 'root': root, 'center': x, 'steps': 1}


def _trace_and_root() -> tuple[Any, Any]:
    root = after_backward()[0]
    return importlib.import_module('micrograd_plus.viz').trace(root)[0], root


def _digraph() -> Any:
    graph = importlib.import_module('micrograd_plus.viz').Digraph()
    graph.edge('a', 'b')
    return graph


def _parsed() -> Any:
    return importlib.import_module(_home('teach.cli')).parse('x * y + 1')


def _explainer_and_node() -> dict[str, Any]:
    root, x = after_backward()
    explain = importlib.import_module(_home('teach.explain'))
    return {'self': (getattr(explain, 'Explainer', None) or explain.ChainRule)(root), 'node': x}


# ---------------------------------------------------------------- finding the public names

# Where an older layout kept a module (before the restructure: cli, explain, stepper at the top; trace in graph)
OLD_HOMES = {'teach.cli': 'cli', 'teach.explain': 'explain', 'teach.stepper': 'stepper'}


def _home(module: str) -> str:
    name = f'micrograd_plus.{module}'
    try:
        found = importlib.import_module(name)
    except ImportError:
        return f'micrograd_plus.{OLD_HOMES[module]}'
    if not str(found.__file__).startswith(os.path.dirname(_mgp().__file__)):  # an editable install's, not ours
        return f'micrograd_plus.{OLD_HOMES[module]}'
    return name


def public_modules() -> list[str]:
    """Every submodule of the package, as 'nn', 'viz.graph', 'teach.cli' (the old layout's names mapped)."""
    package = _mgp()
    names = []
    for info in pkgutil.walk_packages(package.__path__, 'micrograd_plus.'):
        short = info.name[len('micrograd_plus.'):]
        if info.ispkg or any(part.startswith('_') for part in short.split('.')):
            continue
        names.append({old: new for new, old in OLD_HOMES.items()}.get(short, short))
    return sorted(names)


@dataclasses.dataclass
class Target:
    name: str          # 'nn.micrograd.MLP', 'nn.module.Module.save', 'engine.Value'
    module: str        # 'nn'
    function: Any      # what is called: the class, or the plain function (methods: with self first)
    signature: inspect.Signature


def _own_callables(module: str) -> Iterator[tuple[str, Any]]:
    real = importlib.import_module(_home(module))
    names = getattr(real, '__all__', None)
    for name, obj in vars(real).items():
        if name.startswith('_') or (names is not None and name not in names):
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, '__module__', None) == real.__name__:
            yield name, obj


def _package_code(function: Any) -> bool:
    code = getattr(function, '__code__', None)
    return code is not None and code.co_filename.startswith(os.path.dirname(_mgp().__file__))


def targets() -> tuple[list[Target], list[str]]:
    """Every public function, constructor and public method with parameters, and the names not swept."""
    found: list[Target] = []
    skipped: list[str] = []
    seen: set[int] = set()
    for module in public_modules():
        if module.split('.')[0] in NOT_SWEPT:
            continue
        for name, obj in _own_callables(module):
            qualified = f'{module}.{name}'
            if id(obj) in seen:  # an alias, like losses.max_margin for hinge
                continue
            seen.add(id(obj))
            if qualified in NOT_SWEPT_NAMES:
                skipped.append(qualified)
                continue
            if inspect.isfunction(obj):
                found.append(Target(qualified, module, obj, inspect.signature(obj)))
                continue
            if issubclass(obj, BaseException):
                skipped.append(qualified)
                continue
            found.extend(_class_targets(module, qualified, obj, seen))
    return [t for t in found if _swept_parameters(t)], skipped


def _class_targets(module: str, qualified: str, cls: type, seen: set[int]) -> Iterator[Target]:
    constructor = next((klass.__dict__[m] for klass in cls.__mro__ for m in ('__init__', '__new__')
                        if m in klass.__dict__), None)
    if constructor is not None and _package_code(getattr(constructor, '__func__', constructor)):
        yield Target(qualified, module, cls, inspect.signature(cls))
    for klass in cls.__mro__:
        for name, member in klass.__dict__.items():
            if (name.startswith('_') and name != '__call__') or not inspect.isfunction(member):
                continue
            if id(member) in seen or not _package_code(member):
                continue
            seen.add(id(member))
            # an inherited method is named by the class that defines it, wherever the sweep meets it first
            home = klass.__module__.removeprefix('micrograd_plus.')
            owner = qualified if klass is cls else f'{home}.{klass.__qualname__}'
            if f'{owner}.{name}' in NOT_SWEPT_NAMES:
                continue
            yield Target(f'{owner}.{name}', module, member, inspect.signature(member))


def _swept_parameters(target: Target) -> list[inspect.Parameter]:
    skip = NOT_SWEPT_PARAMETERS.get(target.name, {})
    return [p for p in target.signature.parameters.values() if p.name not in ('self', 'cls') and p.name not in skip]


# ---------------------------------------------------------------- calling and classifying

class Hung(BaseException):
    """Raised by the timer: the call did not return within TIME_LIMIT."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hung


def call(target: Target, arguments: dict[str, Any]) -> Any:
    """The target with these arguments; a method is looked up on its object, so a subclass's override runs."""
    function = target.function
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    by_keyword = False  # after a parameter left to its default, the rest go by name
    for p in target.signature.parameters.values():
        if p.name not in arguments:
            by_keyword = by_keyword or p.kind is not p.VAR_POSITIONAL
            continue
        given = arguments[p.name]
        if p.name == 'self':
            function = getattr(given, function.__name__)
        elif p.kind is p.VAR_POSITIONAL:
            args.extend(given)
        elif p.kind is p.VAR_KEYWORD:
            kwargs.update(given)
        elif p.kind is p.POSITIONAL_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and not by_keyword):
            args.append(given)
        else:
            kwargs[p.name] = given
    return function(*args, **kwargs)


def _good_arguments(target: Target, specs: dict[str, Spec]) -> tuple[Spec, dict[str, Any]]:
    found = specs.get(target.name) or _alias_spec(target, specs)
    if found is None:
        wanted = [p.name for p in _swept_parameters(target)]
        raise LookupError(f'no spec for {target.name}: add good values for {wanted} '
                          'to SPECS in tests/argument_sweep.py')
    good = found.good()
    arguments = {}
    for p in target.signature.parameters.values():
        if p.name in good:
            arguments[p.name] = good[p.name]
        elif p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise LookupError(f'the spec of {target.name} has no good value for its parameter {p.name!r}')
    return found, arguments


OLD_NAMES = {'ChainRule': 'Explainer'}  # explain's class before the restructure


def _alias_spec(target: Target, specs: dict[str, Spec]) -> Spec | None:
    """An older layout's name for the same thing: the spec whose name ends the same way, if only one does."""
    tail = target.name.split('.', 1)[1] if '.' in target.name else target.name
    for old, new in OLD_NAMES.items():
        tail = tail.replace(old, new)
    matches = [s for name, s in specs.items() if name.endswith('.' + tail)]
    return matches[0] if len(matches) == 1 else None


@functools.cache
def _raise_lines(filename: str) -> frozenset[int]:
    """The line numbers a ``raise`` statement spans in a file."""
    try:
        with open(filename, encoding='utf-8') as file:
            tree = ast.parse(file.read())
    except (OSError, SyntaxError):
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def raised_by_package(error: BaseException) -> bool:
    """True when the innermost frame is a ``raise`` statement in micrograd_plus (not a builtin's error)."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    package = os.path.dirname(_mgp().__file__)
    return filename.startswith(package) and tb.tb_lineno in _raise_lines(filename)


# Raised on purpose by micrograd_plus (besides TypeError and ValueError) about what an argument leads to: a
# metric name never recorded (KeyError, as a dict says it), a file that is not there, a non-finite norm.
DELIBERATE = (KeyError, OSError, FloatingPointError, ImportError)


def classify(error: BaseException | None) -> str:
    if error is None:
        return 'fine'
    if isinstance(error, Hung):
        return 'hung'
    if isinstance(error, MemoryError):
        return 'oom'
    ours = raised_by_package(error)
    if isinstance(error, (TypeError, ValueError)):
        return 'clear' if ours else 'python'
    if isinstance(error, OSError) and error.filename is not None:
        return 'clear'  # the file that was given is missing, a folder, not writable...: the right error
    if ours and (isinstance(error, DELIBERATE) or type(error).__module__.startswith('micrograd_plus')):
        return 'clear'  # said on purpose about what the argument leads to (e.g. no metric of that name)
    return 'unrelated'


def where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ''
    last = frames[-1]
    return f'{os.path.relpath(last.filename, os.path.dirname(os.path.dirname(_mgp().__file__)))}:{last.lineno}'


def mentions(message: str, bad: Any) -> bool:
    """Whether an error message names what was given: its repr (when short) or its type."""
    shown = repr(bad)
    if len(shown) <= 40 and shown in message:
        return True
    kind = type(bad).__name__
    return kind in message or (callable(bad) and 'function' in message)


@dataclasses.dataclass
class Outcome:
    target: str
    parameter: str
    bad: str
    outcome: str
    error: str = ''
    message: str = ''
    where: str = ''
    names_given: bool = True


def run_one(target: Target, make: Callable[[], tuple[Spec, dict[str, Any]]], parameter: str, bad: str) -> Outcome:
    """Make the arguments and call, in a context of its own: a mode a failed call leaves on stays in there."""
    random.seed(0)
    stage = 'call'
    error: BaseException | None = None
    arguments: dict[str, Any] = {}
    context = contextvars.copy_context()
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            stage = 'arguments'
            spec_, arguments = context.run(make)
            stage = 'call'
            result = context.run(call, target, arguments)
            if spec_.then is not None:
                stage = 'then'
                context.run(spec_.then, result, arguments)
    except BaseException as caught:  # the sweep classifies everything, KeyboardInterrupt aside
        if isinstance(caught, KeyboardInterrupt) or stage == 'arguments':
            raise
        error = caught
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    outcome = classify(error)
    if stage == 'then' and outcome == 'clear':
        outcome = 'late'
    if error is None:
        return Outcome(target.name, parameter, bad, outcome)
    message = str(error).splitlines()[0][:300] if str(error) else ''
    given = arguments.get(parameter)
    if parameter in arguments and isinstance(given, (list, dict)) and _is_var(target, parameter):
        given = next(iter(given.values() if isinstance(given, dict) else given), None)
    return Outcome(target.name, parameter, bad, outcome, type(error).__name__, message, where(error),
                   mentions(str(error), given))


def _is_var(target: Target, parameter: str) -> bool:
    p = target.signature.parameters[parameter]
    return p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)


def _bad_arguments(target: Target, parameter: str, make: Callable[[], Any]) -> tuple[Spec, dict[str, Any]]:
    spec_, good = _good_arguments(target, SPECS)
    return spec_, _with_bad(target, good, parameter, make())


def _with_bad(target: Target, good: dict[str, Any], parameter: str, bad: Any) -> dict[str, Any]:
    arguments = dict(good)
    p = target.signature.parameters[parameter]
    if p.kind is p.VAR_POSITIONAL:
        arguments[parameter] = [bad]
    elif p.kind is p.VAR_KEYWORD:
        keys = list(good.get(parameter) or {'extra': None})
        arguments[parameter] = {**good.get(parameter, {}), keys[0]: bad}
    else:
        arguments[parameter] = bad
    return arguments


def sweep(only: str | None = None) -> dict[str, Any]:
    """Run every call; returns {'outcomes': [...], 'broken_specs': [...], 'not_swept': [...]}."""
    found, skipped = targets()
    outcomes: list[Outcome] = []
    broken: list[str] = []
    start = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        for target in found:
            if (only and only not in target.name) or (
                    target.name in NEEDS and importlib.util.find_spec(NEEDS[target.name]) is None):
                continue
            folder = os.path.join(scratch, target.name)
            os.mkdir(folder)
            os.chdir(folder)
            try:
                try:
                    baseline = run_one(target, functools.partial(_good_arguments, target, SPECS), '', '')
                except LookupError as missing:
                    broken.append(str(missing))
                    continue
                if baseline.outcome != 'fine':
                    broken.append(f'{target.name}: the good call failed: {baseline.error}: {baseline.message} '
                                  f'({baseline.where})')
                    continue
                for p in _swept_parameters(target):
                    if p.kind is p.VAR_KEYWORD and not _good_arguments(target, SPECS)[1].get(p.name):
                        continue
                    for bad_name, make in BAD:
                        outcomes.append(run_one(target, functools.partial(_bad_arguments, target, p.name, make),
                                                p.name, bad_name))
            finally:
                os.chdir(start)
    return {'outcomes': [dataclasses.asdict(o) for o in outcomes], 'broken_specs': broken, 'not_swept': skipped}


def counts(outcomes: list[dict[str, Any]]) -> dict[str, int]:
    tally = collections.Counter(o['outcome'] for o in outcomes)
    return {kind: tally.get(kind, 0) for kind in CLASSES}


def checked(outcome: dict[str, Any]) -> bool:
    """Whether this call's module is expected to check its arguments already (see NOT_YET_CHECKED)."""
    module = outcome['target']
    return (not any(module == m or module.startswith(m + '.') for m in NOT_YET_CHECKED)
            and (outcome['target'], outcome['parameter']) not in DEPENDS_ON_UNCHECKED)


def _limit_memory() -> None:
    import resource  # POSIX only, like the timer
    with open('/proc/self/statm') as statm:
        pages = int(statm.read().split()[0])
    size = pages * os.sysconf('SC_PAGE_SIZE') + MEMORY_LIMIT
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (size, hard))


# Targets whose good call needs a package micrograd_plus never installs: swept only where it is installed
NEEDS = {'nn.torch.from_torch': 'torch'}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', metavar='FILE', help='write the records here')
    parser.add_argument('--all', action='store_true', help='print every call, not only the problems')
    parser.add_argument('--only', help='sweep only the targets whose name contains this')
    arguments = parser.parse_args(argv)
    os.environ.setdefault('MPLBACKEND', 'Agg')
    # the slow imports before the memory limit and outside the time limit: Graphviz, and what is installed of
    # PyTorch (from_torch) and matplotlib (History.plot)
    for name in ('micrograd_plus.viz.graph', 'torch', 'matplotlib.pyplot'):
        if importlib.util.find_spec(name.split('.')[0]) is not None:
            importlib.import_module(name)
    if sys.platform.startswith('linux'):
        _limit_memory()
    signal.signal(signal.SIGALRM, _alarm)
    result = sweep(arguments.only)
    if arguments.json:
        with open(arguments.json, 'w', encoding='utf-8') as file:
            json.dump(result, file, indent=0)
    outcomes = result['outcomes']
    for o in outcomes:
        if arguments.all or o['outcome'] not in ('clear', 'fine'):
            print(f"{o['outcome']:<9} {o['target']}({o['parameter']}={o['bad']}): {o['error']}: {o['message'][:160]}"
                  f"  [{o['where']}]")
    for problem in result['broken_specs']:
        print('SPEC', problem)
    print(f'package: {os.path.dirname(_mgp().__file__)}')
    print(f"{len(outcomes)} calls over {len({o['target'] for o in outcomes})} functions and methods:",
          ', '.join(f'{n} {kind}' for kind, n in counts(outcomes).items()))
    own = [o for o in outcomes if checked(o)]
    print(f'  of which in checked modules: {len(own)} calls:', ', '.join(f'{n} {k}' for k, n in counts(own).items()))
    vague = [o for o in outcomes if o['outcome'] == 'clear' and not o['names_given']]
    print(f'  clear errors whose message does not name what was given: {len(vague)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
