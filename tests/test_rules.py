"""The rule language: each row parsed once into one expression form, and every consumer a backend over it."""
import ast
import math
import pathlib

import pytest

import micrograd_plus
from micrograd_plus import Value, compile_graph, dot, explain, ops, rules

PACKAGE = pathlib.Path(micrograd_plus.__file__).parent


@pytest.mark.parametrize('op', ops.TABLE, ids=[op.name for op in ops.TABLE])
def test_every_row_parses_once_and_writes_back_to_the_same_tree(op):
    rule = rules.rule_of(op)
    assert rules.rule_of(op) is rule  # parsed once, then kept
    again = rules.parse(rules.source_text(rule.forward), rule.inputs, rule.constants)
    assert again == rule.forward
    for grad in rule.grads:
        assert rules.parse(rules.source_text(grad), rule.inputs + ('out',), rule.constants, derivative=True) == grad


@pytest.mark.parametrize('text, problem', [
    ('x + "a"', "'a' is not a number"),
    ('x.__class__', 'attribute access'),
    ('(lambda: 1)()', 'only the functions can be called'),
    ('lambda: x', 'lambda not allowed'),
    ('open("f")', "unknown function 'open'"),
    ('y', "unknown name 'y'"),
    ('x[0]', 'subscripts'),
    ('exp', 'exp is a function: call it'),
    ('exp(x, x)', 'exp() takes 1 argument, got 2'),
    ('x // 2', 'the operators are'),
    ('x in x', 'the comparisons are'),
    ('zero_if(x > 0, x) + 1', 'zero_if(test, E) must be a whole derivative'),
    ('exp(x=1)', 'takes its arguments by position'),
    ('True', 'True is not a number'),
    ('x +', 'is not an expression'),
])
def test_what_the_grammar_does_not_define_is_refused_with_the_reason(text, problem):
    with pytest.raises(rules.RuleError, match=problem.replace('(', r'\(').replace(')', r'\)').replace('[', r'\[')):
        rules.parse(text, ('x',), derivative=True)


def test_a_rule_too_long_for_a_line_of_math_is_refused():
    with pytest.raises(rules.RuleError, match='a rule is a line of math'):
        rules.parse('x + ' * 1000 + 'x', ('x',))


def test_the_chain_rule_steps_select_zeros_and_divide_where_the_rule_says():
    rule = rules.rule_of(ops.RELU).grads[0]
    (step,) = rules.updates(rule)
    assert isinstance(step, rules.When) and step.then == (rules.Add(rules.G),) and step.orelse == ()
    div = rules.rule_of(ops.DIV).grads[0]  # 1 / y: g / y, which does not overflow where 1 / y would
    assert rules.updates(div) == (rules.Add(rules.Bin('/', rules.G, rules.Ref('y'))),)
    pow_const = rules.rule_of(ops.POW_CONST).grads[0]
    assert rules.fold_steps(rules.updates(pow_const), {'c': 2.0})[0].term == rules.Bin(
        '*', rules.G, rules.Bin('*', rules.Num(2.0), rules.Bin('**', rules.Ref('x'), rules.Num(1.0))))
    assert rules.fold_steps(rules.updates(pow_const), {'c': 0.0}) == ()  # x ** 0 passes nothing on


def test_explain_writes_each_rule_as_math_and_takes_the_branch_the_numbers_take():
    rule = rules.rule_of(ops.TANH)
    assert rules.math_text(rule.grads[0], {'out': ('o', rules.ATOM)}, {})[0] == '1 - o*o'
    leaky = rules.rule_of(ops.LEAKY_RELU).grads[0]
    names = {'x': ('n', rules.ATOM), 'negative_slope': ('0.2', rules.ATOM)}
    assert rules.math_text(leaky, names, {'x': -1.0, 'negative_slope': 0.2})[0] == '0.2'
    assert rules.math_text(leaky, names, {'x': 1.0, 'negative_slope': 0.2})[0] == '1'


def test_a_new_row_is_explained_and_drawn_without_a_line_of_explain_or_viz():
    x = Value(-2.0, label='x')
    y = x.leaky_relu(0.2).softplus(beta=2.0)
    y.label = 'y'
    y.backward()
    text = explain(x, root=y)
    assert 'leaky_relu(x, negative_slope=0.2)' in text and '* 0.2 =' in text
    assert 'softplus' in micrograd_plus.draw_dot(y).source


def test_dot_is_one_decomposition_that_compile_explain_and_the_picture_share():
    w, x, b = [Value(0.5, label='w1'), Value(-1.0, label='w2')], [Value(2.0, label='x1'), Value(3.0, label='x2')], \
        Value(0.25, label='b')
    out = dot(w, x, b)
    out.label = 'z'
    out.backward()
    assert explain(out, root=out).startswith('z = b + w1*x1 + w2*x2 = 0.25 + 0.5 * 2.0 - 1.0 * 3.0')
    program = compile_graph(out, w + x + [b])
    assert 'z = b + w1 * x1 + w2 * x2' in program.code()
    drawn = micrograd_plus.draw_dot(out, expand_dot=True).source
    assert drawn.count('label="*"') == 2 and drawn.count('label="+"') == 2
    group = rules.groups(rules.rule_of(ops.DOT), 5)
    assert [g.names for g in group] == [{'bias': 0}, {'w': 1, 'x': 2}, {'w': 3, 'x': 4}]


def test_no_consumer_dispatches_on_op_strings_or_reparses_generated_code():
    for path in PACKAGE.rglob('*.py'):
        text = path.read_text(encoding='utf-8')
        assert "_op != 'dot'" not in text and "== 'dot'" not in text and "startswith('**')" not in text, path
        assert 'dot_grads' not in text and 'dot_vjp' not in text, path
        assert 'is_dot(' not in text.replace('def is_dot(', ''), path
        assert '_PowConst' not in text or path.name in ('engine.py', 'codegen.py'), path
    for module in ('engine.py', 'compile/kernels.py', 'compile/printer.py', 'compile/schedule.py',
                   'compile/program.py', 'teach/explain.py', 'viz/graph.py', 'teach/cli.py'):
        tree = ast.parse((PACKAGE / module).read_text(encoding='utf-8'))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert 'codegen' not in imported, module  # codegen writes engine.py at development time, nothing reads it
    assert not hasattr(__import__('micrograd_plus.codegen').codegen, 'evaluate')


def test_engine_imports_neither_codegen_nor_register():
    tree = ast.parse((PACKAGE / 'engine.py').read_text(encoding='utf-8'))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names}
    assert not names & {'codegen', 'register', 'rules'}


def test_x_to_a_number_is_an_ordinary_row_with_a_constant_kept_on_the_node():
    y = Value(3.0) ** 2
    assert type(y).rule is ops.POW_CONST and y.constants() == (2.0,) and y._op == '**2'
    assert not hasattr(y, '__dict__')  # kept in a slot: no phantom node, no dict per node
    assert Value(2.0).leaky_relu(0.3).constants() == (0.3,)
    assert math.isinf(Value(2.0).clamp(min=1.0).constants()[1])
