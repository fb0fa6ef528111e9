"""What the view may ask of a session, in one place for both transports (the widget's comm, the page's HTTP).

The view holds five pieces of state, the widget's synced traits: ``settings``, ``running``, ``frame`` (what it
draws), ``info`` (the parameter clicked) and ``error``. It changes ``settings`` and ``running``, and sends
messages: ``tick`` (train for a moment and draw), ``step``, ``reset``, ``select`` and ``explain`` (a
parameter's numbers, its chain rule) and ``address`` (the page's ``#dataset=...`` preset).

Play is driven by the view: it sends a ``tick``, gets a new frame and a ``ticked`` reply, draws, and sends the
next; so a slow browser or kernel gets fewer frames, never a queue of them. In a notebook a tick trains for
``tick_seconds`` first (the kernel has one thread); the server trains in a thread of its own between ticks
(``tick_seconds=0``), so training goes on while the browser draws.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .. import checks
from .session import Session
from .settings import DEFAULTS, from_address

TICK_SECONDS = 0.08  # training time per tick: with drawing, about 8 frames a second
MESSAGES = ('tick', 'step', 'reset', 'select', 'explain', 'address')


class Controller:
    """A session and the view's state around it."""

    def __init__(self, session: Session, tick_seconds: float = TICK_SECONDS) -> None:
        if not isinstance(session, Session):
            raise TypeError(f'Controller(session) takes a playground Session, got {checks.shown(session)}')
        self.session = session
        self.tick_seconds = checks.real('tick_seconds', tick_seconds, at_least=0, at_most=10)
        self.running = False
        self.info: dict[str, Any] = {}
        self.error = ''

    def traits(self) -> dict[str, Any]:
        """The view's state now (a new frame is computed)."""
        return {'settings': self.session.settings, 'running': self.running, 'frame': self.session.frame(),
                'info': dict(self.info), 'error': self.error}

    def set(self, changes: Mapping[str, Any]) -> None:
        """The view changed ``running`` or ``settings``. A setting that is refused leaves the session as it
        was and says why in ``error``."""
        if not isinstance(changes, Mapping):
            raise TypeError(f'the view changes a dict of traits, like {{"running": True}}, got {checks.shown(changes)}')
        self.error = ''
        if 'running' in changes:
            self.running = checks.flag('running', changes['running'])
        if 'settings' in changes:
            wanted = changes['settings']
            if not isinstance(wanted, Mapping):
                raise TypeError(f'settings must be a dict of settings, got {checks.shown(wanted)}')
            current = self.session.settings
            try:
                if self.session.update(**{k: v for k, v in wanted.items() if current.get(k) != v}):
                    self.info = {}
            except (TypeError, ValueError) as error:
                self.error = str(error)

    def message(self, content: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Do what a message asks; returns the replies to send back (``ticked`` after a tick)."""
        if not isinstance(content, Mapping) or content.get('type') not in MESSAGES:
            raise ValueError(f'a playground message is a dict with a type among {", ".join(MESSAGES)}, got '
                             f'{checks.shown(content)}')
        kind = content['type']
        try:
            if kind == 'tick':
                self._tick()
                return [{'type': 'ticked', 'step': self.session.step_count}]
            self.error = ''
            if kind == 'step':
                self.session.step(1)
            elif kind == 'reset':
                self.session.reset()
                self.info = {}
            elif kind == 'address':  # a preset opened: it starts from step 0, as a shared link should
                self.session.update(**from_address(checks.text('address', content.get('address')), DEFAULTS))
                self.session.reset()
                self.info = {}
            else:
                self._select(checks.text('target', content.get('target')), explain=kind == 'explain')
        except (TypeError, ValueError) as error:
            self.error = str(error)
        return []

    def _tick(self) -> None:
        if self.running and self.tick_seconds:
            self.train_for(self.tick_seconds)

    def train_for(self, seconds: float) -> None:
        """Train for ``seconds`` (at least one step), then refresh the numbers of the parameter shown."""
        seconds = checks.real('train_for(seconds)', seconds, at_least=0, at_most=60)
        start = time.perf_counter()
        self.session.step(1)
        while time.perf_counter() - start < seconds:
            self.session.step(1)
        if self.info:
            self._select(self.info['target'], explain=False)

    def _select(self, target: str, explain: bool) -> None:
        self.info = self.session.info(target)
        if explain:
            self.info['text'] = self.session.explain(target)
            self.info['grad'] = self.session.info(target)['grad']  # the grad explain() computed on this batch
