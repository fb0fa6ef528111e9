"""Hooks: functions the engine or a module calls at a given moment, and the handle that removes one.

``Value.register_hook(fn)`` calls ``fn(grad)`` during backward(); ``Module.register_forward_hook(fn)`` calls
``fn(module, input, output)`` after each forward. Both return a ``RemovableHandle``, as PyTorch's do.

This module knows nothing of graphs or modules: it holds lists of functions, and counts the lists of grad hooks
alive, so that backward() takes its walk that runs hooks only while some node anywhere has one.
"""
from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

from . import checks

__all__ = ['RemovableHandle', 'grad_hooks_exist']

_lock = threading.Lock()
_nodes_with_grad_hooks = 0  # GradHooks lists alive and not empty


def grad_hooks_exist() -> bool:
    """Whether any node anywhere has a grad hook: backward()'s one check, which is all hooks cost while none has."""
    return _nodes_with_grad_hooks > 0


def checked_hook(what: str, hook: Any, arguments: str) -> Callable[..., Any]:
    """A function that can be called with the comma-separated ``arguments`` (refused now, not mid-backward)."""
    checks.function(f'{what}, a function ({arguments}),', hook)
    names = arguments.split(', ')
    try:
        signature = inspect.signature(hook)
    except (TypeError, ValueError):  # a builtin with no signature to read: its call will say
        return hook  # type: ignore[no-any-return]
    try:
        signature.bind(*names)
    except TypeError:
        raise TypeError(f'{what} takes a function of {len(names)} argument(s) ({arguments}), got '
                        f'{getattr(hook, "__qualname__", "a callable")}{signature}') from None
    return hook  # type: ignore[no-any-return]


def _count(change: int) -> None:
    global _nodes_with_grad_hooks
    with _lock:
        _nodes_with_grad_hooks += change


class HookList(list[tuple[Callable[..., Any]]]):
    """The hooks of one owner, in the order registered; each entry is a 1-tuple, its identity its handle's."""
    __slots__ = ()

    def add(self, fn: Callable[..., Any]) -> RemovableHandle:
        entry = (fn,)
        self.append(entry)
        return RemovableHandle(self, entry)

    def discard(self, entry: tuple[Callable[..., Any]]) -> None:
        for i, held in enumerate(self):
            if held is entry:
                del self[i]
                return


class GradHooks(HookList):
    """The grad hooks of one node, counted while it has some (until removed, or freed with the node)."""
    __slots__ = ()

    def add(self, fn: Callable[..., Any]) -> RemovableHandle:
        if not self:
            _count(+1)
        return super().add(fn)

    def discard(self, entry: tuple[Callable[..., Any]]) -> None:
        if self:
            super().discard(entry)
            if not self:
                _count(-1)

    def __del__(self, count: Callable[[int], None] = _count) -> None:  # bound now: at exit globals may be gone
        if self:
            count(-1)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """A copied or pickled node comes without hooks, as a module comes without its handles."""
        return GradHooks, ()


class RemovableHandle:
    """What registering a hook returns: ``handle.remove()`` unregisters it (once; again does nothing).
    Also a context manager: ``with x.register_hook(fn): ...`` removes the hook at the end of the block."""
    __slots__ = ('_entry', '_hooks')

    def __init__(self, hooks: HookList, entry: tuple[Callable[..., Any]]) -> None:
        self._hooks: HookList | None = hooks
        self._entry = entry

    def remove(self) -> None:
        hooks, self._hooks = self._hooks, None
        if hooks is not None:
            hooks.discard(self._entry)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *error: Any) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f'<RemovableHandle of {getattr(self._entry[0], "__qualname__", "a hook")}' \
               f'{"" if self._hooks is not None else ", removed"}>'
