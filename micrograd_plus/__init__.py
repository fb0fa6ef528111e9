"""micrograd_plus: a scalar reverse-mode autograd engine you can see into.

The engine needs only the standard library; the graph pictures (draw_dot, trace, to_svg, text_view)
load graphviz the first time one of them is used.
"""
import importlib
from typing import TYPE_CHECKING, Any

from . import data, losses, nn, optim, training
from .autodiff import central_difference, detect_anomaly, enable_grad, grad, gradcheck, no_grad
from .compile import compile_graph
from .engine import AnomalyError, Value, dot, register_op, topological_order
from .ops import Op
from .teach.explain import explain
from .teach.stepper import stepper

if TYPE_CHECKING:  # loaded on first use (Graphviz takes as long to import as the rest of the library)
    from . import viz as viz
    from .viz import draw_dot as draw_dot
    from .viz import draw_network as draw_network
    from .viz import text_view as text_view
    from .viz import to_svg as to_svg
    from .viz import trace as trace

__version__ = '0.1.0'

_VIZ = ('draw_dot', 'draw_network', 'trace', 'to_svg', 'text_view', 'viz')

__all__ = ['Value', 'AnomalyError', 'dot', 'topological_order', 'register_op', 'Op', 'grad', 'gradcheck',
           'central_difference', 'no_grad', 'enable_grad', 'detect_anomaly', 'compile_graph', 'explain', 'stepper',
           'nn', 'losses', 'optim', 'data', 'training', *_VIZ]


def __getattr__(name: str) -> Any:
    if name in _VIZ:
        viz = importlib.import_module(f'{__name__}.viz')
        return viz if name == 'viz' else getattr(viz, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
