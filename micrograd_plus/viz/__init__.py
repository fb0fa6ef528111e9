"""Seeing the graph: draw_dot (Graphviz, rendered with or without `dot` installed), trace, text_view."""
from .graph import GraphTooLargeError, draw_dot, neighbourhood, to_svg, trace
from .render import Digraph, NoRendererError, available_renderer
from .text import TextView, text_view

__all__ = ['draw_dot', 'trace', 'to_svg', 'text_view', 'neighbourhood', 'available_renderer', 'Digraph',
           'GraphTooLargeError', 'NoRendererError', 'TextView']
