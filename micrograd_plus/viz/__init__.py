"""Seeing the graph: draw_dot (Graphviz, rendered with or without `dot` installed), trace, text_view.

Names load their module on first use, so walking a graph (``viz.trace``, used by the teaching tools)
does not import Graphviz.
"""
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads each on first use
    from .collapse import collapsed as collapsed
    from .graph import GraphTooLargeError as GraphTooLargeError
    from .graph import draw_dot as draw_dot
    from .graph import to_svg as to_svg
    from .network import draw_network as draw_network
    from .render import Digraph as Digraph
    from .render import NoRendererError as NoRendererError
    from .render import available_renderer as available_renderer
    from .text import TextView as TextView
    from .text import text_view as text_view
    from .walk import neighbourhood as neighbourhood
    from .walk import node_id as node_id
    from .walk import op_id as op_id
    from .walk import trace as trace

_HOMES = {
    'trace': 'walk', 'neighbourhood': 'walk', 'node_id': 'walk', 'op_id': 'walk',
    'draw_dot': 'graph', 'to_svg': 'graph', 'GraphTooLargeError': 'graph', 'draw_network': 'network',
    'Digraph': 'render', 'NoRendererError': 'render', 'available_renderer': 'render',
    'text_view': 'text', 'TextView': 'text', 'collapsed': 'collapse',
}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f'{__name__}.{_HOMES[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
