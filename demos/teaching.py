"""Teaching tools on the lecture neuron, then on the lecture's small network over its four samples:
the backprop stepper pages, explain() for one weight, and the network picture.

Run: python demos/teaching.py [output_dir]   (then open the *_stepper.html pages in a browser)
"""
import pathlib
import sys

from micrograd_plus import Value, explain, stepper, topological_order
from micrograd_plus.nn import MLP
from micrograd_plus.viz import NoRendererError, draw_network

from neuron import build_neuron  # the lecture's neuron, built once for all the demos

# the lecture's four samples and their targets
SAMPLES = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
TARGETS = [1.0, -1.0, -1.0, 1.0]


def lecture_mlp() -> tuple[MLP, Value]:
    """The lecture's MLP(3, [4, 4, 1]) with tanh neurons, and its squared error over the four samples."""
    model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', rng=0)
    loss = sum((model(x) - y) ** 2 for x, y in zip(SAMPLES, TARGETS))
    assert isinstance(loss, Value)
    loss.label = 'loss'
    loss.backward()
    return model, loss


def main(output_dir: pathlib.Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    o = build_neuron()
    o.backward()
    w1 = next(node for node in topological_order(o) if node.label == 'w1')
    model, loss = lecture_mlp()
    try:
        pages = [stepper(o, output_dir / 'neuron_stepper.html'),
                 stepper(loss, output_dir / 'mlp_stepper.html', order='layer')]
        picture = draw_network(model, x=SAMPLES[0]).render(output_dir / 'mlp_network', format='png', cleanup=True)
        print('Backprop stepper pages (open them; arrow keys step forward, then backward):')
        print(f'  {pages[0]}  the lecture neuron\n  {pages[1]}  the lecture MLP over 4 samples, layer by layer')
        print(f'The network itself, weights as edges, activations for the first sample: {picture}\n')
    except NoRendererError as error:  # a platform graphviz-pure has no wheel for: say what to install, go on
        print(f'No stepper pages: {error}\n')
    print('Where does w1.grad come from? explain(w1, o):\n')
    print(explain(w1, o))
    first_weight = model.layers[0].neurons[0].w[0]
    print('\nAnd in the MLP, the first weight of the first neuron, used once per sample (explain(w, loss)):\n')
    print(explain(first_weight, loss))


if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / 'output')
