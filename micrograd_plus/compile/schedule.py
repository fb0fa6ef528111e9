"""compile_graph's walk: every node gets a slot in one list of numbers, and its kind's group in a stage.

Nodes are grouped by kind (their row, which inputs need a gradient, an n-ary node's number of groups)
into stages that keep the graph's order; groups too small for a loop of their own share one that
dispatches on the row (``mixed``).
"""
from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from ..engine import Value, is_hand_built, topological_order
from .kernels import CODES, Kernel, Kind, kernels

UNROLLED_PAIRS = 32   # a dot of at most this many pairs gets a loop body of its own, written out pair by pair
GROUP_MIN = 8         # a group with fewer nodes runs in the shared loop that dispatches on the op
ARRAY_FROM = 1 << 15  # columns of slots at least this long are stored as C ints (4 bytes, not 8 + an int object)


Table = list[tuple[int, ...]] | tuple[Sequence[int], ...]


class Segment:
    """One loop of the program: a group of nodes of one kind, or ('mixed') of several kinds, with its rows
    (a node's slot and its inputs'): a list of tuples, or while long, columns of slots (less memory)."""
    __slots__ = ('backward', 'flat', 'forward', 'kind', 'table')

    def __init__(self, kind: Kind | str, table: Table, flat: Sequence[int], forward: Kernel, backward: Kernel):
        self.kind, self.table, self.flat = kind, table, flat  # flat: the inputs of the dots in a mixed loop
        self.forward, self.backward = forward, backward

    def rows(self) -> Iterable[tuple[int, ...]]:
        return self.table if isinstance(self.table, list) else zip(*self.table)

    def rows_backward(self) -> Iterable[tuple[int, ...]]:
        return reversed(self.table) if isinstance(self.table, list) else zip(*map(reversed, self.table))

    def __len__(self) -> int:
        return len(self.table) if isinstance(self.table, list) else len(self.table[0])


def _compact(slots: Sequence[int]) -> Sequence[int]:
    """A long column of slots in the least memory: a range if they step evenly, else C ints."""
    n = len(slots)
    if n < 2:
        return slots
    step = slots[1] - slots[0]
    if step == 0 and slots.count(slots[0]) == n:
        return _Repeated(slots[0], n)
    progression = range(slots[0], slots[-1] + (1 if step > 0 else -1), step or 1)
    if step and len(progression) == n and all(map(int.__eq__, slots, progression)):
        return progression
    return slots if isinstance(slots, array) else array('i', slots)


class _Repeated(Sequence[int]):
    """A column that holds one slot n times (the constant c of every y * c in a chain), in no memory."""
    __slots__ = ('n', 'slot')

    def __init__(self, slot: int, n: int) -> None:
        self.slot, self.n = slot, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.slot] * len(range(*i.indices(self.n)))
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.slot

    def __iter__(self) -> Iterator[int]:
        return itertools.repeat(self.slot, self.n)

    __reversed__ = __iter__


class Walk:
    """compile_graph's single pass over the graph, inputs before results (the order topological_order gives).

    Every node gets a slot in one list of numbers. A leaf, and a node computed from leaves that are not
    inputs, is a constant: its number goes into the program. Any other node is computed: it joins the
    group of its kind at the earliest stage after its inputs' groups (same kind: same stage, so a chain of
    ``+`` stays in one group and runs in one loop, in order). A dot's inputs are read with itemgetter:
    C code per input, Python per node.
    """

    def __init__(self, inputs: dict[Value, int]) -> None:
        self.inputs = inputs
        self.slots: dict[Value, int] = {}
        self.values: list[float] = []   # a constant's number, an input's current one; 0.0 where computed
        self.needs = bytearray()         # 1 where the output's gradient flows: the node depends on an input
        self.kind_of: list[int] = []     # index into self.kinds; 0 (None) for constants and inputs
        self.later: list[int] = []       # 1 + the node's stage (0 for constants and inputs)
        self.kinds: list[Kind | None] = [None]
        self.kind_ids: dict[tuple[type, bytes], int] = {}
        # (stage, kind) -> its nodes' rows (slot, input slots...) end to end in C ints, or for large dots a list
        # of tuples. No object per node, so the garbage collector does not see the rows (it would make
        # full passes over the whole graph as they piled up).
        self.groups: dict[tuple[int, int], Any] = {}
        self.labels: dict[int, str] = {}
        self.numbers: dict[str, int] = {}  # slots of the constants of nodes (c of x ** c), by float.hex()

    def walk(self, output: Value) -> None:
        """Add every node under ``output``, inputs first, in the order backward() runs them (reversed)."""
        add = self.add
        for node in topological_order(output):
            add(node)

    def number(self, c: float) -> int:
        """The slot of a constant number that no node holds (a constant of a row, like c of x ** c)."""
        key = c.hex()
        slot = self.numbers.get(key)
        if slot is None:
            slot = self.numbers[key] = self._constant(c)
        return slot

    def _constant(self, value: float, need: bool = False) -> int:
        self.values.append(value)
        self.needs.append(need)
        self.kind_of.append(0)
        self.later.append(0)
        return len(self.values) - 1

    def add(self, node: Value) -> None:
        prev = node._prev  # none: a leaf, or a node made by hand with no inputs (it passes nothing on either)
        slot = self._add_computed(node, prev) if prev else self._constant(node.data, node in self.inputs)
        if node.label:
            self.labels[slot] = node.label
        self.slots[node] = slot

    def _add_computed(self, node: Value, prev: tuple[Value, ...]) -> int:
        slots, needs, later, kind_of = self.slots, self.needs, self.later, self.kind_of
        after: tuple[int, ...]
        kinds: tuple[int, ...]
        if len(prev) == 2:  # most nodes: read each list directly
            a, b = slots[prev[0]], slots[prev[1]]
            inputs = [a, b]
            need, after, kinds = bytes((needs[a], needs[b])), (later[a], later[b]), (kind_of[a], kind_of[b])
        elif len(prev) == 1:
            a = slots[prev[0]]
            inputs = [a]
            need, after, kinds = bytes((needs[a],)), (later[a],), (kind_of[a],)
        else:  # a dot: itemgetter reads all its inputs in one C call per list
            inputs = list(itemgetter(*prev)(slots))
            read = itemgetter(*inputs)
            need, after, kinds = bytes(read(needs)), read(later), read(kind_of)
        if 1 not in need:  # computed from constants alone: a constant too
            return self._constant(node.data)
        kind_id = self.kind_ids.get((type(node), need))
        if kind_id is None:
            kind_id = self._kind(node, need)
        stage = max(after)  # after every input's group, but in the same group as inputs of its own kind
        if kind_id in kinds:
            stage = max([stage_after - (kind == kind_id) for stage_after, kind in zip(after, kinds)])
        kind = self.kinds[kind_id]
        assert kind is not None
        if kind.width > len(inputs):  # the row's constants (c of x ** c): numbers kept by the node
            inputs += [self.number(c) for c in node.constants()]
        slot = len(self.values)
        self.values.append(0.0)
        needs.append(1)
        kind_of.append(kind_id)
        later.append(stage + 1)
        rows: Any = self.groups.get((stage, kind_id))
        if rows is None:
            rows = self.groups[stage, kind_id] = [] if kind.width < 0 else array('i')
        if kind.width < 0:
            rows.append((slot, *inputs))
        else:
            rows.append(slot)
            rows.extend(inputs)
        return slot

    def _kind(self, node: Value, need: bytes) -> int:
        """The kind of a node with these inputs needing a gradient, numbered the first time it is met."""
        if is_hand_built(node):
            raise TypeError(
                f"compile_graph cannot compile {describe(node)}: it was built by hand as Value(data, _children, "
                f"{node._op!r}) and its chain rule is a Python closure. Write the op with the library's ops (or add "
                "a row to the derivative table, ops.py), or use backward() for this graph")
        op = type(node).rule
        if op is None:  # a check only: the engine has no such node
            raise TypeError(f'compile_graph cannot compile {describe(node)}: its class {type(node).__name__} '
                            'has no row in the derivative table (ops.py), so there is no rule to compile')
        if op.repeat:  # n-ary (dot): a loop body per number of groups, written out group by group
            if (len(need) - 1) % op.repeat:  # a check only: dot() makes no such node
                raise TypeError(f'compile_graph cannot compile {describe(node)}: {len(need)} inputs do not make '
                                f'groups of {op.repeat} after the first')
            kind = Kind(op, len(need), need) if len(need) <= op.repeat * UNROLLED_PAIRS + 1 else Kind(op, -1, b'')
        else:  # a row's constants (c of x ** c) are constants of the program, in slots after the inputs
            kind = Kind(op, len(need) + len(op.constants), need + bytes(len(op.constants)))
        if kind in self.kinds:
            kind_id = self.kinds.index(kind)
        else:
            kind_id = len(self.kinds)
            self.kinds.append(kind)
        self.kind_ids[type(node), need] = kind_id
        return kind_id

    def segments(self) -> list[Segment]:
        """The groups in stage order as loops; groups too small to be worth a loop of their own share one."""
        segments: list[Segment] = []
        mixed = Mixed()
        for (_, kind_id), flat in sorted(self.groups.items(), key=lambda item: item[0][0]):
            kind = self.kinds[kind_id]
            assert kind is not None
            size = len(flat) if kind.width < 0 else len(flat) // (kind.width + 1)
            # an op added with register_op has no code in the shared loop: it gets a loop of its own, however small
            if kind.width < 0 or (size < GROUP_MIN and kind.op in CODES):
                mixed.add(kind, flat if kind.width < 0 else _rows(flat, kind.width + 1))
                continue
            if mixed.codes:
                segments.append(mixed.segment())
                mixed = Mixed()
            table: Table
            if size >= ARRAY_FROM:  # columns: a range, one repeated slot, or C ints (4 bytes a slot)
                table = tuple(_compact(flat[i::kind.width + 1]) for i in range(kind.width + 1))
            else:
                table = _rows(flat, kind.width + 1)
            forward, backward, _ = kernels(kind)
            segments.append(Segment(kind, table, (), forward, backward))
        if mixed.codes:
            segments.append(mixed.segment())
        return segments


def _rows(flat: Sequence[int], width: int) -> list[tuple[int, ...]]:
    """Rows laid end to end, as tuples."""
    return list(zip(*[iter(flat)] * width))


class Mixed:
    """Nodes of several kinds in one loop: per node its row's code, its slot, and two numbers (its slots, or
    for an n-ary row where its inputs start and end in ``flat``)."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.outs: list[int] = []
        self.firsts: list[int] = []
        self.seconds: list[int] = []
        self.flat: list[int] = []

    def add(self, kind: Kind, rows: list[tuple[int, ...]]) -> None:
        if not kind.op.repeat:
            self.codes += [CODES[kind.op]] * len(rows)
            for row in rows:
                self.outs.append(row[0])
                self.firsts.append(row[1])
                self.seconds.append(row[2] if len(row) > 2 else 0)
            return
        flat = self.flat
        code = CODES[kind.op]
        for row in rows:
            self.codes.append(code)
            self.outs.append(row[0])
            self.firsts.append(len(flat))
            flat += row[1:]
            self.seconds.append(len(flat))

    def segment(self) -> Segment:
        forward, backward, _ = kernels('mixed')
        columns = (self.codes, self.outs, self.firsts, self.seconds)
        if len(self.codes) < ARRAY_FROM:
            return Segment('mixed', list(zip(*columns)), self.flat, forward, backward)
        return Segment('mixed', tuple(map(_compact, columns)), _compact(self.flat), forward, backward)


def describe(node: Value) -> str:
    label = f" '{node.label}'" if node.label else ''
    op = f" (op {node._op!r})" if node._op else ''
    return f'the node{label} with data {node.data!r}{op}'


