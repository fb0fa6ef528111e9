"""micrograd's moons demo trained through compile_graph, side by side with the engine.

Every training step builds the very same graph: MLP(2, [16, 16, 1]) on 100 points, max-margin loss + L2.
So build it once, compile it, and let each step be ``program(parameter values)`` -> (loss, gradients),
then the same SGD update. The model is trained twice from the same initial weights, once each way, and
the time per step and the accuracy each reaches are printed.

Run: python demos/compiled_training.py [steps]      (default 100, micrograd's)
"""
from __future__ import annotations

import statistics
import sys
import time

from micrograd_plus import Value, compile_graph, no_grad
from micrograd_plus.data import make_moons
from micrograd_plus.losses import hinge, l2_penalty
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD

X, labels = make_moons(100, noise=0.1, seed=1337)
Y = [2 * label - 1 for label in labels]  # the max-margin loss wants -1 / +1


def loss_of(model: MLP) -> Value:
    return hinge([model(x) for x in X], Y) + l2_penalty(model.parameters(), alpha=1e-4)


def accuracy(model: MLP) -> float:
    with no_grad():  # evaluation builds no graph
        return sum((model(x).data > 0) == (t > 0) for x, t in zip(X, Y)) / len(Y)


def train_with_backward(steps: int) -> tuple[MLP, list[float], list[float]]:
    """The engine's way: every step builds the graph and runs backward()."""
    model = MLP(2, [16, 16, 1], rng=1337)
    optimizer = SGD(model.parameters(), lr=1.0)
    losses, seconds = [], []
    for step in range(steps):
        started = time.perf_counter()
        loss = loss_of(model)
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * step / steps  # micrograd's schedule
        optimizer.step()
        seconds.append(time.perf_counter() - started)
        losses.append(loss.data)
    return model, losses, seconds


def train_compiled(steps: int) -> tuple[MLP, list[float], list[float], float]:
    """Build the graph once and compile it; each step runs the program at the current parameters."""
    model = MLP(2, [16, 16, 1], rng=1337)
    params = model.parameters()
    loss = loss_of(model)  # the graph, built once as any step builds it
    started = time.perf_counter()
    program = compile_graph(loss, params)  # the data are constants; the parameters will vary
    compile_seconds = time.perf_counter() - started
    optimizer = SGD(params, lr=1.0)
    losses, seconds = [], []
    for step in range(steps):
        started = time.perf_counter()
        loss, grads = program([p.data for p in params])
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.lr = 1.0 - 0.9 * step / steps
        optimizer.step()
        seconds.append(time.perf_counter() - started)
        losses.append(loss)
    return model, losses, seconds, compile_seconds


def main(steps: int = 100) -> None:
    print(f'moons: MLP(2, [16, 16, 1]) on {len(X)} points, max-margin + L2, SGD, {steps} steps\n')
    engine_model, engine_losses, engine_seconds = train_with_backward(steps)
    model, losses, seconds, compile_seconds = train_compiled(steps)
    engine_ms, compiled_ms = 1000 * statistics.median(engine_seconds), 1000 * statistics.median(seconds)
    for step in range(0, steps, max(1, steps // 10)):
        print(f'  step {step + 1:3d}  loss {losses[step]:.4f}  (engine: {engine_losses[step]:.4f})')
    print(f'\n  engine, build + backward():  {engine_ms:6.2f} ms per step   accuracy {accuracy(engine_model):.0%}')
    print(f'  compiled, program(values):   {compiled_ms:6.2f} ms per step   accuracy {accuracy(model):.0%}'
          f'   ({engine_ms / compiled_ms:.1f}x faster)')
    print(f'  compile_graph, once:         {1000 * compile_seconds:6.2f} ms '
          f'(= {1000 * compile_seconds / engine_ms:.1f} engine steps)')
    drift = max(abs(p.data - q.data) for p, q in zip(model.parameters(), engine_model.parameters()))
    print(f'\n  largest difference between the two models\' weights after {steps} steps: {drift:.1e}'
          + (' (the same to the last bit)' if drift == 0 else ''))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
