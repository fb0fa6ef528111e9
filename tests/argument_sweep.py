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
    PYTHONPATH=/tmp/other python tests/argument_sweep.py   another copy of the package (same layout)

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
    'checks': 'the checking helpers themselves: they take anything and say what is wrong with it',
    'rules': "the rule language of ops.py's rows: a row enters through register_op (swept), which parses it here",
    'compile.kernels': "compile_graph's loop writer, called with what its own walk made (compile_graph is swept)",
    'compile.schedule': "compile_graph's walk over a graph it was given (compile_graph is swept)",
    'compile.printer': "a Program's printer (Program.code and Program.source are swept)",
}
NOT_SWEPT_NAMES = {
    # records: a NamedTuple or dataclass stores its fields as given, like any tuple; what reads them checks them
    'modes.ModeState': 'a record (NamedTuple); set_mode() checks it',
    'hooks.RemovableHandle': 'made by register_hook and register_forward_hook, which check their arguments',
    'training.Best': 'a record (NamedTuple) that History.best() returns',
    'autodiff.GradcheckReport': 'a result (dataclass) that gradcheck() builds',
    'teach.explain.Term': 'a record (NamedTuple)',
    # whose constructor is not ours: the class adds methods only
    'viz.text.TextView': "str's own constructor",
    'nn.module.Module.__call__': 'abstract: each subclass defines it (and is swept)',
    'playground.server.serve': 'serves until Ctrl-C: its port and settings go to PlaygroundServer, which is swept',
    'playground.server.PlaygroundServer.handle_error': 'socketserver calls it with its own request, inside a handler',
    'engine.Value.vjp': "generated code that grad() runs once per node, with numbers the engine made: grad() checks "
                        'its own arguments, and a check here would cost every node',
    # the engine's own helpers, called with what the engine made; their public doors are swept
    'modes.backward_checked': "backward()'s walk under detect_anomaly(): swept through engine.Value's backward",
    'modes.non_finite_result': "an op's error under detect_anomaly(): the engine passes what the op made",
    'copying.deepcopy_graph': "Value.__deepcopy__'s body: copy.deepcopy(value) is the door",
    'copying.pickled_graph': "Value.__reduce_ex__'s body: pickle.dumps(value) is the door",
    'copying.rebuilt': 'rebuilds a node from what copying wrote: copy.deepcopy and pickle.loads are the doors',
    'copying.graph_from_records': 'what pickle.loads calls with what pickled_graph wrote',
}
NOT_SWEPT_PARAMETERS = {
    'viz.render.Digraph.render': {'view': 'True opens a picture viewer', 'quiet_view': 'True opens a viewer'},
}


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


def _close_figures() -> None:
    importlib.import_module('matplotlib.pyplot').close('all')


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
spec('engine.Value.leaky_relu', then=backward)(lambda: {'self': value(-0.5), 'negative_slope': 0.2})
spec('engine.Value.elu', then=backward)(lambda: {'self': value(-0.5), 'alpha': 0.5})
spec('engine.Value.clamp', then=backward)(lambda: {'self': value(0.5), 'min': 0.0, 'max': 1.0})
spec('engine.Value.softplus', then=backward)(lambda: {'self': value(0.5), 'beta': 2.0, 'threshold': 10.0})
spec('engine.Value.maximum', then=backward)(lambda: {'self': value(0.5), 'other': value(1.5)})
spec('engine.dot', then=backward)(lambda: {'weights': [value(1.0), value(2.0)], 'inputs': [3.0, 4.0], 'bias': 0.5})
spec('engine.topological_order')(lambda: {'root': op_node()})
spec('register.register_op', then=lambda cls, a: getattr(_mgp().Value(2.0), a.get('method') or 'sweep_cube')())(
    lambda: {'op': _mgp().Op('sweep_cube', 'x ** 3', ('3 * x ** 2',)), 'method': 'sweep_cube'})
spec('engine.format_exponent')(lambda: {'c': 2.0})
spec('engine.is_hand_built', 'engine.hand_built_backward_given', 'modes.describe')(
    lambda: {'node': op_node()})

# modes and hooks
spec('modes.set_mode', then=lambda token, _: _mgp().modes.reset_mode(token))(
    lambda: {'state': _mgp().modes.ModeState(False, False)})
spec('modes.reset_mode')(lambda: {'token': _mgp().modes.set_mode(_mgp().modes.ModeState(False, False))})
spec('modes.follow_plain')(lambda: {'follower': lambda plain: None})
spec('modes.Mode', then=lambda mode, _: _in_mode(mode))(lambda: {'grad_enabled': False})
spec('modes.Mode.__call__', then=lambda f, _: f(1.0))(lambda: {'self': _mgp().no_grad(),
                                                              'function': lambda x: x * 2})
spec('listeners.explain')(lambda: dict(zip(('root', 'node'), after_backward())))

# activations
spec('activations.activation')(lambda: {'name': 'tanh', 'what': 'activation'})

# autodiff
spec('autodiff.grad')(lambda: _grad_args())
spec('engine.Value.backward')(lambda: {'self': op_node(), 'gradient': 2.0})
spec('engine.Value.register_hook', then=lambda handle, a: ((a['self'] * 2).backward(), handle.remove()))(
    lambda: {'self': value(), 'hook': lambda g: 2 * g})
spec('functional.jvp')(lambda: {'f': lambda x, y: x * y, 'primals': [0.5, 2.0], 'tangents': [1.0, 0.0]})
spec('functional.jacobian', 'functional.hessian')(
    lambda: {'f': lambda x, y: (x * y).tanh(), 'inputs': [0.5, 2.0], 'mode': 'forward'})
spec('functional.graph_order')(lambda: {'outputs': [op_node(), value()]})
spec('functional.forward_pass')(lambda: _forward_pass_args())
spec('autodiff.central_difference')(lambda: {'f': lambda x: x * x, 'args': [0.5], 'arg': 0, 'eps': 1e-6})
spec('autodiff.gradcheck', then=lambda report, _: str(report))(
    lambda: {'f': lambda x: x * x, 'values': [0.5], 'second_order': False})

# compile
spec('compile.program.compile_graph', then=lambda program, a: program([0.5, 2.0][:len(a['inputs'])]))(
    lambda: _compile_arguments())
spec('compile.program.Program.__call__', 'compile.program.Program.code')(
    lambda: {'self': _mgp().compile_graph(**_compile_arguments()), 'values': [0.5, 2.0], 'start': 0, 'stop': 5})

# nn
spec('nn.samples.name_samples')(lambda: {'nodes': [mlp().batch([[1.0, 2.0], [0.5, -1.0]])[0]]})
spec('nn.module.Module.batch')(lambda: {'self': mlp(), 'samples': [[1.0, 2.0], [0.5, -1.0]]})
spec('nn.module.Module.named_modules', 'nn.module.Module.named_parameters', then=lambda it, _: list(it))(
    lambda: {'self': mlp(), 'prefix': 'model'})
spec('nn.module.Module.register_forward_hook', then=lambda handle, a: (a['self']([1.0, 2.0]), handle.remove()))(
    lambda: {'self': mlp(), 'hook': lambda module, inputs, output: None})
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
spec('nn.conv.Conv2d', then=lambda conv, _: conv([[[1.0, 2.0, 0.5], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]]))(
    lambda: {'in_channels': 1, 'out_channels': 2, 'kernel_size': 2, 'stride': 1, 'padding': 1, 'bias': True,
             'rng': 0})
spec('nn.conv.Conv2d.kernel', 'nn.conv.Conv2d.__call__')(
    lambda: {'self': _mgp().nn.Conv2d(1, 2, 2, rng=0), 'out_channel': 1, 'x': [[[1.0, 2.0], [0.5, 0.0]]]})
spec('nn.conv.MaxPool2d', 'nn.conv.AvgPool2d', then=lambda pool, _: pool([[[1.0, 2.0, 0.5], [0.0, 1.0, 2.0]]]))(
    lambda: {'kernel_size': 2, 'stride': 1, 'padding': 1})
spec('nn.conv._Pool.__call__')(lambda: {'self': _mgp().nn.MaxPool2d(2), 'x': [[[1.0, 2.0], [0.5, 0.0]]]})
spec('nn.conv.Flatten.__call__')(lambda: {'self': _mgp().nn.Flatten(), 'x': [[[1.0, 2.0], [0.5, 0.0]]]})
spec('nn.recurrent.RNNCell', then=lambda cell, _: cell([1.0, 2.0]))(
    lambda: {'input_size': 2, 'hidden_size': 1, 'nonlinearity': 'tanh', 'bias': True, 'rng': 0})
spec('nn.recurrent.RNN', then=lambda rnn, _: rnn([[1.0, 2.0]]))(
    lambda: {'input_size': 2, 'hidden_size': 1, 'nonlinearity': 'tanh', 'bias': True, 'rng': 0})
spec('nn.recurrent.RNNCell.__call__')(lambda: {'self': _mgp().nn.RNNCell(2, 1, rng=0), 'x': [1.0, 2.0], 'h': [0.5],
                                               't': 3})
spec('nn.recurrent.RNN.__call__')(lambda: {'self': _mgp().nn.RNN(2, 1, rng=0), 'xs': [[1.0, 2.0]], 'h0': [0.5]})
spec('nn.recurrent.Embedding', then=lambda embedding, _: embedding(1))(
    lambda: {'num_embeddings': 3, 'embedding_dim': 2, 'rng': 0})
spec('nn.recurrent.Embedding.__call__')(lambda: {'self': _mgp().nn.Embedding(3, 2, rng=0), 'index': [2, 0]})
spec('nn.layers.grad_norms', 'nn.layers.parameter_groups')(lambda: {'model': mlp(), 'by': 'layer'})
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
spec('optim.AdamW', 'optim.RMSprop', 'optim.Adagrad', then=lambda optimizer, _: (optimizer.step(), optimizer.step()))(
    lambda: {'params': params(), 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0.1, 'lr_decay': 0.1})
spec('lr_scheduler.LRScheduler', 'lr_scheduler.StepLR', 'lr_scheduler.ExponentialLR', 'lr_scheduler.LinearLR',
     'lr_scheduler.CosineAnnealingLR', then=lambda scheduler, _: (scheduler.step(), scheduler.get_last_lr()))(
    lambda: {'optimizer': _mgp().optim.SGD(params(), lr=0.1), 'step_size': 2, 'gamma': 0.5, 'T_max': 4,
             'start_factor': 0.5, 'total_iters': 3})
spec('optim.SGD', 'optim.Adam', then=lambda optimizer, _: (optimizer.step(), optimizer.step()))(
    lambda: {'params': params(), 'lr': 0.1, 'momentum': 0.9})
spec('optim.grad_norm', 'optim.clip_grad_norm', 'optim.clip_grad_value')(
    lambda: {'params': params(), 'norm_type': 2.0, 'max_norm': 1.0, 'clip_value': 0.1})

# data
spec('data.load_digits')(lambda: {'normalize': True})
spec('data.alphabet', 'data.encode', 'data.decode')(
    lambda: {'texts': ['emma', 'ava'], 'text': 'ava', 'characters': '.aemv', 'indices': [1, 4, 1]})
spec('data.random_source')(lambda: {'seed': 0})
spec('data.make_moons', 'data.make_circles', 'data.make_spiral', 'data.make_xor', 'data.make_blobs')(
    lambda: {'n_samples': 12, 'seed': 0})
spec('data.train_test_split')(lambda: {'X': [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]], 'y': [0, 1, 0, 1],
                                       'seed': 0})
spec('data.batches', then=lambda epoch, _: list(epoch))(
    lambda: {'X': [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], 'y': [0, 1, 0], 'batch_size': 2, 'seed': 0})

# plots (closing every figure after each call)
spec('plots.image_grid', 'plots.feature_maps', then=lambda _, __: _close_figures())(
    lambda: {'images': [[[1.0, 2.0], [0.0, 1.0]]], 'maps': [[[1.0, 2.0], [0.0, 1.0]]], 'titles': ['a'], 'axes': None,
             'colors': 'grey', 'title': 'channel', 'size': 1.0})
spec('plots.kernels', then=lambda _, __: _close_figures())(
    lambda: {'conv': _mgp().nn.Conv2d(1, 1, 2, rng=0), 'axes': None, 'size': 1.0})
spec('plots.unrolled', then=lambda _, __: _close_figures())(
    lambda: {'norms': [1e-3, 1.0], 'ax': None, 'label': 'h', 'title': 'gradient'})

spec('viz.collapse.collapsed', then=lambda root, _: root.label)(lambda: {'root': value()})

# training
spec('training.History.record')(lambda: {'self': _mgp().training.History(), 'step': 0, 'metrics': {'loss': 0.5}})
spec('training.History.best', 'training.History.plot')(
    lambda: {'self': _history(), 'metric': 'loss', 'metrics': ['loss'], 'ax': FakeAxes()})
spec('training.EarlyStopping', then=lambda stopper, _: (stopper.step(0.5, mlp()), stopper.step(0.7, mlp())))(
    lambda: {'patience': 2})
spec('training.EarlyStopping.improves')(lambda: {'self': _mgp().training.EarlyStopping(2), 'value': 0.5})
spec('training.EarlyStopping.step')(lambda: {'self': _mgp().training.EarlyStopping(2), 'value': 0.5,
                                             'model': mlp()})
spec('training.CompiledStep', then=lambda step, _: step([[1.0, 2.0], [0.0, 1.0]], [0, 1]))(
    lambda: {'model': _mgp().nn.Linear(2, 2, rng=0), 'example': [0.0, 0.0], 'classes': 2, 'batch_size': 2})
spec('training.CompiledStep.__call__')(
    lambda: {'self': _mgp().training.CompiledStep(_mgp().nn.Linear(2, 2, rng=0), [0.0, 0.0], 2, 2),
             'samples': [[1.0, 2.0], [0.0, 1.0]], 'labels': [0, 1]})
spec('training.EarlyStopping.restore')(lambda: {'self': _stopped(), 'model': mlp()})
spec('training.update_ratios')(lambda: {'model': mlp(), 'before': mlp().state_dict()})
spec('training.History.record_update_ratios')(
    lambda: {'self': _mgp().training.History(), 'step': 0, 'model': mlp(), 'before': mlp().state_dict()})

# plots (matplotlib's Agg backend: figures in memory only, closed before each call)
spec('plots.decision_boundary')(lambda: {'model': mlp(), 'X': [[0.0, 1.0], [1.0, 0.0]], 'y': [0, 1],
                                         'ax': _plot_axes(), 'resolution': 5, 'pad': 0.3, 'threshold': 0.0,
                                         'title': 'moons'})
spec('plots.layer_outputs')(lambda: {'model': mlp(), 'X': [[0.0, 1.0], [1.0, 0.0]]})
spec('plots.activation_histograms')(lambda: {'model': mlp(), 'X': [[0.0, 1.0], [1.0, 0.0]], 'bins': 5,
                                             'layers': [0], 'axes': [_plot_axes()]})
spec('plots.gradient_histograms')(lambda: {'model': _mlp_after_backward(), 'bins': 5, 'axes': [_plot_axes()] * 2})
spec('plots.update_ratios')(lambda: {'source': _update_history(), 'model': mlp(), 'ax': _plot_axes()})

# saving
spec('saving.document')(lambda: {'model': 'MLP', 'state': {'w': 0.5}})
spec('saving.checked_values')(lambda: {'names': ['w'], 'state': {'w': 0.5}})
spec('saving.shortened')(lambda: {'text': 'a long text', 'limit': 8})
spec('saving.printable')(lambda: {'text': 'a \x1b[2J text'})
spec('saving.encode', 'saving.decode')(lambda: {'x': 0.5})
spec('saving.write_atomically')(lambda: {'path': _path('out.json'), 'text': '{}'})
spec('saving.read_parameter_file')(lambda: {'path': _path(_saved_model())})

# viz
spec('viz.walk.node_id', 'viz.walk.op_id')(lambda: {'node': op_node()})
spec('viz.walk.check_node')(lambda: {'what': 'trace(root)', 'node': op_node()})
spec('viz.walk.check_nodes')(lambda: {'what': 'node_roles(nodes)', 'nodes': [op_node(), value()], 'want': 'Values'})
spec('viz.walk.trace')(lambda: {'root': op_node()})
spec('viz.walk.neighbourhood')(lambda: dict(zip(('root', 'center'), after_backward())))
spec('viz.walk.nodes_around')(lambda: _around())
spec('viz.walk.input_names')(lambda: {'nodes': _trace_and_root()[0]})
spec('viz.walk.constant_name')(lambda: {'number': 0.5})
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
             'max_neurons': 100, 'max_edges': 64, 'graph_attr': {'dpi': '96'}})

# teach
spec('teach.cli.parse')(lambda: {'expression': 'x * y + 1'})
spec('teach.cli.variables')(lambda: {'tree': _parsed()})
spec('teach.cli.evaluate')(lambda: {'tree': _parsed(), 'values': {'x': value(2.0), 'y': value(3.0, 'y')}})
spec('teach.cli.read_assignments')(lambda: {'assignments': ['x=2', 'y=3']})
spec('teach.cli.graph_command')(lambda: {'expression': 'x * y', 'assignments': ['x=2', 'y=3'], 'output': None})
spec('teach.cli.main')(lambda: {'argv': ['graph', 'x * y', 'x=2', 'y=3']})
# playground: small sessions (20 points, one hidden layer of 2) so that each call takes milliseconds
def _playground(module: str = '') -> Any:
    return importlib.import_module('micrograd_plus.playground' + (f'.{module}' if module else ''))


SMALL = {'n_samples': 20, 'layers': [2], 'batch_size': 5}


def _session() -> Any:
    return _playground().Session(**SMALL)


def _widget() -> Any:
    return _playground('widget').Playground(**SMALL)


def _controller() -> Any:
    return _playground('controller').Controller(_session(), tick_seconds=0.01)


def _close(server: Any, _: Any = None) -> None:
    server.server_close()


spec('playground.settings.checked')(lambda: {'settings': {'dataset': 'xor'}, 'base': dict(_playground().DEFAULTS)})
spec('playground.settings.from_address')(lambda: {'fragment': '#dataset=xor&layers=2',
                                                  'base': dict(_playground().DEFAULTS)})
spec('playground.settings.to_address')(lambda: {'settings': dict(_playground().DEFAULTS)})
spec('playground.session.Session', then=lambda session, _: session.step(2))(
    lambda: {'X': None, 'y': None, 'settings': dict(SMALL)})
spec('playground.session.Session.update')(lambda: {'self': _session(), 'changes': {'learning_rate': 0.1}})
spec('playground.session.Session.step')(lambda: {'self': _session(), 'n': 2})
spec('playground.session.Session.parameter', 'playground.session.Session.info', 'playground.session.Session.explain')(
    lambda: {'self': _session(), 'name': 'layers.0.neurons.0.w.1'})
spec('playground.controller.Controller')(lambda: {'session': _session(), 'tick_seconds': 0.01})
spec('playground.controller.Controller.set')(lambda: {'self': _controller(), 'changes': {'running': True}})
spec('playground.controller.Controller.message')(lambda: {'self': _controller(), 'content': {'type': 'step'}})
spec('playground.controller.Controller.train_for')(lambda: {'self': _controller(), 'seconds': 0.01})
spec('playground.widget.Playground')(lambda: {'X': None, 'y': None, 'settings': dict(SMALL)})
spec('playground.widget.Playground.step')(lambda: {'self': _widget(), 'n': 2})
spec('playground.widget.Playground.set')(lambda: {'self': _widget(), 'settings': {'learning_rate': 0.1}})
spec('playground.widget.Playground.explain')(lambda: {'self': _widget(), 'name': 'layers.0.neurons.0.b'})
spec('playground.server.PlaygroundServer', then=_close)(lambda: {'port': 0, 'settings': dict(SMALL)})

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


def _forward_pass_args() -> dict[str, Any]:
    x = value()
    return {'order': _mgp().functional.graph_order([x * x]), 'seeds': {x: 1.0}}


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


def _plot_axes() -> Any:
    pyplot = importlib.import_module('matplotlib.pyplot')
    pyplot.close('all')
    return pyplot.subplots()[1]


def _mlp_after_backward() -> Any:
    model = mlp()
    (model([0.5, -1.0]) * 1.0).backward()
    return model


def _update_history() -> Any:
    model, history = mlp(), _mgp().training.History()
    before = model.state_dict()
    model.parameters()[0].data += 0.01
    history.record_update_ratios(0, model, before)
    return history


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
    return importlib.import_module('micrograd_plus.teach.cli').parse('x * y + 1')


def _explainer_and_node() -> dict[str, Any]:
    root, x = after_backward()
    return {'self': importlib.import_module('micrograd_plus.teach.explain').Explainer(root), 'node': x}


# ---------------------------------------------------------------- finding the public names

def public_modules() -> list[str]:
    """Every submodule of the package, as 'nn.layers', 'viz.graph', 'teach.cli'."""
    package = _mgp()
    names = []
    for info in pkgutil.walk_packages(package.__path__, 'micrograd_plus.'):
        short = info.name[len('micrograd_plus.'):]
        if info.ispkg or any(part.startswith('_') for part in short.split('.')):
            continue
        names.append(short)
    return sorted(names)


@dataclasses.dataclass
class Target:
    name: str          # 'nn.micrograd.MLP', 'nn.module.Module.save', 'engine.Value'
    module: str        # 'nn'
    function: Any      # what is called: the class, or the plain function (methods: with self first)
    signature: inspect.Signature


def _own_callables(module: str) -> Iterator[tuple[str, Any]]:
    real = importlib.import_module(f'micrograd_plus.{module}')
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
        if _not_swept(module):
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
            found.extend(_class_targets(module, qualified, obj, seen, skipped))
    return [t for t in found if _swept_parameters(t)], skipped


def _within(module: str, name: str) -> bool:
    """Whether ``module`` is ``name`` or inside it ('compile.kernels' is inside 'compile')."""
    return module == name or module.startswith(name + '.')


def _not_swept(module: str) -> bool:
    return any(_within(module, name) for name in NOT_SWEPT)


def stale_entries(found: list[Target], skipped: list[str]) -> list[str]:
    """Specs and exemptions that name nothing the sweep meets: left behind by a rename or a move."""
    names = {t.name for t in found}
    stale = [f'SPECS has {name!r}, which is no public function with parameters: remove or rename it'
             for name in SPECS if name not in names]
    stale += [f'NOT_SWEPT_NAMES has {name!r}, which the sweep never meets: remove or rename it'
              for name in NOT_SWEPT_NAMES if name not in skipped]
    stale += [f'NOT_SWEPT has module {name!r}, which is not in the package: remove it'
              for name in NOT_SWEPT if not any(_within(m, name) for m in public_modules())]
    stale += [f'NEEDS has {name!r}, which is no target: remove it' for name in NEEDS if name not in names]
    return stale


def _class_targets(module: str, qualified: str, cls: type, seen: set[int], skipped: list[str]) -> Iterator[Target]:
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
                skipped.append(f'{owner}.{name}')
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
    found = specs.get(target.name)
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
    broken: list[str] = stale_entries(found, skipped)
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
NEEDS = {'nn.torch.from_torch': 'torch', **{f'plots.{name}': 'matplotlib' for name in (
    'decision_boundary', 'layer_outputs', 'activation_histograms', 'gradient_histograms', 'update_ratios')}}


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
    vague = [o for o in outcomes if o['outcome'] == 'clear' and not o['names_given']]
    print(f'  clear errors whose message does not name what was given: {len(vague)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
