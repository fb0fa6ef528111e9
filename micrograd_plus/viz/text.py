"""text_view(): a computation graph as an indented tree, for the REPL and terminals without graphics.

The root is on top and each node's inputs hang below it in argument order, which is the order
backward() visits them. A node used more than once is listed once and then referred to by number,
so shared subexpressions do not repeat (and a graph with heavy sharing stays small).
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from .. import checks
from .graph import NumberFormat, number_formatter
from .walk import check_node, constant_name, input_names, trace

__all__ = ['TextView', 'text_view']

MAX_WIDTH = 80  # characters a column is padded to at most
MAX_INDENT = 20  # levels drawn; a deeper node's lead shows its last 20 levels after an ellipsis
_BRANCHES = {False: ('├─ ', '└─ ', '│  ', '   '), True: ('|- ', '`- ', '|  ', '   ')}


class TextView(str):
    """The text of a graph; a REPL shows it as text rather than as a quoted string, a notebook in a fixed
    font with the box-drawing lines aligned."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return f'<pre style="line-height:1.3;font-size:13px">{html.escape(str(self))}</pre>'


def text_view(root: Any, *, show_grad: bool = True, number_format: NumberFormat = '.4f',
              max_rows: int | None = 200, ascii: bool = False) -> TextView:
    """An indented tree of ``root`` and everything it depends on: node, op, data, grad.

    Every row gets a number; a node met again is shown as ``-> see #3`` instead of its subtree. Unlabelled
    nodes are named for what they are: a neuron's inputs ``x0, x1, ...``, a constant by its value (``1``), an
    unlabelled result ``·``.
    Works on any object with ``data``, ``grad``, ``label``, ``_prev`` and ``_op`` (micrograd's too).
    ``max_rows`` stops long listings (None: no limit); ``ascii`` avoids box-drawing characters.
    """
    check_node('text_view(root)', root)
    show_grad, ascii = checks.flag('text_view(show_grad=...)', show_grad), checks.flag('text_view(ascii=...)', ascii)
    if max_rows is not None:
        max_rows = checks.count('text_view(max_rows=...)', max_rows, at_most=None)
    fmt: Callable[[float], str] = number_formatter(number_format)
    tee, last, bar, blank = _BRANCHES[ascii]
    trace(root)  # numbers the samples a model computed in this graph: layers.1.neurons.0.z[3]
    numbers: dict[int, int] = {}
    rows: list[tuple[str, str, str, str, str]] = []
    stack: list[tuple[Any, str, str]] = [(root, '', '')]  # node, its line's lead, its inputs' lead
    truncated = False
    names = input_names(trace(root)[0])  # a sample given as numbers: x0, x1, ... where a neuron reads them
    while stack:
        node, lead, inputs_lead = stack.pop()
        if len(lead) > 3 * MAX_INDENT:  # a 10,000-term sum is 10,000 levels deep: keep rows on screen
            lead = ('...' if ascii else '…') + lead[-3 * MAX_INDENT:]
        if max_rows is not None and len(rows) >= max_rows:
            truncated = True
            break
        name = node.label or names.get(id(node)) or (constant_name(node.data) if not tuple(node._prev) else
                                                     '.' if ascii else '·')
        if id(node) in numbers:
            rows.append(('', f'{lead}{name}  -> see #{numbers[id(node)]}', '', '', ''))
            continue
        numbers[id(node)] = len(numbers) + 1
        rows.append((f'#{numbers[id(node)]}', lead + name, node._op, fmt(node.data), fmt(node.grad)))
        inputs = tuple(node._prev)
        inputs_lead = inputs_lead[-3 * MAX_INDENT:]  # deeper levels are never drawn: do not carry them
        for i in reversed(range(len(inputs))):
            is_last = i == len(inputs) - 1
            stack.append((inputs[i], inputs_lead + (last if is_last else tee),
                          inputs_lead + (blank if is_last else bar)))

    header = ('', 'node', 'op', 'data', 'grad')
    columns = 5 if show_grad else 4
    table = [header[:columns]] + [row[:columns] for row in rows]
    # a column is as wide as its longest cell up to MAX_WIDTH: one huge label overflows its own row only,
    # rather than padding every row to its length (a 1 MB label made a 200 MB view)
    widths = [max((len(row[c]) for row in table if len(row[c]) <= MAX_WIDTH), default=0) for c in range(columns)]
    lines = []
    for row in table:
        cells = [row[0].rjust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2])]
        cells += [cell.rjust(width) for cell, width in zip(row[3:], widths[3:])]
        lines.append('  '.join(cells).rstrip())
    if truncated:
        total = len(trace(root)[0])
        lines.append(f'... stopped after max_rows={max_rows} rows; the graph has {total:,} nodes. '
                     f'Pass max_rows=None for all of it, or call text_view() on an inner node.')
    return TextView('\n'.join(lines))
