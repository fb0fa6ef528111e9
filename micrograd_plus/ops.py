"""The derivative table: every op once, its forward beside its local derivatives, written as math.

A rule is an expression in the op's inputs (``x``, ``y``), its result ``out`` and its named constants,
using ``+ - * / **``, comparisons, ``and or not``, ``A if test else B`` and the functions below (``exp``,
``log``...). ``rules.py`` parses each row once into a small expression form; everything else is written
from that form: engine.py's generated code (``make generate``: the float ``_backward`` of each node class,
the fast first-order pass, and ``vjp(g, as_values=True)``, the same rules on Values, which builds a graph
so gradients can be differentiated again), compile_graph's loops and printed programs, explain()'s math,
the command line's functions and the table-driven tests.

Zeros that PyTorch selects with ``where()`` rather than multiplies are written so here too: the input
then gets nothing at all, so a nan arriving from upstream does not turn ``0 * nan`` into nan.

- ``E if test else 0``: the derivative *is* 0 there (relu below 0).
- ``zero_if(test, E)``: E is the derivative everywhere, but where ``test`` holds its formula
  would compute 0 * inf = nan (``d/dx x**y = y * x**(y-1)`` at y = 0): first order takes 0 there,
  like PyTorch, and a graph for higher order keeps E wherever E is finite, so a Hessian stays
  exact (PyTorch's is not: its d2/dxdy of x**y at y = 0 is 0 one way round and 1/x the other).

Float functions follow IEEE like PyTorch: ``exp(1000)`` is ``inf``, ``log(0)`` is ``-inf``, ``1/0``
is ``inf``, ``sqrt(-1)`` is ``nan``; nothing raises OverflowError or ZeroDivisionError.

Adding an op (say ``elu``) is one row:

1. Write its row below: ``ELU = Op('elu', forward, (d/dx,), method='elu', constants=(('alpha', 1.0),))``,
   and add it to ``TABLE``. The name of the variable gives the node class (``ELU`` -> ``_Elu``).
2. If the forward needs a float function the rules do not have yet (``expm1``), write ``f_expm1`` here
   (IEEE-safe: inf and nan, never an exception) and ``expm1 = _either(f_expm1, 'expm1')``, and name it in
   ``FUNCTIONS``; the generated code imports what the table uses.
3. Run ``make generate`` (engine.py's generated blocks), then ``make test``: the table-driven tests
   (tests/test_ops.py) check every row against central differences to second order, and against PyTorch
   where the test's map from row name to torch function names it (a row missing from that map fails).

A node keeps its row's constants in slots of its own (``x ** 2`` keeps c = 2.0; no node for the 2), so a
row with constants is a row like any other. This module knows nothing of graphs: a Value is anything with
the methods named below.
"""
from __future__ import annotations

import math
from collections.abc import Callable
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


def f_log1p(x: float) -> float:
    """log(1 + x), exact for a tiny x; -inf at -1, nan below, like PyTorch."""
    if x > -1:
        return math.log1p(x)
    return -inf if x == -1 else nan


def f_expm1(x: float) -> float:
    """exp(x) - 1, exact for a tiny x; inf on overflow."""
    try:
        return math.expm1(x)
    except OverflowError:
        return inf


def f_clamp(x: float, min: float, max: float) -> float:
    """x limited to [min, max], as torch.clamp: max wins where min > max, and nan stays nan."""
    low = min if x < min else x
    return max if low > max else low


f_tanh = math.tanh  # never overflows: tanh(1000) is 1.0
f_abs = abs


def format_constant(value: float) -> str:
    """A constant as an op shows it (micrograd's '**2'): '2' for 2.0, '0.5', '1e+20', 'inf'."""
    value = float(value)
    return str(int(value)) if value.is_integer() and math.fabs(value) < 1e16 else str(value)


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


def _either(float_fn: Callable[..., float], method: str) -> Callable[..., Any]:
    """A function that runs float_fn on numbers and the Value method of that name on Values (any further
    arguments are the op's constants, numbers either way: clamp(x, min, max))."""
    def function(x: Any, *constants: float) -> Any:
        return float_fn(x, *constants) if _is_number(x) else getattr(x, method)(*constants)
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
abs = _either(f_abs, 'abs')
log1p = _either(f_log1p, 'log1p')
expm1 = _either(f_expm1, 'expm1')
clamp = _either(f_clamp, 'clamp')

# what a rule may call: each has its float form f_<name> above. data(e) (the number in e) and
# zero_if(test, E) are forms of the rule language itself (rules.py), not functions.
FUNCTIONS = ('exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'sin', 'cos', 'abs', 'sign', 'log1p', 'expm1',
             'clamp')


# ---------------------------------------------------------------- the table

class Op(NamedTuple):
    """One differentiable operation, written as math.

    ``forward`` is an expression in the inputs (``x``, and ``y`` for two); ``grads`` holds d out / d input
    for each input, which may also use ``out``, the op's result (``tanh' = 1 - out*out``). In graph mode
    ``out`` is the result node itself, so derivatives of derivatives stay exact. ``method`` (and
    ``reflected``, the ``number OP value`` form) is the Value method that builds the node.

    ``constants`` are numbers the op takes beside its inputs, ``(name, default)``, kept on each node
    (``leaky_relu``'s ``negative_slope``); the method takes them as keyword arguments, None meaning the
    default. A ``{c}`` in ``name`` is replaced by the node's constant c in its ``_op`` (``'**{c}'``: '**2').

    ``inputs`` names the inputs when they are not x and y; ``repeat`` > 0 makes an n-ary row: its last
    ``repeat`` inputs come again and again, and its forward ``first + term`` adds ``term`` once per group,
    left to right (dot: ``bias + w * x`` is bias + w1*x1 + w2*x2 + ...).
    """
    name: str                # micrograd's ``_op`` string
    forward: str
    grads: tuple[str, ...]   # one per input
    method: str | None = None
    reflected: str | None = None
    constants: tuple[tuple[str, float], ...] = ()
    inputs: tuple[str, ...] = ()
    repeat: int = 0

    @property
    def arity(self) -> int:
        """The number of inputs (of an n-ary row: of its first group and one repeated group)."""
        return len(self.grads)

    @property
    def input_names(self) -> tuple[str, ...]:
        return self.inputs or ('x', 'y')[:len(self.grads)]


#        name  forward   d/dx, d/dy  Value methods
ADD = Op('+', 'x + y', ('1', '1'), '__add__', '__radd__')
SUB = Op('-', 'x - y', ('1', '-1'), '__sub__', '__rsub__')
MUL = Op('*', 'x * y', ('y', 'x'), '__mul__', '__rmul__')
DIV = Op('/', 'x / y', ('1 / y', '-out / y'), '__truediv__', '__rtruediv__')
# Both guards are PyTorch's: d/dx x**0 = 0 (0 * x**-1 would be nan at x = 0, or for a tiny x), and
# d/dy 0**y = 0 for y >= 0 (the limit from x > 0; log 0 * 0**y would be nan).
POW = Op('**', 'x ** y', ('zero_if(data(y) == 0, y * x ** (y - 1))',
                          'zero_if(data(x) == 0 and data(y) >= 0, log(x) * out)'), '__pow__', '__rpow__')
# x ** c for a number c: micrograd's '**2' node, whose only input is x. It shares POW's method: a Value
# exponent makes a POW node, a number this one.
POW_CONST = Op('**{c}', 'x ** c', ('zero_if(c == 0, c * x ** (c - 1))',), '__pow__', constants=(('c', 2.0),))

NEG = Op('neg', '-x', ('-1',), '__neg__')
ABS = Op('abs', 'abs(x)', ('sign(x)',), 'abs')
EXP = Op('exp', 'exp(x)', ('out',), 'exp')
LOG = Op('log', 'log(x)', ('1 / x',), 'log')
SQRT = Op('sqrt', 'sqrt(x)', ('1 / (2 * out)',), 'sqrt')
TANH = Op('tanh', 'tanh(x)', ('1 - out * out',), 'tanh')
SIGMOID = Op('sigmoid', 'sigmoid(x)', ('out * (1 - out)',), 'sigmoid')
RELU = Op('ReLU', 'relu(x)', ('1 if data(x) > 0 else 0',), 'relu')  # 0 at the kink, like PyTorch
SIN = Op('sin', 'sin(x)', ('cos(x)',), 'sin')
COS = Op('cos', 'cos(x)', ('-sin(x)',), 'cos')
LOG1P = Op('log1p', 'log1p(x)', ('1 / (1 + x)',), 'log1p')
EXPM1 = Op('expm1', 'expm1(x)', ('out + 1',), 'expm1')
# PyTorch's choices at the kinks: the slope of the side below for leaky_relu and elu (x <= 0), and a
# clamped input at a bound gets the gradient (min <= x <= max). A bound left out (None) is +-inf.
LEAKY_RELU = Op('leaky_relu', 'x if data(x) > 0 else x * negative_slope',
                ('1 if data(x) > 0 else negative_slope',), 'leaky_relu', constants=(('negative_slope', 0.01),))
# At a kink PyTorch's second derivative is 0: the rule there is a constant (alpha, not alpha * exp(0)).
ELU = Op('elu', 'x if data(x) > 0 else alpha * expm1(x)',
         ('1 if data(x) > 0 else (alpha if data(x) == 0 else alpha * exp(x))',), 'elu', constants=(('alpha', 1.0),))
CLAMP = Op('clamp', 'clamp(x, min, max)', ('1 if data(x) >= min and data(x) <= max else 0',), 'clamp',
           constants=(('min', -inf), ('max', inf)))
# linear above the threshold, like PyTorch's: softplus(1000) is 1000, not log1p(exp(1000)) = inf; at the
# threshold itself PyTorch takes sigmoid(threshold), with second derivative 0 (a constant, as elu's kink)
SOFTPLUS = Op('softplus', 'x if data(x) * beta > threshold else log1p(exp(x * beta)) / beta',
              ('1 if data(x) * beta > threshold else '
               '(sigmoid(threshold) if data(x) * beta == threshold else sigmoid(x * beta))',), 'softplus',
              constants=(('beta', 1.0), ('threshold', 20.0)))

# the larger of two (a max-pool's cells, pairwise): ties go to x, the earlier cell, as PyTorch's max-pool picks
MAXIMUM = Op('max', 'x if data(x) >= data(y) else y',
             ('1 if data(x) >= data(y) else 0', '0 if data(x) >= data(y) else 1'), 'maximum')

# n-ary: a neuron's weighted sum bias + w1*x1 + w2*x2 + ... as one node, inputs (bias, w1, x1, w2, x2, ...)
DOT = Op('dot', 'bias + w * x', ('1', 'x', 'w'), inputs=('bias', 'w', 'x'), repeat=2)

TABLE = (ADD, SUB, MUL, DIV, POW, POW_CONST, NEG, ABS, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS, LOG1P, EXPM1,
         LEAKY_RELU, ELU, CLAMP, SOFTPLUS, MAXIMUM, DOT)
