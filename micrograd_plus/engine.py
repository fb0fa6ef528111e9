"""Value: one float in a computation graph, its operators, and backward().

Memory layout, chosen because a training step makes ~70,000 nodes:
- a leaf holds ``data``, ``grad``, ``label`` in slots (no ``__dict__``);
- an op node adds its inputs as two slots ``_a``, ``_b`` (``_b`` holds a tuple for an n-ary op);
  *which* op it is, is its class: one small class per entry of the table in ``ops.py``, so a node
  stores no op field and no closure;
- nothing points from an input to its result, so graphs have no reference cycles: a graph is freed
  by reference counting the moment its root goes, and the cyclic garbage collector finds nothing
  (except around a node built the lecture's way, whose ``_backward`` closure refers to the node).

Speed: each op's forward method and float ``_backward`` are compiled from the table's expressions
(see ``_compile``), so the chain rule for ``*`` runs as ``a.grad += g * y`` with no call in between.
"""
from __future__ import annotations

import itertools
import linecache
import math
import numbers
import re
from typing import Any, Callable, Iterable, Sequence

from . import ops

_new = object.__new__

# Switched by no_grad() and detect_anomaly() (autodiff.py); `_plain` is the one flag the hot path reads.
_grad_enabled = True
_anomaly = False
_plain = True


def _set_mode(grad_enabled: bool, anomaly: bool) -> tuple[bool, bool]:
    """Set the recording mode; returns the previous (grad_enabled, anomaly) to restore later."""
    global _grad_enabled, _anomaly, _plain
    previous = (_grad_enabled, _anomaly)
    _grad_enabled, _anomaly = bool(grad_enabled), bool(anomaly)
    _plain = _grad_enabled and not _anomaly
    return previous


# backward() remembers its output when the graph is lecture-sized, so that explain(node) can find the
# nodes that consumed `node` without being told the root. A bigger graph (a training step) is never
# kept alive by this record: it is freed the moment its last user lets go, as always.
REMEMBER_UP_TO = 1000  # inner nodes
_last_backward: Any = None  # the output of the last backward() over a lecture-sized graph, else None
_last_backward_size = 0  # inner nodes of the last backward(), so explain() can say why it kept nothing


class AnomalyError(FloatingPointError):
    """Raised under detect_anomaly() at the first non-finite value, forward or backward."""


def _number(x: Any, accepted: str = 'Value() takes a real number') -> float:
    """x as a float, or a TypeError that says what is ``accepted``."""
    if x.__class__ is float:
        return x
    if isinstance(x, Value):
        raise TypeError(f'Value() got a Value ({x!r}); pass its number (v.data) or use v.detach()')
    if (x.__class__ is int or isinstance(x, numbers.Real)
            or (hasattr(x, '__float__') and not isinstance(x, (str, bytes, numbers.Complex)))):
        try:
            return float(x)
        except OverflowError:  # a huge int or Fraction: IEEE rounds it to an infinity, Python raises
            return math.inf if x > 0 else -math.inf
        except (TypeError, ValueError):
            pass
    if isinstance(x, numbers.Complex):
        hint = 'micrograd_plus works on real numbers only; use .real or abs()'
    elif isinstance(x, (str, bytes)):
        hint = 'convert text with float() first'
    else:
        hint = 'pass an int, a float, or a numpy/torch scalar'
    raise TypeError(f'{accepted}, got {type(x).__name__} {x!r}: {hint}')


def _operand(x: Any) -> float | None:
    """The number in an op's other operand, or None to let the other type try (a numpy array can).
    Text, None and complex numbers cannot take part in any op with a Value: say so, and what can."""
    try:
        return _number(x, accepted='an op with a Value takes a real number or a Value')
    except TypeError:
        if x is None or isinstance(x, (str, bytes, numbers.Complex)):
            raise
        return None


def _lift(x: Any) -> Value | None:
    """An operand as a Value: Values pass through, what Value() accepts becomes a constant leaf, else None."""
    if isinstance(x, Value):
        return x
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


class Value:
    """A scalar in a computation graph: ``data``, the ``grad`` of the last backward, and a ``label``.

    Compatible with karpathy/micrograd and the lecture: ``Value(data, _children, _op, label)``,
    ``._prev`` (inputs in argument order), ``._op`` (micrograd's strings), ``._backward()`` per node.
    Operators and math methods (``+ - * / ** exp log sqrt tanh sigmoid relu sin cos abs``) are
    installed from the derivative table below the class.
    """
    __slots__ = ('data', 'grad', 'label')
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators and give a Value
    _op: str = ''
    _prev: tuple = ()
    _a: Any = None  # a leaf has no inputs (op nodes have these as slots)
    _b: Any = None
    _is_leaf = True

    def __new__(cls, data: Any, _children: Iterable[Value] = (), _op: str = '', label: str = '') -> Value:
        if cls is Value and (_children or _op):
            cls = _HandBuilt
        self = _new(cls)
        self.data = data if data.__class__ is float else _number(data)
        self.grad = 0.0
        self.label = label
        if cls is _HandBuilt:
            self._a, self._b, self._op, self._backward = None, tuple(_children), _op, _passes_nothing_on
        return self

    def __getnewargs__(self) -> tuple:  # copy, deepcopy and pickle rebuild through __new__
        return (self.data,)

    def __repr__(self) -> str:
        label = f', label={self.label!r}' if self.label else ''
        return f'Value(data={self.data}, grad={self.grad}{label})'

    def __float__(self) -> float:
        return self.data

    def _backward(self) -> None:
        """Pass this node's grad on to its inputs (the chain rule for this node alone). A leaf has none."""

    def local_grads(self, as_values: bool = False) -> tuple:
        """d self / d input for each input in ``_prev``: floats, or Values (for higher order)."""
        return ()

    # ------------------------------------------------------------ ops not in the table

    def __pow__(self, exponent: Any) -> Value:
        if isinstance(exponent, Value):  # x ** y: both are inputs
            return _binary_op(_Pow, ops.f_pow(self.data, exponent.data), self, exponent)
        c = _operand(exponent)  # x ** c keeps c as a number, like micrograd ('**2', one input); it rides in _b
        if c is None:
            return NotImplemented
        return _binary_op(_PowConst, ops.f_pow(self.data, c), self, _leaf(c))

    def __pos__(self) -> Value:
        return self

    def abs(self) -> Value:
        return abs(self)

    # ------------------------------------------------------------ comparisons compare data

    def __lt__(self, other: Any) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Any) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Any) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    # ------------------------------------------------------------ graph

    def explain(self, root: Value | None = None) -> str:
        """How this node got its value and its gradient, with numbers (micrograd_plus.explain)."""
        from .explain import explain  # a teaching tool on top of the engine, loaded when first asked for
        return explain(self, root)

    def detach(self) -> Value:
        """A new leaf with the same data (and label): gradients stop here."""
        out = _leaf(self.data)
        out.label = self.label
        return out

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        The root is seeded with 1.0. Grads of non-leaf nodes are recomputed from zero, so calling
        this twice is correct; leaf grads accumulate (as in PyTorch) until you reset them.
        """
        global _last_backward, _last_backward_size
        if self._is_leaf:
            self.grad += 1.0
            _last_backward, _last_backward_size = self, 0
            return
        order = _inner_nodes_in_order(self)  # also resets their grads to 0
        _last_backward_size = len(order)
        _last_backward = self if len(order) <= REMEMBER_UP_TO else None
        self.grad = 1.0
        if _anomaly:
            _backward_checked(order)
            return
        for node in reversed(order):
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, inputs before results, ``root`` last. Iterative: no recursion."""
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

    @property
    def _prev(self) -> tuple:
        return (self._a,)


class _BinaryNode(_UnaryNode):
    __slots__ = ()

    @property
    def _prev(self) -> tuple:
        return (self._a, self._b)


class _PowConstNode(_UnaryNode):
    """``x ** c`` for a number c. c is a constant leaf kept in ``_b`` but is not an input."""
    __slots__ = ()

    @property
    def _op(self) -> str:
        c = self._b.data
        return f'**{int(c) if c.is_integer() and abs(c) < 1e16 else c}'


class _NaryNode(_UnaryNode):
    """A node with any number of inputs, as a tuple in ``_b`` (``_a`` stays None)."""
    __slots__ = ()

    @property
    def _prev(self) -> tuple:
        return self._b


def _passes_nothing_on() -> None:
    """The _backward of a hand-built node until one is given, like micrograd's ``lambda: None``."""


class _HandBuilt(_NaryNode):
    """A node made by hand as ``Value(data, _children, _op)``, as the lecture writes ops: it is drawn
    like any other, and ``backward()`` runs the ``_backward`` closure you assign to it."""
    __slots__ = ('_op', '_backward')

    def local_grads(self, as_values: bool = False) -> tuple:
        raise TypeError(f'{self!r} was built by hand as Value(data, _children, {self._op!r}): grad() needs the '
                        'op in the derivative table (ops.py); backward() runs the _backward you give the node')


class _Dot(_NaryNode):
    """bias + w1*x1 + w2*x2 + ...: a neuron's weighted sum as one node (inputs: bias, w1, x1, ...).

    Its float ``_backward`` is compiled below from the table's ``+`` rule (for the bias) and ``*``
    rule (for each pair), so dot has no derivative of its own to get wrong.
    """
    __slots__ = ()
    _op = 'dot'

    def local_grads(self, as_values: bool = False) -> tuple:
        inputs = self._b
        return tuple(ops.dot_grads(inputs if as_values else [n.data for n in inputs], self))


def dot(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = 0.0) -> Value:
    """``bias + sum(w * x)`` as a single node: the same value and gradients as the chain of ``+``
    and ``*`` nodes, with one node instead of 2n (what makes an MLP step fast)."""
    if len(weights) != len(inputs):
        raise ValueError(f'dot() needs as many weights as inputs, got {len(weights)} and {len(inputs)}')
    nodes = [bias, *itertools.chain.from_iterable(zip(weights, inputs))]
    for i, node in enumerate(nodes):
        if not isinstance(node, Value):
            nodes[i] = _leaf(_number(node, accepted='dot() takes Values or real numbers'))
    data = nodes[0].data
    for i in range(1, len(nodes), 2):  # left to right, exactly as the chain of + and * would add
        data += nodes[i].data * nodes[i + 1].data
    inputs_ = tuple(nodes)
    if _plain:
        out = _new(_Dot)
        out.data, out.grad, out.label, out._a, out._b = data, 0.0, '', None, inputs_
        return out
    return _record_checked(_Dot, data, inputs_)


# ---------------------------------------------------------------- compiling the derivative table

# One template for every op's method: binary ops lift a number operand first; unary ones have no b.
_FORWARD = '''
def make(cls, {math}):
    def method(self{other}):{lift}
        a, b = {a_b}
        x, y = a.data, {y}
        data = {forward}
        if _plain:
            out = _new(cls)
            out.data = data
            out.grad = 0.0
            out.label = ''
            out._a = a
            out._b = b
            return out
        return _record_checked(cls, data, {inputs})
    method.__name__ = method.__qualname__ = '{method}'
    return method
'''
_LIFT_OTHER = '''
        if not isinstance(other, Value):
            other = _lift(other)
            if other is None:
                return NotImplemented'''

_BACKWARD = '''
def make(cls, {math}):
    def _backward(self):
        """{name}: {chain}"""
        g = self.grad
{reads}
{updates}
    return _backward
'''


_BACKWARD_DOT = '''
def make(cls, {math}):
    def _backward(self):
        """dot = bias + w1*x1 + w2*x2 + ...: the rule of + for the bias, of * for each pair"""
        g = self.grad
        inputs = self._b
        a = inputs[0]
{bias}
        for i in range(1, len(inputs), 2):
            a = inputs[i]
            b = inputs[i + 1]
{pair}
    return _backward
'''


def _uses(expression: str, name: str) -> bool:
    return re.search(rf'\b{name}\b', expression) is not None


def _compile(template: str, filename: str, **fields: str) -> Callable[..., Any]:
    """Fill a template, compile it (registering the source, so tracebacks and inspect show it)."""
    source = template.format(**fields)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scratch: dict[str, Any] = {}
    exec(compile(source, filename, 'exec'), globals(), scratch)
    return scratch['make']


def _chain_rule(op: ops.Op, nodes: tuple[str, ...], indent: str) -> str:
    """Source lines for one op's chain rule: read the numbers its derivatives use, then add
    g * (local derivative) to each input's grad (``a`` is input x, ``b`` is input y)."""
    reads = {'x': 'x = a.data', 'y': 'y = b.data', 'c': 'c = self._b.data', 'out': 'out = self.data'}
    used = ' '.join(op.grads)
    lines = [line for name, line in reads.items() if _uses(used, name)]
    for node, local in zip(nodes, op.grads):
        lines.append(f'{node}.grad += g' if local == '1' else
                     f'{node}.grad -= g' if local == '-1' else f'{node}.grad += g * ({local})')
    return '\n'.join(indent + line for line in lines)


_NAMES = {'+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '**': 'pow', '**c': 'pow_const'}


def _node_class(op: ops.Op, base: type) -> type:
    """A node class for one table entry, with its compiled float backward and value-mode rule."""
    cls = type(f'Value[{op.name}]', (base,), {'__slots__': (), '__module__': __name__})
    cls.__qualname__ = f'_node_class_{_NAMES.get(op.name, op.name)}'  # how pickle finds the class again
    globals()[cls.__qualname__] = cls
    if base is not _PowConstNode:
        cls._op = op.name
    nodes = ('a', 'b')[:op.arity] if base is not _PowConstNode else ('a',)
    reads = '\n'.join(f'        {node} = self._{node}' for node in nodes)
    chain = '; '.join(f'd/d{v} = {g}' for v, g in zip('xy', op.grads))
    make = _compile(_BACKWARD, f'<micrograd_plus backward of {op.name!r}>', math=', '.join(ops.FLOAT_MATH),
                    name=op.name, chain=chain, reads=reads, updates=_chain_rule(op, nodes, ' ' * 8))
    cls._backward = make(cls, *ops.FLOAT_MATH.values())
    rule = f'lambda x, y, c, out: ({", ".join(op.grads)},)'
    cls._float_rule = staticmethod(eval(rule, dict(ops.FLOAT_MATH)))
    cls._value_rule = staticmethod(eval(rule, dict(ops.VALUE_MATH)))
    cls.derivatives = op.grads
    return cls


def _local_grads(self: Value, as_values: bool = False) -> tuple:
    a, b = self._a, self._b
    c = b.data if isinstance(self, _PowConst) else None
    if as_values:
        return self._value_rule(a, b, c, self)
    return self._float_rule(a.data, b.data if b is not None else None, c, self.data)


_UnaryNode.local_grads = _local_grads


def _install_forward(op: ops.Op, cls: type, method: str | None, reflected: str | None = None) -> None:
    """Put the op's method on Value (``reflected``: the ``other OP self`` form, e.g. ``__radd__``)."""
    binary = dict(other=', other', lift=_LIFT_OTHER, y='b.data', inputs='(a, b)')
    forms = [(reflected, dict(binary, a_b='other, self'))] if reflected else []
    if method:
        forms.append((method, dict(binary, a_b='self, other') if op.arity == 2 else
                      dict(other='', lift='', a_b='self, None', y='None', inputs='(a,)')))
    for name, fields in forms:
        make = _compile(_FORWARD, f'<micrograd_plus {name} ({op.name})>', math=', '.join(ops.FLOAT_MATH),
                        method=name, forward=op.forward, **fields)
        setattr(Value, name, make(cls, *ops.FLOAT_MATH.values()))


_Add = _node_class(ops.ADD, _BinaryNode)
_Sub = _node_class(ops.SUB, _BinaryNode)
_Mul = _node_class(ops.MUL, _BinaryNode)
_Div = _node_class(ops.DIV, _BinaryNode)
_Pow = _node_class(ops.POW, _BinaryNode)
_PowConst = _node_class(ops.POW_CONST, _PowConstNode)
_Dot._backward = _compile(_BACKWARD_DOT, '<micrograd_plus backward of dot>', math=', '.join(ops.FLOAT_MATH),
                          bias=_chain_rule(ops.ADD, ('a',), ' ' * 8),
                          pair=_chain_rule(ops.MUL, ('a', 'b'), ' ' * 12))(_Dot, *ops.FLOAT_MATH.values())
_install_forward(ops.ADD, _Add, '__add__', '__radd__')
_install_forward(ops.SUB, _Sub, '__sub__', '__rsub__')
_install_forward(ops.MUL, _Mul, '__mul__', '__rmul__')
_install_forward(ops.DIV, _Div, '__truediv__', '__rtruediv__')
_install_forward(ops.POW, _Pow, None, '__rpow__')  # base ** self; __pow__ is written by hand above
for _op, _method in ((ops.NEG, '__neg__'), (ops.ABS, '__abs__'), (ops.EXP, 'exp'), (ops.LOG, 'log'),
                     (ops.SQRT, 'sqrt'), (ops.TANH, 'tanh'), (ops.SIGMOID, 'sigmoid'), (ops.RELU, 'relu'),
                     (ops.SIN, 'sin'), (ops.COS, 'cos')):
    _install_forward(_op, _node_class(_op, _UnaryNode), _method)
del _op, _method

# ---------------------------------------------------------------- no_grad / detect_anomaly paths

def _binary_op(cls: type, data: float, a: Value, b: Value) -> Value:
    """Record a two-input node (the generated methods inline this same code)."""
    if _plain:
        out = _new(cls)
        out.data, out.grad, out.label, out._a, out._b = data, 0.0, '', a, b
        return out
    return _record_checked(cls, data, (a, b))


def _describe(node: Value) -> str:
    name = f"'{node.label}' " if node.label else ''
    return f'{name}{node.data!r}'


def _record_checked(cls: type, data: float, inputs: tuple) -> Value:
    """The slow path of every op: under no_grad() record nothing, under detect_anomaly() check."""
    if _anomaly and not math.isfinite(data):
        op = '**' if cls is _PowConst else cls._op
        shown = inputs[:1] if cls is _PowConst else inputs
        raise AnomalyError(f"detect_anomaly: op {op!r} gave {data!r} from input(s) "
                           f"{', '.join(_describe(p) for p in shown)}")
    if not _grad_enabled:
        return _leaf(data)
    out = _new(cls)
    out.data, out.grad, out.label = data, 0.0, ''
    if cls is _Dot:
        out._a, out._b = None, inputs
    else:
        out._a, out._b = inputs[0], inputs[1] if len(inputs) == 2 else None
    return out


def _backward_checked(order: list[Value]) -> None:
    for node in reversed(order):
        node._backward()
        for parent in node._prev:
            if not math.isfinite(parent.grad):
                raise AnomalyError(
                    f'detect_anomaly: backward of op {node._op!r} (output {_describe(node)}) gave '
                    f'grad {parent.grad!r} to input {_describe(parent)}')
