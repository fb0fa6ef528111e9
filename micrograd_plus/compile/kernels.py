"""The loop bodies of compiled programs, written from the parsed rules of the derivative table.

One kind of node (its row, its number of slots, which inputs need a gradient) gets a forward loop and a
backward loop over its nodes; ``mixed`` is one loop over nodes of several kinds that dispatches on the
row. Each body is the row's forward and chain rule from ``rules.py``, with every number read from one list
of slots (``v[o] = v[s0] * v[s1]``, ``d[s0] = d[s0] + g * v[s1]``).
"""
from __future__ import annotations

import ast
import collections
import linecache
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .. import ops, rules

Kernel = Callable[..., None]

def op_label(op: ops.Op) -> str:
    """A row's name as text for a comment or a summary: its constants by name (``**c``), quoted when it is not
    plain text (a name given to register_op is data: it never reaches code raw)."""
    name = op.name.replace('{', '').replace('}', '')
    return name if name.isprintable() and not any(c in name for c in '\'"\\#') else repr(name)


class Kind(NamedTuple):
    """What a loop body needs to know of a node: its row, its number of slots (its inputs, then its row's
    constants), and which of them need a gradient (the others are constants of the program)."""
    op: ops.Op
    width: int
    needs: bytes  # per slot: 1 if it gets a gradient
    # width -1: an n-ary node of more groups than UNROLLED_PAIRS, which runs in the shared loop

    def describe(self) -> str:
        if self.op.repeat:
            return f'{op_label(self.op)} of {(self.width - 1) // self.op.repeat} groups'
        return op_label(self.op)


def inputs_of(op: ops.Op, width: int) -> int:
    """How many of a node's slots are inputs (the rest are its row's constants)."""
    return width - len(op.constants)


def _env(rule: rules.Rule, names: Mapping[str, int], operands: Sequence[ast.expr]) -> dict[str, ast.expr]:
    """Each name of the rule as the code of its operand: inputs by position, then the constants."""
    env = {name: operands[p] for name, p in names.items()}
    first = len(operands) - len(rule.constants)
    env.update((name, operands[first + k]) for k, name in enumerate(rule.constants))
    return env


def forward_expr(op: ops.Op, operands: Sequence[ast.expr]) -> ast.expr:
    """A node's number as float code on its operands (inputs, then constants): the row's forward; an n-ary
    row's sum added left to right, exactly as the engine adds."""
    rule = rules.rule_of(op)
    n = inputs_of(op, len(operands))
    env = _env(rule, {f'_{p}': p for p in range(n)}, operands)
    return rules.float_code(rules.forward_tree(rule, n), env)


def forward_text(op: ops.Op, operands: Sequence[ast.expr]) -> str:
    """forward_expr as text. An n-ary sum is joined as text, not nested: ast.unparse recurses once per term,
    and a dot over every parameter (an L2 penalty) has hundreds."""
    rule = rules.rule_of(op)
    if not rule.nary:
        return ast.unparse(forward_expr(op, operands))
    groups = rules.groups(rule, len(operands))
    term = rules.term(rule)
    texts = [ast.unparse(operands[0])]
    texts += [ast.unparse(rules.float_code(term, _env(rule, group.names, operands))) for group in groups[1:]]
    return ' + '.join(texts)


def adds_g_times_a_number(steps: Sequence[rules.Step], numbers: set[str]) -> bool:
    """Every step adds g, or g times one of ``numbers`` (numbers of the program), also under a guard."""
    for step in steps:
        if isinstance(step, rules.When):
            if not (adds_g_times_a_number(step.then, numbers) and adds_g_times_a_number(step.orelse, numbers)):
                return False
            continue
        term = step.term
        if term == rules.G:
            continue
        if not (isinstance(term, rules.Bin) and term.op == '*' and term.left == rules.G
                and isinstance(term.right, rules.Ref) and term.right.name in numbers):
            return False
    return True


def _counts(steps: Sequence[rules.Step]) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for step in steps:
        trees = [step.term] if isinstance(step, rules.Add) else [step.test]
        if isinstance(step, rules.When):
            counts.update(_counts(step.then + step.orelse))
        counts.update(node.name for tree in trees for node in rules.walk(tree) if isinstance(node, rules.Ref))
    return counts


def _lines(statements: list[ast.stmt], indent: str) -> list[str]:
    return [indent + line for statement in statements for line in ast.unparse(statement).splitlines()]


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode='eval').body


def group_backward(rule: rules.Rule, group: rules.Group, needs: Sequence[int], places: Mapping[str, str],
                   targets: Mapping[int, str], indent: str) -> tuple[list[str], bool]:
    """Loop-body lines of one group's chain rule, adding to ``d[...]`` of each input that needs a gradient
    (``places``: the code of each name, ``v[s1]``; ``targets``: of each input's gradient, ``d[s1]``), and
    whether each adds g times a number of the program.

    The grad is an entry of ``d``, written ``d[s0] = d[s0] + g * v[s1]``: the same float operations as the
    engine's ``a.grad += g * y``, and in CPython a fifth faster than ``+=`` on a list entry. A number the
    rules read once is read in place; one read more often is read into a local first."""
    wanted = [(p, rules.updates(grad)) for p, grad in group.grads if needs[p]]
    counts = _counts([step for _, steps in wanted for step in steps])
    env: dict[str, ast.expr] = {'g': ast.Name('g', ast.Load())}
    reads = []
    for name, place in places.items():
        if counts[name] > 1:
            reads.append(f'{indent}{name} = {place}')
            env[name] = ast.Name(name, ast.Load())
        else:
            env[name] = _expr(place)
    statements = [s for p, steps in wanted
                  for s in rules.float_statements(steps, _expr(targets[p]), env, augmented=False)]
    numbers = set(group.names) | {'out'} | set(rule.constants)
    plain = all(adds_g_times_a_number(steps, numbers) for _, steps in wanted)
    return reads + _lines(statements, indent), plain


def node_backward(op: ops.Op, width: int, needs: Sequence[int], slots: Sequence[str],
                  indent: str) -> tuple[list[str], bool]:
    """Loop-body lines of one node's chain rule (``g``, ``o`` and the slot names are set by the caller), and
    whether every rule adds ``g`` times a number of the program, so that a zero ``g`` adds zeros."""
    rule = rules.rule_of(op)
    n = inputs_of(op, width)
    constants = {name: f'v[{slots[n + k]}]' for k, name in enumerate(rule.constants)}
    lines: list[str] = []
    plain = True
    for group in rules.groups(rule, n):
        places = {name: f'v[{slots[p]}]' for name, p in group.names.items()} | {'out': 'v[o]'} | constants
        targets = {p: f'd[{slots[p]}]' for p in group.names.values()}
        body, adds = group_backward(rule, group, needs, places, targets, indent)
        lines += body
        plain = plain and adds
    return lines, plain


# ---------------------------------------------------------------- loop bodies, written once per kind

KERNEL_GLOBALS: dict[str, Any] = {name: getattr(ops, name) for name in dir(ops) if name.startswith('f_')}
KERNEL_GLOBALS.update(inf=math.inf, nan=math.nan)
_written_kernels: dict[Kind | str, tuple[Kernel, Kernel, str]] = {}


def group_kernel_source(kind: Kind) -> str:
    """A forward loop and a backward loop over the nodes of one kind, given as rows (its slot, its inputs').

    Where every rule adds g times a number of the program, a node whose grad is zero is skipped while
    ``finite`` holds (every number is finite): its terms would all be +-0, and adding +-0 to a sum that
    started at +0.0 changes no bit of it. ReLU's inactive units and everything they feed cost nothing then."""
    slots = [f's{i}' for i in range(kind.width)]
    row = ', '.join(['o'] + slots)
    value = ast.unparse(forward_expr(kind.op, [_expr(f'v[{s}]') for s in slots]))
    body, plain = node_backward(kind.op, kind.width, kind.needs, slots, '        ')
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


def width_of(op: ops.Op) -> int:
    return op.arity + len(op.constants)


# a node's code in the shared loop is its row's index: the rows of at most two slots, and the n-ary rows
MIXED_OPS = tuple(op for op in ops.TABLE if op.repeat or width_of(op) <= 2)
CODES = {op: code for code, op in enumerate(MIXED_OPS)}


def _nary_branches(op: ops.Op, test: str) -> tuple[list[str], list[str]]:
    """An n-ary row in the shared loop: its inputs are ``flat[s0:s1]``."""
    rule = rules.rule_of(op)
    size = op.repeat
    first, repeated = rules.groups(rule, 1 + size)
    at = {name: f'flat[i + {p - 1}]' if p > 1 else 'flat[i]' for name, p in repeated.names.items()}
    term = rules.float_code(rules.term(rule), {name: _expr(f'v[{place}]') for name, place in at.items()})
    forward = ['        ' + test,
               '            total = v[flat[s0]]',
               f'            for i in range(s0 + 1, s1, {size}):',
               f'                total = total + {ast.unparse(term)}',
               '            v[o] = total']
    places = {rule.inputs[0]: 'v[flat[s0]]', 'out': 'v[o]'}
    head, _ = group_backward(rule, first, [1] * (1 + size), places, {0: 'd[flat[s0]]'}, '            ')
    slot = {name: chr(97 + k) for k, name in enumerate(at)}  # a, b: the slots of the group's inputs
    reads = [f'                {slot[name]} = {place}' for name, place in at.items()]
    places = {name: f'v[{slot[name]}]' for name in at} | {'out': 'v[o]'}
    targets = {p: f'd[{slot[name]}]' for name, p in repeated.names.items()}
    body, _ = group_backward(rule, repeated, [1] * (1 + size), places, targets, '                ')
    backward = ['        ' + test, *head, f'            for i in range(s0 + 1, s1, {size}):', *reads, *body]
    return forward, backward


def mixed_kernel_source() -> str:
    """One loop over nodes of any kind: it dispatches on the row's code. Each node's row holds its code, its
    slot and two numbers: its slots, or for an n-ary row the span of its inputs in ``flat``. Every input
    gets a gradient here (a constant's is never read)."""
    forward = ['def forward(v, rows, flat):',
               '    for code, o, s0, s1 in rows:']
    backward = ['def backward(v, d, rows, flat, finite):',
                '    for code, o, s0, s1 in rows:',
                '        g = d[o]']
    for code, op in enumerate(MIXED_OPS):
        test = f"{'if' if code == 0 else 'elif'} code == {code}:  # {op_label(op)}"
        if op.repeat:
            more_forward, more_backward = _nary_branches(op, test)
            forward += more_forward
            backward += more_backward
            continue
        slots = ['s0', 's1'][:width_of(op)]
        forward += ['        ' + test,
                    f'            v[o] = {ast.unparse(forward_expr(op, [_expr(f"v[{s}]") for s in slots]))}']
        needs = [1] * op.arity + [0] * len(op.constants)
        backward += ['        ' + test, *node_backward(op, len(slots), needs, slots, '            ')[0]]
    return '\n'.join(forward + ['', ''] + backward + [''])


def kernels(kind: Kind | str) -> tuple[Kernel, Kernel, str]:
    """(forward, backward, their source) for a kind of node, or for 'mixed' (the loop that dispatches):
    written from the table the first time a kind is met, then kept. This is the one place the library
    makes code at run time, and only when compile_graph is called; tracebacks and pdb show its lines."""
    found = _written_kernels.get(kind)
    if found is None:
        if isinstance(kind, Kind):
            source, what = group_kernel_source(kind), kind.describe()
        else:
            source, what = mixed_kernel_source(), 'of several kinds'
        name = f'<compile_graph loops #{len(_written_kernels)}: {what}>'
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        namespace = dict(KERNEL_GLOBALS)
        exec(compile(source, name, 'exec'), namespace)
        found = _written_kernels[kind] = (namespace['forward'], namespace['backward'], source)
    return found
