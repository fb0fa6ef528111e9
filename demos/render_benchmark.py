"""How long pictures take: the first one in a fresh process, and a 2-16-16-1 MLP graph as SVG and PNG.

A student's first `draw_dot(o)` in a notebook pays for starting the renderer; later pictures should
not. So the first picture is timed in fresh processes (import + draw + render, and the render alone),
and the MLP graph (one forward and backward: 408 values) in this process after one warm-up.
Times are medians; prints which renderer ran and a Markdown table.

Run: python demos/render_benchmark.py [--repeats N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from micrograd_plus import draw_dot
from micrograd_plus.nn import MLP
from micrograd_plus.viz import NoRendererError, available_renderer

# Runs in a fresh interpreter: the lecture neuron, drawn and rendered to SVG once.
FIRST_PICTURE = '''
import json, time
start = time.perf_counter()
from micrograd_plus import Value, draw_dot
x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')
w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
o = (x1*w1 + x2*w2 + b).tanh(); o.label = 'o'
o.backward()
graph = draw_dot(o)
before = time.perf_counter()
svg = graph.pipe(format='svg')
end = time.perf_counter()
assert b'</svg>' in svg
print(json.dumps({'render': end - before, 'total': end - start}))
'''


def first_picture(repeats: int) -> dict[str, float]:
    """Median seconds of the first render in a fresh process, and of import + draw + render."""
    runs = [json.loads(subprocess.run([sys.executable, '-c', FIRST_PICTURE], check=True, capture_output=True,
                                      text=True).stdout) for _ in range(repeats)]
    return {key: statistics.median(run[key] for run in runs) for key in ('render', 'total')}


def mlp_graph():
    model = MLP(2, [16, 16, 1], rng=1)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    return draw_dot(loss, max_nodes=None)


def median_time(work, repeats: int) -> float | None:
    """Median seconds of ``work()`` after one warm-up call; None when the renderer cannot make it."""
    try:
        work()
    except NoRendererError:
        return None
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=7)
    repeats = parser.parse_args().repeats
    graph = mlp_graph()
    first = first_picture(repeats)
    svg = median_time(lambda: graph.pipe(format='svg'), repeats)
    png = median_time(lambda: graph.pipe(format='png'), repeats)

    def ms(seconds: float | None) -> str:
        return 'cannot' if seconds is None else f'{seconds * 1000:.0f} ms'

    print(f'renderer: {available_renderer()}; Python {sys.version.split()[0]}; medians of {repeats}')
    print(f'MLP 2-16-16-1 graph: {graph.source.count("shape=record")} value nodes\n')
    print('| picture | time |\n| --- | --- |')
    print(f"| first picture, fresh process: render only | {ms(first['render'])} |")
    print(f"| first picture, fresh process: import + draw + render | {ms(first['total'])} |")
    print(f'| MLP 2-16-16-1, SVG | {ms(svg)} |')
    print(f'| MLP 2-16-16-1, PNG | {ms(png)} |')


if __name__ == '__main__':
    main()
