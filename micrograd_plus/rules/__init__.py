"""The rule language of the derivative table: each row of ops.py parsed once into a small expression form.

``form`` holds the form and its parser, ``code`` the backends that write code, ``text`` the one that writes math.

``parse`` reads a rule (``'1 - out * out'``) into a tree of the classes below; ``rule_of(op)`` does it once per
row. Every consumer of the table is a backend over these trees, so none of them reads the rule text again:

- ``float_code``: the rule as float code (an ``ast`` expression: IEEE-safe ``f_div``, ``f_pow``, ``f_exp``...),
  for engine.py's ``_backward`` (``codegen``) and compile_graph's loops and printed programs;
- ``value_code``: the rule as code on numbers or Values (``ops.exp`` dispatches), for ``vjp``: grad() to any order;
- ``updates``: the chain rule of one input as steps (add ``g * rule``; a selected zero as an ``if``), which
  ``float_statements`` writes as statements;
- ``evaluate`` and ``fold``: a test or arithmetic on known numbers (explain() takes the branch the numbers take,
  compile_graph folds a guard on a constant away);
- ``math_text``: a rule as math, for explain() (``1 - o*o``).

The grammar is all a rule may use, and ``parse`` refuses the rest, saying what it met: numbers, the op's input
names, ``out`` (in a derivative), its named constants, ``+ - * / **``, unary ``-``, comparisons, ``and``, ``or``,
``not``, ``A if test else B``, calls of ``ops.FUNCTIONS`` and ``data(e)`` (the number in e, for tests), and
``zero_if(test, E)`` as a whole derivative. No strings, attributes, subscripts, lambdas or other names: a rule
given to register_op becomes code, and only what this grammar defines can get there.
"""
from .code import (
    Add,
    Step,
    When,
    contribution,
    float_code,
    float_statements,
    fold_steps,
    names_env,
    negated,
    source_text,
    updates,
    value_code,
    vjp_lines,
)
from .form import (
    MAX_RULE,
    Bin,
    BoolOp,
    Call,
    Compare,
    Expr,
    G,
    Group,
    IfExp,
    Num,
    Ref,
    Rule,
    RuleError,
    Unary,
    ZeroIf,
    check_op,
    children,
    evaluate,
    float_functions,
    fold,
    forward_tree,
    groups,
    names_used,
    parse,
    rule_of,
    substitute,
    term,
    walk,
)
from .text import (
    ATOM,
    LOOSE,
    NO_BIAS,
    NUMBER,
    POWER,
    PRODUCT,
    STRENGTH,
    SUM,
    UNARY,
    Text,
    binary,
    folded_binary,
    forward_text,
    function_name,
    joined,
    math_text,
    unary_functions,
    wrap,
)

__all__ = [
    'ATOM', 'LOOSE', 'MAX_RULE', 'NO_BIAS', 'NUMBER', 'POWER', 'PRODUCT', 'STRENGTH', 'SUM', 'UNARY', 'Add',
    'Bin', 'BoolOp', 'Call', 'Compare', 'Expr', 'G', 'Group', 'IfExp', 'Num', 'Ref', 'Rule', 'RuleError', 'Step',
    'Text', 'Unary', 'When', 'ZeroIf', 'binary', 'check_op', 'children', 'contribution', 'evaluate', 'float_code',
    'float_functions', 'float_statements', 'fold', 'fold_steps', 'folded_binary', 'forward_text', 'forward_tree',
    'function_name', 'groups', 'joined', 'math_text', 'names_env', 'names_used', 'negated', 'parse', 'rule_of',
    'source_text', 'substitute', 'term', 'unary_functions', 'updates', 'value_code', 'vjp_lines', 'walk', 'wrap'
]
