"""copy.deepcopy and pickle of a graph of any depth.

Both would follow a node's inputs recursively, which fails a few thousand nodes deep: here they take the
graph in topological order instead, as backward() does. The engine's op nodes call these from their
``__deepcopy__`` and ``__reduce_ex__``; a node class tells what it holds through the node protocol below
(``_extra()``/``_restore_extra()`` for what it holds besides its number and inputs, ``_nary`` for inputs
kept as one tuple), so this module knows no node class by name.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

__all__ = ['deepcopy_graph', 'graph_from_records', 'pickled_graph', 'rebuilt']


def _is_op_node(node: Any) -> bool:
    """Made by an op (the engine's op node classes, hand-built ones included): it has ``_extra``."""
    return hasattr(node, '_extra')


def deepcopy_graph(order: Sequence[Any], memo: dict[int, Any]) -> Any:
    """``copy.deepcopy`` of the last node of ``order`` (a topological order, inputs first)."""
    keep_alive = memo.setdefault(id(memo), [])  # copy.deepcopy's own guard against reused ids
    for node in order:
        if id(node) in memo:
            continue
        if not _is_op_node(node):  # a leaf: nothing below it
            memo[id(node)] = copy.deepcopy(node, memo)
            continue
        inputs = [memo[id(p)] for p in node._prev]
        memo[id(node)] = rebuilt(type(node), node.data, node.grad, node.label, inputs, node._extra())
        keep_alive.append(node)
    return memo[id(order[-1])]


def pickled_graph(order: Sequence[Any]) -> tuple[Any, ...]:
    """``__reduce_ex__`` of the last node of ``order``: its whole graph, flat. Leaves as themselves (shared ones
    stay shared), the op nodes as records that name their inputs by position."""
    position = {node: k for k, node in enumerate(order)}
    records: list[Any] = [
        (type(node), node.data, node.grad, node.label, tuple(position[p] for p in node._prev), node._extra())
        if _is_op_node(node) else node for node in order]
    return graph_from_records, (records,)


def rebuilt(cls: type[Any], data: float, grad: float, label: str, inputs: Sequence[Any],
            extra: tuple[Any, ...]) -> Any:
    """An op node of class ``cls`` with the given inputs, as its constructor would have made it."""
    out = object.__new__(cls)
    out.data, out.grad, out.label = data, grad, label
    if cls._nary:
        out._a, out._b = None, tuple(inputs)
    else:
        out._a, out._b = inputs[0], inputs[1] if len(inputs) > 1 else None
    if extra:
        out._restore_extra(*extra)
    return out


def graph_from_records(records: list[Any]) -> Any:
    """Unpickle a graph written by ``pickled_graph``: its output, the last record."""
    built: list[Any] = []
    for record in records:
        if isinstance(record, tuple):
            cls, data, grad, label, inputs, extra = record
            built.append(rebuilt(cls, data, grad, label, [built[k] for k in inputs], extra))
        else:
            built.append(record)
    return built[-1]
