"""The neuron from the micrograd lecture: o = tanh(x1*w1 + x2*w2 + b), forward then backward.

Run: python demos/neuron.py
"""
from micrograd_plus import Value, topological_order


def build_neuron() -> Value:
    x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')
    w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1 * w1; x1w1.label = 'x1*w1'
    x2w2 = x2 * w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    o = n.tanh(); o.label = 'o'
    return o


def main() -> Value:
    o = build_neuron()
    o.backward()
    print('The lecture neuron: o = tanh(x1*w1 + x2*w2 + b), after o.backward()\n')
    print(f"  {'node':<16} {'op':<6} {'data':>10} {'grad':>10}")
    for node in topological_order(o):
        print(f'  {node.label:<16} {node._op:<6} {node.data:>10.4f} {node.grad:>10.4f}')
    return o


if __name__ == '__main__':
    main()
