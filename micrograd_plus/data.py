"""Toy datasets for classification demos, in pure Python (no numpy, no scikit-learn), and mini-batches.

Every maker returns ``(X, y)``: ``X`` a list of ``[x0, x1]`` float pairs, ``y`` a list of int class
labels ``0, 1, ...``. ``seed`` makes them reproducible: an int seeds a private generator, a
``random.Random`` is used as is, and ``None`` draws from Python's global ``random`` (so ``random.seed``
controls it, as in micrograd's notebooks).
"""
from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

Seed = int | random.Random | ModuleType | None  # ModuleType: the ``random`` module itself
Dataset = tuple[list[list[float]], list[int]]


def random_source(seed: Seed) -> Any:
    """The generator to draw from: a seeded ``random.Random``, the one given, or the global ``random``."""
    if seed is None or seed is random:  # the global generator (random itself, when passed on)
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f'seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r}')


def _check_count(n_samples: int, at_least: int = 1) -> None:
    if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < at_least:
        raise ValueError(f'n_samples must be an int >= {at_least}, got {n_samples!r}')


def _check_noise(noise: float) -> None:
    if not noise >= 0:
        raise ValueError(f'noise is a standard deviation and must be >= 0, got {noise!r}')


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [float(start)]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _finish(points: list[list[float]], labels: list[int], noise: float, rng: Any, shuffle: bool) -> Dataset:
    """Add Gaussian noise to every coordinate, then shuffle points and labels together."""
    if noise:
        points = [[x + rng.gauss(0.0, noise) for x in p] for p in points]
    if shuffle:
        order = list(range(len(points)))
        rng.shuffle(order)
        points, labels = [points[i] for i in order], [labels[i] for i in order]
    return points, labels


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: Seed = None, shuffle: bool = True) -> Dataset:
    """Two interleaving half circles (labels 0 and 1): separable, but not by a straight line."""
    _check_count(n_samples)
    _check_noise(noise)
    rng = random_source(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    lower = [[1 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(upper + lower, [0] * n_upper + [1] * n_lower, noise, rng, shuffle)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5, seed: Seed = None,
                 shuffle: bool = True) -> Dataset:
    """A circle of radius ``factor`` (label 1) inside a circle of radius 1 (label 0)."""
    _check_count(n_samples)
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f'factor is the inner radius relative to the outer one and must be in (0, 1), got {factor!r}')
    rng = random_source(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    inner = [[factor * math.cos(t), factor * math.sin(t)]
             for t in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)]
    return _finish(outer + inner, [0] * n_outer + [1] * n_inner, noise, rng, shuffle)


def make_spiral(n_samples: int = 150, classes: int = 3, noise: float = 0.2, seed: Seed = None,
                shuffle: bool = True) -> Dataset:
    """``classes`` arms winding out from the origin, one class per arm (CS231n's spiral).

    ``noise`` jitters the angle, so the arms stay in the unit disc; samples are split evenly across arms.
    """
    _check_count(n_samples)
    _check_noise(noise)
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f'classes must be an int >= 2, got {classes!r}')
    rng = random_source(seed)
    points, labels = [], []
    for k in range(classes):
        n = n_samples // classes + (k < n_samples % classes)
        for radius in _linspace(0.0, 1.0, n):
            angle = 4.0 * (k + radius) + (rng.gauss(0.0, noise) if noise else 0.0)
            points.append([radius * math.sin(angle), radius * math.cos(angle)])
            labels.append(k)
    return _finish(points, labels, 0.0, rng, shuffle)


def make_xor(n_samples: int = 100, noise: float = 0.25, seed: Seed = None, shuffle: bool = True) -> Dataset:
    """Four clusters at the corners (+-1, +-1); label 1 where the signs differ (x XOR y), else 0."""
    _check_count(n_samples)
    _check_noise(noise)
    rng = random_source(seed)
    corners = [(-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0)]
    points = [list(corners[i % 4]) for i in range(n_samples)]
    labels = [int(i % 4 >= 2) for i in range(n_samples)]
    return _finish(points, labels, noise, rng, shuffle)


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, cluster_std: float = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), seed: Seed = None, shuffle: bool = True) -> Dataset:
    """Gaussian blobs, one class per center. ``centers`` is a count (drawn in ``center_box``) or the points."""
    _check_count(n_samples)
    _check_noise(cluster_std)
    rng = random_source(seed)
    if isinstance(centers, bool):
        raise TypeError(f'centers must be a count or a list of points, got {centers!r}')
    if isinstance(centers, int):
        if centers < 1:
            raise ValueError(f'centers must be >= 1, got {centers}')
        lo, hi = center_box
        points = [[rng.uniform(lo, hi), rng.uniform(lo, hi)] for _ in range(centers)]
    else:
        points = [[float(c) for c in center] for center in centers]
    centers = points
    if not centers:
        raise ValueError('make_blobs needs at least one center')
    labels = [i % len(centers) for i in range(n_samples)]
    points = [list(centers[k]) for k in labels]
    return _finish(points, labels, cluster_std, rng, shuffle)


def train_test_split(X: Sequence[Any], y: Sequence[Any], test_fraction: float = 0.25, seed: Seed = None,
                     shuffle: bool = True) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """``(X_train, X_test, y_train, y_test)``: a shuffled split with ``test_fraction`` of the points held out."""
    if len(X) != len(y):
        raise ValueError(f'X and y must have the same length, got {len(X)} points and {len(y)} labels')
    if not 0 < test_fraction < 1:
        raise ValueError(f'test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}')
    n_test = round(len(X) * test_fraction)
    if not 0 < n_test < len(X):
        raise ValueError(f'splitting {len(X)} points with test_fraction={test_fraction} leaves one side empty; '
                         'use more points or another fraction')
    order = list(range(len(X)))
    if shuffle:
        random_source(seed).shuffle(order)
    train, test = order[n_test:], order[:n_test]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


def batches(X: Sequence[Any], y: Sequence[Any], batch_size: int, shuffle: bool = True, seed: Seed = None,
            drop_last: bool = False) -> Iterator[tuple[list[Any], list[Any]]]:
    """One epoch of mini-batches ``(X_batch, y_batch)``: every sample once, in batches of ``batch_size``
    (the last one smaller when ``batch_size`` does not divide the count, or left out with ``drop_last``).

    ``shuffle`` draws a new order from ``seed``: an int gives the same order on every call, so pass
    ``seed=epoch``, or a ``random.Random`` made once before the loop, for a new reproducible order each
    epoch; None draws from the global ``random``. The arguments are checked at the call, not at the first batch.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f'batch_size must be an int >= 1, got {batch_size!r}')
    if len(X) != len(y):
        raise ValueError(f'X and y must have the same length, got {len(X)} samples and {len(y)} targets')
    if not len(X):
        raise ValueError('batches() got no samples')
    order = list(range(len(X)))
    if shuffle:
        random_source(seed).shuffle(order)
    end = len(order) - len(order) % batch_size if drop_last else len(order)

    def epoch() -> Iterator[tuple[list[Any], list[Any]]]:
        for start in range(0, end, batch_size):
            chosen = order[start:start + batch_size]
            yield [X[i] for i in chosen], [y[i] for i in chosen]
    return epoch()
