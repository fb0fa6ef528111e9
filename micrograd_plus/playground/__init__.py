"""The playground: watch a network learn, live, in a notebook (``Playground``, an anywidget) or in a browser
page served from this machine (``micrograd-plus playground``). Both draw with one front-end, the
``playground.js`` / ``playground.css`` / ``playground.html`` files beside this one, and train with this
library's engine (``session.Session``).

``Playground`` is loaded on first use, so the command line's server needs no notebook machinery.
"""
import importlib
from typing import TYPE_CHECKING, Any

from .session import Session
from .settings import DEFAULTS, from_address, to_address

if TYPE_CHECKING:
    from .widget import Playground as Playground

__all__ = ['DEFAULTS', 'Playground', 'Session', 'from_address', 'to_address']


def __getattr__(name: str) -> Any:
    if name == 'Playground':
        return importlib.import_module(f'{__name__}.widget').Playground
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
