"""Computation graphs you can show a class: the lecture's neuron and a small MLP, as SVG and as text.

Run: python demos/graphs.py [output_dir]      (default: demos/output)

Renders with graphviz-pure, which `pip install micrograd_plus` brings (no Graphviz needed).
"""
from __future__ import annotations

import pathlib
import sys

from micrograd_plus import Value
from micrograd_plus.nn import MLP
from micrograd_plus.viz import NoRendererError, draw_dot, text_view

from neuron import build_neuron  # the lecture's neuron, built once for all the demos


def mlp_loss() -> tuple[MLP, Value]:
    """The squared error of a 2-3-3-1 MLP on one point: small enough to read, big enough for clusters."""
    model = MLP(2, [3, 3, 1], rng=1)
    x = [Value(0.5, label='x0'), Value(-1.0, label='x1')]
    loss = (model(x) - 1.0) ** 2
    loss.label = 'loss'
    loss.backward()
    return model, loss


def main(output_dir: pathlib.Path = pathlib.Path(__file__).parent / 'output') -> None:
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    o = build_neuron()
    o.backward()
    print('The lecture neuron after o.backward():\n')
    print(text_view(o))
    model, loss = mlp_loss()
    try:
        written = [
            # the lecture's picture, as micrograd draws it
            draw_dot(o).render(output_dir / 'neuron', cleanup=True),
            # the same graph coloured by gradient: where does o push each number?
            draw_dot(o, color_by='grad').render(output_dir / 'neuron_grads', cleanup=True),
            # each neuron's weights, bias, dot and ReLU boxed together, inside a box per layer
            draw_dot(loss, color_by='role', parameters=model.parameters()).render(output_dir / 'mlp', cleanup=True),
        ]
    except NoRendererError as error:  # a platform graphviz-pure has no wheel for: say what to install, go on
        print(f'\nNo pictures: {error}')
        return
    print('\nWrote:', *written, sep='\n  ')

if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).parent / 'output')
