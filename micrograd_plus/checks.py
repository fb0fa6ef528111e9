"""Checking arguments where they enter a public function: one helper per kind of argument.

Each returns the argument (converted where that is its job: a count to an int, a real to a float) or raises
a TypeError (wrong kind of thing) or ValueError (right kind, wrong value) that names the argument, says what
was given and what is accepted. They run once per call at the door, never per node, so they cost nothing
next to the work behind it.

This module knows nothing of graphs (it sits below ``engine``): a check about Values takes the class.
"""
from __future__ import annotations

import math
import numbers
import operator
import os
import pathlib
import types
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

# A scalar engine holds about 10^7 nodes in a few GB (a node is ~100 bytes): sizes that would build more
# than that (a neuron of 10^9 inputs, a dataset of 10^9 points) are refused at once rather than hanging.
MAX_SIZE = 10_000_000


def shown(x: Any) -> str:
    """What was given, for an error message: its type and a short repr (``float nan``, ``str 'a'``)."""
    if x is None:
        return 'None'
    kind = type(x).__name__
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 10 ** 30:
        # from its bits: str() of an int past 4,300 digits raises, and the message would be that error
        return f'an int of about {int(abs(x).bit_length() * math.log10(2)) + 1:,} digits'
    if isinstance(x, types.GeneratorType):
        return 'a generator'
    if isinstance(x, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return f'the function {x.__qualname__}'
    text = repr(x)
    if text.startswith('<'):  # object's own repr: an address says nothing
        return f'an object of type {kind}'
    if len(text) > 60:
        text = text[:57] + '...'
    # a repr that names the class already (Value(data=...), also for the engine's node classes like _Tanh)
    named = any(text.startswith(klass.__name__ + '(') for klass in type(x).__mro__)
    return text if named else f'{kind} {text}'


def _is_bool(x: Any) -> bool:
    return x is True or x is False or (type(x).__name__ in ('bool_', 'bool') and type(x).__module__ == 'numpy')


def flag(what: str, x: Any) -> bool:
    """True or False (a numpy bool too); anything else, even a truthy string, is refused."""
    if _is_bool(x):
        return bool(x)
    raise TypeError(f'{what} is True or False, got {shown(x)}')


def count(what: str, n: Any, at_least: int = 1, at_most: int | None = MAX_SIZE) -> int:
    """A whole number in [at_least, at_most], as an int (numpy ints too; not a bool, not 2.0). The default
    ``at_most`` is for sizes of what will be built; None: no limit (a batch size, a patience)."""
    if _is_bool(n) or not isinstance(n, numbers.Integral):
        raise TypeError(f'{what} must be an int, got {shown(n)}')
    whole = int(n)
    if whole < at_least:
        raise ValueError(f'{what} must be an int >= {at_least}, got {whole}')
    if at_most is not None and whole > at_most:
        raise ValueError(f'{what} must be at most {at_most:,}, got {shown(whole)}: a scalar engine cannot hold that '
                         f'many (about {MAX_SIZE:,} nodes take gigabytes); use PyTorch for sizes like that')
    return whole


def real(what: str, x: Any, *, at_least: float | None = None, above: float | None = None,
         at_most: float | None = None, below: float | None = None, finite: bool = True,
         need: str | None = None, nan: bool = False) -> float:
    """A real number (int, float, numpy scalar; not a bool, a Value or text) within the bounds, as a float.
    nan only with ``nan=True`` (a number to show, not to compute with); +-inf only with ``finite=False`` (and
    within the bounds). ``need`` says in words what the bounds ask for ('a positive step, like 1e-6'), for
    the message."""
    if _is_bool(x) or not isinstance(x, numbers.Real):
        hint = ''
        if hasattr(x, 'data') and hasattr(x, '_prev'):
            hint = ': pass its number (v.data)'
        elif isinstance(x, (str, bytes)):
            hint = ': convert text with float() first'
        raise TypeError(f'{what} must be a number, got {shown(x)}{hint}')
    try:
        number = float(x)
    except OverflowError:  # a huge int: IEEE rounds it to an infinity
        number = math.inf if x > 0 else -math.inf  # type: ignore[operator]  # a real number has a sign
    if number != number and nan:
        return number
    if number != number or (finite and not math.isfinite(number)):
        raise ValueError(f'{what} must be {need or "a finite number"}, got {shown(x)}')
    bounds = [(at_least, operator.ge, '>='), (above, operator.gt, '>'), (at_most, operator.le, '<='),
              (below, operator.lt, '<')]
    for bound, holds, sign in bounds:
        if bound is not None and not holds(number, bound):
            raise ValueError(f'{what} must be {need or f"{sign} {bound:g}"}, got {shown(x)}')
    return number


def text(what: str, x: Any, *, empty: bool = True) -> str:
    """A str (empty only if ``empty``)."""
    if not isinstance(x, str):
        raise TypeError(f'{what} must be text (a str), got {shown(x)}')
    if not empty and not x:
        raise ValueError(f'{what} must not be empty')
    return x


def choice(what: str, x: Any, options: Iterable[str]) -> str:
    """One of the names in ``options``."""
    options = tuple(options)
    if not isinstance(x, str) or x not in options:
        raise ValueError(f'{what} must be one of {", ".join(map(repr, options))}, got {shown(x)}')
    return x


def function(what: str, f: Any) -> Any:
    """Something callable."""
    if not callable(f):
        raise TypeError(f'{what} must be a function, got {shown(f)}')
    return f


def sequence(what: str, x: Any, want: str = 'a list') -> Sequence[Any]:
    """A list, tuple or other sequence with a length and indexing (a numpy array too); not text, not a dict,
    not a generator (which can be read once: pass list(...)). ``want`` names it in the message."""
    if isinstance(x, (str, bytes, Mapping, Set)) or not (hasattr(x, '__len__') and hasattr(x, '__getitem__')):
        hint = ': pass list(...) of it' if isinstance(x, Iterable) and not isinstance(x, (str, bytes, Mapping)) else ''
        raise TypeError(f'{what} must be {want}, got {shown(x)}{hint}')
    return x  # type: ignore[no-any-return]


def listed(what: str, x: Any, want: str = 'a list') -> list[Any]:
    """Any iterable but text and dicts (a list, a tuple, a generator...), as a list."""
    if isinstance(x, (str, bytes, Mapping)) or not isinstance(x, Iterable):
        raise TypeError(f'{what} must be {want}, got {shown(x)}')
    return list(x)


def instances(what: str, xs: Iterable[Any], kind: type, want: str) -> list[Any]:
    """``xs`` (any iterable but text and dicts) as a list whose items are all of class ``kind``."""
    items = listed(what, xs, want)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise TypeError(f'{what} must be {want}, got {shown(item)} at position {i}')
    return items


def text_mapping(what: str, x: Any, want: str = 'a dict of text to text') -> dict[str, str]:
    """A dict (any mapping) whose keys and values are all str, as a dict: Graphviz attributes, like
    ``{'dpi': '150'}``."""
    if not isinstance(x, Mapping):
        raise TypeError(f'{what} must be {want}, got {shown(x)}')
    for key, item in x.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(f'{what} must be {want}, got {shown(key)}: {shown(item)} in it')
    return dict(x)


def path(what: str, p: Any) -> pathlib.Path:
    """A file name: a non-empty str or a path object."""
    if not isinstance(p, (str, os.PathLike)):
        raise TypeError(f'{what} must be a file name (a str or a pathlib.Path), got {shown(p)}')
    if not os.fspath(p):
        raise ValueError(f'{what} must be a file name, got an empty one')
    return pathlib.Path(p)


def as_number(x: Any, accepted: str = 'Value() takes a real number') -> float:
    """x as a float, or a TypeError that starts with what is ``accepted`` and says what to do. A Value (any node
    of the micrograd protocol: it has ``_prev``) is refused: its number is ``v.data``."""
    if x.__class__ is float:
        return x
    if hasattr(x, '_prev') and hasattr(x, 'data'):
        raise TypeError(f'Value() got a Value ({x!r}); pass its number (v.data) or use v.detach()')
    if (x.__class__ is int or isinstance(x, numbers.Real)
            or (hasattr(x, '__float__') and not isinstance(x, (str, bytes, numbers.Complex)))):
        try:
            return float(x)
        except OverflowError:  # a huge int or Fraction: IEEE rounds it to an infinity, Python raises
            return math.inf if x > 0 else -math.inf  # type: ignore[operator]  # a real number has a sign
        except (TypeError, ValueError):
            pass
    if isinstance(x, numbers.Complex):
        hint = 'micrograd_plus works on real numbers only; use .real or abs()'
    elif isinstance(x, (str, bytes)):
        hint = 'convert text with float() first'
    else:
        hint = 'pass an int, a float, or a numpy/torch scalar'
    raise TypeError(f'{accepted}, got {type(x).__name__} {x!r}: {hint}')
