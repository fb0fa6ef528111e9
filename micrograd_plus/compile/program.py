"""compile_graph and the Program it returns: ``program(values)`` -> ``(output, [d output / d input, ...])``."""
from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Iterable, Mapping, Sized
from typing import Any

from .. import checks
from ..engine import Value, as_number
from .printer import Writer
from .schedule import Segment, Walk, describe

SHOW_LINES = 400      # `source` prints a program up to this long, and a summary of a longer one
SKIP_ZERO_GRADS = True  # skip a node whose grad is 0 where that changes no bit (see kernels.group_kernel_source)


class Program:
    """A graph compiled by ``compile_graph``: ``program(values)`` -> ``(output, [d output / d input, ...])``.

    ``values`` are new numbers for the inputs, in the order they were given to compile_graph. Nothing is
    built and no ``.grad`` is touched; a call keeps no state, so a program can be called from several
    threads at once. ``source`` (or ``print(program)``) is the program as straight-line Python.

    Only ``compile_graph`` makes programs (there is no public constructor: a program is built from the
    internals of compile_graph's walk over the graph).
    """

    _values: list[float]
    _output: int
    _inputs: list[int]
    _segments: list[Segment]
    _needs: bytearray
    _labels: dict[int, str]
    size: int  # nodes computed per call

    @classmethod
    def _from_walk(cls, walk: Walk, output: int, inputs: list[int]) -> Program:
        program = cls.__new__(cls)
        program._values = walk.values
        program._output = output
        program._inputs = inputs
        program._segments = walk.segments()
        program._needs = walk.needs
        program._labels = walk.labels
        program.size = sum(map(len, program._segments))
        return program

    def __call__(self, values: Iterable[Any]) -> tuple[float, list[float]]:
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise TypeError(f'a program takes a list of numbers, one per input given to compile_graph, got '
                            f'{checks.shown(values)}: e.g. program([p.data for p in params])')
        v = self._values.copy()
        slots = self._inputs
        given = 0
        numbers = iter(values)
        for slot, value in zip(slots, numbers):
            v[slot] = value if value.__class__ is float else _number_of(value)
            given += 1
        if given != len(slots) or next(numbers, _END) is not _END:
            raise ValueError(self._wrong_count(values))
        for segment in self._segments:
            segment.forward(v, segment.rows(), segment.flat)
        finite = SKIP_ZERO_GRADS and math.isfinite(sum(v))  # no inf or nan anywhere (an overflow skips less)
        d = [0.0] * len(v)
        d[self._output] = 1.0
        for segment in reversed(self._segments):
            segment.backward(v, d, segment.rows_backward(), segment.flat, finite)
        return v[self._output], [d[slot] for slot in slots]

    def _wrong_count(self, values: Iterable[Any]) -> str:
        got = len(values) if isinstance(values, Sized) else 'another number'
        return (f'this program takes {len(self._inputs)} input values (one per input given to compile_graph, '
                f'in that order), got {got}')

    # ------------------------------------------------------------ reading it

    @property
    def source(self) -> str:
        """The program as straight-line Python: the forward pass, then the backward pass, one line per step,
        named after the graph's labels. A program of more than SHOW_LINES lines gives a summary instead,
        which says how to see it all (``code()``)."""
        writer = Writer(self)
        census = writer.census()
        return writer.summary(census) if census[2] > SHOW_LINES else self.code()

    def code(self, start: int = 0, stop: int | None = None) -> str:
        """Lines ``start`` to ``stop`` of the program as Python (all of it by default), however long. As a
        whole it runs: ``program(*values)`` returns ``(output, [gradients])`` as a call of the program does."""
        # islice counts up to sys.maxsize; any larger number means the same here: to the end
        start = min(checks.count('code(start)', start, at_least=0, at_most=None), sys.maxsize)
        if stop is not None:
            stop = min(checks.count('code(stop)', stop, at_least=0, at_most=None), sys.maxsize)
        return '\n'.join(itertools.islice(Writer(self).lines(), start, stop))

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f'<compiled program: {self.size} ops, {len(self._inputs)} inputs, '
                f'{len(self._segments)} loops; print() it to read it>')


_END = object()


def _number_of(value: Any) -> float:
    if isinstance(value, Value):
        raise TypeError(f'a program takes the numbers of its inputs, got {value!r}: pass its .data '
                        '(e.g. program([p.data for p in params]))')
    return as_number(value, 'a program takes real numbers')


def _checked_inputs(output: Any, inputs: Any) -> list[Value]:
    if not isinstance(output, Value):
        raise TypeError(f'compile_graph needs a Value as output, got {checks.shown(output)}')
    want = 'Values (leaves of the graph): a Value or a list of them'
    wanted = [inputs] if isinstance(inputs, Value) else checks.listed('compile_graph inputs', inputs, want)
    seen: dict[Value, int] = {}
    for i, x in enumerate(wanted):
        if not isinstance(x, Value):
            raise TypeError(f'compile_graph inputs must be {want}, got {checks.shown(x)} at position {i}')
        if x._prev:
            raise ValueError(f'input {i} is {describe(x)}, the result of an op, not a leaf: inputs are the '
                             'leaves you will vary (parameters, data). Pass the leaves it is computed from')
        if x in seen:
            raise ValueError(f'input {i} is the same Value as input {seen[x]} ({describe(x)}): give each '
                             'input once')
        seen[x] = i
    return wanted


def compile_graph(output: Value, inputs: Value | Iterable[Value]) -> Program:
    """The graph under ``output`` as a program of floats: ``program(values)`` -> ``(output, gradients)``.

    ``inputs`` are the leaves you will vary (``model.parameters()``, or data leaves); ``values`` gives them
    new numbers, and the gradients come back in the same order. Every other leaf is a constant of the
    program, with the number it has now. The ops are evaluated anew on each call, as backward() would
    (relu's branch, IEEE inf and nan, the guards of the derivative table), but the graph is fixed: choices
    your own Python made while building it (an ``if``, a loop's length) are frozen at this call.
    """
    wanted = _checked_inputs(output, inputs)
    walk = Walk({x: i for i, x in enumerate(wanted)})
    walk.walk(output)
    missing = [i for i, x in enumerate(wanted) if x not in walk.slots]
    if missing:
        i = missing[0]
        raise ValueError(f'input {i} ({describe(wanted[i])}) is not in the graph of the output, so the output '
                         f'does not depend on it{f" (nor on {len(missing) - 1} more)" if len(missing) > 1 else ""}:'
                         ' pass only leaves the output was computed from')
    return Program._from_walk(walk, walk.slots[output], [walk.slots[x] for x in wanted])
