"""Teaching tools on the lecture neuron: the backprop stepper page, and explain() for one weight.

Run: python demos/teaching.py [output_dir]   (then open neuron_stepper.html in a browser)
"""
import pathlib
import sys

from micrograd_plus import Value
from micrograd_plus.explain import explain
from micrograd_plus.stepper import stepper


def lecture_neuron() -> tuple[Value, Value]:
    """o = tanh(x1*w1 + x2*w2 + b) with the lecture's numbers, after backward; returns (o, w1)."""
    x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')
    w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')
    b = Value(6.8813735870195432, label='b')
    x1w1 = x1 * w1; x1w1.label = 'x1*w1'
    x2w2 = x2 * w2; x2w2.label = 'x2*w2'
    n = x1w1 + x2w2 + b; n.label = 'n'
    o = n.tanh(); o.label = 'o'
    o.backward()
    return o, w1


def main(output_dir: pathlib.Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    o, w1 = lecture_neuron()
    page = stepper(o, output_dir / 'neuron_stepper.html')
    print(f'Backprop stepper page: {page} (open it; arrow keys step forward, then backward)\n')
    print('Where does w1.grad come from? explain(w1, o):\n')
    print(explain(w1, o))


if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / 'output')
