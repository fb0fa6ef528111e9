"""micrograd_plus: a scalar reverse-mode autograd engine you can see into.

The engine needs only the standard library. What builds on it loads the first time it is used: the
pictures (draw_dot, draw_network, trace, to_svg, text_view: Graphviz takes as long to import as the rest),
the teaching tools (explain, stepper) and compile_graph, so that `import micrograd_plus` stays quick.
"""
import importlib
from typing import TYPE_CHECKING, Any

from . import data, losses, nn, optim, training
from .autodiff import central_difference, grad, gradcheck
from .engine import Value, dot, topological_order
from .functional import hessian, jacobian, jvp
from .modes import AnomalyError, detect_anomaly, enable_grad, no_grad
from .ops import Op
from .register import register_op
from .teach import record  # noqa: F401  # registers what backward() keeps for explain(), and Value.explain()

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads each on first use
    from . import viz as viz
    from .compile import compile_graph as compile_graph
    from .teach.explain import explain as explain
    from .teach.stepper import stepper as stepper
    from .viz import draw_dot as draw_dot
    from .viz import draw_network as draw_network
    from .viz import text_view as text_view
    from .viz import to_svg as to_svg
    from .viz import trace as trace

__version__ = '0.1.0'

_VIZ = ('draw_dot', 'draw_network', 'trace', 'to_svg', 'text_view', 'viz')
_LATER = {'compile_graph': 'compile', 'explain': 'teach.explain', 'stepper': 'teach.stepper'}

__all__ = ['Value', 'AnomalyError', 'dot', 'topological_order', 'register_op', 'Op', 'grad', 'gradcheck',
           'central_difference', 'jvp', 'jacobian', 'hessian', 'no_grad', 'enable_grad', 'detect_anomaly',
           'compile_graph', 'explain', 'stepper', 'nn', 'losses', 'optim', 'data', 'training', *_VIZ]


def __getattr__(name: str) -> Any:
    if name in _VIZ:
        viz = importlib.import_module(f'{__name__}.viz')
        return viz if name == 'viz' else getattr(viz, name)
    if name in _LATER:
        return getattr(importlib.import_module(f'{__name__}.{_LATER[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
