"""Value: one float in a computation graph, its operators, and backward().

Memory layout, chosen because a training step makes ~70,000 nodes:
- a leaf holds ``data``, ``grad``, ``label`` in slots (no ``__dict__``);
- an op node adds its inputs as two slots ``_a``, ``_b`` (``_b`` holds a tuple for an n-ary op);
  *which* op it is, is its class: one small class per row of the table in ``ops.py``, so a node
  stores no op field and no closure;
- nothing points from an input to its result, so graphs have no reference cycles: a graph is freed
  by reference counting the moment its root goes, and the cyclic garbage collector finds nothing
  (except around a node built the lecture's way, whose ``_backward`` closure refers to the node).

Speed: each op's method and float ``_backward`` are straight-line code generated from the table (the
blocks marked below), so the chain rule for ``*`` runs as ``a.grad += g * y`` with no call in between.
"""
from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, SupportsFloat, Union

from . import checks, copying, listeners, modes, ops

# Names users import from micrograd_plus.engine, which live below it now (number coercion, the modes):
from .checks import as_number as as_number
from .hooks import GradHooks, RemovableHandle, checked_hook, grad_hooks_exist
from .modes import AnomalyError as AnomalyError
from .modes import ModeState as ModeState
from .modes import current_mode as current_mode
from .modes import describe as describe
from .modes import reset_mode as reset_mode
from .modes import set_mode as set_mode

# ---- begin generated imports: edit ops.py and run `make generate`, not this ----
from .ops import (
    f_abs,
    f_clamp,
    f_cos,
    f_div,
    f_exp,
    f_expm1,
    f_log,
    f_log1p,
    f_pow,
    f_relu,
    f_sigmoid,
    f_sign,
    f_sin,
    f_sqrt,
    f_tanh,
    format_constant,
)

# ---- end generated imports ----

Operand = Union['Value', SupportsFloat]  # what an op takes beside a Value: numbers, numpy and torch scalars

_new = object.__new__

# The modes (no_grad, detect_anomaly) live in micrograd_plus.modes. Every op reads one flag, _plain: true while
# no thread or task anywhere has a mode on, a global here so the fast path pays one lookup; only when it is
# false does an op ask its own thread's mode (_mode.get()).
_mode = modes.MODE
_plain = True


def _follow_plain(plain: bool) -> None:
    global _plain
    _plain = plain


modes.follow_plain(_follow_plain)


# ---------------------------------------------------------------- numbers in

def _operand(x: Any) -> float | None:
    """The number in an op's other operand, or None to let the other type try (a numpy array can).
    Text, None and complex numbers cannot take part in any op with a Value: say so, and what can."""
    try:
        return as_number(x, accepted='an op with a Value takes a real number or a Value')
    except TypeError:
        if x is None or isinstance(x, (str, bytes, numbers.Complex)):
            raise
        return None


def _lift(x: Any) -> Value | None:
    """An operand as a Value: what Value() accepts becomes a constant leaf, else None."""
    if x.__class__ is float or x.__class__ is int:  # the common case, e.g. 2 * v, first
        try:
            return _leaf(float(x))
        except OverflowError:
            pass
    c = _operand(x)
    return None if c is None else _leaf(c)


def _leaf(data: float) -> Value:
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ''
    return out


def format_exponent(c: float) -> str:
    """The exponent in micrograd's ``_op`` of ``x ** c``: '2' for 2.0, '0.5', '1e+20'."""
    if c.__class__ is not float:
        c = as_number(c, accepted='format_exponent() takes the exponent, a real number')
    return ops.format_constant(c)


def _constant(op: str, name: str, value: Any, default: float) -> float:
    """An op's constant as a float: None takes the row's default (clamp's bounds: none, as torch.clamp's)."""
    if value is None:
        return default
    if value.__class__ is float:
        return value
    return as_number(value, accepted=f'{op}({name}=...) takes a real number or None (for {default!r})')


# ---------------------------------------------------------------- the node

class Value:
    """A scalar in a computation graph: ``data``, the ``grad`` of the last backward, and a ``label``.

    Compatible with karpathy/micrograd and the lecture: ``Value(data, _children, _op, label)``,
    ``._prev`` (inputs in argument order), ``._op`` (micrograd's strings), ``._backward()`` per node.
    """
    __slots__ = ('_hooks', 'data', 'grad', 'label')  # _hooks: set by register_hook only
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators and give a Value
    data: float
    grad: float
    label: str
    _op: str = ''
    rule: ClassVar[ops.Op | None] = None  # the row of ops.py this node's class was generated from
    _a: Any = None  # a leaf has no inputs (op nodes have these as slots)
    _b: Any = None
    _is_leaf: ClassVar[bool] = True

    def __new__(cls, data: Any, _children: Iterable[Value] = (), _op: str = '', label: str = '') -> Value:
        if (_children.__class__ is not tuple or _children or _op.__class__ is not str or _op
                or label.__class__ is not str):  # the lecture's op node, or something to check
            return _checked_new(cls, data, _children, _op, label)
        self = _new(cls)
        self.data = data if data.__class__ is float else as_number(data)
        self.grad = 0.0
        self.label = label
        return self

    def __getnewargs__(self) -> tuple[float]:  # copy, deepcopy and pickle rebuild through __new__
        return (self.data,)

    def __repr__(self) -> str:
        label = f', label={self.label!r}' if self.label else ''
        return f'Value(data={self.data}, grad={self.grad}{label})'

    def __float__(self) -> float:
        return self.data

    def _repr_html_(self) -> str:
        """A notebook shows a Value at a glance: its label, data and grad (and the op that made it)."""
        from html import escape
        label = f'<b>{escape(self.label)}</b> ' if self.label else ''
        op = f' <span style="color:#64748b">({escape(self._op)})</span>' if self._op else ''
        data, grad = (repr(float(f'{x:.6g}')) for x in (self.data, self.grad))  # 2.0, 0.707107, nan
        return (f'<span style="font-family:monospace;padding:1px 6px;border:1px solid #cbd5e1;border-radius:4px">'
                f'{label}data {data} <span style="color:#64748b">|</span> grad {grad}{op}</span>')

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The inputs, in argument order (micrograd's name). A leaf has none."""
        return ()

    if TYPE_CHECKING:  # the lecture assigns a closure to a hand-built node's _backward: an attribute, to mypy
        _backward: Callable[[], None]
    else:
        def _backward(self) -> None:
            """Pass this node's grad on to its inputs (the chain rule for this node alone). A leaf has none."""

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        """What each input in ``_prev`` gets when ``g`` arrives here: g * d self / d input, by the same rule
        as ``_backward``, on numbers or on Values (``as_values=True``: a graph, for higher order). None where
        the rule selects zero: that input gets nothing, not 0 * (a g that may be nan). A leaf has none."""
        return ()

    def rule_inputs(self, as_values: bool = False) -> tuple[Any, Any, Any]:
        """(x, y, out) as this node's rule in ops.py reads them: numbers, or the nodes themselves for a rule
        that builds a graph. y is None for one input; an op's constants are its own (``constants()``). A leaf has
        no rule."""
        raise TypeError(f'{self!r} is a leaf: it was computed by no op, so no rule reads its inputs')

    def constants(self) -> tuple[float, ...]:
        """The numbers of its row's constants this node keeps beside its inputs (c of x ** c), in the row's order.
        A leaf and most ops have none."""
        return ()

    @property
    def is_leaf(self) -> bool:
        """Made by no op (an input, a parameter, a constant, or any result under no_grad()), as PyTorch's."""
        return self._is_leaf

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self.abs()

    # ------------------------------------------------------------ comparisons compare data

    def __lt__(self, other: Operand) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)  # type: ignore[operator]

    def __le__(self, other: Operand) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)  # type: ignore[operator]

    def __gt__(self, other: Operand) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)  # type: ignore[operator]

    def __ge__(self, other: Operand) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)  # type: ignore[operator]

    # ------------------------------------------------------------ graph

    def explain(self, root: Value | None = None) -> str:
        """How this node got its value and its gradient, with numbers (micrograd_plus.explain, which the
        teaching layer registers in micrograd_plus.listeners)."""
        return listeners.explain(self, root)

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients stop here."""
        out = _leaf(self.data)
        out.label = self.label
        return out

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with gradient * d(self)/d(node).

        The root is seeded with ``gradient`` (1.0 unless given, PyTorch's ``gradient=``). Every node keeps its
        grad afterwards, inner nodes too (PyTorch keeps only the leaves' unless asked with retain_grad()), so
        ``node.grad`` reads d(self)/d(node) anywhere in the graph. Inner grads are recomputed from zero, so
        calling this twice is correct; leaf grads accumulate (as in PyTorch) until you reset them. Hooks
        (``register_hook``) run on each node as its grad is complete.
        """
        if gradient.__class__ is not float:
            gradient = checks.real('backward(gradient=...), the seed d(self)/d(self)', gradient, finite=False, nan=True)
        if grad_hooks_exist():
            _backward_with_hooks(self, gradient)
            return
        told = listeners.after_backward  # explain()'s record, when the teaching layer is loaded
        if self._is_leaf:
            self.grad += gradient
            if told is not None:
                told(self, [])
            return
        order = _inner_nodes_in_order(self)  # also resets their grads to 0
        if told is not None:
            told(self, order)
        self.grad = gradient
        if not _plain and _mode.get().anomaly:
            modes.backward_checked(order)
            return
        for node in reversed(order):
            node._backward()

    def register_hook(self, hook: Callable[[float], float | None]) -> RemovableHandle:
        """Call ``hook(grad)`` in every backward() once this node's grad is complete, before it flows on to the
        node's inputs; a number it returns replaces the grad (PyTorch's tensor hooks). On a leaf, ``grad`` is
        what this backward() brings, and the hook's number is what gets added to ``.grad``. grad() runs no
        hooks. Returns a handle: ``handle.remove()`` unregisters it."""
        checked_hook('register_hook(hook)', hook, 'grad')
        hooks = getattr(self, '_hooks', None)
        if hooks is None:
            hooks = self._hooks = GradHooks()
        return hooks.add(hook)

    # ---- begin generated operators: edit ops.py and run `make generate`, not this ----
    def __add__(self, other: Operand) -> Value:
        """x + y"""
        b = other if isinstance(other, Value) else _lift(other)
        if b is None:
            return NotImplemented
        data = self.data + b.data
        if _plain:
            out = _new(_Add)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = b
            return out
        return _record(_Add, data, self, b)

    def __radd__(self, other: Operand) -> Value:
        """x + y, for a number x"""
        a = other if isinstance(other, Value) else _lift(other)
        if a is None:
            return NotImplemented
        data = a.data + self.data
        if _plain:
            out = _new(_Add)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = self
            return out
        return _record(_Add, data, a, self)

    def __sub__(self, other: Operand) -> Value:
        """x - y"""
        b = other if isinstance(other, Value) else _lift(other)
        if b is None:
            return NotImplemented
        data = self.data - b.data
        if _plain:
            out = _new(_Sub)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = b
            return out
        return _record(_Sub, data, self, b)

    def __rsub__(self, other: Operand) -> Value:
        """x - y, for a number x"""
        a = other if isinstance(other, Value) else _lift(other)
        if a is None:
            return NotImplemented
        data = a.data - self.data
        if _plain:
            out = _new(_Sub)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = self
            return out
        return _record(_Sub, data, a, self)

    def __mul__(self, other: Operand) -> Value:
        """x * y"""
        b = other if isinstance(other, Value) else _lift(other)
        if b is None:
            return NotImplemented
        data = self.data * b.data
        if _plain:
            out = _new(_Mul)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = b
            return out
        return _record(_Mul, data, self, b)

    def __rmul__(self, other: Operand) -> Value:
        """x * y, for a number x"""
        a = other if isinstance(other, Value) else _lift(other)
        if a is None:
            return NotImplemented
        data = a.data * self.data
        if _plain:
            out = _new(_Mul)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = self
            return out
        return _record(_Mul, data, a, self)

    def __truediv__(self, other: Operand) -> Value:
        """x / y"""
        b = other if isinstance(other, Value) else _lift(other)
        if b is None:
            return NotImplemented
        data = f_div(self.data, b.data)
        if _plain:
            out = _new(_Div)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = b
            return out
        return _record(_Div, data, self, b)

    def __rtruediv__(self, other: Operand) -> Value:
        """x / y, for a number x"""
        a = other if isinstance(other, Value) else _lift(other)
        if a is None:
            return NotImplemented
        data = f_div(a.data, self.data)
        if _plain:
            out = _new(_Div)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = self
            return out
        return _record(_Div, data, a, self)

    def __pow__(self, other: Operand) -> Value:
        """x ** y; for a number y, x ** c with c = y, one input"""
        out: _Pow | _PowConst
        if isinstance(other, Value):
            data = f_pow(self.data, other.data)
            if _plain:
                out = _new(_Pow)
                out.data = data
                out.grad = 0.0
                out.label = ''
                out._a = self
                out._b = other
                return out
            return _record(_Pow, data, self, other)
        c = _operand(other)
        if c is None:
            return NotImplemented
        data = f_pow(self.data, c)
        if _plain:
            out = _new(_PowConst)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            out._c = c
            return out
        return _record(_PowConst, data, self, None, c)

    def __rpow__(self, other: Operand) -> Value:
        """x ** y, for a number x"""
        a = other if isinstance(other, Value) else _lift(other)
        if a is None:
            return NotImplemented
        data = f_pow(a.data, self.data)
        if _plain:
            out = _new(_Pow)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = self
            return out
        return _record(_Pow, data, a, self)

    def __neg__(self) -> Value:
        """-x"""
        data = -self.data
        if _plain:
            out = _new(_Neg)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Neg, data, self, None)

    def abs(self) -> Value:
        """abs(x)"""
        data = f_abs(self.data)
        if _plain:
            out = _new(_Abs)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Abs, data, self, None)

    def exp(self) -> Value:
        """exp(x)"""
        data = f_exp(self.data)
        if _plain:
            out = _new(_Exp)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Exp, data, self, None)

    def log(self) -> Value:
        """log(x)"""
        data = f_log(self.data)
        if _plain:
            out = _new(_Log)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Log, data, self, None)

    def sqrt(self) -> Value:
        """sqrt(x)"""
        data = f_sqrt(self.data)
        if _plain:
            out = _new(_Sqrt)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Sqrt, data, self, None)

    def tanh(self) -> Value:
        """tanh(x)"""
        data = f_tanh(self.data)
        if _plain:
            out = _new(_Tanh)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Tanh, data, self, None)

    def sigmoid(self) -> Value:
        """sigmoid(x)"""
        data = f_sigmoid(self.data)
        if _plain:
            out = _new(_Sigmoid)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Sigmoid, data, self, None)

    def relu(self) -> Value:
        """relu(x)"""
        data = f_relu(self.data)
        if _plain:
            out = _new(_Relu)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Relu, data, self, None)

    def sin(self) -> Value:
        """sin(x)"""
        data = f_sin(self.data)
        if _plain:
            out = _new(_Sin)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Sin, data, self, None)

    def cos(self) -> Value:
        """cos(x)"""
        data = f_cos(self.data)
        if _plain:
            out = _new(_Cos)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Cos, data, self, None)

    def log1p(self) -> Value:
        """log1p(x)"""
        data = f_log1p(self.data)
        if _plain:
            out = _new(_Log1p)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Log1p, data, self, None)

    def expm1(self) -> Value:
        """expm1(x)"""
        data = f_expm1(self.data)
        if _plain:
            out = _new(_Expm1)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            return out
        return _record(_Expm1, data, self, None)

    def leaky_relu(self, negative_slope: float | None = 0.01) -> Value:
        """x if data(x) > 0 else x * negative_slope"""
        negative_slope = _constant('leaky_relu', 'negative_slope', negative_slope, 0.01)
        data = self.data if self.data > 0 else self.data * negative_slope
        if _plain:
            out = _new(_LeakyRelu)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            out._negative_slope = negative_slope
            return out
        return _record(_LeakyRelu, data, self, None, negative_slope)

    def elu(self, alpha: float | None = 1.0) -> Value:
        """x if data(x) > 0 else alpha * expm1(x)"""
        alpha = _constant('elu', 'alpha', alpha, 1.0)
        data = self.data if self.data > 0 else alpha * f_expm1(self.data)
        if _plain:
            out = _new(_Elu)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            out._alpha = alpha
            return out
        return _record(_Elu, data, self, None, alpha)

    def clamp(self, min: float | None = None, max: float | None = None) -> Value:
        """clamp(x, min, max)"""
        min = _constant('clamp', 'min', min, -ops.inf)
        max = _constant('clamp', 'max', max, ops.inf)
        data = f_clamp(self.data, min, max)
        if _plain:
            out = _new(_Clamp)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            out._min = min
            out._max = max
            return out
        return _record(_Clamp, data, self, None, min, max)

    def softplus(self, beta: float | None = 1.0, threshold: float | None = 20.0) -> Value:
        """x if data(x) * beta > threshold else log1p(exp(x * beta)) / beta"""
        beta = _constant('softplus', 'beta', beta, 1.0)
        threshold = _constant('softplus', 'threshold', threshold, 20.0)
        data = self.data if self.data * beta > threshold else f_div(f_log1p(f_exp(self.data * beta)), beta)
        if _plain:
            out = _new(_Softplus)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = None
            out._beta = beta
            out._threshold = threshold
            return out
        return _record(_Softplus, data, self, None, beta, threshold)

    def maximum(self, other: Operand) -> Value:
        """x if data(x) >= data(y) else y"""
        b = other if isinstance(other, Value) else _lift(other)
        if b is None:
            raise TypeError(f'maximum() takes a Value or a number, got {checks.shown(other)}')
        data = self.data if self.data >= b.data else b.data
        if _plain:
            out = _new(_Maximum)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = self
            out._b = b
            return out
        return _record(_Maximum, data, self, b)
    # ---- end generated operators ----


def _checked_new(cls: type[Value], data: Any, children: Any, op: Any, label: Any) -> Value:
    """``Value(data, _children, _op, label)`` beyond a plain leaf: inputs or an op (a node built the lecture's
    way), or a label that is not a str; each argument checked."""
    if not isinstance(label, str):
        raise TypeError(f"Value(label=...) is the node's name as text (a str; '' for none), got {checks.shown(label)}")
    if not isinstance(op, str):
        raise TypeError(f"Value(_op=...) is the op's name as text (a str, like 'cube'), got {checks.shown(op)}")
    inputs = tuple(checks.instances('Value(data, _children)', children, Value,
                                    'a tuple of Values (the inputs of the op)'))
    if cls is Value and (inputs or op):
        return _hand_built(data, inputs, op, label)
    self = _new(cls)
    self.data = data if data.__class__ is float else as_number(data)
    self.grad = 0.0
    self.label = label
    return self


def _hand_built(data: Any, inputs: tuple[Value, ...], op: str, label: str) -> Value:
    """``Value(data, _children, _op)``, an op written the lecture's way: under no_grad() it records no inputs."""
    grad_enabled = _plain or _mode.get().grad_enabled
    out = _new(_HandBuilt if grad_enabled else _HandBuiltConstant)
    out.data = data if data.__class__ is float else as_number(data)
    out.grad = 0.0
    out.label = label
    out._a = None  # type: ignore[assignment]  # n-ary: the inputs are the tuple in _b
    out._b, out._op, out._backward = inputs if grad_enabled else (), op, _passes_nothing_on
    if not _plain and _mode.get().anomaly and not math.isfinite(out.data):
        raise modes.non_finite_result(op, out.data, inputs, kind='hand-built op')
    return out


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, inputs before results, ``root`` last. Iterative: no recursion."""
    if not isinstance(root, Value):
        raise TypeError(f'topological_order() takes the Value whose graph to walk, got {checks.shown(root)}')
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]
    push, pop, mark, emit = stack.append, stack.pop, seen.add, order.append
    while stack:
        node = pop()
        if node is None:  # the marker: the node below it has all its inputs emitted
            emit(pop())
            continue
        if node in seen:
            continue
        mark(node)
        push(node)
        push(None)
        a, b = node._a, node._b
        if a is not None:
            if a not in seen:
                push(a)
            if b is not None and b not in seen:
                push(b)
        elif b is not None:  # n-ary: _b is the tuple of inputs
            for parent in b:
                if parent not in seen:
                    push(parent)
    return order


class _FreshZero(float):
    """0.0 as an object of its own: ``is`` compares identity even where the runtime (PyPy) compares
    plain floats by value. Arithmetic on it gives plain floats."""
    __slots__ = ()


def _inner_nodes_in_order(root: Value) -> list[Value]:
    """topological_order without the leaves, resetting each node's grad to 0: backward()'s walk.

    A visited node is marked by setting its grad to ``zero``, a float 0.0 made for this call alone:
    the mark *is* the reset, no set of a million nodes is hashed into, and an interrupted walk leaves
    only zeros behind. Leaves are skipped (their grads accumulate; their ``_backward`` does nothing).
    """
    zero = _FreshZero()  # `grad is zero` holds only for the nodes this call visited
    order: list[Value] = []
    stack: list[Any] = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is None:  # the marker: the node below it has all its inputs emitted
            emit(pop())
            continue
        if node.grad is zero:
            continue
        node.grad = zero
        push(node)
        push(None)
        a, b = node._a, node._b
        if a is not None:
            if a.grad is not zero and not a._is_leaf:
                push(a)
            if b is not None and b.grad is not zero and not b._is_leaf:
                push(b)
        elif b is not None:  # n-ary: _b is the tuple of inputs
            for parent in b:
                if parent.grad is not zero and not parent._is_leaf:
                    push(parent)
    return order


# ---------------------------------------------------------------- node classes

class _UnaryNode(Value):
    __slots__ = ('_a', '_b')
    _is_leaf = False
    _nary: ClassVar[bool] = False  # inputs as one tuple in _b (copying.rebuilt reads it)
    _a: Value
    _b: Any

    @property
    def _prev(self) -> tuple[Value, ...]:
        return (self._a,)

    def rule_inputs(self, as_values: bool = False) -> tuple[Any, Any, Any]:
        if as_values:
            return self._a, self._b, self
        return self._a.data, None if self._b is None else self._b.data, self.data

    def _extra(self) -> tuple[Any, ...]:
        """What the node holds besides its number and inputs (its row's constants; a hand-built op: _op, _backward)."""
        return ()

    def _restore_extra(self, *extra: Any) -> None:
        """Put back what _extra() gave, in a copy."""

    def _forward_again(self) -> float:
        """The number its inputs give now (detect_anomaly() compares it with ``data``); a hand-built node's
        forward is unknown: its own data."""
        return self.data

    # copy.deepcopy and pickle: the whole graph in topological order, never recursively (micrograd_plus.copying)

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        copied: Value = copying.deepcopy_graph(topological_order(self), memo)
        return copied

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickled as its whole graph, flat (copying.pickled_graph). An op node pickled on its own and inside a
        bigger graph in one pickle comes back as two copies."""
        return copying.pickled_graph(topological_order(self))


_graph_from_records = copying.graph_from_records  # where pickles written before the move look for it


class _BinaryNode(_UnaryNode):
    __slots__ = ()
    _b: Value

    @property
    def _prev(self) -> tuple[Value, ...]:
        return (self._a, self._b)


class _NaryNode(_UnaryNode):
    """A node with any number of inputs, as a tuple in ``_b`` (``_a`` stays None)."""
    __slots__ = ()
    _nary = True

    @property
    def _prev(self) -> tuple[Value, ...]:
        return self._b  # type: ignore[no-any-return]


def _passes_nothing_on() -> None:
    """The _backward of a hand-built node until one is given, like micrograd's ``lambda: None``."""


def is_hand_built(node: Value) -> bool:
    """Made the lecture's way, as ``Value(data, _children, _op)``: its own ``_backward`` is its rule."""
    return isinstance(node, _HandBuilt)


def hand_built_backward_given(node: Value) -> bool:
    """Whether a ``_backward`` was assigned to a hand-built node (micrograd's default passes nothing on)."""
    return isinstance(node, _HandBuilt) and node._backward is not _passes_nothing_on


class _HandBuilt(_NaryNode):
    """A node made by hand as ``Value(data, _children, _op)``, as the lecture writes ops: it is drawn
    like any other, and ``backward()`` runs the ``_backward`` closure you assign to it."""
    __slots__ = ('_backward', '_op')

    def _extra(self) -> tuple[Any, ...]:
        return self._op, self._backward

    def _restore_extra(self, *extra: Any) -> None:
        self._op, self._backward = extra

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        raise TypeError(f'{self!r} was built by hand as Value(data, _children, {self._op!r}): grad() needs the '
                        'op in the derivative table (ops.py); backward() runs the _backward you give the node')


class _HandBuiltConstant(_HandBuilt):
    """A hand-built node made under no_grad(): like every result there, a leaf that records no inputs.
    Its ``_backward`` can still be assigned, as the lecture's code does, and backward() never calls it."""
    __slots__ = ()
    _is_leaf = True


def dot(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = 0.0) -> Value:
    """``bias + sum(w * x)`` as a single node: the same value and gradients as the chain of ``+``
    and ``*`` nodes, with one node instead of 2n (what makes an MLP step fast)."""
    if weights.__class__ is not list or inputs.__class__ is not list:  # a neuron passes lists: the check is rare
        checks.sequence('dot(weights, inputs): weights', weights, 'a list of Values or numbers')
        checks.sequence('dot(weights, inputs): inputs', inputs, 'a list of Values or numbers')
    if len(weights) != len(inputs):
        raise ValueError(f'dot() needs as many weights as inputs, got {len(weights)} and {len(inputs)}')
    nodes = [bias, *itertools.chain.from_iterable(zip(weights, inputs))]
    for i, node in enumerate(nodes):
        if not isinstance(node, Value):
            nodes[i] = _leaf(as_number(node, accepted='dot() takes Values or real numbers'))
    data = _Dot.forward_of(nodes)  # left to right, exactly as the chain of + and * would add
    inputs_ = tuple(nodes)
    if _plain:
        out = _new(_Dot)
        out.data, out.grad, out.label, out._b = data, 0.0, '', inputs_
        out._a = None  # type: ignore[assignment]  # n-ary: the inputs are the tuple in _b
        return out
    return _record(_Dot, data, None, inputs_)


# ---- begin generated nodes: edit ops.py and run `make generate`, not this ----
# In each _backward: g is this node's grad, a and b its input nodes, x and y their numbers,
# out its own, and the op's constants by name. vjp gives the same to grad(): on numbers, or on
# Values (as_values=True) so that gradients can be differentiated again.

class _Add(_BinaryNode):
    """x + y"""
    __slots__ = ()
    _op = '+'
    rule = ops.ADD

    def _backward(self) -> None:
        """d/dx = 1
        d/dy = 1
        """
        g = self.grad
        a = self._a
        b = self._b
        a.grad += g
        b.grad += g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        return (g, g)

    def _forward_again(self) -> float:
        return self._a.data + self._b.data


class _Sub(_BinaryNode):
    """x - y"""
    __slots__ = ()
    _op = '-'
    rule = ops.SUB

    def _backward(self) -> None:
        """d/dx = 1
        d/dy = -1
        """
        g = self.grad
        a = self._a
        b = self._b
        a.grad += g
        b.grad -= g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        return (g, -g)

    def _forward_again(self) -> float:
        return self._a.data - self._b.data


class _Mul(_BinaryNode):
    """x * y"""
    __slots__ = ()
    _op = '*'
    rule = ops.MUL

    def _backward(self) -> None:
        """d/dx = y
        d/dy = x
        """
        g = self.grad
        a = self._a
        b = self._b
        x = a.data
        y = b.data
        a.grad += g * y
        b.grad += g * x

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, y, _ = self.rule_inputs(as_values)
        return (g * y, g * x)

    def _forward_again(self) -> float:
        return self._a.data * self._b.data


class _Div(_BinaryNode):
    """x / y"""
    __slots__ = ()
    _op = '/'
    rule = ops.DIV

    def _backward(self) -> None:
        """d/dx = 1 / y
        d/dy = -out / y
        """
        g = self.grad
        a = self._a
        b = self._b
        y = b.data
        out = self.data
        a.grad += f_div(g, y)
        b.grad += g * f_div(-out, y)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, y, out = self.rule_inputs(as_values)
        return (ops.div(g, y), g * ops.div(-out, y))

    def _forward_again(self) -> float:
        return f_div(self._a.data, self._b.data)


class _Pow(_BinaryNode):
    """x ** y"""
    __slots__ = ()
    _op = '**'
    rule = ops.POW

    def _backward(self) -> None:
        """d/dx = zero_if(data(y) == 0, y * x ** (y - 1))
        d/dy = zero_if(data(x) == 0 and data(y) >= 0, log(x) * out)
        """
        g = self.grad
        a = self._a
        b = self._b
        x = a.data
        y = b.data
        out = self.data
        if y != 0:
            a.grad += g * (y * f_pow(x, y - 1))
        if not (x == 0 and y >= 0):
            b.grad += g * (f_log(x) * out)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, y, out = self.rule_inputs(as_values)
        to_x = g * (y * ops.pow(x, y - 1))
        if ops.data(y) == 0:
            to_x = ops.guarded(to_x, as_values)
        to_y = g * (ops.log(x) * out)
        if ops.data(x) == 0 and ops.data(y) >= 0:
            to_y = ops.guarded(to_y, as_values)
        return (to_x, to_y)

    def _forward_again(self) -> float:
        return f_pow(self._a.data, self._b.data)


class _PowConst(_UnaryNode):
    """x ** c"""
    __slots__ = ('_c',)
    _c: float
    @property
    def _op(self) -> str:  # type: ignore[override]
        return '**' + format_constant(self._c)
    rule = ops.POW_CONST

    def _backward(self) -> None:
        """d/dx = zero_if(c == 0, c * x ** (c - 1))"""
        g = self.grad
        a = self._a
        x = a.data
        c = self._c
        if c != 0:
            a.grad += g * (c * f_pow(x, c - 1))

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        c = self._c
        to_x = g * (c * ops.pow(x, c - 1))
        if c == 0:
            to_x = ops.guarded(to_x, as_values)
        return (to_x,)

    def constants(self) -> tuple[float, ...]:
        """c: the numbers this node keeps beside its inputs"""
        return (self._c,)

    def _extra(self) -> tuple[Any, ...]:
        return (self._c,)

    def _restore_extra(self, *extra: Any) -> None:
        (self._c,) = extra

    def _forward_again(self) -> float:
        c = self._c
        return f_pow(self._a.data, c)


class _Neg(_UnaryNode):
    """-x"""
    __slots__ = ()
    _op = 'neg'
    rule = ops.NEG

    def _backward(self) -> None:
        """d/dx = -1"""
        g = self.grad
        a = self._a
        a.grad -= g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        return (-g,)

    def _forward_again(self) -> float:
        return -self._a.data


class _Abs(_UnaryNode):
    """abs(x)"""
    __slots__ = ()
    _op = 'abs'
    rule = ops.ABS

    def _backward(self) -> None:
        """d/dx = sign(x)"""
        g = self.grad
        a = self._a
        x = a.data
        a.grad += g * f_sign(x)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (g * ops.sign(x),)

    def _forward_again(self) -> float:
        return f_abs(self._a.data)


class _Exp(_UnaryNode):
    """exp(x)"""
    __slots__ = ()
    _op = 'exp'
    rule = ops.EXP

    def _backward(self) -> None:
        """d/dx = out"""
        g = self.grad
        a = self._a
        out = self.data
        a.grad += g * out

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, _, out = self.rule_inputs(as_values)
        return (g * out,)

    def _forward_again(self) -> float:
        return f_exp(self._a.data)


class _Log(_UnaryNode):
    """log(x)"""
    __slots__ = ()
    _op = 'log'
    rule = ops.LOG

    def _backward(self) -> None:
        """d/dx = 1 / x"""
        g = self.grad
        a = self._a
        x = a.data
        a.grad += f_div(g, x)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (ops.div(g, x),)

    def _forward_again(self) -> float:
        return f_log(self._a.data)


class _Sqrt(_UnaryNode):
    """sqrt(x)"""
    __slots__ = ()
    _op = 'sqrt'
    rule = ops.SQRT

    def _backward(self) -> None:
        """d/dx = 1 / (2 * out)"""
        g = self.grad
        a = self._a
        out = self.data
        a.grad += f_div(g, 2 * out)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, _, out = self.rule_inputs(as_values)
        return (ops.div(g, 2 * out),)

    def _forward_again(self) -> float:
        return f_sqrt(self._a.data)


class _Tanh(_UnaryNode):
    """tanh(x)"""
    __slots__ = ()
    _op = 'tanh'
    rule = ops.TANH

    def _backward(self) -> None:
        """d/dx = 1 - out * out"""
        g = self.grad
        a = self._a
        out = self.data
        a.grad += g * (1 - out * out)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, _, out = self.rule_inputs(as_values)
        return (g * (1 - out * out),)

    def _forward_again(self) -> float:
        return f_tanh(self._a.data)


class _Sigmoid(_UnaryNode):
    """sigmoid(x)"""
    __slots__ = ()
    _op = 'sigmoid'
    rule = ops.SIGMOID

    def _backward(self) -> None:
        """d/dx = out * (1 - out)"""
        g = self.grad
        a = self._a
        out = self.data
        a.grad += g * (out * (1 - out))

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, _, out = self.rule_inputs(as_values)
        return (g * (out * (1 - out)),)

    def _forward_again(self) -> float:
        return f_sigmoid(self._a.data)


class _Relu(_UnaryNode):
    """relu(x)"""
    __slots__ = ()
    _op = 'ReLU'
    rule = ops.RELU

    def _backward(self) -> None:
        """d/dx = 1 if data(x) > 0 else 0"""
        g = self.grad
        a = self._a
        x = a.data
        if x > 0:
            a.grad += g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (g if ops.data(x) > 0 else None,)

    def _forward_again(self) -> float:
        return f_relu(self._a.data)


class _Sin(_UnaryNode):
    """sin(x)"""
    __slots__ = ()
    _op = 'sin'
    rule = ops.SIN

    def _backward(self) -> None:
        """d/dx = cos(x)"""
        g = self.grad
        a = self._a
        x = a.data
        a.grad += g * f_cos(x)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (g * ops.cos(x),)

    def _forward_again(self) -> float:
        return f_sin(self._a.data)


class _Cos(_UnaryNode):
    """cos(x)"""
    __slots__ = ()
    _op = 'cos'
    rule = ops.COS

    def _backward(self) -> None:
        """d/dx = -sin(x)"""
        g = self.grad
        a = self._a
        x = a.data
        a.grad += g * -f_sin(x)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (g * -ops.sin(x),)

    def _forward_again(self) -> float:
        return f_cos(self._a.data)


class _Log1p(_UnaryNode):
    """log1p(x)"""
    __slots__ = ()
    _op = 'log1p'
    rule = ops.LOG1P

    def _backward(self) -> None:
        """d/dx = 1 / (1 + x)"""
        g = self.grad
        a = self._a
        x = a.data
        a.grad += f_div(g, 1 + x)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        return (ops.div(g, 1 + x),)

    def _forward_again(self) -> float:
        return f_log1p(self._a.data)


class _Expm1(_UnaryNode):
    """expm1(x)"""
    __slots__ = ()
    _op = 'expm1'
    rule = ops.EXPM1

    def _backward(self) -> None:
        """d/dx = out + 1"""
        g = self.grad
        a = self._a
        out = self.data
        a.grad += g * (out + 1)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        _, _, out = self.rule_inputs(as_values)
        return (g * (out + 1),)

    def _forward_again(self) -> float:
        return f_expm1(self._a.data)


class _LeakyRelu(_UnaryNode):
    """x if data(x) > 0 else x * negative_slope"""
    __slots__ = ('_negative_slope',)
    _negative_slope: float
    _op = 'leaky_relu'
    rule = ops.LEAKY_RELU

    def _backward(self) -> None:
        """d/dx = 1 if data(x) > 0 else negative_slope"""
        g = self.grad
        a = self._a
        x = a.data
        negative_slope = self._negative_slope
        if x > 0:
            a.grad += g
        else:
            a.grad += g * negative_slope

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        negative_slope = self._negative_slope
        return (g if ops.data(x) > 0 else g * negative_slope,)

    def constants(self) -> tuple[float, ...]:
        """negative_slope: the numbers this node keeps beside its inputs"""
        return (self._negative_slope,)

    def _extra(self) -> tuple[Any, ...]:
        return (self._negative_slope,)

    def _restore_extra(self, *extra: Any) -> None:
        (self._negative_slope,) = extra

    def _forward_again(self) -> float:
        negative_slope = self._negative_slope
        return self._a.data if self._a.data > 0 else self._a.data * negative_slope


class _Elu(_UnaryNode):
    """x if data(x) > 0 else alpha * expm1(x)"""
    __slots__ = ('_alpha',)
    _alpha: float
    _op = 'elu'
    rule = ops.ELU

    def _backward(self) -> None:
        """d/dx = 1 if data(x) > 0 else alpha if data(x) == 0 else alpha * exp(x)"""
        g = self.grad
        a = self._a
        x = a.data
        alpha = self._alpha
        if x > 0:
            a.grad += g
        elif x == 0:
            a.grad += g * alpha
        else:
            a.grad += g * (alpha * f_exp(x))

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        alpha = self._alpha
        return (g if ops.data(x) > 0 else g * alpha if ops.data(x) == 0 else g * (alpha * ops.exp(x)),)

    def constants(self) -> tuple[float, ...]:
        """alpha: the numbers this node keeps beside its inputs"""
        return (self._alpha,)

    def _extra(self) -> tuple[Any, ...]:
        return (self._alpha,)

    def _restore_extra(self, *extra: Any) -> None:
        (self._alpha,) = extra

    def _forward_again(self) -> float:
        alpha = self._alpha
        return self._a.data if self._a.data > 0 else alpha * f_expm1(self._a.data)


class _Clamp(_UnaryNode):
    """clamp(x, min, max)"""
    __slots__ = ('_max', '_min')
    _min: float
    _max: float
    _op = 'clamp'
    rule = ops.CLAMP

    def _backward(self) -> None:
        """d/dx = 1 if data(x) >= min and data(x) <= max else 0"""
        g = self.grad
        a = self._a
        x = a.data
        min = self._min
        max = self._max
        if x >= min and x <= max:
            a.grad += g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        min = self._min
        max = self._max
        return (g if ops.data(x) >= min and ops.data(x) <= max else None,)

    def constants(self) -> tuple[float, ...]:
        """min, max: the numbers this node keeps beside its inputs"""
        return (self._min, self._max)

    def _extra(self) -> tuple[Any, ...]:
        return (self._min, self._max)

    def _restore_extra(self, *extra: Any) -> None:
        (self._min, self._max) = extra

    def _forward_again(self) -> float:
        min = self._min
        max = self._max
        return f_clamp(self._a.data, min, max)


class _Softplus(_UnaryNode):
    """x if data(x) * beta > threshold else log1p(exp(x * beta)) / beta"""
    __slots__ = ('_beta', '_threshold')
    _beta: float
    _threshold: float
    _op = 'softplus'
    rule = ops.SOFTPLUS

    def _backward(self) -> None:
        """d/dx = 1 if data(x) * beta > threshold else sigmoid(threshold) if data(x) * beta == threshold else
            sigmoid(x * beta)
        """
        g = self.grad
        a = self._a
        x = a.data
        beta = self._beta
        threshold = self._threshold
        if x * beta > threshold:
            a.grad += g
        elif x * beta == threshold:
            a.grad += g * f_sigmoid(threshold)
        else:
            a.grad += g * f_sigmoid(x * beta)

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, _, _ = self.rule_inputs(as_values)
        beta = self._beta
        threshold = self._threshold
        if ops.data(x) * beta > threshold:
            to_x = g
        elif ops.data(x) * beta == threshold:
            to_x = g * ops.sigmoid(threshold)
        else:
            to_x = g * ops.sigmoid(x * beta)
        return (to_x,)

    def constants(self) -> tuple[float, ...]:
        """beta, threshold: the numbers this node keeps beside its inputs"""
        return (self._beta, self._threshold)

    def _extra(self) -> tuple[Any, ...]:
        return (self._beta, self._threshold)

    def _restore_extra(self, *extra: Any) -> None:
        (self._beta, self._threshold) = extra

    def _forward_again(self) -> float:
        beta = self._beta
        threshold = self._threshold
        return self._a.data if self._a.data * beta > threshold else f_div(f_log1p(f_exp(self._a.data * beta)), beta)


class _Maximum(_BinaryNode):
    """x if data(x) >= data(y) else y"""
    __slots__ = ()
    _op = 'max'
    rule = ops.MAXIMUM

    def _backward(self) -> None:
        """d/dx = 1 if data(x) >= data(y) else 0
        d/dy = 0 if data(x) >= data(y) else 1
        """
        g = self.grad
        a = self._a
        b = self._b
        x = a.data
        y = b.data
        if x >= y:
            a.grad += g
        if not x >= y:
            b.grad += g

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        x, y, _ = self.rule_inputs(as_values)
        return (g if ops.data(x) >= ops.data(y) else None, None if ops.data(x) >= ops.data(y) else g)

    def _forward_again(self) -> float:
        return self._a.data if self._a.data >= self._b.data else self._b.data


class _Dot(_NaryNode):
    """bias + w * x, with w, x repeated: inputs (bias, w1, x1, w2, x2, ...)"""
    __slots__ = ()
    _op = 'dot'
    rule = ops.DOT

    def _backward(self) -> None:
        """d/dbias = 1
        d/dw = x
        d/dx = w
        """
        g = self.grad
        inputs = self._b
        a = inputs[0]
        a.grad += g
        for i in range(1, len(inputs), 2):
            a = inputs[i]
            b = inputs[i + 1]
            w = a.data
            x = b.data
            a.grad += g * x
            b.grad += g * w

    def vjp(self, g: Any, as_values: bool = False) -> tuple[Any, ...]:
        inputs = self._b if as_values else [node.data for node in self._b]
        to = [g]
        for i in range(1, len(inputs), 2):
            w = inputs[i]
            x = inputs[i + 1]
            to += (g * x, g * w)
        return tuple(to)

    @staticmethod
    def forward_of(inputs: Sequence[Value]) -> float:
        """bias + w * x, added left to right as the chain of ops would add"""
        total: float = inputs[0].data
        for i in range(1, len(inputs), 2):
            w = inputs[i].data
            x = inputs[i + 1].data
            total = total + w * x
        return total

    def _forward_again(self) -> float:
        return self.forward_of(self._b)
# ---- end generated nodes ----


# ---------------------------------------------------------------- the slow path: no_grad(), detect_anomaly()

def _record(cls: type[Value], data: float, a: Value | None, b: Any, *constants: float) -> Value:
    """An op's result when some thread has a mode on: under no_grad() a plain leaf, under
    detect_anomaly() checked for nan and inf first. ``constants``: the row's, kept on the node."""
    grad_enabled, anomaly = _mode.get()
    bad = anomaly and not math.isfinite(data)
    if not (grad_enabled or bad):
        return _leaf(data)
    out = _new(cls)
    out.data, out.grad, out.label, out._a, out._b = data, 0.0, '', a, b
    if constants:
        out._restore_extra(*constants)  # type: ignore[attr-defined]  # an op node
    if bad:
        raise modes.non_finite_result(out._op, data, b if a is None else (a,) if b is None else (a, b))
    return out if grad_enabled else _leaf(data)


def _backward_with_hooks(root: Value, seed: float) -> None:
    """backward() while some node has grad hooks. An inner node's hooks run when its grad is complete, before its
    _backward passes it on; a leaf's run on what this call brought it (its .grad is set aside meanwhile), and
    their result is added to .grad, as PyTorch accumulates a leaf's grad after its hooks."""
    leaves = [node for node in topological_order(root) if node._is_leaf and getattr(node, '_hooks', None)]
    before = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    told = listeners.after_backward
    try:
        if root._is_leaf:
            root.grad += seed
            if told is not None:
                told(root, [])
        else:
            order = _inner_nodes_in_order(root)
            if told is not None:
                told(root, order)
            root.grad = seed
            checked = not _plain and _mode.get().anomaly
            for node in reversed(order):
                hooks = getattr(node, '_hooks', None)
                if hooks:
                    node.grad = _hooked(node, hooks, node.grad)
                if checked:
                    modes.backward_of_checked(node)
                else:
                    node._backward()
        for leaf in leaves:
            leaf.grad = _hooked(leaf, leaf._hooks, leaf.grad)
    finally:
        for leaf, grad in zip(leaves, before):
            leaf.grad = grad + leaf.grad


def _hooked(node: Value, hooks: GradHooks, grad: float) -> float:
    """The grad after the node's hooks, in the order registered: each gets what the one before returned."""
    for (hook,) in list(hooks):  # a hook may remove itself
        replaced = hook(grad)
        if replaced is not None:
            grad = checks.real(f'the grad hook {getattr(hook, "__qualname__", hook)!r} of {describe(node)} returned '
                               'something: a number to replace the grad, or None to keep it, and', replaced,
                               finite=False, nan=True)
    return grad


