"""Helpers the tests share: central differences, a tolerance, the lecture's neuron and a hand-built op.
The ops themselves are enumerated from the derivative table (tests/rows.py, tests/test_ops.py), not listed here."""

from micrograd_plus import Value


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
