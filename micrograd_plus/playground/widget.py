"""Playground: the live training view as a notebook widget (anywidget: Jupyter, JupyterLab, VS Code, Colab,
marimo), training in the kernel. Its front-end is ``playground.js`` and ``playground.css`` beside this file,
the same the served page uses.
"""
from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import traitlets

from ..nn import MLP
from .controller import Controller
from .session import Session

FILES = pathlib.Path(__file__).parent


class Playground(anywidget.AnyWidget):
    """Watch a network learn: ``Playground(dataset='xor', layers=[4, 4], activation='tanh', learning_rate=0.1)``.

    Settings (keyword arguments, and controls in the view): ``dataset`` ('moons', 'circles', 'xor', 'spiral',
    'blobs'; or your own points as ``X=[[x1, x2], ...], y=[0, 1, ...]``), ``noise``, ``n_samples``,
    ``train_fraction``, ``batch_size``, ``learning_rate``, ``optimizer`` ('sgd', 'momentum', 'adam'),
    ``activation`` ('tanh', 'relu', 'sigmoid', 'linear'), ``layers`` (hidden layer sizes), ``regularization``
    ('none', 'L1', 'L2'), ``regularization_rate``, ``features`` (of 'x1', 'x2', 'x1^2', 'x2^2', 'x1*x2',
    'sin(x1)', 'sin(x2)') and ``seed``.

    From Python: ``step(n)``, ``state()``, ``history``, ``model`` (the live ``nn.MLP``), ``set(**settings)``,
    ``reset()``, ``play()`` / ``pause()`` and ``explain(name)`` for a parameter's chain rule.
    """

    _esm = FILES / 'playground.js'
    _css = FILES / 'playground.css'
    settings = traitlets.Dict().tag(sync=True)
    running = traitlets.Bool(False).tag(sync=True)
    frame = traitlets.Dict().tag(sync=True)
    info = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode('').tag(sync=True)

    def __init__(self, X: Any = None, y: Any = None, **settings: Any) -> None:
        self._controller = Controller(Session(X, y, **settings))
        self._publishing = True
        super().__init__(**self._controller.traits())
        self._publishing = False
        self.observe(self._changed_in_view, names=['settings', 'running'])
        self.on_msg(self._message)

    # ---------------------------------------------------------------- the Python API

    @property
    def model(self) -> MLP:
        """The live network: its parameters are the ones being trained."""
        return self._controller.session.model

    @property
    def history(self) -> dict[str, list[Any]]:
        """``{'step': [...], 'train_loss': [...], 'test_loss': [...]}``: every step so far."""
        return self._controller.session.history

    def state(self) -> dict[str, Any]:
        """The step, the losses and accuracies, and every setting."""
        return {**self._controller.session.state(), 'running': self._controller.running}

    def step(self, n: int = 1) -> dict[str, Any]:
        """Train ``n`` steps, redraw, and return ``state()``."""
        self._controller.session.step(n)
        self._publish()
        return self.state()

    def set(self, **settings: Any) -> dict[str, Any]:
        """Change settings (checked; data or architecture: back to step 0) and return ``state()``."""
        self._controller.session.update(**settings)
        self._publish()
        return self.state()

    def reset(self) -> None:
        """A new network from the seed, at step 0."""
        self._controller.message({'type': 'reset'})
        self._publish()

    def play(self) -> None:
        """Train continuously while the view is shown (it asks for each next batch of steps)."""
        self._controller.set({'running': True})
        self._publish()

    def pause(self) -> None:
        self._controller.set({'running': False})
        self._publish()

    def explain(self, name: str) -> str:
        """explain() of a parameter's gradient on the last batch, e.g. ``explain('layers.0.neurons.1.w.0')``;
        the view's info panel shows it too."""
        text = self._controller.session.explain(name)
        self._controller.message({'type': 'select', 'target': name})
        self._controller.info['text'] = text
        self._publish()
        return text

    def __repr__(self) -> str:
        settings = self._controller.session.settings
        shape = '-'.join(map(str, [len(settings['features']), *settings['layers'], 1]))
        return (f"Playground({settings['dataset']}, {shape} {settings['activation']} network, "
                f'step {self._controller.session.step_count})')

    # ---------------------------------------------------------------- the view

    def _publish(self) -> None:
        self._publishing = True
        try:
            with self.hold_sync():
                for name, value in self._controller.traits().items():
                    setattr(self, name, value)
        finally:
            self._publishing = False

    def _changed_in_view(self, change: dict[str, Any]) -> None:
        if self._publishing:
            return
        self._controller.set({change['name']: change['new']})
        self._publish()

    def _message(self, widget: Any, content: Any, buffers: Any) -> None:
        replies = self._controller.message(content)
        self._publish()
        for reply in replies:
            self.send(reply)
