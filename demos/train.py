"""Training demo: micrograd's moons classifier, then a three-class spiral.

1. MLP(2, [16, 16, 1]) on 100 moons points, max-margin loss + L2, SGD with micrograd's decaying
   learning rate, until every training point is classified correctly. Writes the decision boundary
   and the loss curve.
2. MLP(2, [16, 16, 3]) on a 3-arm spiral with cross-entropy and Adam. Writes its decision boundary.

Run: python demos/train.py [output_dir]      (default: demos/output)
matplotlib is needed here only; the library never imports it.
"""
from __future__ import annotations

import pathlib
import sys
import time

import matplotlib

matplotlib.use('Agg')  # files only: no window, works on machines without a display
import matplotlib.pyplot as plt

from micrograd_plus.data import make_moons, make_spiral
from micrograd_plus.losses import cross_entropy, hinge, l2_penalty
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD, Adam
from micrograd_plus.plots import decision_boundary

DEFAULT_OUTPUT = pathlib.Path(__file__).resolve().parent / 'output'
COLORS = ['#3b6fb6', '#d9534f', '#3f9e4d']  # one per class, readable for most colour-blind viewers too


def progress(step: int, total: int, loss: float, accuracy: float, seconds: float, width: int = 24) -> str:
    filled = round(width * step / total)
    return (f'  [{"#" * filled}{"." * (width - filled)}] step {step:3d}/{total}  '
            f'loss {loss:.4f}  accuracy {accuracy:6.1%}  ({seconds * 1000:.0f} ms/step)')


# ---------------------------------------------------------------- 1. moons, micrograd's demo

def train_moons(steps: int = 100) -> tuple[MLP, list, list, list[float], list[float]]:
    X, labels = make_moons(100, noise=0.1, seed=1337)
    y = [2 * label - 1 for label in labels]  # the max-margin loss wants -1 / +1
    model = MLP(2, [16, 16, 1], rng=1337)
    print(f'{len(model.parameters())} parameters, {len(X)} points\n')
    optimizer = SGD(model.parameters(), lr=1.0)
    losses, accuracies = [], []
    for step in range(steps):
        started = time.perf_counter()
        scores = [model(x) for x in X]
        loss = hinge(scores, y) + l2_penalty(model.parameters(), alpha=1e-4)
        accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y)) / len(y)
        losses.append(loss.data)
        accuracies.append(accuracy)
        if accuracy == 1.0:  # stop before updating, so the pictures show the model that scored 100%
            print(progress(step + 1, steps, loss.data, accuracy, time.perf_counter() - started))
            print(f'\n  every training point is classified correctly after {step} updates')
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * step / steps  # micrograd's schedule
        optimizer.step()
        if step % 5 == 0:
            print(progress(step + 1, steps, loss.data, accuracy, time.perf_counter() - started))
    return model, X, labels, losses, accuracies


# ---------------------------------------------------------------- 2. spiral, three classes

def train_spiral(steps: int = 80, target_accuracy: float = 0.98) -> tuple[MLP, list, list]:
    X, y = make_spiral(120, classes=3, noise=0.2, seed=0)
    model = MLP(2, [16, 16, 3], init='he', rng=0)
    print(f'{len(model.parameters())} parameters, {len(X)} points in 3 classes\n')
    optimizer = Adam(model.parameters(), lr=0.05)
    for step in range(steps):
        started = time.perf_counter()
        scores = [model(x) for x in X]
        loss = cross_entropy(scores, y)
        predicted = [max(range(3), key=lambda k: s[k].data) for s in scores]
        accuracy = sum(p == t for p, t in zip(predicted, y)) / len(y)
        if accuracy >= target_accuracy:  # stop before updating: the picture shows this model
            print(progress(step + 1, steps, loss.data, accuracy, time.perf_counter() - started))
            print(f'\n  {accuracy:.1%} of the training points are classified correctly after {step} updates')
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(progress(step + 1, steps, loss.data, accuracy, time.perf_counter() - started))
    return model, X, y


# ---------------------------------------------------------------- pictures

def save_decision_boundary(model: MLP, X: list, labels: list, title: str, path: pathlib.Path) -> None:
    """plots.decision_boundary on a figure as tall as the points need, saved to path."""
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    width = 6.5
    fig, ax = plt.subplots(figsize=(width, width * (max(ys) - min(ys) + 0.6) / (max(xs) - min(xs) + 0.6) + 0.9),
                           dpi=110)
    decision_boundary(model, X, labels, ax=ax, resolution=90, title=title)
    ax.set_aspect('equal')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_loss_curve(losses: list[float], accuracies: list[float], path: pathlib.Path) -> None:
    steps = range(1, len(losses) + 1)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    ax.plot(steps, losses, color=COLORS[0], label='loss (max-margin + L2)')
    ax.set(xlabel='step', ylabel='loss', title='moons: training loss and accuracy')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    right = ax.twinx()
    right.plot(steps, [100 * a for a in accuracies], color=COLORS[1], label='training accuracy')
    right.set(ylabel='accuracy (%)', ylim=(0, 102))
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc='center right')
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(output_dir: pathlib.Path = DEFAULT_OUTPUT) -> None:
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    print('1. Moons: MLP(2, [16, 16, 1]), max-margin loss + L2, SGD (micrograd\'s demo)\n')
    model, X, labels, losses, accuracies = train_moons()

    save_decision_boundary(model, X, labels,  # a score > 0 means label 1
                           'moons: decision boundary of MLP(2, [16, 16, 1])', output_dir / 'moons_boundary.png')
    plot_loss_curve(losses, accuracies, output_dir / 'moons_loss.png')

    print('\n2. Spiral: 3 classes, MLP(2, [16, 16, 3]), cross-entropy, Adam\n')
    spiral_model, X, y = train_spiral()
    save_decision_boundary(spiral_model, X, y,  # three class scores: each class where its score is highest
                           'spiral: decision regions of MLP(2, [16, 16, 3])', output_dir / 'spiral_boundary.png')

    print(f'\nPictures in {output_dir}: moons_boundary.png, moons_loss.png, spiral_boundary.png '
          f'({time.perf_counter() - started:.1f} s in all)')


if __name__ == '__main__':
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
