"""Loss functions built from engine ops, so their gradients (of any order) come from the engine.

Each takes predictions and targets for a batch and returns one Value, averaged over the batch
(``reduction='mean'``) or summed (``reduction='sum'``, the lecture's squared-error loss).
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from . import checks
from .engine import Value, dot

REDUCTIONS = ('mean', 'sum')


def _as_list(what: str, x: Any) -> list[Any]:
    """A batch of Values or numbers (one Value or number is a batch of one), each checked."""
    if isinstance(x, (Value, int, float)):
        return [x]
    items = list(checks.sequence(what, x, 'a list of Values or numbers'))
    for i, item in enumerate(items):
        if not isinstance(item, (Value, numbers.Real)):
            raise TypeError(f'{what} must be a list of Values or numbers, got {checks.shown(item)} at position {i}')
    return items


def _as_values(what: str, x: Any) -> list[Value]:
    """What a loss computes on (predictions, scores, logits) as Values, numbers made constant leaves: the one
    conversion every loss shares, so each takes plain numbers and returns a Value."""
    return [item if isinstance(item, Value) else Value(item) for item in _as_list(what, x)]


def _pairs(predictions: Any, targets: Any, loss: str, names: tuple[str, str] = ('predictions', 'targets'),
           reduction: str = 'mean') -> tuple[list[Value], list[Any]]:
    checks.choice(f'{loss}(reduction=...)', reduction, REDUCTIONS)
    predictions, targets = _as_values(f'{loss}(): {names[0]}', predictions), _as_list(f'{loss}(): {names[1]}', targets)
    if len(predictions) != len(targets):
        raise ValueError(f'{loss}() got {len(predictions)} predictions but {len(targets)} targets; '
                         'pass one target per prediction')
    if not predictions:
        raise ValueError(f'{loss}() got an empty batch')
    return predictions, targets


def _reduce(losses: list[Value], reduction: str) -> Value:
    total = sum(losses[1:], losses[0])
    return total * (1.0 / len(losses)) if reduction == 'mean' else total


def mse(predictions: Any, targets: Any, reduction: str = 'mean') -> Value:
    """Mean squared error: mean of (prediction - target)^2."""
    predictions, targets = _pairs(predictions, targets, 'mse', reduction=reduction)
    squares = []
    for p, t in zip(predictions, targets):
        difference = p - t
        squares.append(difference * difference)
    return _reduce(squares, reduction)


def hinge(scores: Any, labels: Any, margin: float = 1.0, reduction: str = 'mean') -> Value:
    """Max-margin loss, micrograd's demo loss: mean of relu(margin - label * score) for labels -1 / +1."""
    scores, labels = _pairs(scores, labels, 'hinge', ('scores', 'labels'), reduction)
    margin = checks.real('hinge(margin=...)', margin)
    for label in labels:
        if label != 1 and label != -1:
            raise ValueError(f'hinge() needs labels -1 or +1, got {label!r}; turn 0/1 labels into 2*y - 1')
    return _reduce([(margin - label * score).relu() for score, label in zip(scores, labels)], reduction)


max_margin = hinge


def softplus(x: Value) -> Value:
    """log(1 + e^x) without overflow. The branch is chosen on the number, so each branch is smooth and
    the derivative is exactly sigmoid(x) everywhere, including x = 0."""
    given: Any = x  # a number is as good as a Value
    if not isinstance(given, Value):
        x = Value(checks.real('softplus(x)', given, finite=False))
    if x.data >= 0:
        return x + ((-x).exp() + 1).log()  # e^-x <= 1: no overflow
    return (x.exp() + 1).log()


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = 'mean') -> Value:
    """-[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))] for targets t in [0, 1], written as
    softplus(z) - t z so that huge logits give a finite loss and gradient sigmoid(z) - t."""
    logits, targets = _pairs(logits, targets, 'binary_cross_entropy_with_logits', ('logits', 'targets'), reduction)
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
    values = _as_values('log_softmax(scores)', scores)
    if not values:
        raise ValueError('log_softmax() needs at least one score')
    shift = max(s.data for s in values)
    shifted = [s - shift for s in values]
    exps: list[Any] = [s.exp() for s in shifted]
    return shifted, sum(exps).log()


def softmax(scores: Sequence[Any]) -> list[Value]:
    """Probabilities that sum to 1, computed as exp(log_softmax) so large scores do not overflow."""
    return [s.exp() for s in log_softmax(scores)]


def cross_entropy(scores: Any, targets: Any, reduction: str = 'mean') -> Value:
    """Multi-class cross-entropy, -log softmax(scores)[target], for class indices 0..k-1.

    ``scores`` is one sample's list of k scores with an int ``targets``, or a batch (a list of such
    lists) with a list of ints.
    """
    checks.choice('cross_entropy(reduction=...)', reduction, REDUCTIONS)
    which = 'each sample of scores'
    if isinstance(targets, numbers.Integral):
        scores, targets, which = [scores], [targets], 'with one target (an int), scores'
    batch = checks.sequence('cross_entropy(): scores', scores, 'a list of scores, or a list of such lists')
    targets = checks.sequence('cross_entropy(): targets', targets, 'a class index or a list of them')
    if len(batch) != len(targets):
        raise ValueError(f'cross_entropy() got {len(batch)} lists of scores but {len(targets)} targets; '
                         'pass one target per list of scores')
    if not batch:
        raise ValueError('cross_entropy() got an empty batch')
    losses = []
    for sample, target in zip(batch, targets):
        sample = _as_list(f'cross_entropy(): {which}', sample)
        if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= int(target) < len(sample):
            raise ValueError(f'cross_entropy() needs each target to be a class index 0..{len(sample) - 1} '
                             f'(one per list of {len(sample)} scores), got {target!r}')
        shifted, log_total = _shifted_log_sum_exp(sample)
        losses.append(log_total - shifted[target])  # -log_softmax(sample)[target]
    return _reduce(losses, reduction)


def l2_penalty(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """alpha * sum(p^2), micrograd's regularisation, as a single dot node. Its nodes are labelled, so that
    explain() and the pictures say which part of a weight's gradient is the penalty's (2 * alpha * p)."""
    parameters = checks.instances('l2_penalty(parameters)', parameters, Value, 'a list of Values (model.parameters())')
    squares = dot(parameters, parameters)
    squares.label = 'sum(p**2)'
    penalty: Value = checks.real('l2_penalty(alpha)', alpha, at_least=0) * squares
    penalty.label = 'l2_penalty'
    return penalty


def l1_penalty(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """alpha * sum(|p|), the lasso's regularisation. Its gradient alpha * sign(p) has the same size however
    small p is, so it keeps pushing a weight the data does not need towards zero, where L2's 2 alpha p only
    shrinks it ever more slowly: L1 makes models sparse. With gradient steps such a weight does not land on
    exactly 0: it comes within about one step (lr * alpha for SGD) of it and then jumps across 0 and back at
    every step. Count weights within a small tolerance of 0 as zero, or, for exact zeros, follow each step
    with the proximal step p = sign(p) * max(|p| - lr * alpha, 0) (soft-thresholding, as lasso solvers do).
    At p = 0 the gradient is 0, as PyTorch's abs."""
    parameters = checks.instances('l1_penalty(parameters)', parameters, Value, 'a list of Values (model.parameters())')
    alpha = checks.real('l1_penalty(alpha)', alpha, at_least=0)
    magnitudes = [abs(p) for p in parameters]
    if not magnitudes:
        return Value(0.0)
    penalty: Value = alpha * sum(magnitudes[1:], magnitudes[0])
    return penalty


def accuracy(predictions: Sequence[Any], targets: Sequence[Any]) -> float:
    """The fraction of samples predicted right. ``predictions`` are either labels (numbers or text, one per
    sample) or score lists (a model's outputs, one list of class scores per sample, numbers or Values), whose
    argmax is the predicted class, compared with targets that are class indices 0..k-1."""
    predictions = checks.sequence('accuracy(predictions)', predictions, 'a list of labels or of score lists')
    targets = checks.sequence('accuracy(targets)', targets, 'a list of labels')
    if len(predictions) != len(targets) or not predictions:
        raise ValueError(f'accuracy() needs equally many, and some, predictions and targets; '
                         f'got {len(predictions)} and {len(targets)}')
    for i, t in enumerate(targets):
        _check_label('accuracy(targets)', t, i)
    if any(_is_scores(p) for p in predictions):
        predictions = _argmaxes(predictions, targets)
    else:
        for i, p in enumerate(predictions):
            _check_label('accuracy(predictions)', p, i)
    return sum(bool(p == t) for p, t in zip(predictions, targets)) / len(targets)


def _is_scores(x: Any) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _check_label(what: str, label: Any, i: int) -> None:
    """A label is a number or text; a Value is a score, whose comparison with a label would always be False."""
    if isinstance(label, Value):
        raise TypeError(f'{what} holds a Value at position {i} ({label!r}): one score per sample cannot be read as '
                        'a label. Threshold it (1 if v.data > 0 else 0), or pass the score lists of a '
                        'multi-class model, whose argmax accuracy() takes')
    if _is_scores(label) or not isinstance(label, (numbers.Number, str, bytes)):
        raise TypeError(f'{what} must hold labels (numbers or text), got {checks.shown(label)} at position {i}')


def _argmaxes(predictions: Sequence[Any], targets: Sequence[Any]) -> list[int]:
    """Each score list's index of its largest score (the first of equals, as argmax), all lists equally long."""
    if not all(_is_scores(p) for p in predictions):
        raise TypeError('accuracy(predictions) mixes score lists and single labels: pass one kind')
    classes = len(predictions[0])
    if classes < 2 or any(len(p) != classes for p in predictions):
        raise ValueError(f'accuracy(predictions) takes score lists of one length, 2 or more (one score per class), '
                         f'got lengths {sorted({len(p) for p in predictions})}; for one score per sample, threshold '
                         'it into labels')
    for i, t in enumerate(targets):
        whole = isinstance(t, numbers.Integral) or (isinstance(t, float) and t.is_integer())
        if isinstance(t, bool) or not whole or not 0 <= t < classes:
            raise ValueError(f'accuracy(): with score lists of {classes} classes the targets are class indices '
                             f'0..{classes - 1}, got {checks.shown(t)} at position {i}')
    found = []
    for i, scores in enumerate(predictions):
        numbers_ = [s.data if isinstance(s, Value) else s for s in scores]
        if not all(isinstance(s, numbers.Real) and s == s for s in numbers_):
            raise ValueError(f'accuracy(predictions) at position {i}: a score list holds numbers or Values, not nan, '
                             f'got {checks.shown(list(scores))}')
        found.append(max(range(classes), key=numbers_.__getitem__))
    return found
