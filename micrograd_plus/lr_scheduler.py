"""Learning-rate schedules, as torch.optim.lr_scheduler: the same names, arguments and numbers.

    optimizer = SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
    for epoch in range(100):
        ...                      # the steps of one epoch: optimizer.step()
        scheduler.step()         # then the next epoch's lr

A scheduler sets ``optimizer.lr`` when it is made (epoch 0) and at each ``step()``; ``get_last_lr()`` is the
list of the lr it set last (one entry: our optimizers have a single group of parameters). Each rule is
PyTorch's recursive form (the next lr from the current one), so a chain agrees with PyTorch's to the last bit.
"""
from __future__ import annotations

import math
from typing import Any

from . import checks

__all__ = ['CosineAnnealingLR', 'ExponentialLR', 'LRScheduler', 'LinearLR', 'StepLR']


class LRScheduler:
    """The base, a constant schedule: counts epochs in ``last_epoch`` (0 once made) and sets ``optimizer.lr``
    to ``get_lr()`` at each."""

    def __init__(self, optimizer: Any) -> None:
        if not (hasattr(optimizer, 'lr') and callable(getattr(optimizer, 'step', None))):
            raise TypeError(f'{type(self).__name__} schedules an optimizer (SGD, Adam...), got '
                            f'{checks.shown(optimizer)}')
        self.optimizer = optimizer
        self.base_lrs = [float(optimizer.lr)]
        self.last_epoch = -1
        self._last_lr: list[float] = []
        self.step()

    @property
    def lr(self) -> float:
        """The optimizer's current lr (what the rules start from)."""
        return float(self.optimizer.lr)

    def get_lr(self) -> list[float]:
        """The lr for epoch ``last_epoch``, from the current one: the base keeps it (a subclass has the rule)."""
        return [self.lr]

    def get_last_lr(self) -> list[float]:
        """The lr set last, as a one-entry list (PyTorch's: one per parameter group)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Move on one epoch and set its lr: call it after the epoch's optimizer.step() calls."""
        self.last_epoch += 1
        lr = self.get_lr()[0]
        self.optimizer.lr = lr
        self._last_lr = [lr]

    def __repr__(self) -> str:
        return f'<{type(self).__name__} at epoch {self.last_epoch}, lr {self._last_lr[0]:g}>'


def _epochs(what: str, n: Any) -> int:
    return checks.count(what, n)


class StepLR(LRScheduler):
    """lr * gamma every ``step_size`` epochs: a staircase."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _epochs('StepLR: step_size, in epochs,', step_size)
        self.gamma = checks.real('StepLR: gamma', gamma, at_least=0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [self.lr]
        return [self.lr * self.gamma]


class ExponentialLR(LRScheduler):
    """lr * gamma every epoch: lr_t = lr_0 * gamma**t."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = checks.real('ExponentialLR: gamma', gamma, at_least=0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [self.lr if self.last_epoch == 0 else self.lr * self.gamma]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from lr_0 down to ``eta_min`` over ``T_max`` epochs (Loshchilov & Hutter, SGDR without
    restarts): lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi t / T_max)) / 2, and back up after T_max."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _epochs('CosineAnnealingLR: T_max, the epochs down to eta_min,', T_max)
        self.eta_min = checks.real('CosineAnnealingLR: eta_min', eta_min, at_least=0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t, period, low, base = self.last_epoch, self.T_max, self.eta_min, self.base_lrs[0]
        if t == 0:
            return [self.lr]
        if (t - 1 - period) % (2 * period) == 0:  # at the bottom: the recursive form would divide by 0
            return [self.lr + (base - low) * (1 - math.cos(math.pi / period)) / 2]
        return [(1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period)) * (self.lr - low)
                + low]


class LinearLR(LRScheduler):
    """A linear warm-up (or cool-down): the lr goes from lr_0 * start_factor to lr_0 * end_factor in
    ``total_iters`` epochs, then stays."""

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5) -> None:
        self.start_factor = checks.real('LinearLR: start_factor', start_factor, above=0, at_most=1,
                                        need='in (0, 1]: the first lr is lr * start_factor')
        self.end_factor = checks.real('LinearLR: end_factor', end_factor, at_least=0, at_most=1, need='in [0, 1]')
        self.total_iters = _epochs('LinearLR: total_iters, the epochs of the ramp,', total_iters)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t, start, end = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            return [self.lr * start]
        if t > self.total_iters:
            return [self.lr]
        return [self.lr * (1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start)))]
