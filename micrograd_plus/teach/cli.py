"""The classroom command line: type a formula, get its value, every gradient, and a picture; or serve the
playground.

    python -m micrograd_plus graph "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.88137 -o neuron.svg
    python -m micrograd_plus playground [--port N] [--no-browser]

The formula is parsed with ``ast`` and only a whitelist of node types is accepted (numbers, variables,
``+ - * / **``, unary minus, parentheses, the engine's functions); nothing is ever ``eval``-ed, and all
arithmetic runs on Values, so ``9**9**9`` is ``inf`` at once rather than a Python integer that never ends.
Every mistake ends in one line on stderr and a non-zero exit status, never a traceback.
"""
from __future__ import annotations

import argparse
import ast
import keyword
import os
import pathlib
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from .. import checks, rules
from ..engine import Value
from .explain import MAX_NAME, Explainer, format_number

# the functions a formula can call: every row of the derivative table of one input with a method of its own
# (tanh(x), leaky_relu(x), clamp(x, min=0)), its constants as keyword arguments
ROWS = rules.unary_functions()
FUNCTIONS: dict[str, Callable[..., Value]] = {name: getattr(Value, name) for name in ROWS}
# Python's parser nests a+b+...+z as deep as it is long and its depth limit differs by version (3.10 has
# none and crashes); every version from 3.10 to 3.13 reads 2,000 operators, so that is the promise.
MAX_OPERATORS = 2_000
MAX_DIGITS = 400  # the largest float, 1.8e308, has 309 digits before the point
MAX_LENGTH = 100_000  # characters; beyond the other limits, e.g. a million '.a' (Python 3.10's parser crashes)
_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: Value.__add__, ast.Sub: Value.__sub__, ast.Mult: Value.__mul__, ast.Div: Value.__truediv__,
    ast.Pow: Value.__pow__,
}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd, ast.keyword)
_WHAT = {  # how to name what was refused, for the error message
    ast.Attribute: 'attribute access (a.b)', ast.Subscript: 'subscripts (a[i])', ast.Lambda: 'lambda',
    ast.ListComp: 'comprehensions', ast.SetComp: 'comprehensions', ast.DictComp: 'comprehensions',
    ast.GeneratorExp: 'comprehensions', ast.Compare: 'comparisons', ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "'if' expressions", ast.NamedExpr: "':='", ast.Starred: "'*' unpacking",
    ast.List: 'lists', ast.Tuple: 'tuples (a, b)', ast.Set: 'sets', ast.Dict: 'dicts',
    ast.JoinedStr: 'strings', ast.Await: "'await'",
    ast.Yield: "'yield'", ast.YieldFrom: "'yield'", ast.Not: "'not'", ast.Invert: "'~'",
}
_PICTURES = {'.svg': 'the graph as SVG', '.html': 'the backprop stepper page', '.htm': 'the backprop stepper page'}


class UsageError(ValueError):
    """Something the user typed is wrong; the message says what and how to fix it (one line). A ValueError,
    so code that calls parse() and friends catches it as the wrong value it is."""


# ---------------------------------------------------------------- formulas

def parse(expression: str) -> ast.expr:
    """The formula's syntax tree, checked against the whitelist (nothing outside it gets through)."""
    checks.text('parse(expression), the formula,', expression)
    if len(expression) > MAX_LENGTH:
        raise UsageError(f'the expression is {len(expression):,} characters long, more than the {MAX_LENGTH:,} it '
                         'can read: split it into smaller ones')
    # 0x, 0o and 0b digits (0xfff...) count too: each is worth more than a decimal one, so this is generous
    digits = max((len(run.replace('_', '')) for run in re.findall(r'\d[\w]*', expression)), default=0)
    if digits > MAX_DIGITS:  # Python refuses to read such an int (differently by version); a float is inf anyway
        raise UsageError(f'a number in the expression has {digits:,} digits, more than the {MAX_DIGITS:,} a float '
                         'can use: write it with an exponent, like 1e300')
    operators = sum(map(expression.count, '+-*/('))
    if operators > MAX_OPERATORS:
        raise UsageError(f'the expression has {operators:,} operators and parentheses, more than the '
                         f'{MAX_OPERATORS:,} it can read: split it into smaller ones')
    try:
        tree = ast.parse(expression.strip(), mode='eval')
    except SyntaxError as error:
        where = f' at column {error.offset}' if error.offset else ''
        raise UsageError(f'syntax error in the expression{where}: {error.msg}') from None
    except ValueError as error:  # e.g. a 5000-digit number
        raise UsageError(f'cannot read the expression: {error}'.splitlines()[0]) from None
    except (RecursionError, MemoryError):
        raise UsageError('the expression is nested too deeply to read: split it into smaller ones') from None
    _check_formula(tree.body)
    return tree.body


def _check_formula(tree: ast.expr) -> None:
    """Every node of the tree on the whitelist, every function called by name with one argument."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise UsageError(f'operator {_operator_text(node.op)} is not supported: use + - * / **')
        if not isinstance(node, _ALLOWED):
            what = _WHAT.get(type(node), f'{type(node).__name__} expressions')
            raise UsageError(f'{what} not allowed: an expression may use numbers, variables, + - * / **, '
                             f'parentheses and the functions {", ".join(FUNCTIONS)}')
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise UsageError(f'{node.value!r} is not a number: only real numbers like 2, -3.5 or 1e-3 are allowed')
        if isinstance(node, ast.Call):
            _check_call(node)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in called:
            raise UsageError(f'{node.id} is a function: call it on something, like {node.id}(x)')


def _formula(what: str, tree: Any) -> ast.expr:
    """A formula's tree as parse() returns it, checked against the whitelist again (it may have been made by hand)."""
    if not isinstance(tree, ast.expr):
        raise TypeError(f'{what} takes the syntax tree parse() returns, like parse("x * y + 1"), got '
                        f'{checks.shown(tree)}')
    _check_formula(tree)
    return tree


def _operator_text(op: ast.operator) -> str:
    return {ast.FloorDiv: '//', ast.Mod: '%', ast.MatMult: '@', ast.LShift: '<<', ast.RShift: '>>',
            ast.BitOr: '|', ast.BitAnd: '&', ast.BitXor: '^'}.get(type(op), type(op).__name__)


def _check_call(call: ast.Call) -> None:
    if not isinstance(call.func, ast.Name):
        raise UsageError('only the functions ' + ', '.join(FUNCTIONS) + ' can be called, by name (like tanh(x))')
    name = call.func.id
    if name not in FUNCTIONS:
        raise UsageError(f'unknown function {name!r}: the functions are {", ".join(FUNCTIONS)}')
    constants = [constant for constant, _ in ROWS[name].constants]
    for keyword_ in call.keywords:
        if not constants:
            raise UsageError(f'{name}() takes no keyword arguments: write {name}(x)')
        if keyword_.arg not in constants:
            raise UsageError(f'{name}() takes its constants {", ".join(constants)} by name, like '
                             f'{name}(x, {constants[0]}=1), got {"**" if keyword_.arg is None else keyword_.arg}')
        if _literal(keyword_.value) is None:
            raise UsageError(f'{name}({keyword_.arg}=...) takes a number, like {keyword_.arg}=0.5')
    if len(call.args) != 1:
        raise UsageError(f'{name}() takes exactly one argument (and its constants by name), got {len(call.args)}')


def variables(tree: ast.expr) -> list[str]:
    """The variable names in the formula, in order of first appearance (function names excluded)."""
    tree = _formula('variables(tree)', tree)
    functions = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names: dict[str, None] = {}
    for node in _in_order(tree):
        if isinstance(node, ast.Name) and id(node) not in functions:
            names[node.id] = None
    return list(names)


def _in_order(tree: ast.expr) -> list[ast.AST]:
    """The nodes left to right, without recursion (a formula can be MAX_OPERATORS deep)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _literal(node: ast.expr) -> float | None:
    """The number written in ``node`` (2, -3.5, --1), or None when it is not just a number."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if not isinstance(node, ast.Constant) or not isinstance(node.value, (int, float)):
        return None
    try:
        return sign * float(node.value)
    except OverflowError:  # (its digits are not shown: a huge int refuses to become text)
        raise UsageError('a number in the expression is too large for a float: write it with an exponent, '
                         'like 1e300') from None


def evaluate(tree: ast.expr, values: dict[str, Value]) -> Value:
    """Build the formula's graph out of Values, without recursion (post-order with an explicit stack).
    ``values`` gives a Value for every variable of the formula, by name."""
    tree = _formula('evaluate(tree)', tree)
    want = "a dict with a Value for every variable of the formula, like {'x': Value(2.0)}"
    if not isinstance(values, Mapping):
        raise TypeError(f'evaluate(values) must be {want}, got {checks.shown(values)}')
    missing = [name for name in variables(tree) if not isinstance(values.get(name), Value)]
    if missing:
        given = ', '.join(f'{name}={checks.shown(values.get(name))}' for name in missing[:3])
        raise ValueError(f'evaluate(values) must be {want}: {given}')
    results: list[Value] = []
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, inputs_done = stack.pop()
        number = _literal(node)
        if number is not None:  # a constant leaf; -3 is the number -3, not neg(3)
            results.append(Value(number))
        elif isinstance(node, ast.Name):
            results.append(values[node.id])
        elif not inputs_done:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
                stack += [(node.left, False)] if exponent is not None else [(node.right, False), (node.left, False)]
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            elif isinstance(node, ast.Call):
                stack.append((node.args[0], False))
        elif isinstance(node, ast.BinOp):
            exponent = _literal(node.right) if isinstance(node.op, ast.Pow) else None
            if exponent is not None:  # x ** 2 stays micrograd's '**2' node with one input
                results.append(results.pop() ** exponent)
            else:
                right, left = results.pop(), results.pop()
                results.append(_BINARY[type(node.op)](left, right))
        elif isinstance(node, ast.UnaryOp):
            operand = results.pop()
            results.append(-operand if isinstance(node.op, ast.USub) else operand)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            constants = {str(k.arg): _literal(k.value) for k in node.keywords}
            results.append(FUNCTIONS[node.func.id](results.pop(), **constants))
    return results[0]


def read_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """``['x1=2', 'w1=-3']`` as ``{'x1': 2.0, 'w1': -3.0}``, in the order given."""
    values: dict[str, float] = {}
    for text in checks.instances('read_assignments(assignments)', assignments, str, "a list of texts like 'x1=2'"):
        name, equals, number = text.partition('=')
        name = unicodedata.normalize('NFKC', name.strip())  # as Python reads identifiers (bold x is x)
        if not equals:
            raise UsageError(f'expected name=value after the expression, got {text!r} (like x1=2)')
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f'{name!r} is not a variable name (letters, digits and _, like x1 or w_2)')
        if name in FUNCTIONS:
            raise UsageError(f'{name!r} is a function, it cannot be a variable: pick another name')
        if name in values:
            raise UsageError(f'{name} is given twice: give each variable one value')
        try:
            values[name] = float(number)
        except ValueError:
            raise UsageError(f'bad number for {name}: {number!r} (write it like 2, -3.5 or 1e-3)') from None
    return values


# ---------------------------------------------------------------- the command

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print usage and exit; we want one line
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog='micrograd-plus', description='micrograd_plus for the classroom.')
    commands = parser.add_subparsers(dest='command', metavar='command', required=True)
    graph = commands.add_parser(
        'graph', help="a formula's value, every variable's gradient, and its picture",
        description="Compute a formula's value and d(formula)/d(variable) for every variable; draw the graph.",
        epilog='example: micrograd-plus graph "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.88 -o neuron.html')
    graph.add_argument('expression', help='numbers, variables, + - * / **, parentheses, ' + ' '.join(FUNCTIONS))
    graph.add_argument('values', nargs='*', metavar='name=value', help='a value for every variable')
    graph.add_argument('-o', '--output', metavar='FILE', type=pathlib.Path,
                       help='.svg: the graph; .html: the backprop stepper page (default: a text view)')
    playground = commands.add_parser(
        'playground', help='watch a network learn, live, in a page served from this machine',
        description='Serve the playground on 127.0.0.1 and open it in the browser; Ctrl-C stops it.',
        epilog='a preset in the address: http://127.0.0.1:8765/#dataset=spiral&layers=8,8&learningRate=0.03')
    playground.add_argument('--port', type=int, default=8765, help='the port to serve on (0: any free one)')
    playground.add_argument('--no-browser', action='store_true', help='do not open a browser')
    return parser


def graph_command(expression: str, assignments: Sequence[str], output: str | os.PathLike[str] | None) -> int:
    """``micrograd-plus graph``: print the formula's value and every gradient, then a text view, or write
    ``output`` (.svg: the graph, .html: the stepper page). Returns the exit status, 0."""
    if output is not None:
        output = checks.path('graph_command(output), the file to write,', output)
    if output is not None and output.suffix.lower() not in _PICTURES:
        kinds = '; '.join(f'{suffix} for {what}' for suffix, what in _PICTURES.items() if suffix != '.htm')
        raise UsageError(f'cannot write {output.name!r}: use {kinds} (or no -o for a text view)')
    tree = parse(expression)
    given = read_assignments(assignments)
    used = variables(tree)
    missing = [name for name in used if name not in given]
    if missing:
        raise UsageError(f'no value for {", ".join(missing)}: add ' + ' '.join(f'{m}=...' for m in missing))
    unused = [name for name in given if name not in used]
    if unused:
        raise UsageError(f'{", ".join(unused)} given a value but not in the expression {expression.strip()!r}')
    leaves = {name: Value(number, label=name) for name, number in given.items()}
    result = evaluate(tree, leaves)
    result.backward()
    _name_inner_nodes(result)

    width = max((len(name) for name in leaves), default=0)
    print(f'f = {expression.strip()}')
    print(f'f = {format_number(result.data, 12)}')  # 0.707106781187, -1.5 (not -1.4999999999999996)
    for name, leaf in leaves.items():
        print(f'df/d{name:<{width}} = {format_number(leaf.grad, 12)}')
    if output is None:
        from ..viz import text_view
        print()
        print(text_view(result))
        return 0
    if output.suffix.lower() == '.svg':
        from ..viz import to_svg
        output.write_text(to_svg(result), encoding='utf-8')
    else:
        from .stepper import stepper
        stepper(result, output)
    print(f'wrote {output} ({_PICTURES[output.suffix.lower()]})')
    return 0


def _name_inner_nodes(root: Value) -> None:
    """Label each computed node with its formula (x1*w1, ...) so the picture says what each box is."""
    explainer = Explainer(root)
    if not root.label:
        root.label = 'f'
    for node in explainer.order:
        if node._prev and not node.label:
            name = explainer.name(node)
            node.label = name if len(name) <= MAX_NAME else ''


_FILE_NAME = re.compile(r'[^*+()\s]*\.\w+')  # out.svg, /tmp/a.html, x.png: a suffix and no operator before it


def _takes_a_file(arg: str) -> bool:
    """-o, --output, or an abbreviation argparse accepts (--out)."""
    return arg == '-o' or (len(arg) > 2 and arg.startswith('--') and 'output'.startswith(arg[2:]))


def _is_option(arg: str) -> bool:
    """-h, --, -o, --output/--help or a prefix (--out=x.svg), and -ox.svg; not -x*2 or -o*2."""
    if arg in ('-h', '--') or _takes_a_file(arg):
        return True
    if arg.startswith('--'):
        name = arg[2:].split('=', 1)[0]
        return bool(name) and any(option.startswith(name) for option in ('output', 'help'))
    return arg.startswith('-o') and _FILE_NAME.fullmatch(arg[2:]) is not None


def _protect_formulas(args: list[str]) -> list[str]:
    """A leading space keeps argparse off a formula that starts with '-' (parse() strips it). The name
    after -o is joined to it (--output=NAME), so it may start with '-'; after -- all is left as typed."""
    protected: list[str] = []
    verbatim = False
    for arg in args:
        if protected and not verbatim and _takes_a_file(protected[-1]):
            protected[-1] = f'--output={arg}'
            continue
        if arg[:1] == '-' and not verbatim and not _is_option(arg):
            arg = ' ' + arg
        verbatim = verbatim or arg == '--'
        protected.append(arg)
    return protected


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 a usage error, 1 the output could not be written)."""
    if argv is not None:
        argv = checks.instances('main(argv)', argv, str, "None (the command line) or a list of texts, like "
                                                          "['graph', 'x*y', 'x=2']")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ['playground']:  # only the graph command reads formulas, which may start with '-'
        argv = _protect_formulas(argv)
    try:
        arguments = _parser().parse_args(argv)
        if arguments.command == 'playground':
            from ..playground.server import serve
            return serve(arguments.port, open_browser=not arguments.no_browser)
        return graph_command(arguments.expression, arguments.values, arguments.output)
    except UsageError as error:
        print(f'micrograd-plus: error: {error}', file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:  # `micrograd-plus graph ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python flushes stdout at exit
        return 0
    except OSError as error:
        print(f'micrograd-plus: error: cannot write {error.filename or "the output"}: {error.strerror or error}',
              file=sys.stderr)
        return 1
    except (ValueError, ImportError, RuntimeError, subprocess.SubprocessError) as error:  # too big to draw, no renderer
        print(f'micrograd-plus: error: {error}'.splitlines()[0], file=sys.stderr)
        return 1
