"""Differentiation beyond ``backward()``: grad() to any order, gradcheck, no_grad, detect_anomaly."""
from __future__ import annotations

import html
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import checks, listeners
from .checks import as_number
from .engine import Value, is_hand_built, topological_order
from .modes import AnomalyError, Mode, current_mode, describe, detect_anomaly, enable_grad, no_grad

__all__ = ['GradcheckReport', 'Mode', 'central_difference', 'detect_anomaly', 'enable_grad', 'grad', 'gradcheck',
           'no_grad']

# ---------------------------------------------------------------- grad

def grad(output: Value, inputs: Value | Sequence[Value], create_graph: bool = False) -> Any:
    """d output / d input for each input, without touching any ``.grad``.

    With ``create_graph=True`` the results are Values whose graphs lead back to the inputs, so they can
    be differentiated again (second, third... derivatives). An input that ``output`` does not depend on
    gets 0. Returns one gradient for a single Value, else a list in the order of ``inputs``.
    """
    if not isinstance(output, Value):
        raise TypeError(f'grad() needs a Value as output, got {checks.shown(output)}')
    single = isinstance(inputs, Value)
    if isinstance(inputs, Value):
        wanted = [inputs]
    else:
        wanted = checks.instances('grad() inputs', inputs, Value, 'a Value or a list of Values')
    create_graph = checks.flag('grad(create_graph=...)', create_graph)
    with Mode(grad_enabled=create_graph):
        grads = _accumulate(output, create_graph)
        zero = Value(0.0) if create_graph else 0.0
        result = [grads.get(x, zero) for x in wanted]
    return result[0] if single else result


def _accumulate(output: Value, as_values: bool) -> dict[Value, Any]:
    """Reverse accumulation into a dict keyed by node (Values hash by identity)."""
    grads: dict[Value, Any] = {output: Value(1.0) if as_values else 1.0}
    anomaly = current_mode().anomaly
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None or node.is_leaf:
            continue
        for parent, term in zip(node._prev, node.vjp(g, as_values)):
            if term is None:  # the rule selects zero: nothing passes, not even 0 * nan, but the input is reached
                if parent not in grads:  # with grad 0, as backward() reaches it: 0 * inf below it is nan there too
                    grads[parent] = Value(0.0) if as_values else 0.0
                continue
            previous = grads.get(parent)
            grads[parent] = term = term if previous is None else previous + term
            if anomaly and not math.isfinite(float(term)):
                raise AnomalyError(f'detect_anomaly: grad() through op {node._op!r} (output {describe(node)}) '
                                   f'gave {float(term)!r} for input {describe(parent)}')
    return grads


# ---------------------------------------------------------------- central differences

def _check_step(eps: Any) -> float:
    """eps is the step of central differences: a positive finite number, like 1e-6."""
    return checks.real('eps', eps, above=0, need='a positive step, like 1e-6')


def _check_point(who: str, args: Sequence[Any]) -> list[float]:
    """The point to differentiate at, as floats: numbers or Values (their data), all finite."""
    point = [as_number(v.data if isinstance(v, Value) else v, accepted=f'{who} takes the point as numbers or Values')
             for v in args]
    if not all(math.isfinite(x) for x in point):
        raise ValueError(f'{who} needs a finite point, got {point}: central differences are meaningless there')
    return point


def _grads_by_backward(output: Value, inputs: list[Value]) -> list[float]:
    """d output / d input by backward(), which runs hand-built ops' own _backward. Every other leaf's grad
    and what backward() remembers for explain() are put back as they were: checking changes nothing."""
    leaves = [node for node in topological_order(output) if node.is_leaf]
    saved = [node.grad for node in leaves]
    try:
        for node in leaves:
            node.grad = 0.0
        with listeners.backward_unseen():
            output.backward()
        return [x.grad for x in inputs]
    finally:
        for node, g in zip(leaves, saved):
            node.grad = g


def _evaluate(f: Callable[..., Any], args: Sequence[float]) -> float:
    with no_grad():
        out = f(*(Value(a) for a in args))
    return out.data if isinstance(out, Value) else as_number(out, accepted='f must return a Value or a number')


def central_difference(f: Callable[..., Any], *args: float | Value, arg: int = 0, eps: float = 1e-6) -> float:
    """(f(x + eps) - f(x - eps)) / (2 eps) in argument ``arg``: the derivative by numbers alone.

    ``f`` takes and returns Values (or numbers); ``args`` are floats or Values (their data is used).
    """
    checks.function('central_difference(f, *point): f', f)
    xs = _check_point('central_difference(f, *point)', args)
    arg = checks.count('central_difference(arg=...), the position of the argument to vary,', arg, at_least=0,
                       at_most=len(xs) - 1)
    eps = _check_step(eps)
    up, down = list(xs), list(xs)
    up[arg] += eps
    down[arg] -= eps
    return (_evaluate(f, up) - _evaluate(f, down)) / (2 * eps)


@dataclass
class GradcheckReport:
    """What gradcheck compared: prints as a table, is truthy when every entry agreed."""
    passed: bool
    rows: list[tuple[str, float, float, float]] = field(default_factory=list)  # name, analytic, numeric, error
    order: int = 1

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        orders = 'first and second order' if self.order == 2 else 'first order'
        lines = [f"gradcheck {'PASSED' if self.passed else 'FAILED'} ({orders}, analytic vs central differences)",
                 f"  {'derivative':<16} {'analytic':>14} {'numeric':>14} {'error':>10}"]
        for name, analytic, numeric, error in self.rows:
            flag = '' if error <= 1 else '   <-- mismatch'
            lines.append(f'  {name:<16} {analytic:>14.6g} {numeric:>14.6g} {error:>10.2g}{flag}')
        return '\n'.join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """A notebook shows the report as a table, the mismatches in red."""
        verdict = ('<b style="color:#15803d">PASSED</b>' if self.passed else '<b style="color:#b91c1c">FAILED</b>')
        orders = 'first and second order' if self.order == 2 else 'first order'
        cells = 'style="padding:2px 10px;text-align:right;font-family:monospace"'
        mismatch = ' style="background:#fee2e2"'
        rows = ''.join(
            f'<tr{"" if error <= 1 else mismatch}><td style="padding:2px 10px">'
            f'{html.escape(name)}</td><td {cells}>{analytic:.6g}</td><td {cells}>{numeric:.6g}</td>'
            f'<td {cells}>{error:.2g}</td></tr>' for name, analytic, numeric, error in self.rows)
        head = ''.join(f'<th style="padding:2px 10px">{title}</th>'
                       for title in ('derivative', 'analytic', 'numeric', 'error (&le; 1 passes)'))
        return (f'<div>gradcheck {verdict} ({orders}, analytic vs central differences)</div>'
                f'<table style="border-collapse:collapse"><tr>{head}</tr>{rows}</table>')


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of f's first n positional parameters (``lambda x, w, b`` gives x, w, b), so a report says
    d/dw, not d/dx1; ``x<i>`` where f takes ``*args`` or has no signature to read."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature
        parameters = []
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [positional[i] if i < len(positional) else f'x{i}' for i in range(n)]


def gradcheck(f: Callable[..., Value], *values: Any, second_order: bool = False,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> GradcheckReport:
    """Compare f's gradients (and optionally its Hessian) with central differences.

    ``values`` are the point (numbers or Values). Each row's error is |analytic - numeric| divided by
    the allowed tolerance ``atol + rtol * |numeric|``, so an entry passes when its error is <= 1.
    An op built by hand the lecture's way (``Value(x.data**3, (x,), 'cube')`` and a ``_backward``) is
    checked through its own ``_backward``: a wrong one is FAILED, with the numbers (first order only;
    second order needs every op in the derivative table, see ``register_op``).
    """
    checks.function('gradcheck(f, *point): f, a function of Values,', f)
    if not values:
        raise ValueError('gradcheck(f, *point) needs the point to check at, e.g. gradcheck(f, 1.3, 0.7)')
    second_order = checks.flag('gradcheck(second_order=...)', second_order)
    eps = _check_step(eps)
    atol = checks.real('atol', atol, at_least=0, need='a finite number >= 0 (0 asks for exact equality)')
    rtol = checks.real('rtol', rtol, at_least=0, need='a finite number >= 0 (0 asks for exact equality)')
    point = _check_point('gradcheck', values)
    names = [v.label if isinstance(v, Value) and v.label else name
             for v, name in zip(values, _argument_names(f, len(values)))]
    xs = [Value(x) for x in point]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f'gradcheck needs f to return a Value, got {type(out).__name__}')
    hand_built = [node for node in topological_order(out) if is_hand_built(node)]
    if hand_built and second_order:
        raise ValueError(f'second_order=True needs every op in the derivative table, and {hand_built[0]._op!r} was '
                         "built by hand: check it at first order, or add it with register_op")
    analytic: list[Any] = _grads_by_backward(out, xs) if hand_built else grad(out, xs, create_graph=second_order)
    report = GradcheckReport(True, order=2 if second_order else 1)

    def add(name: str, a: float, n: float) -> None:
        both_nan = a != a and n != n
        allowed = atol + rtol * abs(n)
        error = 0.0 if both_nan or a == n else abs(a - n) / allowed if allowed else math.inf
        if not math.isfinite(error):
            error = math.inf
        report.rows.append((name, a, n, error))
        report.passed &= error <= 1

    for i, name in enumerate(names):
        add(f'd/d{name}', float(analytic[i]), central_difference(f, *point, arg=i, eps=eps))
    if second_order:
        for i, name_i in enumerate(names):
            first = analytic[i]
            second = grad(first, xs) if isinstance(first, Value) else [0.0] * len(xs)
            for j, name_j in enumerate(names):
                def first_i(*vs: Value, _i: int = i) -> Any:
                    with enable_grad():
                        return grad(f(*vs), list(vs))[_i]
                add(f'd2/d{name_i}d{name_j}', float(second[j]),
                    central_difference(first_i, *point, arg=j, eps=eps))
    return report
