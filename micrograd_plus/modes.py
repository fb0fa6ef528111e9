"""What ops do right now: ``no_grad()``, ``enable_grad()``, ``detect_anomaly()``, per thread and per async task.

A mode holds in the thread (and the asyncio task) that entered it, like PyTorch's grad mode. Ops read one
flag, ``plain``: true while no thread or task anywhere has a mode on, and only then do they skip asking for
their own thread's mode. The engine keeps a copy of that flag as a global of its own (its generated code
reads it there, with no attribute lookup): ``follow_plain`` tells it each change.

Below the engine: this module knows the micrograd protocol (``data``, ``label``, ``_prev``, ``_op``) and
nothing else of graphs. The anomaly checks of detect_anomaly() live here too.
"""
from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from . import checks

__all__ = ['AnomalyError', 'Mode', 'ModeState', 'backward_checked', 'current_mode', 'describe', 'detect_anomaly',
           'enable_grad', 'follow_plain', 'no_grad', 'non_finite_result', 'reset_mode', 'set_mode']


class ModeState(NamedTuple):
    """What ops do in the current thread or async task (no_grad() and detect_anomaly() set it)."""
    grad_enabled: bool = True   # record each result's inputs
    anomaly: bool = False       # raise AnomalyError at the first nan or inf


class AnomalyError(FloatingPointError):
    """Raised under detect_anomaly() at the first non-finite value, forward or backward."""


class _Switched(ModeState):
    """A mode other than the default, as a context holds it. The fast path is open only while none exists:
    a context copied with one (an asyncio task made inside ``with no_grad()``) keeps it alive, so counting
    live objects, not ``with`` blocks, keeps ``plain`` true to what every thread and task sees."""
    __slots__ = ()

    def __new__(cls, grad_enabled: bool, anomaly: bool) -> _Switched:
        global _modes_on
        switched = super().__new__(cls, grad_enabled, anomaly)
        with _modes_lock:
            _modes_on += 1
            _set_plain(False)
        return switched

    def __del__(self) -> None:
        global _modes_on
        with _modes_lock:
            _modes_on -= 1
            _set_plain(_modes_on == 0)


DEFAULT = ModeState()
MODE: contextvars.ContextVar[ModeState] = contextvars.ContextVar('micrograd_plus_mode', default=DEFAULT)
plain = True  # no thread or task anywhere has a mode on
_modes_on = 0  # _Switched objects alive
_modes_lock = threading.RLock()  # re-entrant: a _Switched may be freed while its own thread holds the lock
_followers: list[Callable[[bool], None]] = []


def _set_plain(value: bool) -> None:
    global plain
    if value is not plain:
        plain = value
        for follower in _followers:
            follower(value)


def follow_plain(follower: Callable[[bool], None]) -> None:
    """Call ``follower(plain)`` now and at every change of ``plain``: how the engine keeps its fast-path flag."""
    checks.function('follow_plain(follower)', follower)
    with _modes_lock:
        _followers.append(follower)
        follower(plain)


def current_mode() -> ModeState:
    """The mode of the calling thread or async task."""
    return MODE.get()


def set_mode(state: ModeState) -> contextvars.Token[ModeState]:
    """Switch the calling thread's (or task's) mode; pass what it returns to reset_mode() to undo it."""
    if not isinstance(state, ModeState):
        raise TypeError(f'set_mode() takes a ModeState(grad_enabled, anomaly), got {checks.shown(state)}; '
                        'or use the modes: with no_grad(), with detect_anomaly()')
    grad_enabled, anomaly = bool(state.grad_enabled), bool(state.anomaly)
    return MODE.set(DEFAULT if grad_enabled and not anomaly else _Switched(grad_enabled, anomaly))


def reset_mode(token: contextvars.Token[ModeState]) -> None:
    """Undo one set_mode() of this thread or task."""
    if not isinstance(token, contextvars.Token):
        raise TypeError(f'reset_mode() takes what set_mode() returned, got {checks.shown(token)}')
    MODE.reset(token)


# ---------------------------------------------------------------- the modes as users write them

_F = TypeVar('_F', bound=Callable[..., Any])
# In each thread and async task (a context of its own, as the mode itself): (id of the Mode object, the switch it
# must undo), innermost last. Per context, not per thread: two tasks of one thread sharing a Mode object each
# undo their own switch (a per-thread stack gave task A task B's token: "created in a different Context").
_UNDO: contextvars.ContextVar[tuple[tuple[int, Any], ...]] = contextvars.ContextVar('micrograd_plus_mode_undo',
                                                                                  default=())


class Mode(contextlib.ContextDecorator):
    """A recording mode for a ``with`` block or a decorated function. It sets one flag and keeps the
    other as it is when entered; one object can be reused and nested. Like PyTorch's grad mode, a mode
    holds in the thread (and the async task) that entered it: other threads keep recording."""

    def __init__(self, grad_enabled: bool | None = None, anomaly: bool | None = None) -> None:
        self.grad_enabled = None if grad_enabled is None else checks.flag('Mode(grad_enabled=...)', grad_enabled)
        self.anomaly = None if anomaly is None else checks.flag('Mode(anomaly=...)', anomaly)

    def __enter__(self) -> None:
        mode = current_mode()
        state = ModeState(mode.grad_enabled if self.grad_enabled is None else self.grad_enabled,
                          mode.anomaly if self.anomaly is None else self.anomaly)
        _UNDO.set((*_UNDO.get(), (id(self), set_mode(state))))

    def __exit__(self, *error: Any) -> None:
        undo = _UNDO.get()
        last = max(i for i, (owner, _) in enumerate(undo) if owner == id(self))  # this object's innermost
        _UNDO.set(undo[:last] + undo[last + 1:])
        reset_mode(undo[last][1])

    def __call__(self, function: _F) -> _F:
        checks.function('a mode decorates a function, and', function)
        if (inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)
                or inspect.iscoroutinefunction(function)):
            name = getattr(function, '__qualname__', repr(function))
            raise TypeError(f'{name} is a generator or a coroutine: a mode around it would cover only its '
                            'creation. Use the mode as a `with` block inside it instead')
        return super().__call__(function)


def no_grad() -> Mode:
    """Ops inside record no parents: results are plain leaves (fast evaluation, nothing to free)."""
    return Mode(grad_enabled=False)


def enable_grad() -> Mode:
    """Record the graph again, e.g. inside a no_grad() block."""
    return Mode(grad_enabled=True)


def detect_anomaly() -> Mode:
    """Raise AnomalyError at the first nan/inf, forward or backward, naming the op and its inputs."""
    return Mode(anomaly=True)


# ---------------------------------------------------------------- detect_anomaly()'s checks

def describe(node: Any) -> str:
    """A node for an error message: its label (if any) and its number."""
    if not hasattr(node, '_prev') or not hasattr(node, 'data'):
        raise TypeError(f'describe() takes a Value, got {checks.shown(node)}')
    name = f"'{node.label}' " if node.label else ''
    return f'{name}{node.data!r}'


def non_finite_result(op: str, data: float, inputs: Sequence[Any], kind: str = 'op') -> AnomalyError:
    """The error for an op that gave nan or inf, naming the op and its inputs."""
    return AnomalyError(f"detect_anomaly: {kind} {op!r} gave {data!r} from input(s) "
                        f"{', '.join(describe(p) for p in inputs)}")


def backward_checked(order: Sequence[Any]) -> None:
    """backward() under detect_anomaly(), over the inner nodes in topological order."""
    for node in reversed(order):
        backward_of_checked(node)


def backward_of_checked(node: Any) -> None:
    """One node's _backward under detect_anomaly(): checked for numbers changed since the forward pass (backward
    would mix old and new ones, silently, as micrograd does) and for nan/inf grads it hands on."""
    again = node._forward_again()
    if again != node.data and again == again:
        raise AnomalyError(
            f'detect_anomaly: {describe(node)} (op {node._op!r}) is no longer what its inputs give '
            f'({again!r}): a .data was changed after the graph was built, and backward() would mix old and '
            'new numbers. Run the forward pass again after changing .data')
    node._backward()
    for parent in node._prev:
        if not math.isfinite(parent.grad):
            raise AnomalyError(
                f'detect_anomaly: backward of op {node._op!r} (output {describe(node)}) gave '
                f'grad {parent.grad!r} to input {describe(parent)}')
