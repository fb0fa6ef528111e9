"""Loss functions built from engine ops, so their gradients (of any order) come from the engine.

Each takes predictions and targets for a batch and returns one Value, averaged over the batch
(``reduction='mean'``) or summed (``reduction='sum'``, the lecture's squared-error loss).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from .engine import Value, dot


def _as_list(x: Any) -> list[Any]:
    return [x] if isinstance(x, (Value, int, float)) else list(x)


def _pairs(predictions: Any, targets: Any, loss: str) -> tuple[list[Any], list[Any]]:
    predictions, targets = _as_list(predictions), _as_list(targets)
    if len(predictions) != len(targets):
        raise ValueError(f'{loss}() got {len(predictions)} predictions but {len(targets)} targets; '
                         'pass one target per prediction')
    if not predictions:
        raise ValueError(f'{loss}() got an empty batch')
    return predictions, targets


def _reduce(losses: list[Value], reduction: str) -> Value:
    total = sum(losses[1:], losses[0])
    if reduction == 'mean':
        return total * (1.0 / len(losses))
    if reduction == 'sum':
        return total
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def mse(predictions: Any, targets: Any, reduction: str = 'mean') -> Value:
    """Mean squared error: mean of (prediction - target)^2."""
    predictions, targets = _pairs(predictions, targets, 'mse')
    squares = []
    for p, t in zip(predictions, targets):
        difference = p - t
        squares.append(difference * difference)
    return _reduce(squares, reduction)


def hinge(scores: Any, labels: Any, margin: float = 1.0, reduction: str = 'mean') -> Value:
    """Max-margin loss, micrograd's demo loss: mean of relu(margin - label * score) for labels -1 / +1."""
    scores, labels = _pairs(scores, labels, 'hinge')
    for label in labels:
        if label != 1 and label != -1:
            raise ValueError(f'hinge() needs labels -1 or +1, got {label!r}; turn 0/1 labels into 2*y - 1')
    return _reduce([(margin - label * score).relu() for score, label in zip(scores, labels)], reduction)


max_margin = hinge


def softplus(x: Value) -> Value:
    """log(1 + e^x) without overflow. The branch is chosen on the number, so each branch is smooth and
    the derivative is exactly sigmoid(x) everywhere, including x = 0."""
    if x.data >= 0:
        return x + ((-x).exp() + 1).log()  # e^-x <= 1: no overflow
    return (x.exp() + 1).log()


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = 'mean') -> Value:
    """-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))] for targets t in [0, 1], written as
    softplus(z) - t z so that huge logits give a finite loss and gradient sigmoid(z) - t."""
    logits, targets = _pairs(logits, targets, 'binary_cross_entropy_with_logits')
    for t in targets:
        if not 0 <= t <= 1:
            raise ValueError(f'binary_cross_entropy_with_logits() needs targets in [0, 1], got {t!r}; '
                             'turn -1/+1 labels into (y + 1) / 2')
    return _reduce([softplus(z) - z * t for z, t in zip(logits, targets)], reduction)


def log_softmax(scores: Sequence[Any]) -> list[Value]:
    """log of the softmax of ``scores``, stable: shifting by the largest score changes neither the
    result nor its gradient, and makes every exp() at most 1."""
    shifted, log_total = _shifted_log_sum_exp(scores)
    return [s - log_total for s in shifted]


def _shifted_log_sum_exp(scores: Sequence[Any]) -> tuple[list[Value], Value]:
    """(scores - max, log sum exp(scores - max)): log_softmax_i is their difference."""
    scores = [s if isinstance(s, Value) else Value(s) for s in scores]
    if not scores:
        raise ValueError('log_softmax() needs at least one score')
    shift = max(s.data for s in scores)
    shifted = [s - shift for s in scores]
    return shifted, sum(s.exp() for s in shifted).log()


def softmax(scores: Sequence[Any]) -> list[Value]:
    """Probabilities that sum to 1, computed as exp(log_softmax) so large scores do not overflow."""
    return [s.exp() for s in log_softmax(scores)]


def cross_entropy(scores: Any, targets: Any, reduction: str = 'mean') -> Value:
    """Multi-class cross-entropy, -log softmax(scores)[target], for class indices 0..k-1.

    ``scores`` is one sample's list of k scores with an int ``targets``, or a batch (a list of such
    lists) with a list of ints.
    """
    if isinstance(targets, numbers.Integral):
        scores, targets = [scores], [targets]
    batch, targets = _pairs(scores, targets, 'cross_entropy')
    losses = []
    for sample, target in zip(batch, targets):
        sample = _as_list(sample)
        if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= int(target) < len(sample):
            raise ValueError(f'cross_entropy() needs each target to be a class index 0..{len(sample) - 1} '
                             f'(one per list of {len(sample)} scores), got {target!r}')
        shifted, log_total = _shifted_log_sum_exp(sample)
        losses.append(log_total - shifted[target])  # -log_softmax(sample)[target]
    return _reduce(losses, reduction)


def l2_penalty(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """alpha * sum(p^2), micrograd's regularisation, as a single dot node. Its nodes are labelled, so that
    explain() and the pictures say which part of a weight's gradient is the penalty's (2 * alpha * p)."""
    parameters = list(parameters)
    squares = dot(parameters, parameters)
    squares.label = 'sum(p**2)'
    penalty = alpha * squares
    penalty.label = 'l2_penalty'
    return penalty


def l1_penalty(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """alpha * sum(|p|), the lasso's regularisation. Its gradient alpha * sign(p) has the same size however
    small p is, so it drives weights to exactly zero (sparse models) where L2's 2 alpha p only shrinks them.
    At p = 0 the gradient is 0, as PyTorch's abs."""
    magnitudes = [abs(p) for p in parameters]
    if not magnitudes:
        return Value(0.0)
    return alpha * sum(magnitudes[1:], magnitudes[0])


def accuracy(predictions: Sequence[Any], targets: Sequence[Any]) -> float:
    """Fraction of predictions equal to their targets (plain numbers: use it on labels, not Values)."""
    if len(predictions) != len(targets) or not predictions:
        raise ValueError(f'accuracy() needs equally many, and some, predictions and targets; '
                         f'got {len(predictions)} and {len(targets)}')
    return sum(bool(p == t) for p, t in zip(predictions, targets)) / len(targets)

