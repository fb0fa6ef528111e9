"""`make bench`: micrograd_plus side by side with micrograd 0.1.0 and PyTorch scalars, in one process.

Every workload runs the same code over each engine's own Value type (PyTorch: 0-d float64 tensors),
with Python's garbage collector on, as users run it. Times are medians of several runs; ratios are
"how many times slower than micrograd_plus". Prints a Markdown table the README quotes.

Run: python demos/benchmark.py [--quick]
"""
from __future__ import annotations

import argparse
import functools
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import micrograd_plus
from micrograd_plus import Value, compile_graph, dot, grad
from micrograd_plus.activations import ACTIVATIONS
from micrograd_plus.compile import program as compiled
from micrograd_plus.data import load_digits, make_moons
from micrograd_plus.engine import topological_order
from micrograd_plus.losses import cross_entropy
from micrograd_plus.nn import MLP, RNN, Conv2d, Flatten, Linear, MaxPool2d, Neuron, ReLU, Sequential
from micrograd_plus.optim import Adam
from micrograd_plus.training import CompiledStep

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:  # reported as "not installed" in the table
    micrograd = None
try:
    import torch
except ImportError:
    torch = None

QUICK = False


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()  # start clean: no engine pays for collecting another's garbage (GC stays on below)
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- engines

class TorchMLP:
    """micrograd's MLP over 0-d float64 tensors: the same scalar graph PyTorch would build."""

    def __init__(self, nin: int, nouts: list[int], rng: random.Random):
        sizes = [nin] + nouts
        self.layers = []
        for i in range(len(nouts)):
            neurons = [([torch.tensor(rng.uniform(-1, 1), dtype=torch.float64, requires_grad=True)
                         for _ in range(sizes[i])], torch.tensor(0.0, dtype=torch.float64, requires_grad=True))
                       for _ in range(sizes[i + 1])]
            self.layers.append((neurons, i != len(nouts) - 1))

    def __call__(self, x: list) -> Any:
        for neurons, nonlin in self.layers:
            out = []
            for w, b in neurons:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list:
        return [p for neurons, _ in self.layers for w, b in neurons for p in w + [b]]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


def torch_value(x: float) -> Any:
    return torch.tensor(x, dtype=torch.float64)


def engines() -> dict[str, dict[str, Any]]:
    """name -> how to make a leaf, an MLP, and what to call for the update."""
    found = {'micrograd_plus': dict(value=Value, mlp=lambda rng: MLP(2, [16, 16, 1], rng=rng))}
    if micrograd is not None:
        def micrograd_mlp(rng: random.Random) -> Any:
            random.seed(rng.random())  # micrograd draws its init from the global random module
            return micrograd.nn.MLP(2, [16, 16, 1])
        found['micrograd 0.1.0'] = dict(value=micrograd.engine.Value, mlp=micrograd_mlp)
    if torch is not None:
        found[f'PyTorch {torch.__version__.split("+")[0]} scalars'] = dict(
            value=torch_value, mlp=lambda rng: TorchMLP(2, [16, 16, 1], rng))
    return found


def sgd_step(params: list, lr: float) -> None:
    if torch is not None and params and isinstance(params[0], torch.Tensor):
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return
    for p in params:
        p.data -= lr * p.grad


# ---------------------------------------------------------------- workloads

def training_loss(engine: dict, model: Any, X: list, y: list) -> Any:
    """micrograd's demo loss: max-margin loss + L2 on 100 moons points."""
    V = engine['value']
    inputs = [[V(a), V(b)] for a, b in X]
    scores = [model(x) for x in inputs]
    if isinstance(scores[0], list):  # a Sequential returns a list of one output
        scores = [s[0] for s in scores]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def training_step(engine: dict, model: Any, X: list, y: list) -> float:
    """micrograd's demo step: build the loss, backward, SGD."""
    total = training_loss(engine, model, X, y)
    model.zero_grad()
    total.backward()
    sgd_step(model.parameters(), 0.05)
    return float(total.data) if not hasattr(total, 'item') else total.item()


def workload_training(engine: dict) -> float:
    X, y = make_moons(100, noise=0.1, seed=1)
    model = engine['mlp'](random.Random(1337))
    training_step(engine, model, X, y)  # warm-up
    return median_seconds(lambda: training_step(engine, model, X, y), 3 if QUICK else 7)


def paired_medians(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, measured in turns (a, b, a, b, ...) so that a slow spell of a shared
    machine falls on all of them alike: for differences of a few percent."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def equal_sequential(rng: random.Random) -> Sequential:
    """MLP(2, [16, 16, 1]) written as layers: the same weights from the same generator."""
    return Sequential(Linear(2, 16, rng=rng), ReLU(), Linear(16, 16, rng=rng), ReLU(), Linear(16, 1, rng=rng))


def unnamed_neuron_call(self: Neuron, x: Any) -> Value:
    """Neuron.__call__ without the two labels it puts on its nodes: what naming nodes costs is the difference
    (workload_layers checks that both compute the same step)."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    w, b = self.w, self.b
    if len(x) != len(w):
        raise ValueError(f'{self!r} takes {len(w)} inputs, got {len(x)}')
    z = dot(w, x, 0.0 if b is None else b)
    activate = ACTIVATIONS[self.activation].apply
    return z if activate is None else activate(z)


def workload_layers() -> dict[str, float]:
    """Workload 1 for MLP, the equal Sequential, and MLP with nodes left unnamed, measured in turns."""
    X, y = make_moons(100, noise=0.1, seed=1)
    engine = engines()['micrograd_plus']
    mlp, seq = MLP(2, [16, 16, 1], rng=random.Random(1337)), equal_sequential(random.Random(1337))
    unnamed = MLP(2, [16, 16, 1], rng=random.Random(1337))
    named_call = Neuron.__call__

    def step_unnamed() -> float:
        Neuron.__call__ = unnamed_neuron_call  # type: ignore[method-assign]
        try:
            return training_step(engine, unnamed, X, y)
        finally:
            Neuron.__call__ = named_call  # type: ignore[method-assign]
    first = [training_step(engine, mlp, X, y), training_step(engine, seq, X, y), step_unnamed()]  # warm-up
    assert first[0] == first[1] == first[2], 'MLP, Sequential and unnamed MLP must compute the same step'
    return paired_medians({'MLP': lambda: training_step(engine, mlp, X, y),
                           'Sequential': lambda: training_step(engine, seq, X, y),
                           'MLP, nodes unnamed': step_unnamed}, 5 if QUICK else 25)


def workload_compiled_training() -> dict[str, float]:
    """Workload 1's graph through compile_graph: compile once (the first compile in the process also writes
    the loop bodies), then each step is program(values) and SGD on the numbers. Seconds. The engine's step
    is timed again here, each of its runs next to one of the program's, so that the ratio compares the two
    under the same load on a shared machine."""
    X, y = make_moons(100, noise=0.1, seed=1)
    engine = engines()['micrograd_plus']
    model = engine['mlp'](random.Random(1337))
    params = model.parameters()
    loss = training_loss(engine, model, X, y)
    gc.collect()
    start = time.perf_counter()
    program = compile_graph(loss, params)
    first = time.perf_counter() - start
    values = [p.data for p in params]

    def step() -> None:
        nonlocal values
        _, grads = program(values)
        values = [v - 0.05 * g for v, g in zip(values, grads)]

    def step_without_skipping() -> None:
        compiled.SKIP_ZERO_GRADS = False
        try:
            step()
        finally:
            compiled.SKIP_ZERO_GRADS = True

    def steps(one_step: Callable[[], Any], n: int = 5) -> float:
        """Seconds per step over n steps in a row, as a training loop runs them."""
        return median_seconds(lambda: [one_step() for _ in range(n)], 1) / n

    step()  # warm-up, as workload 1
    engine_model = engine['mlp'](random.Random(1337))
    runs: dict[str, list[float]] = {'engine step': [], 'step': [], 'step, no zero grads skipped': [], 'compile': []}
    for _ in range(3 if QUICK else 7):
        runs['engine step'].append(steps(lambda: training_step(engine, engine_model, X, y)))
        runs['step'].append(steps(step))
        runs['step, no zero grads skipped'].append(steps(step_without_skipping))
        runs['compile'].append(median_seconds(lambda: compile_graph(loss, params), 1))
    found = {name: statistics.median(times) for name, times in runs.items()}
    found['first compile'] = first
    return found


def compiled_chain(n: int = 1_000_000) -> dict[str, float]:
    """compile_graph on the n-op chain of workload 3: seconds to compile and to run, next to the engine's
    build + backward, timed again here."""
    x, c = Value(1.0), Value(1.0000001)
    y = x
    for _ in range(n):
        y = y * c
    runs: dict[str, list[float]] = {'engine': [], 'compile': [], 'run': []}
    for _ in range(1 if QUICK else 3):
        runs['engine'].append(workload_chain({'value': Value}, n)[0] or math.nan)
        runs['compile'].append(median_seconds(lambda: compile_graph(y, [x]), 1))
        runs['run'].append(median_seconds(functools.partial(compile_graph(y, [x]), [1.0]), 1))
    return {name: statistics.median(times) for name, times in runs.items()}


def compiled_bytes_per_node(n: int = 100_000) -> dict[str, float]:
    """Python heap per node of the chain of bytes_per_node, compiled: kept by the program, at the peak of
    compiling, and used by a run beyond what the program keeps (tracemalloc; the graph itself not counted)."""
    x, c = Value(1.0), Value(1.0000001)
    y = x
    for _ in range(n):
        y = y * c
    gc.collect()
    tracemalloc.start()
    program = compile_graph(y, [x])
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    program([1.0])
    running = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return dict(kept=kept / n, compiling=peak / n, running=(running - kept) / n)


def compiled_training_bytes() -> dict[str, float]:
    """Workload 1's graph compiled: Python heap per node kept by the program and at the peak of compiling
    (tracemalloc, the graph itself not counted). Its dot nodes read 3 to 33 inputs each, so a node costs
    more here than in the chain: the figure to plan a big graph's memory by."""
    X, y = make_moons(100, noise=0.1, seed=1)
    engine = engines()['micrograd_plus']
    model = engine['mlp'](random.Random(1337))
    loss = training_loss(engine, model, X, y)
    nodes = len(topological_order(loss))
    gc.collect()
    tracemalloc.start()
    program = compile_graph(loss, model.parameters())
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del program
    return dict(nodes=nodes, kept=kept / nodes, compiling=peak / nodes)


def workload_sum_of_products(engine: dict, n: int = 20_000) -> float:
    V = engine['value']
    rng = random.Random(0)
    a_data = [rng.uniform(-1, 1) for _ in range(n)]
    b_data = [rng.uniform(-1, 1) for _ in range(n)]

    def run() -> None:
        a = [V(x) for x in a_data]
        b = [V(x) for x in b_data]
        if torch is not None and V is torch_value:
            for t in a + b:
                t.requires_grad_(True)
        total = sum(ai * bi for ai, bi in zip(a, b))
        total.backward()
    try:
        return median_seconds(run, 3 if QUICK else 5), ''
    except RecursionError:  # micrograd's recursive topological sort: give it the depth it needs
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(4 * n)
        try:
            return median_seconds(run, 3 if QUICK else 5), ' †'
        finally:
            sys.setrecursionlimit(limit)


def workload_chain(engine: dict, n: int = 1_000_000) -> tuple[float | None, str]:
    """n multiplications in a chain, then backward: seconds, or why it could not finish."""
    V = engine['value']

    def run() -> None:
        x = V(1.0)
        if torch is not None and V is torch_value:
            x.requires_grad_(True)
        c = V(1.0000001)
        y = x
        for _ in range(n):
            y = y * c
        y.backward()
    try:
        return median_seconds(run, 1 if (QUICK or V is not Value) else 3), ''
    except RecursionError:
        return None, 'RecursionError'


def chain_without_gc(n: int = 1_000_000) -> float:
    gc.disable()
    try:
        return workload_chain({'value': Value}, n)[0]
    finally:
        gc.enable()


def bytes_per_node(engine: dict, n: int = 100_000) -> float | None:
    """Python heap per node of a chain y = y * c (tracemalloc; PyTorch's C++ heap is not visible)."""
    V = engine['value']
    if V is torch_value:
        return None
    x, c = V(1.0), V(1.0000001)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    y = x
    for _ in range(n):
        y = y * c
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del y
    return used / n


def memory_over_training(steps: int = 100) -> tuple[float, float, float]:
    """Peak Python heap in the first and the last training step, and what stays between steps (MiB)."""
    X, y = make_moons(100, noise=0.1, seed=1)
    engine = engines()['micrograd_plus']
    model = engine['mlp'](random.Random(1337))
    tracemalloc.start()
    peaks = []
    for _ in range(steps):
        tracemalloc.reset_peak()
        training_step(engine, model, X, y)
        peaks.append(tracemalloc.get_traced_memory()[1])
    between = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    mib = 1024 * 1024
    return peaks[0] / mib, peaks[-1] / mib, between / mib


def hessian_ours(f: Callable, point: list[float]) -> list[list[float]]:
    xs = [Value(p) for p in point]
    firsts = grad(f(xs), xs, create_graph=True)
    return [[float(h) for h in grad(g, xs)] for g in firsts]


def hessian_torch(f: Callable, point: list[float]) -> list[list[float]]:
    xs = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    firsts = torch.autograd.grad(f(xs), xs, create_graph=True)
    rows = [torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True) for g in firsts]
    return [[0.0 if h is None else h.item() for h in row] for row in rows]


def hessian_function(xs: list) -> Any:
    """A smooth coupled function of 10 scalars: sum tanh(x_i x_(i+1)) + exp(x_i / 10) * x_(i+2)."""
    total = 0
    for i in range(len(xs) - 2):
        total = total + (xs[i] * xs[i + 1]).tanh() + (xs[i] / 10).exp() * xs[i + 2]
    return total


def workload_hessian() -> dict[str, float]:
    point = [math.sin(i) for i in range(10)]
    times = {'micrograd_plus': median_seconds(lambda: hessian_ours(hessian_function, point), 5 if QUICK else 15)}
    if torch is not None:
        ours, theirs = hessian_ours(hessian_function, point), hessian_torch(hessian_function, point)
        assert all(abs(a - b) <= 1e-10 * (1 + abs(b)) for ra, rb in zip(ours, theirs) for a, b in zip(ra, rb))
        times['PyTorch'] = median_seconds(lambda: hessian_torch(hessian_function, point), 5 if QUICK else 15)
    return times


# ---------------------------------------------------------------- report

def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f'{seconds:.2f} s'
    return f'{seconds * 1e3:.1f} ms' if seconds >= 1e-3 else f'{seconds * 1e6:.0f} µs'


def cell(seconds: float | None, ours: float | None, note: str = '') -> str:
    """A time, and for another engine how many times longer it took than micrograd_plus."""
    if seconds is None:
        return note or 'n/a'
    if ours is None or seconds is ours:
        return fmt_time(seconds)
    return f'{fmt_time(seconds)} ({seconds / ours:.1f}x)'


def main() -> None:
    global QUICK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='fewer repeats (a smoke test, not a measurement)')
    QUICK = parser.parse_args().quick
    assert gc.isenabled(), 'benchmarks run with the garbage collector on, as users run them'
    found = engines()
    names = list(found)
    print(f'micrograd_plus {micrograd_plus.__version__}: {platform.python_implementation()} '
          f'{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, '
          f'{platform.platform(terse=True)}; garbage collector on; medians of repeated runs')
    if micrograd is None:
        print('(micrograd is not installed: `make bench` installs micrograd==0.1.0)')
    if torch is None:
        print('(PyTorch is not installed: its column is skipped)')

    rows = []

    def row(title: str, results: dict[str, float | None], notes: dict[str, str] | None = None) -> None:
        ours = results.get(names[0])
        rows.append([title] + [cell(results.get(n), ours, (notes or {}).get(n, '')) for n in names])
        print(f'  measured: {title}', file=sys.stderr)

    row('1. training step: MLP(2,[16,16,1]), 100 moons points, max-margin + L2, SGD',
        {n: workload_training(e) for n, e in found.items()})
    sums = {n: workload_sum_of_products(e) for n, e in found.items()}
    row('2. 20,000-term sum of products + backward', {n: t for n, (t, _) in sums.items()})
    for i, name in enumerate(names):
        rows[-1][i + 1] += sums[name][1]
    chain = {n: workload_chain(e) for n, e in found.items()}
    row('3. 1,000,000-op chain + backward', {n: t for n, (t, _) in chain.items()},
        {n: why for n, (_, why) in chain.items()})
    hessian = workload_hessian()
    row('5. 10x10 Hessian via grad(create_graph=True)',
        {n: hessian.get('PyTorch' if n.startswith('PyTorch') else n) for n in names},
        {n: 'no higher order' for n in names if n.startswith('micrograd ')})
    memory = {n: bytes_per_node(e) for n, e in found.items()}
    rows.insert(3, ['4. bytes per graph node (tracemalloc, before backward)'] +
                [f'{memory[n]:.0f} B' if memory[n] is not None else 'C++ heap, not measured' for n in names])

    print()
    print('| workload | ' + ' | '.join(names) + ' |')
    print('|---|' + '---|' * len(names))
    for r in rows:
        print('| ' + ' | '.join(r) + ' |')
    print()
    print('(Nx): how many times longer than micrograd_plus took, in the same process and run.')
    if any(mark for _, mark in sums.values()):
        print('†: fails with RecursionError at the default recursion limit; timed with the limit raised.')
    layers = workload_layers()
    mlp, seq, unnamed = layers['MLP'], layers['Sequential'], layers['MLP, nodes unnamed']
    print(f'- Workload 1 as layers, Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1)): '
          f'{fmt_time(seq)} per step against the MLP\'s {fmt_time(mlp)} ({seq / mlp - 1:+.1%}), measured in turns.')
    print(f'- Naming every node a layer makes (layers.1.neurons.3.z, ...): the MLP step takes {fmt_time(mlp)} with '
          f'names and {fmt_time(unnamed)} without ({mlp / unnamed - 1:+.1%}).')
    ours_chain = chain[names[0]][0]
    no_gc = chain_without_gc()
    first, last, between = memory_over_training(20 if QUICK else 100)
    per_op = 1e6 / 1_000_000  # seconds for the whole chain -> microseconds per op
    print(f'- 1,000,000-op chain: {ours_chain * per_op:.2f} µs per op with the garbage collector on, '
          f'{no_gc * per_op:.2f} µs with it off (the arithmetic and bookkeeping alone).')
    print(f'- Peak Python heap of a training step: {first:.1f} MiB in step 1, {last:.1f} MiB in step '
          f'{20 if QUICK else 100}; {between:.2f} MiB stays between steps (graphs do not pile up).')
    print_compiled(memory[names[0]])
    print_images_and_sequences()


def print_compiled(engine_bytes: float | None) -> None:
    """The second table: workloads 1, 3 and 4 through compile_graph, against the engine timed alongside."""
    print('  measuring compile_graph...', file=sys.stderr)
    step = workload_compiled_training()
    chain = compiled_chain()
    chain.update(compiled_bytes_per_node())
    engine_step, skip_none = step['engine step'], step['step, no zero grads skipped']
    print()
    print('compile_graph, micrograd_plus only: the graph compiled once, then program(values) per step; the engine')
    print('timed again alongside, run for run, 5 steps in a row each (so the first step after gc.collect() is')
    print("not all a 2 ms step is made of)")
    print()
    print('| workload | engine: build + backward() | compiled: program(values) | compile_graph, once |')
    print('|---|---|---|---|')
    print(f"| 1. training step (SGD on the numbers) | {fmt_time(engine_step)} | {fmt_time(step['step'])} "
          f"({engine_step / step['step']:.1f}x faster); {fmt_time(skip_none)} ({engine_step / skip_none:.1f}x) "
          f"skipping no zero grads | {fmt_time(step['compile'])} = {step['compile'] / engine_step:.1f} engine "
          f"steps (first in the process, writing the loops: {fmt_time(step['first compile'])} = "
          f"{step['first compile'] / engine_step:.1f}) |")
    print(f"| 3. 1,000,000-op chain | {fmt_time(chain['engine'])} | {fmt_time(chain['run'])} "
          f"({chain['engine'] / chain['run']:.1f}x faster) | {fmt_time(chain['compile'])} |")
    print(f"| 4. bytes per node of that chain | {engine_bytes or 0:.0f} B (graph) | {chain['kept']:.0f} B kept by the "
          f"program, {chain['running']:.0f} B more while it runs | {chain['compiling']:.0f} B at the peak |")
    training = compiled_training_bytes()
    print(f"| 5. bytes per node of workload 1's graph ({training['nodes']:,.0f} nodes, dots of 3-33 inputs) | | "
          f"{training['kept']:.0f} B kept by the program | {training['compiling']:.0f} B at the peak |")


# ---------------------------------------------------------------- images and sequences

class Recurrent(micrograd_plus.nn.Module):
    """RNN(4, 16) over a 12-step sequence, then Linear(16, 2) on the last hidden state."""

    def __init__(self, rng: random.Random) -> None:
        self.rnn = RNN(4, 16, rng=rng)
        self.head = Linear(16, 2, init='xavier', rng=rng)

    def __call__(self, xs: Any) -> Any:
        return self.head(self.rnn(xs)[1])


def cnn(rng: random.Random) -> Sequential:
    return Sequential(Conv2d(1, 4, 3, rng=rng), ReLU(), MaxPool2d(2), Flatten(), Linear(36, 10, init='xavier', rng=rng))


def torch_scalars_like(model: Any) -> list[Any]:
    """The model's parameters as 0-d float64 tensors, in parameters() order."""
    return [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in model.parameters()]


def torch_cnn_scores(weights: list[Any], image: list[list[float]]) -> list[Any]:
    """The CNN's forward over PyTorch scalars, the same graph as micrograd_plus's: conv, relu, max-pool, linear."""
    kernels = [weights[9 * o:9 * o + 9] for o in range(4)]  # parameters(): 4 kernels of 9, then 4 biases
    biases = [weights[36 + o] for o in range(4)]
    pixels = [[torch.tensor(v, dtype=torch.float64) for v in row] for row in image]
    maps = [[[sum((kernels[o][3 * a + b] * pixels[i + a][j + b] for a in range(3) for b in range(3)), biases[o]).relu()
              for j in range(6)] for i in range(6)] for o in range(4)]
    pooled = [torch.maximum(torch.maximum(m[2 * i][2 * j], m[2 * i][2 * j + 1]),
                            torch.maximum(m[2 * i + 1][2 * j], m[2 * i + 1][2 * j + 1]))
              for m in maps for i in range(3) for j in range(3)]
    linear = weights[40:]
    return [sum((linear[37 * k + n] * pooled[n] for n in range(36)), linear[37 * k + 36]) for k in range(10)]


def torch_rnn_scores(weights: list[Any], xs: list[list[float]]) -> list[Any]:
    """Recurrent's forward over PyTorch scalars: W_ih (16x4), W_hh (16x16), b_ih, b_hh, then the head."""
    w_ih = [weights[4 * j:4 * j + 4] for j in range(16)]
    w_hh = [weights[64 + 16 * j:64 + 16 * j + 16] for j in range(16)]
    b_ih, b_hh, head = weights[320:336], weights[336:352], weights[352:]
    h = [torch.tensor(0.0, dtype=torch.float64) for _ in range(16)]
    for x in xs:
        inputs = [torch.tensor(v, dtype=torch.float64) for v in x]
        h = [(sum((w * v for w, v in zip(w_ih[j] + w_hh[j], inputs + h)), b_ih[j]) + b_hh[j]).tanh()
             for j in range(16)]
    return [sum((head[17 * k + n] * h[n] for n in range(16)), head[17 * k + 16]) for k in range(2)]


def torch_cross_entropy(scores: list[list[Any]], labels: list[int]) -> Any:
    total = 0
    for s, label in zip(scores, labels):
        top = max(v.item() for v in s)
        total = total + (sum((v - top).exp() for v in s)).log() + top - s[label]
    return total / len(labels)


def workload_cnn_and_rnn() -> dict[str, dict[str, float | None]]:
    """One training step (loss, gradients, Adam) of the classroom CNN on 20 digits and of an RNN(4, 16) on 8
    sequences of 12 steps: the engine (build + backward()), the compiled step (CompiledStep: the graph built and
    compiled once, replayed per batch) and, for the CNN, the same scalar graph in PyTorch. Seconds."""
    images, labels = load_digits()
    rng = random.Random(0)
    sequences = [[[rng.uniform(-1, 1) for _ in range(4)] for _ in range(12)] for _ in range(8)]
    targets = [rng.randrange(2) for _ in sequences]
    found: dict[str, dict[str, float | None]] = {}
    for name, model, xs, ys, classes in (
            ('CNN', cnn(random.Random(0)), images[:20], labels[:20], 10),
            ('RNN', Recurrent(random.Random(0)), sequences, targets, 2)):
        optimizer = Adam(model.parameters(), lr=1e-3)

        def engine_step(model: Any = model, xs: Any = xs, ys: Any = ys, optimizer: Any = optimizer) -> None:
            loss = cross_entropy([model(x) for x in xs], ys)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        started = time.perf_counter()
        step = CompiledStep(model, xs[0], classes=classes, batch_size=len(xs))
        compile_seconds = time.perf_counter() - started

        def compiled_step(step: Any = step, xs: Any = xs, ys: Any = ys, optimizer: Any = optimizer) -> None:
            step(xs, ys)
            optimizer.step()
        runs = {'engine': engine_step, 'compiled': compiled_step}
        if torch is not None:
            weights = torch_scalars_like(model)
            scores = (lambda w, x: torch_cnn_scores(w, x[0])) if name == 'CNN' else torch_rnn_scores

            def torch_step(weights: list[Any] = weights, xs: Any = xs, ys: Any = ys, scores: Any = scores) -> None:
                loss = torch_cross_entropy([scores(weights, x) for x in xs], ys)
                for w in weights:
                    w.grad = None
                loss.backward()
                sgd_step(weights, 1e-3)
            runs['PyTorch scalars'] = torch_step
        for run in runs.values():
            run()  # warm-up
        found[name] = {**paired_medians(runs, 3 if QUICK else 7), 'compile': compile_seconds}
    return found


def print_images_and_sequences() -> None:
    """The third table: a CNN and an RNN training step, engine against compiled (and PyTorch scalars)."""
    print('  measuring the CNN and RNN steps...', file=sys.stderr)
    found = workload_cnn_and_rnn()
    print()
    print('Images and sequences, one training step (loss, gradients, Adam), measured in turns; CompiledStep builds the')
    print('batch graph once and replays it (its one-off compile in the last column)')
    print()
    print('| workload | engine: build + backward() | compiled: CompiledStep | PyTorch scalars | compile, once |')
    print('|---|---|---|---|---|')
    titles = {'CNN': 'CNN: Conv2d(1,4,3), ReLU, MaxPool2d(2), Linear(36,10) on 20 digits',
              'RNN': 'RNN(4,16) on 8 sequences of 12 steps, Linear(16,2) on the last state'}
    for name, times in found.items():
        engine, compiled_time, scalars = times['engine'], times['compiled'], times.get('PyTorch scalars')
        assert engine is not None and compiled_time is not None
        torch_cell = cell(scalars, engine, 'not installed')
        print(f"| {titles[name]} | {fmt_time(engine)} | {fmt_time(compiled_time)} ({engine / compiled_time:.1f}x "
              f"faster) | {torch_cell} | {fmt_time(times['compile'] or 0.0)} |")


if __name__ == '__main__':
    if '--images-and-sequences' in sys.argv:  # the third table alone
        sys.argv.remove('--images-and-sequences')
        QUICK = '--quick' in sys.argv
        print_images_and_sequences()
    else:
        main()
