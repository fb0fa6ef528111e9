"""A compiled program as straight-line Python: the forward pass, then the backward pass, named after the
graph's labels, the way the lecture writes backprop by hand. Each line is written from its row's parsed
rules (``rules.py``), as the loops that run are."""
from __future__ import annotations

import ast
import itertools
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from .. import ops, rules
from .kernels import KERNEL_GLOBALS, MIXED_OPS, Kind, forward_text, inputs_of, op_label, width_of

if TYPE_CHECKING:
    from .program import Program


class Writer:
    """A program as straight-line Python, node by node in the order the program runs them (so the printed
    code computes what the loops compute, in the same order: the same numbers, though the printed code
    assigns a gradient's first term where the loops add it to 0.0, so a zero may come out as -0.0)."""

    def __init__(self, program: Program) -> None:
        self.program = program

    def nodes(self) -> Iterator[tuple[ops.Op, int, Sequence[int]]]:
        """(row, slot, slots of its inputs then its constants) of every computed node, in the order the program
        runs them."""
        for segment in self.program._segments:
            if isinstance(segment.kind, Kind):
                op = segment.kind.op
                for row in segment.rows():
                    yield op, row[0], row[1:]
                continue
            for code, o, s0, s1 in segment.rows():
                op = MIXED_OPS[code]
                yield op, o, (segment.flat[s0:s1] if op.repeat else (s0, s1)[:width_of(op)])

    # ------------------------------------------------------------ names

    def names(self) -> dict[int, str]:
        """A Python name for every slot that has one: labels made identifiers (``x1*w1`` -> ``x1w1``, dotted
        names with ``_``), else ``x0, x1...`` for inputs and ``t1, t2...`` for computed nodes in order."""
        program = self.program
        # Python reads a name as its NFKC form (a fullwidth x is x, so a label 'inf' in fullwidth letters would
        # shadow inf): names are claimed in that form, and never one the code cannot assign (keywords,
        # __debug__) or one it reads (inf, nan, the f_ functions)
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
        self.named = names
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
            yield f'    {names[slot]} = {forward_text(op, [operand(s) for s in inputs])}'
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
            yield from self.node_backward(op, slot, inputs, grads, operand)

    def node_backward(self, op: ops.Op, slot: int, inputs: Sequence[int], grads: dict[int, str],
                      operand: Callable[[int], ast.expr]) -> Iterator[str]:
        """One node's chain rule as statements, from its row's rules: a number of the program (an unnamed
        constant) is put in, and what it decides is done now (``if 2.0 != 0`` of x ** 2 goes away)."""
        program = self.program
        rule = rules.rule_of(op)
        n = inputs_of(op, len(inputs))
        slots = {'out': slot} | {name: inputs[n + k] for k, name in enumerate(rule.constants)}
        for group in rules.groups(rule, n):
            named = slots | {name: inputs[p] for name, p in group.names.items()}
            env = {'g': ast.Name(grads[slot])} | {name: operand(s) for name, s in named.items()}
            numbers = {name: program._values[s] for name, s in named.items() if s not in self.named}
            for p, grad in group.grads:
                target = inputs[p]
                if program._needs[target]:
                    steps = rules.fold_steps(rules.updates(grad), numbers)
                    for statement in rules.float_statements(steps, ast.Name(grads[target]), env):
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
        """The float functions of ops.py the code calls (f_tanh, f_div...), from the rows' rules."""
        return {name for op in self.ops() for name in rules.float_functions(rules.rule_of(op))}

    def ops(self) -> set[ops.Op]:
        found: set[ops.Op] = set()
        for segment in self.program._segments:
            if isinstance(segment.kind, Kind):
                found.add(segment.kind.op)
            else:
                found.update(MIXED_OPS[code] for code, *_ in segment.rows())
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
            name = op_label(op)
            counts[name] = counts.get(name, 0) + 1
            pairs += (len(inputs) - 1) // op.repeat if op.repeat else 0
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
        loops = [f'{len(s):,} {s.kind.describe() if isinstance(s.kind, Kind) else "of several kinds"}'
                 for s in program._segments]
        inputs = f'{len(program._inputs):,} input' + ('s' if len(program._inputs) != 1 else '')
        text = [f'# A compiled program: {output} and its gradient with respect to {inputs}',
                f'#   inputs: {", ".join(shown)}{f", ... ({more:,} more)" if more > 0 else ""}',
                f'#   {program.size:,} ops: {by_op}' + (f' (the dots hold {pairs:,} products)' if pairs else ''),
                f'#   as straight-line Python it takes about {lines:,} lines, too many to print:',
                '#   program.code(0, 60) gives the first 60 lines, program.code() all of them']
        return '\n'.join(text + list(_wrapped(f'#   it runs as {len(loops)} loops over nodes: ', loops, '',
                                              indent='#     ')))


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


