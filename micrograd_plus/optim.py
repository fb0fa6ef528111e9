"""Optimizers that update ``p.data`` from ``p.grad``, with PyTorch's exact update rules (float64).

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        optimizer.zero_grad()
        loss = ...
        loss.backward()
        optimizer.step()

``lr`` is a plain attribute: change it between steps for a learning-rate schedule.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from . import checks
from .engine import Value


def _values(params: Iterable[Value], owner: str) -> list[Value]:
    """The parameters as a list of Values (model.parameters(), or any iterable of Values)."""
    if hasattr(params, 'parameters') and not isinstance(params, (list, tuple)):
        raise TypeError(f'{owner} takes the parameters, not the model: use {owner}(model.parameters(), ...)')
    return checks.instances(f'{owner}(params)', params, Value, 'a list of Values (model.parameters())')


def _parameter_list(params: Iterable[Value], owner: str) -> list[Value]:
    params = _values(params, owner)
    if not params:
        raise ValueError(f'{owner} got an empty parameter list')
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f'{owner} got the same parameter twice; it would be updated twice per step')
    return params


def _check_non_negative(owner: str, **settings: float) -> list[float]:
    return [checks.real(f'{owner}: {name}', value, at_least=0) for name, value in settings.items()]


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their grads to 0.0 before the next backward()."""

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = _parameter_list(params, type(self).__name__)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """p -= lr * v, with v = momentum * v + (grad + weight_decay * p) (v = that gradient on the first step).

    ``nesterov=True`` (Sutskever et al.'s form, as PyTorch): the step looks ahead along the velocity,
    p -= lr * (g + momentum * v) with g the gradient (plus weight decay) and v updated as above.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params)
        lr, momentum, weight_decay = _check_non_negative('SGD', lr=lr, momentum=momentum, weight_decay=weight_decay)
        nesterov = checks.flag('SGD: nesterov', nesterov)
        if nesterov and not momentum > 0:
            raise ValueError('SGD: nesterov=True looks ahead along the momentum and needs momentum > 0, '
                             f'got momentum={momentum!r}')
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov
        self.velocity: list[float] | None = None  # created on the first step, as in PyTorch

    def step(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        gradients = [p.grad + decay * p.data if decay else p.grad for p in self.params]
        if momentum:
            if self.velocity is None:
                self.velocity = gradients
            else:
                self.velocity = [momentum * v + g for v, g in zip(self.velocity, gradients)]
            velocity = self.velocity
            gradients = [g + momentum * v for g, v in zip(gradients, velocity)] if self.nesterov else velocity
        for p, g in zip(self.params, gradients):
            p.data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; ``weight_decay`` adds ``weight_decay * p`` to the gradient
    (L2, like torch.optim.Adam, not AdamW)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        pair = checks.sequence('Adam: betas', betas, 'a pair of numbers in [0, 1), like (0.9, 0.999)')
        if len(pair) != 2:
            raise ValueError(f'Adam: betas must be a pair of numbers in [0, 1), like (0.9, 0.999), got {betas!r}')
        beta1, beta2 = (checks.real('Adam: betas', beta, at_least=0, below=1, need='in [0, 1)') for beta in pair)
        lr, weight_decay = _check_non_negative('Adam', lr=lr, weight_decay=weight_decay)
        # eps = 0 would divide 0 by 0 on the first step that meets a zero gradient
        eps = checks.real('Adam: eps', eps, above=0, need='> 0 (it keeps the division finite), like 1e-8')
        self.lr, self.betas, self.eps, self.weight_decay = lr, (beta1, beta2), eps, weight_decay
        self.steps = 0
        self.first_moment = [0.0] * len(self.params)   # running mean of gradients
        self.second_moment = [0.0] * len(self.params)  # running mean of squared gradients

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = self.lr / (1 - beta1 ** self.steps)
        correction2_sqrt = math.sqrt(1 - beta2 ** self.steps)
        m, v, decay, eps = self.first_moment, self.second_moment, self.weight_decay, self.eps
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            m[i] += (g - m[i]) * (1 - beta1)  # = beta1 * m + (1 - beta1) * g, as PyTorch rounds it
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / correction2_sqrt + eps))


def _check_norm_type(owner: str, norm_type: float) -> float:
    return checks.real(f'{owner}: norm_type', norm_type, above=0, finite=False,
                       need='> 0 (2 for L2, math.inf for the largest)')


def grad_norm(params: Iterable[Value], norm_type: float = 2.0) -> float:
    """The joint norm of the gradients, (sum |grad|^norm_type)^(1/norm_type): 2 is the L2 norm sqrt(sum grad^2),
    ``math.inf`` the largest |grad|. nan if any grad is nan, as PyTorch's. Reads ``.grad`` only (clip_grad_norm
    scales them)."""
    grads = [p.grad for p in _values(params, 'grad_norm')]
    norm_type = _check_norm_type('grad_norm', norm_type)
    return _norm(grads, norm_type)


def _norm(grads: list[float], norm_type: float) -> float:
    if norm_type == 2:
        return math.sqrt(sum(g * g for g in grads))
    if norm_type == math.inf:
        largest = max((abs(g) for g in grads), default=0.0)
        return math.nan if any(g != g for g in grads) else largest  # max() would skip a nan after the first
    try:
        return float(sum(abs(g) ** norm_type for g in grads) ** (1.0 / norm_type))
    except OverflowError:  # a power past the largest float: IEEE (and PyTorch) make it inf, Python raises
        return math.nan if any(g != g for g in grads) else math.inf


def clip_grad_norm(params: Iterable[Value], max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False) -> float:
    """Scale all grads down together so their joint norm (``grad_norm``) is at most ``max_norm``; returns the
    norm before.

    As torch.nn.utils.clip_grad_norm_ (checked against PyTorch 2.13): every grad is multiplied by
    max_norm / (norm + 1e-6) when that is below 1. A nan or inf norm is returned, not raised, and scales the
    grads as PyTorch's does: an inf norm makes the scale 0, so the inf grad becomes nan and the finite ones
    0.0 (inf * 0 = nan); a nan norm makes every grad nan. Either way the caller sees the norm and can skip
    the step; ``error_if_nonfinite=True`` raises FloatingPointError instead, leaving the grads untouched.
    """
    params = _values(params, 'clip_grad_norm')
    max_norm = checks.real('clip_grad_norm: max_norm', max_norm, at_least=0, finite=False)
    norm_type = _check_norm_type('clip_grad_norm', norm_type)
    error_if_nonfinite = checks.flag('clip_grad_norm: error_if_nonfinite', error_if_nonfinite)
    norm = _norm([p.grad for p in params], norm_type)
    if error_if_nonfinite and not math.isfinite(norm):
        raise FloatingPointError(f'clip_grad_norm: the gradients have a norm of {norm}, so they cannot be clipped; '
                                 'find where the nan or inf comes from (detect_anomaly()), or pass '
                                 'error_if_nonfinite=False to scale by it anyway, as PyTorch does')
    scale = max_norm / (norm + 1e-6)
    if not scale >= 1:  # below 1, or nan (PyTorch multiplies by a clamp of it, which keeps nan)
        for p in params:
            p.grad *= scale
    return norm


def clip_grad_value(params: Iterable[Value], clip_value: float) -> None:
    """Clamp each grad to [-clip_value, clip_value] on its own, like torch.nn.utils.clip_grad_value_ (a nan
    stays nan). Unlike clip_grad_norm this can turn the gradient's direction."""
    params = _values(params, 'clip_grad_value')
    clip_value = checks.real('clip_grad_value: clip_value', clip_value, at_least=0, finite=False)
    low, high = -clip_value, clip_value
    for p in params:
        g = p.grad
        if g > high:
            p.grad = high
        elif g < low:
            p.grad = low
