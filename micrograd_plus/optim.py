"""Optimizers that update ``p.data`` from ``p.grad``, with PyTorch's exact update rules (float64).

    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for step in range(100):
        optimizer.zero_grad()
        loss = ...
        loss.backward()
        optimizer.step()

SGD, Adam, AdamW, RMSprop and Adagrad step as PyTorch's do, to the last bit in float64. Every setting is checked
when given and whenever assigned later (``optimizer.lr = -1`` raises). ``optim.lr_scheduler`` changes ``lr``
between epochs as torch.optim.lr_scheduler does (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from . import checks, lr_scheduler
from .engine import Value

__all__ = ['SGD', 'Adagrad', 'Adam', 'AdamW', 'Optimizer', 'RMSprop', 'clip_grad_norm', 'clip_grad_value',
           'grad_norm', 'lr_scheduler']


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


class Setting:
    """An optimizer's setting (``lr``, ``momentum``...), checked when given and again whenever assigned later:
    ``optimizer.lr = -1`` raises, as the constructor does, instead of quietly climbing the loss."""

    def __init__(self, check: Callable[[str, Any], Any]) -> None:
        self.check = check
        self.name = ''

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, optimizer: Any, owner: type | None = None) -> Any:
        if optimizer is None:
            return self
        return optimizer.__dict__[self.name]

    def __set__(self, optimizer: Any, value: Any) -> None:
        value = self.check(f'{type(optimizer).__name__}: {self.name}', value)
        optimizer._check_together(self.name, value)
        optimizer.__dict__[self.name] = value


def _non_negative(what: str, x: Any) -> float:
    return checks.real(what, x, at_least=0)


def _fraction(what: str, x: Any) -> float:
    return checks.real(what, x, at_least=0, at_most=1, need='a number in [0, 1]')


def _eps(what: str, x: Any) -> float:
    # eps = 0 would divide 0 by 0 on the first step that meets a zero gradient
    return checks.real(what, x, above=0, need='> 0 (it keeps the division finite), like 1e-8')


def _betas(what: str, x: Any) -> tuple[float, float]:
    pair = checks.sequence(what, x, 'a pair of numbers in [0, 1), like (0.9, 0.999)')
    if len(pair) != 2:
        raise ValueError(f'{what} must be a pair of numbers in [0, 1), like (0.9, 0.999), got {checks.shown(x)}')
    beta1, beta2 = (checks.real(what, beta, at_least=0, below=1, need='in [0, 1)') for beta in pair)
    return beta1, beta2


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their grads to 0.0 before the next backward().
    Its settings (``lr``...) are checked whenever assigned; ``lr_scheduler`` changes ``lr`` between steps."""
    lr = Setting(_non_negative)

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = _parameter_list(params, type(self).__name__)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _check_together(self, name: str, value: Any) -> None:
        """Refuse a setting that contradicts another (SGD's nesterov without momentum)."""


class SGD(Optimizer):
    """p -= lr * v, with v = momentum * v + (grad + weight_decay * p) (v = that gradient on the first step).

    ``nesterov=True`` (Sutskever et al.'s form, as PyTorch): the step looks ahead along the velocity,
    p -= lr * (g + momentum * v) with g the gradient (plus weight decay) and v updated as above.
    """
    momentum = Setting(_non_negative)
    weight_decay = Setting(_non_negative)
    nesterov = Setting(checks.flag)

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay, self.nesterov = lr, momentum, weight_decay, nesterov
        self.velocity: list[float] | None = None  # created on the first step, as in PyTorch

    def _check_together(self, name: str, value: Any) -> None:
        momentum = value if name == 'momentum' else self.__dict__.get('momentum', 0.0)
        nesterov = value if name == 'nesterov' else self.__dict__.get('nesterov', False)
        if nesterov and not momentum > 0:
            raise ValueError('SGD: nesterov=True looks ahead along the momentum and needs momentum > 0, '
                             f'got momentum={momentum!r}')

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
    (L2, like torch.optim.Adam; AdamW decouples it)."""
    betas = Setting(_betas)
    eps = Setting(_eps)
    weight_decay = Setting(_non_negative)
    decoupled = False  # AdamW: the decay shrinks p itself instead of joining the gradient

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.steps = 0
        self.first_moment = [0.0] * len(self.params)   # running mean of gradients
        self.second_moment = [0.0] * len(self.params)  # running mean of squared gradients

    def step(self) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        step_size = self.lr / (1 - beta1 ** self.steps)
        correction2_sqrt = math.sqrt(1 - beta2 ** self.steps)
        m, v, decay, eps = self.first_moment, self.second_moment, self.weight_decay, self.eps
        shrink = 1 - self.lr * decay
        for i, p in enumerate(self.params):
            if not decay:
                g = p.grad
            elif self.decoupled:
                g = p.grad
                p.data *= shrink
            else:
                g = p.grad + decay * p.data
            m[i] += (g - m[i]) * (1 - beta1)  # = beta1 * m + (1 - beta1) * g, as PyTorch rounds it
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / correction2_sqrt + eps))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW: each step first shrinks
    p to p * (1 - lr * weight_decay), then takes Adam's step on the gradient alone. Unlike L2 in the loss,
    the decay is not divided by Adam's running scale, so every weight decays at the same rate."""
    decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """RMSprop (Hinton), as torch.optim.RMSprop: s = alpha * s + (1 - alpha) * g**2, then
    p -= lr * g / (sqrt(s) + eps). ``centered=True`` divides by the running standard deviation instead,
    sqrt(s - mean(g)**2); ``momentum`` keeps a velocity b = momentum * b + g / (sqrt(s) + eps), p -= lr * b;
    ``weight_decay`` adds weight_decay * p to g (L2)."""
    alpha = Setting(_fraction)
    eps = Setting(_eps)
    weight_decay = Setting(_non_negative)
    momentum = Setting(_non_negative)
    centered = Setting(checks.flag)

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(params)
        self.lr, self.alpha, self.eps, self.weight_decay = lr, alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered
        n = len(self.params)
        self.square_avg = [0.0] * n  # running mean of squared gradients
        self.grad_avg = [0.0] * n    # running mean of gradients (centered only)
        self.momentum_buffer = [0.0] * n

    def step(self) -> None:
        lr, alpha, eps, decay, momentum = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        s, mean, buffer = self.square_avg, self.grad_avg, self.momentum_buffer
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            s[i] = s[i] * alpha + (1 - alpha) * g * g
            if self.centered:
                mean[i] = _lerp(mean[i], g, 1 - alpha)
                avg = math.sqrt(s[i] - mean[i] * mean[i]) + eps
            else:
                avg = math.sqrt(s[i]) + eps
            if momentum > 0:
                buffer[i] = buffer[i] * momentum + g / avg
                p.data -= lr * buffer[i]
            else:
                p.data += -lr * g / avg


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), rounded as PyTorch's lerp (from the nearer end)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as torch.optim.Adagrad: s += g**2 over all steps, then
    p -= lr_t * g / (sqrt(s) + eps) with lr_t = lr / (1 + (t - 1) * lr_decay): each weight's steps shrink
    with the gradient it has seen. ``initial_accumulator_value`` is where s starts."""
    lr_decay = Setting(_non_negative)
    weight_decay = Setting(_non_negative)
    eps = Setting(_eps)

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        super().__init__(params)
        self.lr, self.lr_decay, self.weight_decay, self.eps = lr, lr_decay, weight_decay, eps
        start = _non_negative('Adagrad: initial_accumulator_value', initial_accumulator_value)
        self.initial_accumulator_value = start
        self.steps = 0
        self.sum_of_squares = [start] * len(self.params)

    def step(self) -> None:
        self.steps += 1
        lr = self.lr / (1 + (self.steps - 1) * self.lr_decay)
        decay, eps, s = self.weight_decay, self.eps, self.sum_of_squares
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            s[i] += g * g
            p.data += -lr * g / (math.sqrt(s[i]) + eps)


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
