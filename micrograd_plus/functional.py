"""Derivatives of functions, as JAX and torch.func give them: jvp (forward mode), jacobian, hessian.

Forward mode carries, beside each node's number, its tangent: how fast the node moves when the inputs move
in the direction given (a dual number ``data + tangent * eps`` with ``eps ** 2 = 0``). A node's tangent is
the chain rule read forwards,

    tangent(out) = sum over inputs i of  d out / d input_i  *  tangent(input_i),

and ``d out / d input_i`` is the node's own rule from the derivative table (``ops.py``), the very numbers
reverse mode multiplies by: ``node.vjp(1.0)`` gives them. So there is no second copy of any rule.

One forward pass gives one directional derivative of every output (a column of the Jacobian); one reverse
pass gives the gradient of one output (a row). For f: R^n -> R reverse mode needs 1 pass and forward mode
n; for g: R -> R^n it is the other way round (lesson 19).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import checks
from .autodiff import enable_grad, grad
from .engine import Value, as_number, topological_order

__all__ = ['forward_pass', 'graph_order', 'hessian', 'jacobian', 'jvp']


def graph_order(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, inputs before results, each once (the order of a forward pass)."""
    outputs = checks.instances('graph_order(outputs)', outputs, Value, 'a list of Values')
    if len(outputs) == 1:
        return topological_order(outputs[0])
    with enable_grad():  # a hand-built node over the outputs: one walk for all of them, shared nodes once
        root = Value(0.0, tuple(outputs), 'outputs')
    return topological_order(root)[:-1]


def forward_pass(order: Sequence[Value], seeds: Mapping[Value, float]) -> dict[Value, float]:
    """One forward-mode pass over the nodes in ``order`` (``graph_order``): the tangent of every node that
    depends on a seeded leaf, ``seeds`` giving the tangents of those leaves (the inputs). A node that depends
    on no seeded leaf is left out (its tangent is 0). Each node costs one call of its rule, ``vjp(1.0)``,
    and a multiply-add per input that moves."""
    nodes = checks.instances('forward_pass(order)', order, Value, 'a list of Values (graph_order(outputs))')
    if not isinstance(seeds, Mapping):
        raise TypeError(f'forward_pass(seeds) maps input leaves to their tangents, like {{x: 1.0}}, '
                        f'got {checks.shown(seeds)}')
    for leaf in seeds:
        if not isinstance(leaf, Value) or not leaf.is_leaf:
            raise TypeError(f'forward_pass(seeds) seeds the inputs of the graph (leaves), got {checks.shown(leaf)}')
    accepted = 'forward_pass(seeds) takes numbers as tangents'
    tangents = {leaf: as_number(t, accepted=accepted) for leaf, t in seeds.items()}
    return _forward_pass(nodes, tangents)


def _forward_pass(order: Sequence[Value], seeds: dict[Value, float]) -> dict[Value, float]:
    tangent = dict(seeds)
    get, moves = tangent.get, tangent.__contains__
    for node in order:
        if node._is_leaf:
            continue
        inputs = node._prev
        if not any(map(moves, inputs)):  # depends on no seeded leaf
            continue
        total = 0.0
        for derivative, parent in zip(node.vjp(1.0), inputs):
            if derivative is not None:  # None: the rule selects zero, as in backward
                t = get(parent)
                if t is not None:
                    total += derivative * t
        tangent[node] = total
    return tangent


def _point(who: str, what: str, xs: Any) -> list[float]:
    """The numbers of a point (or of a direction): a list of numbers or Values (their data)."""
    xs = checks.sequence(f'{who}: {what}', xs, 'a list of numbers, one per argument of f')
    if not xs:
        raise ValueError(f'{who}: {what} is empty: f needs at least one argument')
    accepted = f'{who}: {what} takes numbers (or Values)'
    return [as_number(x.data if isinstance(x, Value) else x, accepted=accepted) for x in xs]


def _evaluated(who: str, f: Callable[..., Any], point: list[float]) -> tuple[list[Value], list[Value], bool]:
    """(input leaves, outputs, whether f returned one output): f run once on fresh Values, recording its graph."""
    checks.function(f'{who}: f', f)
    inputs = [Value(x) for x in point]
    try:
        inspect.signature(f).bind(*inputs)
    except TypeError:
        raise TypeError(f'{who}: f is called with one Value per number of the point, here {len(point)}, and '
                        f'{getattr(f, "__name__", "f")}{inspect.signature(f)} does not take that many') from None
    except ValueError:  # a builtin with no signature to read: let the call say
        pass
    with enable_grad():
        out = f(*inputs)
    single = not isinstance(out, (list, tuple))
    outs = [out] if single else list(out)
    if not outs:
        raise ValueError(f'{who}: f returned an empty {type(out).__name__}: it needs at least one output')
    for k, o in enumerate(outs):
        if not isinstance(o, Value):  # a constant output: a leaf that moves with nothing
            outs[k] = Value(as_number(o, accepted=f'{who}: f must return a Value, a number or a list of them'))
    return inputs, outs, single


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(primals), J @ tangents)``: f's value and its derivative in the direction ``tangents``, by one
    forward-mode pass (torch.func.jvp, jax.jvp).

    ``f`` takes one Value per primal and returns a Value (then both results are numbers) or a list of
    Values (then both are lists). ``primals`` and ``tangents`` are lists of numbers of the same length.
    """
    point = _point('jvp', 'primals', primals)
    direction = _point('jvp', 'tangents', tangents)
    if len(direction) != len(point):
        raise ValueError(f'jvp needs one tangent per primal, got {len(point)} primals and {len(direction)} tangents')
    inputs, outs, single = _evaluated('jvp', f, point)
    tangent = _forward_pass(graph_order(outs), dict(zip(inputs, direction)))
    values = [o.data for o in outs]
    derivatives = [tangent.get(o, 0.0) for o in outs]
    return (values[0], derivatives[0]) if single else (values, derivatives)


def jacobian(f: Callable[..., Any], inputs: Sequence[Any], mode: str = 'reverse') -> list[Any]:
    """d f_i / d x_j at ``inputs``, as torch.autograd.functional.jacobian: ``J[i][j]`` for f returning a
    list of m Values, the gradient ``[df/dx_1, ...]`` for f returning one Value.

    f is evaluated once; then ``mode='reverse'`` runs one backward pass per output (a row each) and
    ``mode='forward'`` one forward pass per input (a column each): pick the mode with fewer passes.
    """
    mode = checks.choice("jacobian(mode=...) ('reverse': a pass per output, 'forward': a pass per input)", mode,
                         ('reverse', 'forward'))
    xs, outs, single = _evaluated('jacobian', f, _point('jacobian', 'inputs', inputs))
    if mode == 'reverse':
        rows: list[list[float]] = [[float(g) for g in grad(out, xs)] for out in outs]
    else:
        order = graph_order(outs)
        columns = []
        for x in xs:
            tangent = _forward_pass(order, {x: 1.0})
            columns.append([tangent.get(out, 0.0) for out in outs])
        rows = [list(row) for row in zip(*columns)]
    return rows[0] if single else rows


def hessian(f: Callable[..., Any], inputs: Sequence[Any]) -> list[list[float]]:
    """d2 f / dx_i dx_j at ``inputs`` for f returning one Value, as torch.autograd.functional.hessian:
    the gradient as a graph (``grad(create_graph=True)``), then one backward pass per entry of it."""
    xs, outs, single = _evaluated('hessian', f, _point('hessian', 'inputs', inputs))
    if not single or len(outs) != 1:
        raise ValueError(f'hessian needs f to return one Value (a scalar function), got {len(outs)} outputs: '
                         'use jacobian for a function with several outputs')
    with enable_grad():
        first = grad(outs[0], xs, create_graph=True)
    return [[float(g) for g in grad(d, xs)] for d in first]
