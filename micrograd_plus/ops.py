"""The derivative table: every op once, its float forward beside its local derivatives.

Rules are written with operators and the functions below (``div``, ``log``, ``cos``...), which accept
floats *or* Values. The same rule therefore runs on floats (the fast first-order ``backward``) and on
Values (a backward that builds a graph, so gradients can be differentiated again).

Float forwards follow IEEE like PyTorch: ``exp(1000)`` is ``inf``, ``log(0)`` is ``-inf``, ``1/0`` is
``inf``, ``sqrt(-1)`` is ``nan``; nothing raises OverflowError or ZeroDivisionError.

This module knows nothing of graphs: a Value is anything with the methods named below.
"""
from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple, Sequence

inf = math.inf
nan = math.nan


# ---------------------------------------------------------------- IEEE-safe float arithmetic

def _is_odd_integer(y: float) -> bool:
    return y == y and abs(y) != inf and y % 2 == 1


def f_div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:  # IEEE: x/0 is +-inf by the signs, 0/0 is nan
        if x != x or x == 0:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def f_pow(x: float, y: float) -> float:
    try:
        result = x ** y
    except ZeroDivisionError:  # 0 ** negative
        return math.copysign(inf, x) if _is_odd_integer(y) else inf
    except OverflowError:
        return -inf if x < 0 and _is_odd_integer(y) else inf
    if result.__class__ is complex:  # negative base, fractional exponent: real pow is undefined
        return nan
    return result


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
    return math.sin(x) if abs(x) != inf else nan


def f_cos(x: float) -> float:
    return math.cos(x) if abs(x) != inf else nan


def f_step(x: float) -> float:
    """Derivative of relu: 1 where x > 0, else 0 (0 at the kink, like PyTorch)."""
    return 1.0 if x > 0 else 0.0


def f_sign(x: float) -> float:
    """Derivative of |x|: 0 at 0, like PyTorch."""
    return float((x > 0) - (x < 0))


# ---------------------------------------------------------------- the same functions on Values

def _is_number(x: Any) -> bool:
    return isinstance(x, (float, int))


def _either(float_fn: Callable[[float], float], method: str) -> Callable[[Any], Any]:
    """A function that runs float_fn on numbers and the Value method of that name on Values."""
    def function(x: Any) -> Any:
        return float_fn(x) if _is_number(x) else getattr(x, method)()
    function.__name__ = method
    return function


def _v_div(x: Any, y: Any) -> Any:
    return f_div(x, y) if _is_number(x) and _is_number(y) else x / y


def _v_pow(x: Any, y: Any) -> Any:
    return f_pow(x, y) if _is_number(x) and _is_number(y) else x ** y


def _v_data(x: Any) -> float:
    return x if _is_number(x) else x.data


def _v_abs(x: Any) -> Any:
    return abs(x)


# The names a rule may use. FLOAT_MATH runs the fast first-order backward; VALUE_MATH builds graphs.
FLOAT_MATH: dict[str, Callable[..., Any]] = {
    'div': f_div, 'pow': f_pow, 'exp': f_exp, 'log': f_log, 'sqrt': f_sqrt, 'tanh': math.tanh,
    'sigmoid': f_sigmoid, 'relu': f_relu, 'sin': f_sin, 'cos': f_cos, 'abs': abs,
    'step': f_step, 'sign': f_sign, 'data': float,
}
VALUE_MATH: dict[str, Callable[..., Any]] = {
    'div': _v_div, 'pow': _v_pow, 'exp': _either(f_exp, 'exp'), 'log': _either(f_log, 'log'),
    'sqrt': _either(f_sqrt, 'sqrt'), 'tanh': _either(math.tanh, 'tanh'),
    'sigmoid': _either(f_sigmoid, 'sigmoid'), 'relu': _either(f_relu, 'relu'),
    'sin': _either(f_sin, 'sin'), 'cos': _either(f_cos, 'cos'), 'abs': _v_abs,
    'step': lambda x: f_step(_v_data(x)), 'sign': lambda x: f_sign(_v_data(x)), 'data': _v_data,
}


# ---------------------------------------------------------------- the table

class Op(NamedTuple):
    """One differentiable operation, written as math.

    ``forward`` is an expression in the inputs ``x`` (and ``y``; ``c`` for a constant exponent).
    ``grads`` holds d out / d input for each input, as expressions that may also use ``out``, the
    op's result (``tanh' = 1 - out*out``). In graph mode ``out`` is the result node itself, so
    derivatives of derivatives stay exact. Names come from FLOAT_MATH / VALUE_MATH.
    """
    name: str                # micrograd's ``_op`` string
    forward: str
    grads: tuple[str, ...]   # one per input

    @property
    def arity(self) -> int:
        return len(self.grads)


#        name  forward      (d/dx, d/dy)
ADD = Op('+', 'x + y', ('1', '1'))
SUB = Op('-', 'x - y', ('1', '-1'))
MUL = Op('*', 'x * y', ('y', 'x'))
DIV = Op('/', 'div(x, y)', ('div(1, y)', '-div(out, y)'))
# At x == 0, where 0 * inf would give nan, both follow PyTorch: d/dx 0**0 = 0, and d/dy 0**y = 0 for
# y >= 0 (the limit from x > 0) but -inf for y < 0 (log 0 * inf).
POW = Op('**', 'pow(x, y)', ('0.0 if data(x) == 0 == data(y) else y * pow(x, y - 1)',
                             '0.0 if data(x) == 0 and data(y) >= 0 else log(x) * out'))

NEG = Op('neg', '-x', ('-1',))
EXP = Op('exp', 'exp(x)', ('out',))
LOG = Op('log', 'log(x)', ('div(1, x)',))
SQRT = Op('sqrt', 'sqrt(x)', ('div(0.5, out)',))
TANH = Op('tanh', 'tanh(x)', ('1 - out * out',))
SIGMOID = Op('sigmoid', 'sigmoid(x)', ('out * (1 - out)',))
RELU = Op('ReLU', 'relu(x)', ('step(x)',))
SIN = Op('sin', 'sin(x)', ('cos(x)',))
COS = Op('cos', 'cos(x)', ('-sin(x)',))
ABS = Op('abs', 'abs(x)', ('sign(x)',))
# x ** c for a plain number c: micrograd's '**2' node, whose only parent is x
POW_CONST = Op('**c', 'pow(x, c)', ('0.0 if c == 0 else c * pow(x, c - 1)',))

UNARY_OPS = (NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, ABS)
BINARY_OPS = (ADD, SUB, MUL, DIV, POW)


# ---------------------------------------------------------------- n-ary: the neuron's weighted sum

# dot = bias + w1*x1 + w2*x2 + ... over inputs laid out as (bias, w1, x1, w2, x2, ...). It has no
# entry of its own: its float backward is compiled from ADD (for the bias) and MUL (for each pair).

def dot_grads(inputs: Sequence[Any], out: Any) -> list:
    """d/dbias = 1 (ADD's rule), d/dw_i = x_i and d/dx_i = w_i (MUL's rule), on floats or Values."""
    grads: list = [1.0]
    for i in range(1, len(inputs), 2):
        grads += (inputs[i + 1], inputs[i])
    return grads
