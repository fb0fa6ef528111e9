"""Teaching tools on the lecture neuron: the backprop stepper page, and explain() for one weight.

Run: python demos/teaching.py [output_dir]   (then open neuron_stepper.html in a browser)
"""
import pathlib
import sys

from micrograd_plus import explain, stepper, topological_order
from micrograd_plus.viz import NoRendererError

from neuron import build_neuron  # the lecture's neuron, built once for all the demos


def main(output_dir: pathlib.Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    o = build_neuron()
    o.backward()
    w1 = next(node for node in topological_order(o) if node.label == 'w1')
    try:
        page = stepper(o, output_dir / 'neuron_stepper.html')
        print(f'Backprop stepper page: {page} (open it; arrow keys step forward, then backward)\n')
    except NoRendererError as error:  # a platform graphviz-pure has no wheel for: say what to install, go on
        print(f'No stepper page: {error}\n')
    print('Where does w1.grad come from? explain(w1, o):\n')
    print(explain(w1, o))


if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / 'output')
