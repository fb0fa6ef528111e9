"""Toy datasets for classification demos, in pure Python (no numpy, no scikit-learn), and mini-batches.

Shipped real data (nothing is downloaded): ``load_digits()``, 1,797 handwritten 8x8 digits in Conv2d's
layout, and ``load_names()``, 5,163 first names, with ``alphabet`` / ``encode`` / ``decode`` for a
character-level model.

Every maker returns ``(X, y)``: ``X`` a list of ``[x0, x1]`` float pairs, ``y`` a list of int class
labels ``0, 1, ...``. ``seed`` makes them reproducible: an int seeds a private generator, a
``random.Random`` is used as is, and ``None`` draws from Python's global ``random`` (so ``random.seed``
controls it, as in micrograd's notebooks).
"""
from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from . import checks

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
    raise TypeError(f'seed must be an int, a random.Random or None, got {checks.shown(seed)}')


def _checked(n_samples: int, noise: float, shuffle: bool, noise_name: str = 'noise') -> tuple[int, float, bool]:
    """The arguments every maker takes: a count of points (at most checks.MAX_SIZE), a standard deviation
    and a flag."""
    return (checks.count('n_samples', n_samples),
            checks.real(noise_name, noise, at_least=0, need='a standard deviation: a finite number >= 0'),
            checks.flag('shuffle', shuffle))


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
    n_samples, noise, shuffle = _checked(n_samples, noise, shuffle)
    rng = random_source(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    lower = [[1 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(upper + lower, [0] * n_upper + [1] * n_lower, noise, rng, shuffle)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.5, seed: Seed = None,
                 shuffle: bool = True) -> Dataset:
    """A circle of radius ``factor`` (label 1) inside a circle of radius 1 (label 0)."""
    n_samples, noise, shuffle = _checked(n_samples, noise, shuffle)
    factor = checks.real('factor', factor, above=0, below=1,
                         need='in (0, 1): the inner radius relative to the outer one')
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
    n_samples, noise, shuffle = _checked(n_samples, noise, shuffle)
    classes = checks.count('classes', classes, at_least=2)
    if classes > n_samples:
        raise ValueError(f'make_spiral: {classes} classes need at least as many samples, got n_samples={n_samples}')
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
    n_samples, noise, shuffle = _checked(n_samples, noise, shuffle)
    rng = random_source(seed)
    corners = [(-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0)]
    points = [list(corners[i % 4]) for i in range(n_samples)]
    labels = [int(i % 4 >= 2) for i in range(n_samples)]
    return _finish(points, labels, noise, rng, shuffle)


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3, cluster_std: float = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), seed: Seed = None, shuffle: bool = True) -> Dataset:
    """Gaussian blobs, one class per center. ``centers`` is a count (drawn in ``center_box``) or the points."""
    n_samples, cluster_std, shuffle = _checked(n_samples, cluster_std, shuffle, noise_name='cluster_std')
    lo, hi = _pair('center_box', center_box)
    if not lo <= hi:
        raise ValueError(f'center_box is (low, high) with low <= high, got {center_box!r}')
    rng = random_source(seed)
    given: Any = centers  # typed as the two forms it may take; checked here as anything
    if isinstance(given, numbers.Integral):  # a count (which a bool is not: count() says so)
        count = checks.count('centers', given)
        points = [[rng.uniform(lo, hi), rng.uniform(lo, hi)] for _ in range(count)]
    else:
        listed = checks.sequence('centers', given, 'a count or a list of [x, y] points')
        if not listed:
            raise ValueError('make_blobs needs at least one center')
        points = [list(_pair(f'centers[{i}]', center)) for i, center in enumerate(listed)]
    centers = points
    labels = [i % len(centers) for i in range(n_samples)]
    points = [list(centers[k]) for k in labels]
    return _finish(points, labels, cluster_std, rng, shuffle)


def _pair(what: str, pair: Any) -> tuple[float, float]:
    """Two finite numbers: a point [x, y] or a range (low, high)."""
    numbers_ = checks.sequence(what, pair, 'a pair of numbers')
    if len(numbers_) != 2:
        raise ValueError(f'{what} must be a pair of numbers, got {len(numbers_)}: {checks.shown(pair)}')
    first, second = (checks.real(f'{what}: each number', c) for c in numbers_)
    return first, second


def _samples(X: Any, y: Any) -> tuple[Sequence[Any], Sequence[Any]]:
    """Samples and their targets: two lists of the same length."""
    X = checks.sequence('X', X, 'a list of samples')
    y = checks.sequence('y', y, 'a list of targets')
    if len(X) != len(y):
        raise ValueError(f'X and y must have the same length, got {len(X)} samples and {len(y)} targets')
    return X, y


def train_test_split(X: Sequence[Any], y: Sequence[Any], test_fraction: float = 0.25, seed: Seed = None,
                     shuffle: bool = True) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """``(X_train, X_test, y_train, y_test)``: a shuffled split with ``test_fraction`` of the points held out."""
    X, y = _samples(X, y)
    test_fraction = checks.real('test_fraction', test_fraction, above=0, below=1,
                                need='between 0 and 1 (exclusive)')
    shuffle = checks.flag('shuffle', shuffle)
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
    batch_size = checks.count('batch_size', batch_size, at_most=None)
    X, y = _samples(X, y)
    shuffle, drop_last = checks.flag('shuffle', shuffle), checks.flag('drop_last', drop_last)
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


# ---------------------------------------------------------------- shipped data: digits and names
# Real data, small enough to ship in the package (micrograd_plus/datasets/, with its citation and licence in
# README.md there): a lesson never downloads anything.

BOUNDARY = '.'  # the character that starts and ends a name in a character-level model (makemore's '.')


def _shipped(name: str) -> bytes:
    import importlib.resources  # here: `import micrograd_plus` need not load it
    return importlib.resources.files('micrograd_plus').joinpath(f'datasets/{name}').read_bytes()


def load_digits(normalize: bool = True) -> tuple[list[list[list[list[float]]]], list[int]]:
    """The 1,797 handwritten digits of the UCI optical digits set (Alpaydin & Kaynak 1998, CC BY 4.0; the
    copy scikit-learn ships): ``(images, labels)``. Each image is 8x8 in Conv2d's layout, one channel:
    ``image[0][row][col]``; each label the digit 0-9. Pixels count the ink in 4x4 blocks of a 32x32 scan,
    0..16; ``normalize=True`` divides them by 16, into [0, 1], which is what training wants."""
    import gzip
    normalize = checks.flag('load_digits(normalize)', normalize)
    scale = 1 / 16 if normalize else 1.0
    images, labels = [], []
    for line in gzip.decompress(_shipped('digits.csv.gz')).decode('ascii').split():
        *pixels, label = (int(cell) for cell in line.split(','))
        images.append([[[pixels[8 * r + c] * scale for c in range(8)] for r in range(8)]])
        labels.append(label)
    return images, labels


def load_names() -> list[str]:
    """The 5,163 first names of the 1990 US Census lists (public domain), lower case a-z, most frequent
    first: ``['james', 'john', 'robert', ...]``. Data for a character-level language model."""
    return _shipped('names.txt').decode('ascii').split()


def alphabet(texts: Sequence[str]) -> str:
    """The characters of ``texts``, sorted, after ``BOUNDARY`` ('.'): index 0 is the boundary, so a name is
    read as ``.emma.``. ``alphabet(load_names())`` is '.abcdefghijklmnopqrstuvwxyz'."""
    texts = checks.sequence('alphabet(texts)', texts, 'a list of strings')
    letters: set[str] = set()
    for i, text in enumerate(texts):
        letters.update(checks.text(f'alphabet(texts): item {i}', text))
    letters.discard(BOUNDARY)
    return BOUNDARY + ''.join(sorted(letters))


def encode(text: str, characters: str) -> list[int]:
    """``text`` as indices into ``characters`` (an ``alphabet``): encode('emma', chars) == [5, 13, 13, 1]."""
    text, characters = checks.text('encode(text)', text), checks.text('encode(characters)', characters)
    index = {c: i for i, c in enumerate(characters)}
    missing = sorted({c for c in text if c not in index})
    if missing:
        raise ValueError(f'encode(): {missing} not in the alphabet {characters!r}; make it with alphabet(texts) '
                         'from every text you will encode')
    return [index[c] for c in text]


def decode(indices: Sequence[int], characters: str) -> str:
    """Indices back to text: decode(encode(text, chars), chars) == text."""
    characters = checks.text('decode(characters)', characters)
    indices = checks.sequence('decode(indices)', indices, 'a list of ints')
    return ''.join(characters[checks.count('decode(indices): an index', i, at_least=0,
                                           at_most=len(characters) - 1)] for i in indices)
