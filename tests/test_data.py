import math
import random
from collections import Counter

import pytest

from micrograd_plus import data
from micrograd_plus.data import (
    batches,
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    random_source,
    train_test_split,
)

MAKERS = {
    'moons': lambda **kw: make_moons(101, noise=0.1, **kw),
    'circles': lambda **kw: make_circles(101, noise=0.1, **kw),
    'spiral': lambda **kw: make_spiral(101, classes=4, **kw),
    'xor': lambda **kw: make_xor(101, **kw),
    'blobs': lambda **kw: make_blobs(101, centers=3, **kw),
}
CLASSES = {'moons': 2, 'circles': 2, 'spiral': 4, 'xor': 2, 'blobs': 3}


@pytest.mark.parametrize('name', MAKERS)
def test_shapes_labels_and_types(name):
    X, y = MAKERS[name](seed=0)
    assert len(X) == len(y) == 101
    assert all(len(p) == 2 and all(isinstance(v, float) for v in p) for p in X)
    assert set(y) == set(range(CLASSES[name]))
    counts = Counter(y).values()
    assert max(counts) - min(counts) <= 1  # balanced classes


@pytest.mark.parametrize('name', MAKERS)
def test_seeds_reproduce_and_differ(name):
    make = MAKERS[name]
    assert make(seed=3) == make(seed=3) == make(seed=random.Random(3))
    assert make(seed=3) != make(seed=4)
    random.seed(11)
    first = make()
    random.seed(11)
    assert make() == first  # None draws from the global random, like micrograd's notebooks


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = make_moons(50, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_noiseless_circles_have_radius_one_and_factor():
    X, y = make_circles(40, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(0.3 if label else 1.0)


def test_spiral_arms_stay_in_the_unit_disc_and_wind_apart():
    X, y = make_spiral(300, classes=3, noise=0.0, seed=0, shuffle=False)
    assert all(math.hypot(a, b) <= 1 + 1e-12 for a, b in X)
    # without noise each arm is the same curve turned by 4 radians
    arm0, arm1 = X[:100], X[100:200]
    for (a0, b0), (a1, b1) in zip(arm0[1:], arm1[1:]):
        angle0, angle1 = math.atan2(a0, b0), math.atan2(a1, b1)
        assert math.remainder(angle1 - angle0 - 4.0, 2 * math.pi) == pytest.approx(0.0, abs=1e-9)


def test_noiseless_xor_labels_are_the_xor_of_signs():
    X, y = make_xor(40, noise=0.0, seed=0)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y))


def test_blobs_around_given_centers():
    centers = [[0.0, 0.0], [5.0, 5.0]]
    X, y = make_blobs(10, centers=centers, cluster_std=0.0, seed=0)
    assert all(p == centers[label] for p, label in zip(X, y))
    X, y = make_blobs(2000, centers=centers, cluster_std=0.5, seed=0)
    xs = [p[0] for p, label in zip(X, y) if label == 1]
    mean = sum(xs) / len(xs)
    assert mean == pytest.approx(5.0, abs=0.05)
    assert math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs)) == pytest.approx(0.5, rel=0.1)


def test_train_test_split_keeps_pairs_and_partitions():
    X = [[float(i), float(-i)] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.25, seed=1)
    assert len(X_test) == len(y_test) == 5 and len(X_train) == 15
    assert sorted(y_train + y_test) == y
    assert all(p[0] == label for p, label in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, seed=1) == train_test_split(X, y, seed=1)
    assert train_test_split(X, y, seed=1) != train_test_split(X, y, seed=2)
    assert train_test_split(X, y, shuffle=False)[3] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize('call, error, match', [
    (lambda: make_moons(0), ValueError, 'n_samples must be an int >= 1'),
    (lambda: make_moons(10, noise=-0.1), ValueError, 'noise must be a standard deviation'),
    (lambda: make_circles(10, factor=1.5), ValueError, r'must be in \(0, 1\)'),
    (lambda: make_spiral(10, classes=1), ValueError, 'classes must be an int >= 2'),
    (lambda: make_blobs(10, centers=0), ValueError, 'centers must be an int >= 1'),
    (lambda: random_source('7'), TypeError, 'seed must be an int, a random.Random or None'),
    (lambda: train_test_split([1, 2], [1]), ValueError, 'same length'),
    (lambda: train_test_split([1, 2], [1, 2], test_fraction=1.0), ValueError, 'between 0 and 1'),
    (lambda: train_test_split([1, 2], [1, 2], test_fraction=0.1), ValueError, 'leaves one side empty'),
])
def test_bad_arguments_say_what_is_wrong(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- mini-batches

def test_batches_cover_every_sample_once_in_batches_of_the_size_asked():
    X = [[float(i), -float(i)] for i in range(10)]
    y = list(range(10))
    epoch = list(batches(X, y, 4, seed=0))
    assert [len(xb) for xb, _ in epoch] == [4, 4, 2]
    assert sorted(t for _, yb in epoch for t in yb) == y
    assert all(x == [float(t), -float(t)] for xb, yb in epoch for x, t in zip(xb, yb))  # pairs stay together
    assert [len(xb) for xb, _ in batches(X, y, 4, seed=0, drop_last=True)] == [4, 4]
    assert [yb for _, yb in batches(X, y, 3, shuffle=False)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert [yb for _, yb in batches(X, y, 100)] != [] and len(list(batches(X, y, 100))) == 1


def test_batches_are_reproducible_from_a_seed_and_differ_between_seeds():
    X, y = list(range(30)), list(range(30))
    assert list(batches(X, y, 8, seed=1)) == list(batches(X, y, 8, seed=random.Random(1)))
    assert list(batches(X, y, 8, seed=1)) != list(batches(X, y, 8, seed=2))
    rng = random.Random(5)  # one generator for the whole run: a new order every epoch, the same every run
    first, second = list(batches(X, y, 8, seed=rng)), list(batches(X, y, 8, seed=rng))
    assert first != second
    rng = random.Random(5)
    assert list(batches(X, y, 8, seed=rng)) == first
    random.seed(7)
    global_order = list(batches(X, y, 8))
    random.seed(7)
    assert list(batches(X, y, 8)) == global_order


@pytest.mark.parametrize('call, match', [
    (lambda: batches([1, 2], [1, 2], 0), 'batch_size must be an int >= 1, got 0'),
    (lambda: batches([1, 2, 3], [1, 2], 2), 'same length, got 3 samples and 2 targets'),
    (lambda: batches([], [], 2), 'no samples'),
])
def test_bad_batch_arguments_are_clear_errors_at_the_call(call, match):
    with pytest.raises(ValueError, match=match):
        call()  # not only when the first batch is taken


@pytest.mark.parametrize('call, match', [
    (lambda: batches([1, 2], [1, 2], 1.5), 'batch_size must be an int, got float 1.5'),
    (lambda: batches([1, 2], [1, 2], True), 'batch_size must be an int, got bool True'),
    (lambda: batches((x for x in [1, 2]), [1, 2], 1),
     r'X must be a list of samples, got a generator: pass list\(...\) of it'),
    (lambda: batches([1, 2], [1, 2], 1, shuffle='no'), "shuffle is True or False, got str 'no'"),
])
def test_batches_of_the_wrong_kind_of_thing_are_type_errors_at_the_call(call, match):
    with pytest.raises(TypeError, match=match):
        call()


@pytest.mark.parametrize('call, error, match', [
    (lambda: make_moons(10, noise=math.inf), ValueError, 'noise must be a standard deviation: a finite number >= 0'),
    (lambda: make_moons(10, noise=None), TypeError, 'noise must be a number, got None'),
    (lambda: make_moons(10, shuffle='no'), TypeError, "shuffle is True or False, got str 'no'"),
    (lambda: make_spiral(10, classes=20), ValueError, '20 classes need at least as many samples, got n_samples=10'),
    (lambda: make_blobs(10, centers=[[1.0, 2.0], [3.0]]), ValueError, r'centers\[1\] must be a pair of numbers, got 1'),
    (lambda: make_blobs(10, centers=True), TypeError, 'centers must be an int, got bool True'),
    (lambda: make_blobs(10, centers=None), TypeError, 'centers must be a count or a list of .x, y. points, got None'),
    (lambda: make_blobs(10, center_box=(5.0, -5.0)), ValueError, r'center_box is \(low, high\) with low <= high'),
    (lambda: make_blobs(10, center_box=None), TypeError, 'center_box must be a pair of numbers, got None'),
    (lambda: train_test_split(None, [1]), TypeError, 'X must be a list of samples, got None'),
    (lambda: train_test_split([1, 2], [1, 2], test_fraction='0.5'), TypeError, 'test_fraction must be a number'),
    (lambda: make_xor(10 ** 9), ValueError, 'n_samples must be at most 10,000,000, got int 1000000000: a scalar'),
])
def test_dataset_arguments_are_checked_before_anything_is_made(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- shipped data: digits and names

def test_load_digits_gives_the_1797_uci_digits_in_conv2d_layout():
    images, labels = data.load_digits()
    assert len(images) == len(labels) == 1797
    assert {(len(x), len(x[0]), len(x[0][0])) for x in images} == {(1, 8, 8)}
    assert sorted(set(labels)) == list(range(10)) and labels[:10] == list(range(10))
    assert min(v for x in images for row in x[0] for v in row) == 0.0
    assert max(v for x in images for row in x[0] for v in row) == 1.0
    # the first image is scikit-learn's digits.images[0], a zero: its pixels 0..16, row by row
    raw, _ = data.load_digits(normalize=False)
    assert raw[0][0][0] == [0, 0, 5, 13, 9, 1, 0, 0] and raw[0][0][7] == [0, 0, 6, 13, 10, 0, 0, 0]
    assert sum(labels.count(d) for d in range(10)) == 1797 and labels.count(8) == 174


def test_load_digits_checks_its_argument():
    with pytest.raises(TypeError, match='normalize'):
        data.load_digits(normalize='yes')


def test_load_names_gives_thousands_of_real_first_names_in_lower_case():
    names = data.load_names()
    assert len(names) == len(set(names)) == 5163
    assert names[:3] == ['james', 'john', 'robert'] and 'emma' in names and 'olivia' in names
    assert all(name.isalpha() and name.islower() and name.isascii() for name in names)


def test_text_becomes_indices_and_back():
    chars = data.alphabet(data.load_names())
    assert chars == '.abcdefghijklmnopqrstuvwxyz'
    assert data.encode('emma', chars) == [5, 13, 13, 1]
    assert data.decode([0, 5, 13, 13, 1, 0], chars) == '.emma.'
    assert data.alphabet(['ba', 'c.']) == '.abc'
    with pytest.raises(ValueError, match=r"\['!'\] not in the alphabet"):
        data.encode('emma!', chars)
    with pytest.raises(ValueError, match='at most 26'):
        data.decode([27], chars)
    with pytest.raises(TypeError, match='must be text'):
        data.alphabet(['ok', 3])
