"""One catalogue of ops, each with an independent float reference (from `math`) and a safe domain.

Tests run every entry on Values and compare with the reference: value, first derivative (central
differences), second derivative where the op is smooth, and PyTorch float64 where it is installed.
"""
import math

from micrograd_plus import Value

# name: (on Values, reference on floats, domain (lo, hi), smooth, torch form)
UNARY = {
    'neg': (lambda x: -x, lambda x: -x, (-50, 50), True, lambda t: -t),
    'exp': (lambda x: x.exp(), math.exp, (-20, 20), True, lambda t: t.exp()),
    'log': (lambda x: x.log(), math.log, (0.05, 100), True, lambda t: t.log()),
    'sqrt': (lambda x: x.sqrt(), math.sqrt, (0.05, 100), True, lambda t: t.sqrt()),
    'tanh': (lambda x: x.tanh(), math.tanh, (-5, 5), True, lambda t: t.tanh()),
    'sigmoid': (lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), (-15, 15), True, lambda t: t.sigmoid()),
    'relu': (lambda x: x.relu(), lambda x: max(x, 0.0), (-5, 5), False, lambda t: t.relu()),
    'sin': (lambda x: x.sin(), math.sin, (-10, 10), True, lambda t: t.sin()),
    'cos': (lambda x: x.cos(), math.cos, (-10, 10), True, lambda t: t.cos()),
    'abs': (lambda x: abs(x), abs, (-5, 5), False, lambda t: t.abs()),
    'square': (lambda x: x ** 2, lambda x: x ** 2, (-20, 20), True, lambda t: t ** 2),
    'cube': (lambda x: x ** 3, lambda x: x ** 3, (-10, 10), True, lambda t: t ** 3),
    'pow -1.5': (lambda x: x ** -1.5, lambda x: x ** -1.5, (0.1, 10), True, lambda t: t ** -1.5),
    'reciprocal': (lambda x: 1 / x, lambda x: 1 / x, (0.1, 10), True, lambda t: 1 / t),
    '2 ** x': (lambda x: 2 ** x, lambda x: 2 ** x, (-10, 10), True, lambda t: 2 ** t),
    '3 - x': (lambda x: 3 - x, lambda x: 3 - x, (-10, 10), True, lambda t: 3 - t),
    '2 + x': (lambda x: 2 + x, lambda x: 2 + x, (-10, 10), True, lambda t: 2 + t),
    '2 * x': (lambda x: 2 * x, lambda x: 2 * x, (-10, 10), True, lambda t: 2 * t),
    'x / 4': (lambda x: x / 4, lambda x: x / 4, (-10, 10), True, lambda t: t / 4),
}

BINARY = {
    'add': (lambda x, y: x + y, lambda x, y: x + y, (-50, 50), (-50, 50), lambda a, b: a + b),
    'sub': (lambda x, y: x - y, lambda x, y: x - y, (-50, 50), (-50, 50), lambda a, b: a - b),
    'mul': (lambda x, y: x * y, lambda x, y: x * y, (-20, 20), (-20, 20), lambda a, b: a * b),
    'div': (lambda x, y: x / y, lambda x, y: x / y, (-20, 20), (0.2, 20), lambda a, b: a / b),
    'pow': (lambda x, y: x ** y, lambda x, y: x ** y, (0.1, 5), (-3, 3), lambda a, b: a ** b),
}

# kinks where the one-sided slopes differ: central differences are meaningless there
KINKS = {'relu': [0.0], 'abs': [0.0]}


def away_from_kinks(name, x, margin=1e-3):
    return all(abs(x - k) > margin for k in KINKS.get(name, []))


def numeric_first(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric_second(f, x, h=1e-4):
    return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h)


def close(a, b, rel=2e-4, abs_=1e-6):
    return abs(a - b) <= abs_ + rel * abs(b)


def leaf(x):
    return Value(x)


def cube(x):
    """x**3 written the lecture's way: a hand-built node and an assigned _backward closure."""
    out = Value(x.data ** 3, (x,), 'cube')

    def _backward():
        x.grad += 3 * x.data ** 2 * out.grad
    out._backward = _backward
    return out


LECTURE_LABELS = {'x1w1': 'x1*w1', 'x2w2': 'x2*w2', 'x1w1x2w2': 'x1*w1 + x2*w2', 'n': 'n', 'o': 'o'}


def lecture_neuron(labelled=tuple(LECTURE_LABELS)):
    """The micrograd lecture's neuron o = tanh(x1*w1 + x2*w2 + b), by name. Leaves are labelled; an
    inner node is labelled (as in LECTURE_LABELS) only when its name is in ``labelled``."""
    x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')
    w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    nodes = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)
    for name in labelled:
        nodes[name].label = LECTURE_LABELS[name]
    return nodes
