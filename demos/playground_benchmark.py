"""How fast the playground trains and redraws: a 2-8-8-1 tanh network on 200 moons, in a real browser.

1. The training step alone, in Python: the engine (build the batch's graph with Values, backward()) against
   the compile_graph program the playground replays, on the full training batch.
2. The served page in headless Chromium, playing for a few seconds: training steps per second and redraws
   per second as the page counts them (each redraw repaints every heatmap, the edges, the points and curves).

Run: python demos/playground_benchmark.py [--seconds 5]      (part of `make bench`; needs chromium)
"""
from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from micrograd_plus import losses
from micrograd_plus.playground import Session
from micrograd_plus.playground.server import PlaygroundServer

ROOT = pathlib.Path(__file__).resolve().parents[1]
NETWORK = dict(dataset='moons', layers=[8, 8], n_samples=200, activation='tanh', learning_rate=0.1)


def median_time(run: Callable[[], Any], repeats: int = 20) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def step_times(batch_size: int) -> tuple[float, float, float]:
    """Median seconds per training step on batches of ``batch_size``, (engine, compiled program), and for the
    train and test losses on all points that the playground records after each step."""
    session = Session(**NETWORK, train_fraction=0.9, batch_size=batch_size)
    session.step(1)  # compiles the program
    record = session._record
    session._record = lambda: None  # type: ignore[method-assign]  # the step alone
    compiled = median_time(lambda: session.step(1))
    session._record = record  # type: ignore[method-assign]
    columns, targets = session._columns['train'], session._targets['train']

    def engine_step() -> None:
        batch = session._next_batch(min(batch_size, len(targets)))
        xs = [[column[i] for column in columns] for i in batch]
        loss = losses.mse([session.model(x) for x in xs], [targets[i] for i in batch])
        session.model.zero_grad()
        loss.backward()
        session._optimizer.step()
    return median_time(engine_step), compiled, median_time(record)


def in_the_browser(address: str, seconds: float) -> tuple[float, float]:
    """(steps per second, redraws per second) of the served page playing ``address`` for ``seconds``."""
    sys.path.insert(0, str(ROOT / 'tests'))
    from test_playground import READY  # the tests' DevTools driver: one way to drive Chromium
    from test_stepper import Chromium
    server = PlaygroundServer(0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = Chromium('about:blank', ready='true')
    try:
        browser.send('Emulation.setDeviceMetricsOverride', width=1024, height=768, deviceScaleFactor=1, mobile=False)
        browser.send('Page.navigate', url=server.url + '#' + address)
        browser.wait_for(READY)
        browser.click('[aria-label="Play"]')
        browser.wait_for('Number(document.querySelector(".mgp").dataset.step) > 0')  # the first tick compiles
        read = '(d => JSON.stringify([d.step, d.draws]))(document.querySelector(".mgp").dataset)'
        steps0, draws0 = map(int, json.loads(browser.js(read)))
        start = time.perf_counter()
        time.sleep(seconds)
        steps1, draws1 = map(int, json.loads(browser.js(read)))
        elapsed = time.perf_counter() - start
        browser.click('[aria-label="Pause"]')
        return (steps1 - steps0) / elapsed, (draws1 - draws0) / elapsed
    finally:
        browser.close()
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=5.0)
    seconds = parser.parse_args().seconds
    print('| 2-8-8-1 tanh, 200 moons | engine step | compiled step | losses on all points | page: steps/s '
          '| page: redraws/s |')
    print('| --- | --- | --- | --- | --- | --- |')
    for batch, percent in ((10, 50), (180, 90)):
        engine, compiled, record = step_times(batch)
        address = f'dataset=moons&points=200&layers=8,8&activation=tanh&learningRate=0.1&batchSize={batch}' \
                  f'&percTrainData={percent}'
        steps, draws = in_the_browser(address, seconds)
        print(f'| batch of {batch} ({percent}% of the points train) | {engine * 1e3:.1f} ms | {compiled * 1e3:.1f} ms '
              f'| {record * 1e3:.1f} ms | {steps:.0f} | {draws:.1f} |', flush=True)


if __name__ == '__main__':
    main()
