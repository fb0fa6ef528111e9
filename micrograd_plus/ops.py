"""The derivative table: every op once, its forward beside its local derivatives, written as math.

A rule is a Python expression in the op's inputs ``x`` (and ``y``) and its result ``out``, using
``+ - * / **``, comparisons, ``A if test else B`` and the functions below (``exp``, ``log``...). The
engine's code is generated from this table (``python -m micrograd_plus.codegen``, checked in to
``engine.py``), in two forms:

- the float ``_backward`` of each node class, the fast first-order pass (``a.grad += g * y``);
- ``vjp(g, as_values=True)``, what each input gets from the same rules evaluated on Values, which
  builds a graph, so gradients can be differentiated again (second, third... derivatives).

Zeros that PyTorch selects with ``where()`` rather than multiplies are written so here too: the input
then gets nothing at all, so a nan arriving from upstream does not turn ``0 * nan`` into nan.

- ``E if test else 0``: the derivative *is* 0 there (relu below 0).
- ``zero_if(test, E)``: E is the derivative everywhere, but where ``test`` holds its formula
  would compute 0 * inf = nan (``d/dx x**y = y * x**(y-1)`` at y = 0): first order takes 0 there,
  like PyTorch, and a graph for higher order keeps E wherever E is finite, so a Hessian stays
  exact (PyTorch's is not: its d2/dxdy of x**y at y = 0 is 0 one way round and 1/x the other).

Float functions follow IEEE like PyTorch: ``exp(1000)`` is ``inf``, ``log(0)`` is ``-inf``, ``1/0``
is ``inf``, ``sqrt(-1)`` is ``nan``; nothing raises OverflowError or ZeroDivisionError.

This module knows nothing of graphs: a Value is anything with the methods named below.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

inf = math.inf
nan = math.nan


# ---------------------------------------------------------------- IEEE-safe float arithmetic

def _is_odd_integer(y: float) -> bool:
    return y == y and math.fabs(y) != inf and y % 2 == 1  # math.fabs: this module names its own abs


def _is_integer(y: float) -> bool:
    return math.fabs(y) != inf and y == math.floor(y)


def f_div(x: float, y: float) -> float:
    """x / y, with x/0 = +-inf by the signs and 0/0 = nan (IEEE), where Python raises."""
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def f_pow(x: float, y: float) -> float:
    """x ** y as C's pow(): 0 ** -1 = inf, overflow = +-inf, a negative base to a fraction = nan."""
    try:
        result = x ** y
    except ZeroDivisionError:  # 0 ** negative
        return math.copysign(inf, x) if _is_odd_integer(y) else inf
    except OverflowError:
        if x < 0 and not _is_integer(y):  # (-10) ** 400.5 is not a real number, however large
            return nan
        return -inf if x < 0 and _is_odd_integer(y) else inf
    if isinstance(result, complex):  # negative base, fractional exponent: real pow is undefined
        return nan
    return float(result)


def f_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def f_log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -inf if x == 0 else nan


def f_sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else nan


def f_sigmoid(x: float) -> float:
    if x >= 0:  # exp of a non-positive number never overflows
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def f_relu(x: float) -> float:
    return 0.0 if x < 0 else x


def f_sin(x: float) -> float:
    return math.sin(x) if math.fabs(x) != inf else nan


def f_cos(x: float) -> float:
    return math.cos(x) if math.fabs(x) != inf else nan


def f_sign(x: float) -> float:
    """The derivative of |x|: -1, 0 or 1 (0 at 0, like PyTorch)."""
    return float((x > 0) - (x < 0))


f_tanh = math.tanh  # never overflows: tanh(1000) is 1.0
f_abs = abs


# ---------------------------------------------------------------- the same functions on floats or Values

def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int))


def data(x: Any) -> float:
    """The number in x: tests in rules compare numbers (a Value has no ``==`` of its own)."""
    return float(x) if _is_number(x) else float(x.data)


def div(x: Any, y: Any) -> Any:
    return f_div(x, y) if _is_number(x) and _is_number(y) else x / y


def pow(x: Any, y: Any) -> Any:
    return f_pow(x, y) if _is_number(x) and _is_number(y) else x ** y


def guarded(term: Any, as_values: bool) -> Any:
    """What an input gets where its rule's ``zero_if`` test holds: nothing on numbers (first order, as
    PyTorch); on Values, the term where its number is finite (0 there), so derivatives of it stay exact,
    and nothing where it is not (0 * inf, or a nan from upstream)."""
    return term if as_values and math.isfinite(data(term)) else None


def sign(x: Any) -> float:
    """A constant wherever it is defined, so its own derivative is 0: a number even for a Value."""
    return f_sign(data(x))


def _either(float_fn: Callable[[float], float], method: str) -> Callable[[Any], Any]:
    """A function that runs float_fn on numbers and the Value method of that name on Values."""
    def function(x: Any) -> Any:
        return float_fn(x) if _is_number(x) else getattr(x, method)()
    function.__name__ = function.__qualname__ = method
    return function


exp = _either(f_exp, 'exp')
log = _either(f_log, 'log')
sqrt = _either(f_sqrt, 'sqrt')
tanh = _either(f_tanh, 'tanh')
sigmoid = _either(f_sigmoid, 'sigmoid')
relu = _either(f_relu, 'relu')
sin = _either(f_sin, 'sin')
cos = _either(f_cos, 'cos')
abs = _either(f_abs, '__abs__')

# what a rule may call; zero_if(test, E) is not a function but a form the generator writes as code (see above)
FUNCTIONS = ('exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'sin', 'cos', 'abs', 'sign', 'data', 'zero_if')


# ---------------------------------------------------------------- the table

class Op(NamedTuple):
    """One differentiable operation, written as math.

    ``forward`` is an expression in the inputs ``x`` (and ``y``); ``grads`` holds d out / d input for
    each input, which may also use ``out``, the op's result (``tanh' = 1 - out*out``). In graph mode
    ``out`` is the result node itself, so derivatives of derivatives stay exact. ``method`` (and
    ``reflected``, the ``number OP value`` form) is the Value method that builds the node.
    """
    name: str                # micrograd's ``_op`` string
    forward: str
    grads: tuple[str, ...]   # one per input
    method: str | None = None
    reflected: str | None = None

    @property
    def arity(self) -> int:
        return len(self.grads)


#          name       forward       d/dx, d/dy                                    Value methods
ADD = Op('+', 'x + y', ('1', '1'), '__add__', '__radd__')
SUB = Op('-', 'x - y', ('1', '-1'), '__sub__', '__rsub__')
MUL = Op('*', 'x * y', ('y', 'x'), '__mul__', '__rmul__')
DIV = Op('/', 'x / y', ('1 / y', '-out / y'), '__truediv__', '__rtruediv__')
# Both guards are PyTorch's: d/dx x**0 = 0 (0 * x**-1 would be nan at x = 0, or for a tiny x), and
# d/dy 0**y = 0 for y >= 0 (the limit from x > 0; log 0 * 0**y would be nan). x ** c for a number c
# is this same row with y a constant (micrograd's '**2' node, whose only input is x).
POW = Op('**', 'x ** y', ('zero_if(data(y) == 0, y * x ** (y - 1))',
                          'zero_if(data(x) == 0 and data(y) >= 0, log(x) * out)'), '__pow__', '__rpow__')

NEG = Op('neg', '-x', ('-1',), '__neg__')
ABS = Op('abs', 'abs(x)', ('sign(x)',), '__abs__')
EXP = Op('exp', 'exp(x)', ('out',), 'exp')
LOG = Op('log', 'log(x)', ('1 / x',), 'log')
SQRT = Op('sqrt', 'sqrt(x)', ('1 / (2 * out)',), 'sqrt')
TANH = Op('tanh', 'tanh(x)', ('1 - out * out',), 'tanh')
SIGMOID = Op('sigmoid', 'sigmoid(x)', ('out * (1 - out)',), 'sigmoid')
RELU = Op('ReLU', 'relu(x)', ('1 if data(x) > 0 else 0',), 'relu')  # 0 at the kink, like PyTorch
SIN = Op('sin', 'sin(x)', ('cos(x)',), 'sin')
COS = Op('cos', 'cos(x)', ('-sin(x)',), 'cos')

TABLE = (ADD, SUB, MUL, DIV, POW, NEG, ABS, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS)


# ---------------------------------------------------------------- n-ary: the neuron's weighted sum

# dot = bias + w1*x1 + w2*x2 + ... over inputs laid out as (bias, w1, x1, w2, x2, ...). It has no
# row of its own: its float backward is generated from ADD (for the bias) and MUL (for each pair).

def dot_vjp(inputs: Sequence[Any], g: Any) -> tuple[Any, ...]:
    """What each input of a dot gets: g for the bias, g * x_i for w_i and g * w_i for x_i."""
    return (g, *(g * partner for partner in dot_grads(inputs, None)[1:]))


def dot_grads(inputs: Sequence[Any], out: Any) -> list[Any]:
    """d/dbias = 1 (ADD's rule), d/dw_i = x_i and d/dx_i = w_i (MUL's rule), on floats or Values."""
    grads: list[Any] = [1.0]
    for i in range(1, len(inputs), 2):
        grads += (inputs[i + 1], inputs[i])
    return grads
