"""compile_graph: a graph as code, to read what backpropagation computes and to replay it fast.

``program = compile_graph(output, inputs)`` walks the graph under ``output`` once. Then
``program(values)`` computes ``output`` and ``d output / d input`` for each input at new input
values, as floats, without building a graph::

    loss, grads = program([p.data for p in params])

Every op runs the engine's own float code, generated from the derivative table (``ops.py``) by
``codegen``: the forward expression of its row, and the chain rule of its node class's ``_backward``,
guards included (relu's branch is taken on the new numbers; where a rule selects a zero, nothing is
passed on, so a nan from upstream stays out). The numbers are therefore backward()'s: bit for bit
where a gradient adds up its terms in the same order as backward() does, and to rounding where the
program adds them in another order (a weight used by 100 samples gets its 100 terms in a different
sequence).

What is compiled is the graph, not your Python: an ``if`` or a loop in the code that built the graph
ran once, when it was built, and its outcome is frozen into the program. (Ops like relu are not
frozen: they are evaluated anew.) Leaves that are not among ``inputs`` are constants of the program,
and so is every node computed from constants alone.

``program.source`` (and ``print(program)``) is the program as straight-line Python, named after the
graph's labels: the forward pass, then the backward pass, the way the lecture writes backprop by hand.

How it runs fast. The program is a short list of loops. Nodes are grouped by kind (the op, which of
its inputs need a gradient, and for a dot its number of pairs) into stages that keep the graph's
order; a chain of like ops stays in one group. For micrograd's demo step that is ~15 groups, e.g.
1,600 dot nodes of 16 pairs each. Each kind gets a loop whose body is its op's code with the numbers
read from one list by slot (``v[o] = v[s0] * v[s1]``, ``d[s0] = d[s0] + g * v[s1]``); kinds with few
nodes run together in one loop that dispatches on the op. A node whose gradient is 0 is skipped where
that changes no bit (see _group_kernel_source). No recursion anywhere: a chain of a million ops
compiles and runs, in ~10 bytes a node.
"""
from __future__ import annotations

import ast
import collections
import functools
import itertools
import keyword
import linecache
import math
import re
import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from operator import itemgetter
from typing import Any, NamedTuple

from . import checks, codegen, ops
from .engine import Value, as_number, is_dot, is_hand_built, topological_order

__all__ = ['Program', 'compile_graph']

Kernel = Callable[..., None]

UNROLLED_PAIRS = 32   # a dot of at most this many pairs gets a loop body of its own, written out pair by pair
GROUP_MIN = 8         # a group with fewer nodes runs in the shared loop that dispatches on the op
SHOW_LINES = 400      # `source` prints a program up to this long, and a summary of a longer one
ARRAY_FROM = 1 << 15  # columns of slots at least this long are stored as C ints (4 bytes, not 8 + an int object)
SKIP_ZERO_GRADS = True  # skip a node whose grad is 0 where that changes no bit (see _group_kernel_source)


# ---------------------------------------------------------------- kinds of node

class _Kind(NamedTuple):
    """What a loop body needs to know of a node: its op (None for a dot), its number of inputs, and which
    of them need a gradient (the others are constants of the program: nothing is added to theirs)."""
    op: ops.Op | None
    width: int
    needs: bytes  # per input: 1 if it gets a gradient

    def describe(self) -> str:
        if self.op is None:
            return f'dot of {(self.width - 1) // 2} pairs'
        return self.op.name


DOT_PARTS_NOTE = 'bias + w1*x1 + w2*x2 + ...: the + rule for the bias, the * rule for each pair, as the engine'


def _parts(op: ops.Op | None, width: int) -> list[tuple[ops.Op, tuple[int, ...]]]:
    """The rows of the table a node's chain rule is made of, each with the input positions its x and y
    stand for: one row for a table op; for a dot, + for the bias (position 0) and * for each pair."""
    if op is not None:
        return [(op, tuple(range(width)))]
    return [(ops.ADD, (0,))] + [(ops.MUL, (i, i + 1)) for i in range(1, width, 2)]


# ---------------------------------------------------------------- rules as statements (from codegen)

class _Substitute(ast.NodeTransformer):
    """Put expressions in for names (``x`` -> ``v[s0]``) and for grads (``a.grad`` -> ``d[s0]``)."""

    def __init__(self, names: dict[str, ast.expr], grads: dict[str, ast.expr]) -> None:
        self.names, self.grads = names, grads

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.names.get(node.id, node)  # shared where a name occurs twice: the trees are only unparsed

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if node.attr == 'grad' and isinstance(node.value, ast.Name) and node.value.id in self.grads:
            return self.grads[node.value.id]
        return self.generic_visit(node)  # type: ignore[return-value]


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode='eval').body


def _forward_expr(op: ops.Op | None, operands: Sequence[ast.expr]) -> ast.expr:
    """A node's number as float code on its operands: the row's forward expression; for a dot,
    ``bias + w1*x1 + ...`` added left to right from the + and * rows, exactly as ``dot()`` adds."""
    if op is not None:
        names = dict(zip('xy', operands))
        return _Substitute(names, {}).visit(_expr(codegen.float_code(op.forward)))  # type: ignore[no-any-return]
    total = operands[0]
    for i in range(1, len(operands), 2):
        product = _product_expr(operands[i], operands[i + 1])
        total = _Substitute({'x': total, 'y': product}, {}).visit(_expr(codegen.float_code(ops.ADD.forward)))
    return total


def _product_expr(w: ast.expr, x: ast.expr) -> ast.expr:
    """One term of a dot, by the * row."""
    return _Substitute({'x': w, 'y': x}, {}).visit(_expr(codegen.float_code(ops.MUL.forward)))  # type: ignore[no-any-return]


def _chain_rule(rule: str, target: ast.expr, names: dict[str, ast.expr] | None = None) -> list[ast.stmt]:
    """The engine's float chain rule for one input (``codegen.chain_rule``: ``a.grad += g * y``, a guard
    as an ``if``) as statements that add to ``target``, with ``names`` put in for x, y, out and g."""
    placeholder = '_input_'
    tree = ast.parse('\n'.join(codegen.chain_rule(placeholder, rule)))
    tree = _Substitute(names or {}, {placeholder: target}).visit(tree)
    return list(tree.body)


def _forward_text(op: ops.Op | None, operands: Sequence[ast.expr]) -> str:
    """_forward_expr as text. A dot's sum is joined as text, not nested: ast.unparse recurses once per
    term, and a dot over every parameter (an L2 penalty) has hundreds."""
    if op is not None:
        return ast.unparse(_forward_expr(op, operands))
    terms = [operands[0]] + [_product_expr(w, x) for w, x in zip(operands[1::2], operands[2::2])]
    return ' + '.join(ast.unparse(term) for term in terms)


# ---------------------------------------------------------------- loop bodies, generated once per kind

KERNEL_GLOBALS: dict[str, Any] = {name: getattr(ops, name) for name in dir(ops) if name.startswith('f_')}
KERNEL_GLOBALS.update(inf=math.inf, nan=math.nan)
_written_kernels: dict[_Kind | str, tuple[Kernel, Kernel, str]] = {}


def _lines(statements: list[ast.stmt], indent: str) -> list[str]:
    return [indent + line for statement in statements for line in ast.unparse(statement).splitlines()]


def _node_backward(op: ops.Op | None, width: int, needs: Sequence[int], slots: Sequence[str],
                   indent: str) -> tuple[list[str], bool]:
    """Loop-body lines of one node's chain rule (``g``, ``o`` and the slot names are set by the caller), and
    whether every rule adds ``g`` times a number of the program, so that a zero ``g`` adds zeros."""
    lines: list[str] = []
    plain = True
    for row, positions in _parts(op, width):
        template, adds_g_times = _part(row, tuple(needs[p] for p in positions))
        for line in template:
            for i, p in enumerate(positions):
                line = line.replace(f'_slot{i}_', slots[p])
            lines.append(indent + line)
        plain = plain and adds_g_times
    return lines, plain


@functools.cache
def _part(row: ops.Op, needs: tuple[int, ...]) -> tuple[tuple[str, ...], bool]:
    """The lines of one row's rules for the inputs that need a gradient, its inputs' slots written _slot0_,
    _slot1_ (written once per row and mask, then filled in per node: a 16-pair dot is 16 of them).

    The rules are codegen's (``a.grad += g * y``) with the grad an entry of ``d``, written ``d[s0] = d[s0] +
    g * v[s1]``: the same float operations, and in CPython a fifth faster than ``+=`` on a list entry. A
    number the rules read once is read in place; one read more often is read into a local first."""
    slots = [f'_slot{i}_' for i in range(len(needs))]
    wanted = [(rule, p) for p, rule in enumerate(row.grads[:len(needs)]) if needs[p]]
    statements = [s for rule, p in wanted for s in _rule_statements(rule, f'd[{slots[p]}]')]
    adds_g_times = all(map(_adds_g_times_a_number, statements))
    counts = collections.Counter(node.id for tree in statements for node in ast.walk(tree)
                                 if isinstance(node, ast.Name))
    numbers = dict(zip('xy', (f'v[{slot}]' for slot in slots)), out='v[o]')
    inline = {name: _expr(place) for name, place in numbers.items() if counts[name] == 1}
    reads = [f'{name} = {place}' for name, place in numbers.items() if counts[name] > 1]
    return tuple(reads + _lines([_Substitute(inline, {}).visit(s) for s in statements], '')), adds_g_times


def _rule_statements(rule: str, target: str) -> list[ast.stmt]:
    """codegen's chain rule for one input, adding to ``target`` as ``target = target + ...``."""
    return [_AsAssign().visit(s) for s in ast.parse(_rule_text(rule).replace(TARGET, target)).body]


TARGET = '_target_'


@functools.cache
def _rule_text(rule: str) -> str:
    """A rule's chain-rule lines adding to TARGET: parsed and written once per rule."""
    return '\n'.join(ast.unparse(statement) for statement in _chain_rule(rule, ast.Name(TARGET)))


class _AsAssign(ast.NodeTransformer):
    """``t += e`` as ``t = t + e`` (``-=`` likewise)."""

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.Assign:
        return ast.Assign([node.target], ast.BinOp(_copy(node.target), node.op, node.value), lineno=0)


def _copy(tree: ast.expr) -> ast.expr:
    return _expr(ast.unparse(tree))


def _adds_g_times_a_number(statement: ast.stmt) -> bool:
    """``t = t + g``, ``t = t - g`` or ``t = t + g * x`` (x, y, out: numbers of the program), also guarded."""
    if isinstance(statement, ast.If):
        return all(map(_adds_g_times_a_number, statement.body + statement.orelse))
    if not (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.BinOp)
            and isinstance(statement.value.op, (ast.Add, ast.Sub))):
        return False
    term = statement.value.right
    if isinstance(term, ast.BinOp) and isinstance(term.op, ast.Mult):
        return _is_name(term.left, 'g') and _is_name(term.right, 'x', 'y', 'out')
    return _is_name(term, 'g')


def _is_name(tree: ast.expr, *names: str) -> bool:
    return isinstance(tree, ast.Name) and tree.id in names


def _group_kernel_source(kind: _Kind) -> str:
    """A forward loop and a backward loop over the nodes of one kind, given as rows (its slot, its inputs').

    Where every rule adds g times a number of the program, a node whose grad is zero is skipped while
    ``finite`` holds (every number is finite): its terms would all be +-0, and adding +-0 to a sum that
    started at +0.0 changes no bit of it. ReLU's inactive units and everything they feed cost nothing then."""
    slots = [f's{i}' for i in range(kind.width)]
    row = ', '.join(['o'] + slots)
    value = ast.unparse(_forward_expr(kind.op, [_expr(f'v[{s}]') for s in slots]))
    body, plain = _node_backward(kind.op, kind.width, kind.needs, slots, '        ')
    skip = ['        if finite and not g:', '            continue'] if plain else []
    return '\n'.join([
        f'def forward(v, rows, flat):  # {kind.describe()}',
        f'    for {row} in rows:',
        f'        v[o] = {value}',
        '',
        '',
        f'def backward(v, d, rows, flat, finite):  # {kind.describe()}, gradients to inputs {list(kind.needs)}',
        f'    for {row} in rows:',
        '        g = d[o]',
        *skip,
        *body,
        ''])


MIXED_OPS = ops.TABLE  # a node's code in the shared loop is its row's index; DOT_CODE is a dot
DOT_CODE = len(MIXED_OPS)


def _mixed_kernel_source() -> str:
    """One loop over nodes of any kind: it dispatches on the op's code. Each node's row holds its code, its
    slot and two numbers: its input slots, or for a dot the span of its inputs in ``flat``. Every input
    gets a gradient here (a constant's is never read)."""
    forward = ['def forward(v, rows, flat):',
               '    for code, o, s0, s1 in rows:']
    backward = ['def backward(v, d, rows, flat, finite):',
                '    for code, o, s0, s1 in rows:',
                '        g = d[o]']
    for code, op in enumerate(MIXED_OPS):
        slots = ['s0', 's1'][:op.arity]
        test = f"{'if' if code == 0 else 'elif'} code == {code}:  # {op.name}"
        forward += ['        ' + test,
                    f'            v[o] = {ast.unparse(_forward_expr(op, [_expr(f"v[{s}]") for s in slots]))}']
        backward += ['        ' + test, *_node_backward(op, op.arity, [True] * op.arity, slots, '            ')[0]]
    step = ast.unparse(_forward_expr(None, [_expr('total'), _expr('v[flat[i]]'), _expr('v[flat[i + 1]]')]))
    forward += ['        else:  # dot: ' + DOT_PARTS_NOTE,
                '            total = v[flat[s0]]',
                '            for i in range(s0 + 1, s1, 2):',
                f'                total = {step}',
                '            v[o] = total']
    pair = _node_backward(ops.MUL, 2, [True, True], ['a', 'b'], '                ')[0]
    backward += ['        else:  # dot: ' + DOT_PARTS_NOTE,
                 *_lines(_rule_statements(ops.ADD.grads[0], 'd[flat[s0]]'), '            '),
                 '            for i in range(s0 + 1, s1, 2):',
                 '                a = flat[i]',
                 '                b = flat[i + 1]',
                 *pair]
    return '\n'.join(forward + ['', ''] + backward + [''])


def _kernels(kind: _Kind | str) -> tuple[Kernel, Kernel, str]:
    """(forward, backward, their source) for a kind of node, or for 'mixed' (the loop that dispatches):
    written from the table the first time a kind is met, then kept. This is the one place the library
    makes code at run time, and only when compile_graph is called; tracebacks and pdb show its lines."""
    found = _written_kernels.get(kind)
    if found is None:
        if isinstance(kind, _Kind):
            source, what = _group_kernel_source(kind), kind.describe()
        else:
            source, what = _mixed_kernel_source(), 'of several kinds'
        name = f'<compile_graph loops #{len(_written_kernels)}: {what}>'
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        namespace = dict(KERNEL_GLOBALS)
        exec(compile(source, name, 'exec'), namespace)
        found = _written_kernels[kind] = (namespace['forward'], namespace['backward'], source)
    return found


# ---------------------------------------------------------------- the walk: slots, constants, groups

LARGE_DOT = _Kind(None, -1, b'')  # a dot of more pairs than UNROLLED_PAIRS: runs in the shared loop


Table = list[tuple[int, ...]] | tuple[Sequence[int], ...]


class _Segment:
    """One loop of the program: a group of nodes of one kind, or ('mixed') of several kinds, with its rows
    (a node's slot and its inputs'): a list of tuples, or while long, columns of slots (less memory)."""
    __slots__ = ('backward', 'flat', 'forward', 'kind', 'table')

    def __init__(self, kind: _Kind | str, table: Table, flat: Sequence[int], forward: Kernel, backward: Kernel):
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


class _Walk:
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
        self.kinds: list[_Kind | None] = [None]
        self.kind_ids: dict[tuple[type, bytes], int] = {}
        # (stage, kind) -> its nodes' rows (slot, input slots...) end to end in C ints, or for large dots a list
        # of tuples. No object per node, so the garbage collector does not see the rows (it would make
        # full passes over the whole graph as they piled up).
        self.groups: dict[tuple[int, int], Any] = {}
        self.labels: dict[int, str] = {}
        self.numbers: dict[str, int] = {}  # slots of the exponents c of x ** c, by float.hex()

    def walk(self, output: Value) -> None:
        """Add every node under ``output``, inputs first, in the order backward() runs them (reversed)."""
        add = self.add
        for node in topological_order(output):
            add(node)

    def number(self, c: float) -> int:
        """The slot of a constant number that no node holds (the exponent of x ** c)."""
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
        if kind.width > len(inputs):  # x ** c: the exponent is a number kept by the node
            inputs.append(self.number(node.rule_inputs()[1]))
        slot = len(self.values)
        self.values.append(0.0)
        needs.append(1)
        kind_of.append(kind_id)
        later.append(stage + 1)
        rows: Any = self.groups.get((stage, kind_id))
        if rows is None:
            rows = self.groups[stage, kind_id] = [] if kind is LARGE_DOT else array('i')
        if kind is LARGE_DOT:
            rows.append((slot, *inputs))
        else:
            rows.append(slot)
            rows.extend(inputs)
        return slot

    def _kind(self, node: Value, need: bytes) -> int:
        """The kind of a node with these inputs needing a gradient, numbered the first time it is met."""
        if is_hand_built(node):
            raise TypeError(
                f"compile_graph cannot compile {_describe(node)}: it was built by hand as Value(data, _children, "
                f"{node._op!r}) and its chain rule is a Python closure. Write the op with the library's ops (or add "
                "a row to the derivative table, ops.py), or use backward() for this graph")
        op = type(node).rule
        if op is None and (not is_dot(node) or len(need) % 2 == 0):  # a check only: the engine has no such node
            raise TypeError(f'compile_graph cannot compile {_describe(node)}: its class {type(node).__name__} '
                            'has no row in the derivative table (ops.py), so there is no rule to compile')
        if op is None:  # the engine's dot node, the one op without a row of its own
            kind = _Kind(None, len(need), need) if len(need) <= 2 * UNROLLED_PAIRS + 1 else LARGE_DOT
        else:  # x ** c has one input node: its exponent c is a constant of the program
            kind = _Kind(op, op.arity, need + bytes(op.arity - len(need)))
        if kind in self.kinds:
            kind_id = self.kinds.index(kind)
        else:
            kind_id = len(self.kinds)
            self.kinds.append(kind)
        self.kind_ids[type(node), need] = kind_id
        return kind_id

    def segments(self) -> list[_Segment]:
        """The groups in stage order as loops; groups too small to be worth a loop of their own share one."""
        segments: list[_Segment] = []
        mixed = _Mixed()
        for (_, kind_id), flat in sorted(self.groups.items(), key=lambda item: item[0][0]):
            kind = self.kinds[kind_id]
            assert kind is not None
            size = len(flat) if kind is LARGE_DOT else len(flat) // (kind.width + 1)
            # an op added with register_op has no code in the shared loop: it gets a loop of its own, however small
            if kind is LARGE_DOT or (size < GROUP_MIN and (kind.op is None or kind.op in CODES)):
                mixed.add(kind, flat if kind is LARGE_DOT else _rows(flat, kind.width + 1))
                continue
            if mixed.codes:
                segments.append(mixed.segment())
                mixed = _Mixed()
            table: Table
            if size >= ARRAY_FROM:  # columns: a range, one repeated slot, or C ints (4 bytes a slot)
                table = tuple(_compact(flat[i::kind.width + 1]) for i in range(kind.width + 1))
            else:
                table = _rows(flat, kind.width + 1)
            forward, backward, _ = _kernels(kind)
            segments.append(_Segment(kind, table, (), forward, backward))
        if mixed.codes:
            segments.append(mixed.segment())
        return segments


def _rows(flat: Sequence[int], width: int) -> list[tuple[int, ...]]:
    """Rows laid end to end, as tuples."""
    return list(zip(*[iter(flat)] * width))


CODES = {op: code for code, op in enumerate(MIXED_OPS)}


class _Mixed:
    """Nodes of several kinds in one loop: per node its op's code, its slot, and two numbers (its input slots,
    or for a dot where its inputs start and end in ``flat``)."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.outs: list[int] = []
        self.firsts: list[int] = []
        self.seconds: list[int] = []
        self.flat: list[int] = []

    def add(self, kind: _Kind, rows: list[tuple[int, ...]]) -> None:
        if kind.op is not None:
            self.codes += [CODES[kind.op]] * len(rows)
            for row in rows:
                self.outs.append(row[0])
                self.firsts.append(row[1])
                self.seconds.append(row[2] if len(row) > 2 else 0)
            return
        flat = self.flat
        for row in rows:
            self.codes.append(DOT_CODE)
            self.outs.append(row[0])
            self.firsts.append(len(flat))
            flat += row[1:]
            self.seconds.append(len(flat))

    def segment(self) -> _Segment:
        forward, backward, _ = _kernels('mixed')
        columns = (self.codes, self.outs, self.firsts, self.seconds)
        if len(self.codes) < ARRAY_FROM:
            return _Segment('mixed', list(zip(*columns)), self.flat, forward, backward)
        return _Segment('mixed', tuple(map(_compact, columns)), _compact(self.flat), forward, backward)


def _describe(node: Value) -> str:
    label = f" '{node.label}'" if node.label else ''
    op = f" (op {node._op!r})" if node._op else ''
    return f'the node{label} with data {node.data!r}{op}'


# ---------------------------------------------------------------- the program

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
    _segments: list[_Segment]
    _needs: bytearray
    _labels: dict[int, str]
    size: int  # nodes computed per call

    @classmethod
    def _from_walk(cls, walk: _Walk, output: int, inputs: list[int]) -> Program:
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
        writer = _Writer(self)
        census = writer.census()
        return writer.summary(census) if census[2] > SHOW_LINES else self.code()

    def code(self, start: int = 0, stop: int | None = None) -> str:
        """Lines ``start`` to ``stop`` of the program as Python (all of it by default), however long. As a
        whole it runs: ``program(*values)`` returns ``(output, [gradients])`` as a call of the program does."""
        # islice counts up to sys.maxsize; any larger number means the same here: to the end
        start = min(checks.count('code(start)', start, at_least=0, at_most=None), sys.maxsize)
        if stop is not None:
            stop = min(checks.count('code(stop)', stop, at_least=0, at_most=None), sys.maxsize)
        return '\n'.join(itertools.islice(_Writer(self).lines(), start, stop))

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return (f'<compiled program: {self.size} ops, {len(self._inputs)} inputs, '
                f'{len(self._segments)} loops; print() it to read it>')


class _Writer:
    """A program as straight-line Python, node by node in the order the program runs them (so the printed
    code computes what the loops compute, in the same order: the same numbers, though the printed code
    assigns a gradient's first term where the loops add it to 0.0, so a zero may come out as -0.0)."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def nodes(self) -> Iterator[tuple[ops.Op | None, int, Sequence[int]]]:
        """(op, slot, input slots) of every computed node, in the order the program runs them (op None: dot)."""
        for segment in self.program._segments:
            if isinstance(segment.kind, _Kind):
                op = segment.kind.op
                for row in segment.rows():
                    yield op, row[0], row[1:]
                continue
            for code, o, s0, s1 in segment.rows():
                if code == DOT_CODE:
                    yield None, o, segment.flat[s0:s1]
                else:
                    op = MIXED_OPS[code]
                    yield op, o, (s0, s1)[:op.arity]

    # ------------------------------------------------------------ names

    def names(self) -> dict[int, str]:
        """A Python name for every slot that has one: labels made identifiers (``x1*w1`` -> ``x1w1``, dotted
        names with ``_``), else ``x0, x1...`` for inputs and ``t1, t2...`` for computed nodes in order."""
        program = self.program
        # Python reads a name as its NFKC form (a fullwidth x is x, so a label 'inf' in fullwidth letters would
        # shadow inf): names are claimed in that form, and
        # never one the code cannot assign (keywords, __debug__) or one it reads (inf, nan, the f_ functions)
        taken = set(keyword.kwlist) | set(KERNEL_GLOBALS) | {'program', '__debug__', 'math'}
        names: dict[int, str] = {}

        def claim(slot: int, base: str) -> None:
            base = unicodedata.normalize('NFKC', base)
            name, n = base, 1
            while name in taken:
                n += 1
                name = f'{base}_{n}'
            taken.add(name)
            names[slot] = name

        labels = program._labels
        for slot in itertools.chain(program._inputs, labels):  # inputs first: the first 'a' is input 'a'
            base = _identifier(labels.get(slot, ''))
            if base and slot not in names:
                claim(slot, base)
        for i, slot in enumerate(program._inputs):
            if slot not in names:
                claim(slot, f'x{i}')
        count = itertools.count(1)
        for _, slot, _ in self.nodes():
            if slot not in names:
                claim(slot, f't{next(count)}')
        self.taken = taken
        return names

    def grad_names(self, names: dict[int, str]) -> dict[int, str]:
        """``d`` + the node's name for every node whose gradient the program computes (``dw1``, ``dn``)."""
        grads: dict[int, str] = {}
        taken = self.taken
        for slot, name in names.items():
            if self.program._needs[slot]:
                base = grad = f'd{name}'
                n = 1
                while grad in taken:
                    n += 1
                    grad = f'{base}_{n}'
                taken.add(grad)
                grads[slot] = grad
        return grads

    # ------------------------------------------------------------ lines

    def lines(self) -> Iterator[str]:
        program = self.program
        names = self.names()
        grads = self.grad_names(names)
        values = program._values

        def operand(slot: int) -> ast.expr:
            return ast.Name(names[slot]) if slot in names else _literal(values[slot])

        functions = sorted(self.functions())
        if functions:
            yield f'from micrograd_plus.ops import {", ".join(functions)}'
        if self.non_finite_constants():
            yield 'from math import inf, nan'
        if functions or self.non_finite_constants():
            yield ''
            yield ''
        yield from _wrapped('def program(', [names[slot] for slot in program._inputs], '):')
        yield f'    """{self.docstring(names)}"""'
        for slot, name in names.items():
            if not program._needs[slot]:  # a constant with a label: named once, here
                yield f'    {name} = {ast.unparse(_literal(values[slot]))}'
        yield '    # forward pass'
        for op, slot, inputs in self.nodes():
            yield f'    {names[slot]} = {_forward_text(op, [operand(s) for s in inputs])}'
        yield from self.backward(names, grads, operand)
        output = ast.unparse(operand(program._output))
        gradients = [grads[s] if s in self.assigned else '0.0' for s in program._inputs]
        yield from _wrapped(f'    return {output}, [', gradients, ']')

    def backward(self, names: dict[int, str], grads: dict[int, str],
                 operand: Callable[[int], ast.expr]) -> Iterator[str]:
        program = self.program
        self.assigned: set[int] = set()
        if not program._needs[program._output]:
            return
        output = program._output
        yield f'    # backward pass: d{names[output]}/d(each node), by the chain rule, from the output back'
        yield f'    {grads[output]} = 1.0'
        self.assigned.add(output)
        for op, slot, inputs in reversed(list(self.nodes())):
            if program._needs[slot] and slot not in self.assigned:  # every term it had was a selected zero
                yield f'    {grads[slot]} = 0.0'
                self.assigned.add(slot)
            operands = {'g': ast.Name(grads[slot]), 'out': operand(slot)}
            for row, positions in _parts(op, len(inputs)):
                names_ = dict(zip('xy', (operand(inputs[p]) for p in positions)), **operands)
                for rule, p in zip(row.grads, positions):
                    target = inputs[p]
                    if program._needs[target]:
                        for statement in _folded(_chain_rule(rule, ast.Name(grads[target]), names_)):
                            yield from self.first_assigns(statement, target, grads[target])

    def first_assigns(self, statement: ast.stmt, target: int, grad: str) -> Iterator[str]:
        """A rule's statement, with a gradient's first term assigned (``dw1 = dx1w1 * x1``) instead of added."""
        if target not in self.assigned:
            self.assigned.add(target)
            if isinstance(statement, ast.AugAssign):
                value = statement.value
                if isinstance(statement.op, ast.Sub):
                    value = ast.UnaryOp(ast.USub(), value)
                statement = ast.Assign([ast.Name(grad)], value, lineno=0)
            else:  # a guarded term may add nothing: start from 0.0
                yield f'    {grad} = 0.0'
        for line in ast.unparse(statement).splitlines():
            yield '    ' + line

    # ------------------------------------------------------------ what the code needs, and a summary

    def functions(self) -> set[str]:
        """The float functions of ops.py the code calls (f_tanh, f_div...)."""
        texts = []
        for op in self.ops():
            rows = _parts(op, 3) if op is None else [(op, ())]
            texts += [codegen.float_code(row.forward) for row, _ in rows]
            texts += ['\n'.join(codegen.chain_rule('a', rule)) for row, _ in rows for rule in row.grads]
        return {name for text in texts for name in re.findall(r'\bf_\w+', text)}

    def ops(self) -> set[ops.Op | None]:
        found: set[ops.Op | None] = set()
        for segment in self.program._segments:
            if isinstance(segment.kind, _Kind):
                found.add(segment.kind.op)
            else:
                found.update(None if code == DOT_CODE else MIXED_OPS[code] for code, *_ in segment.rows())
        return found

    def non_finite_constants(self) -> bool:
        return not all(map(math.isfinite, self.program._values))

    def docstring(self, names: dict[int, str]) -> str:
        program = self.program
        output = names.get(program._output, 'the output')
        inputs = [names[s] for s in program._inputs]
        wrt = ', '.join(inputs) if len(inputs) <= 6 else f'{", ".join(inputs[:3])}, ... ({len(inputs)} inputs)'
        return f'{output} and its gradient with respect to {wrt}: {program.size} ops, compiled by compile_graph'

    def census(self) -> tuple[dict[str, int], int, int]:
        """Nodes by op, the products the dots hold, and about how many lines the code takes."""
        program = self.program
        needs = program._needs
        counts: dict[str, int] = {}
        pairs = lines = 0
        for op, _, inputs in self.nodes():
            name = 'dot' if op is None else op.name
            counts[name] = counts.get(name, 0) + 1
            pairs += (len(inputs) - 1) // 2 if op is None else 0
            lines += 1 + sum(map(needs.__getitem__, inputs))  # its forward line, a backward line per gradient
        return counts, pairs, 8 + len(program._labels) + lines

    def summary(self, census: tuple[dict[str, int], int, int]) -> str:
        program = self.program
        counts, pairs, lines = census
        labels = program._labels
        output = labels.get(program._output, 'the output')
        shown = [_identifier(labels.get(s, '')) or f'x{i}' for i, s in enumerate(program._inputs[:4])]
        more = len(program._inputs) - len(shown)
        by_op = ', '.join(f'{n:,} {name}' for name, n in sorted(counts.items(), key=lambda item: -item[1]))
        loops = [f'{len(s):,} {s.kind.describe() if isinstance(s.kind, _Kind) else "of several kinds"}'
                 for s in program._segments]
        inputs = f'{len(program._inputs):,} input' + ('s' if len(program._inputs) != 1 else '')
        text = [f'# A compiled program: {output} and its gradient with respect to {inputs}',
                f'#   inputs: {", ".join(shown)}{f", ... ({more:,} more)" if more > 0 else ""}',
                f'#   {program.size:,} ops: {by_op}' + (f' (the dots hold {pairs:,} products)' if pairs else ''),
                f'#   as straight-line Python it takes about {lines:,} lines, too many to print:',
                '#   program.code(0, 60) gives the first 60 lines, program.code() all of them']
        return '\n'.join(text + list(_wrapped(f'#   it runs as {len(loops)} loops over nodes: ', loops, '',
                                              indent='#     ')))


class _Fold(ast.NodeTransformer):
    """Arithmetic on numbers alone done now, as Python does it at run time: ``2.0 - 1`` reads ``1.0``."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        number = _number(node)
        return node if number is None else _literal(number)


def _number(tree: ast.expr) -> float | None:
    """The value of an expression of numbers alone (literals, inf, nan, unary -, + - *), else None."""
    value = codegen.evaluate(tree)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _truth(test: ast.expr) -> bool | None:
    """A guard's test decided on numbers alone (``2.0 != 0``), or None where it reads the program's numbers."""
    value = codegen.evaluate(test)
    return None if value is None else bool(value)


def _folded(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Rule statements with number-only arithmetic done, and a guard on numbers alone decided:
    ``if 2.0 != 0: dx += ...`` (the guard of x ** 2) is just ``dx += ...``."""
    for statement in statements:
        statement = _Fold().visit(statement)
        decided = _truth(statement.test) if isinstance(statement, ast.If) else None
        if isinstance(statement, ast.If) and decided is not None:
            yield from _folded(statement.body if decided else statement.orelse)
        else:
            yield statement


def _wrapped(start: str, items: list[str], end: str, indent: str = '        ', width: int = 110) -> Iterator[str]:
    """``start`` + the items separated by commas + ``end``, over as many lines as it takes."""
    line = start
    for i, item in enumerate(items):
        text = item + (', ' if i < len(items) - 1 else end)
        if len(line) + len(text) > width and line.strip() and line != start:
            yield line.rstrip()
            line = indent
        line += text
    if not items:
        line += end
    yield line


def _identifier(label: str) -> str:
    """A label as a Python name, or '' if it has no letters to make one of: ``x1*w1 + x2*w2`` -> ``x1w1x2w2``
    (the lecture's own variable names), ``layers.0.w.1`` -> ``layers_0_w_1``."""
    if label.isidentifier() and not keyword.iskeyword(label):
        return label
    name = re.sub(r'\W', '', label.replace('.', '_'))
    if not name or not any(c.isalpha() for c in name):
        return ''
    return name if name[0].isalpha() else '_' + name


def _literal(number: float) -> ast.expr:
    """A float as an expression that reads back exactly: ``2.0``, ``-3.0``, ``inf``, ``nan``."""
    if number != number:
        return ast.Name('nan')
    magnitude: ast.expr = ast.Name('inf') if abs(number) == math.inf else ast.Constant(abs(number))
    return ast.UnaryOp(ast.USub(), magnitude) if math.copysign(1.0, number) < 0 else magnitude


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
            raise ValueError(f'input {i} is {_describe(x)}, the result of an op, not a leaf: inputs are the '
                             'leaves you will vary (parameters, data). Pass the leaves it is computed from')
        if x in seen:
            raise ValueError(f'input {i} is the same Value as input {seen[x]} ({_describe(x)}): give each '
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
    walk = _Walk({x: i for i, x in enumerate(wanted)})
    walk.walk(output)
    missing = [i for i, x in enumerate(wanted) if x not in walk.slots]
    if missing:
        i = missing[0]
        raise ValueError(f'input {i} ({_describe(wanted[i])}) is not in the graph of the output, so the output '
                         f'does not depend on it{f" (nor on {len(missing) - 1} more)" if len(missing) > 1 else ""}:'
                         ' pass only leaves the output was computed from')
    return Program._from_walk(walk, walk.slots[output], [walk.slots[x] for x in wanted])
