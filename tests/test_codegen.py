"""The engine's op code is generated from the derivative table, checked in, and in step with it."""
import ast
import importlib
import inspect
import math
import pathlib
import subprocess
import sys

import pytest

import micrograd_plus
from micrograd_plus import Value, codegen, engine, grad, ops, topological_order

PACKAGE = pathlib.Path(micrograd_plus.__file__).parent


def test_the_checked_in_op_code_is_what_the_table_generates():
    source = codegen.ENGINE.read_text(encoding='utf-8')
    assert codegen.generated(source) == source, 'engine.py is stale: run make generate'


def test_a_changed_rule_makes_the_check_fail(monkeypatch):
    changed = ops.TANH._replace(grads=('1 - out',))
    monkeypatch.setattr(ops, 'TABLE', tuple(changed if op is ops.TANH else op for op in ops.TABLE))
    monkeypatch.setattr(ops, 'TANH', changed)
    monkeypatch.setattr(codegen, '_blocks', lambda: iter([('nodes', codegen.nodes_block(ops.TABLE))]))
    source = codegen.ENGINE.read_text(encoding='utf-8')
    assert codegen.generated(source) != source


def test_the_check_runs_as_a_command_even_without_the_package():
    result = subprocess.run([sys.executable, str(PACKAGE / 'codegen.py'), '--check'], capture_output=True, text=True)
    assert result.returncode == 0 and 'matches ops.py' in result.stdout


def test_every_op_and_its_chain_rule_is_plain_code_in_a_file():
    for op in ops.TABLE:
        cls = getattr(engine, codegen.class_name(op))
        assert cls.rule is op and (cls._op == op.name or '{' in op.name)  # '**{c}': a property reads '**2'
        assert inspect.getsourcefile(cls._backward) == str(codegen.ENGINE)
        for method in filter(None, (op.method, op.reflected)):
            assert inspect.getsourcefile(getattr(Value, method)) == str(codegen.ENGINE)
    assert 'a.grad += g * y' in inspect.getsource(engine._Mul._backward)


def test_code_is_made_at_run_time_only_when_asked_for_never_at_import():
    # register_op compiles the code of an op a user adds; compile_graph writes a graph's loops when it is
    # called (tests/test_compile.py checks that importing the package writes none); nothing else makes code
    asked = {'register_op': {'exec', 'compile'}}
    for path in PACKAGE.rglob('*.py'):
        tree = ast.parse(path.read_text(encoding='utf-8'))
        inside = {id(node): function.name for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                  and function.name in asked for node in ast.walk(function)}
        calls = sorted(node.func.id for node in ast.walk(tree)
                       if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                       and node.func.id in {'exec', 'eval', 'compile'} and id(node) not in inside)
        assert calls == (['compile', 'exec'] if path.name == 'kernels.py' else []), path


def test_submodules_are_importable_by_name_and_keep_their_contents():
    for name in ('micrograd_plus.teach.explain', 'micrograd_plus.teach.stepper', 'micrograd_plus.teach.cli',
                 'micrograd_plus.viz.walk', 'micrograd_plus.saving', 'micrograd_plus.codegen'):
        module = importlib.import_module(name)
        assert module.__name__ == name
    import micrograd_plus.teach.explain
    assert micrograd_plus.teach.explain.Explainer and callable(micrograd_plus.explain)
    import micrograd_plus.viz.walk
    assert callable(micrograd_plus.viz.trace) and callable(micrograd_plus.trace)


def test_the_public_names_are_unchanged():
    assert set(micrograd_plus.__all__) >= {
        'Value', 'AnomalyError', 'dot', 'topological_order', 'grad', 'gradcheck', 'central_difference', 'no_grad',
        'enable_grad', 'detect_anomaly', 'explain', 'stepper', 'nn', 'losses', 'optim', 'data', 'draw_dot', 'trace',
        'to_svg', 'text_view', 'viz'}
    for name in micrograd_plus.__all__:
        assert getattr(micrograd_plus, name) is not None


# ---------------------------------------------------------------- x ** c: one rule, no phantom node

def test_x_to_a_number_has_one_input_and_no_phantom_constant():
    x = Value(3.0)
    y = x ** 2
    assert topological_order(y) == [x, y] and y._prev == (x,) and y._op == '**2'
    assert micrograd_plus.trace(y)[0] == topological_order(y)


def test_x_to_a_number_and_to_a_value_share_one_rule():
    for x in (1e-320, 0.0, 2.5, -2.0):
        for y in (0.0, 1.0, 2.0, -1.0, 0.5):
            a, b = Value(x), Value(x)
            (a ** y).backward()
            (b ** Value(y)).backward()
            assert a.grad == b.grad or (math.isnan(a.grad) and math.isnan(b.grad)), (x, y, a.grad, b.grad)


def test_a_subnormal_to_the_zero_has_derivative_zero_both_ways():
    for power in (lambda x: x ** 0, lambda x: x ** Value(0.0)):
        x = Value(1e-320)
        power(x).backward()
        assert x.grad == 0.0


def test_the_hessian_of_x_to_the_y_is_exact_and_symmetric_at_y_zero():
    x, y = Value(2.0), Value(0.0)
    gx, gy = grad(x ** y, [x, y], create_graph=True)
    assert gx.data == 0.0
    assert grad(gx, y) == pytest.approx(0.5) and grad(gy, x) == pytest.approx(0.5)  # d2/dxdy = 1/x both ways


# ---------------------------------------------------------------- adding an op at run time

def test_a_registered_op_is_like_a_built_in_one():
    import pickle

    from micrograd_plus import explain, gradcheck, register_op
    from micrograd_plus.ops import Op
    cls = register_op(Op('cube', 'x ** 3', ('3 * x ** 2',)), method='cube')
    x = Value(2.0, label='x')
    y = x.cube()
    assert (y.data, y._op, y._prev, type(y)) == (8.0, 'cube', (x,), cls)
    (y * 1.0).backward()
    assert x.grad == 12.0
    assert grad(grad(x.cube(), x, create_graph=True), x) == 12.0  # second derivative 6x, from the rule on Values
    assert gradcheck(lambda t: t.cube().sin(), 0.7, second_order=True)
    assert 'dL/dx = dL/d(x.cube' not in explain(x) and '3*x**2' in explain(x)
    assert pickle.loads(pickle.dumps(y)).data == 8.0
    assert 'a.grad += g * (3 * f_pow(x, 2))' in inspect.getsource(cls._backward)
    assert 'cube' in micrograd_plus.draw_dot(y).source


def test_a_registered_two_input_op_has_its_reflected_form():
    from micrograd_plus import register_op
    from micrograd_plus.ops import Op
    register_op(Op('hypot', 'sqrt(x * x + y * y)', ('x / out', 'y / out')), method='hypot', reflected='__rhypot__')
    a, b = Value(3.0), Value(4.0)
    h = a.hypot(b)
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
    assert a.hypot(4).data == 5.0


@pytest.mark.parametrize('op, method, match', [
    (ops.Op('sq', 'x * x', ('2 * z',)), 'sq', "unknown name 'z'"),
    (ops.Op('sq', 'x * x', ('2 * x', '1', '1')), 'sq', 'one rule per input'),
    (ops.Op('sq', 'x *', ('2 * x',)), 'sq', 'is not an expression'),
    (ops.Op('sq', 'x * x', ('2 * x',)), 'tanh', 'already has'),
    (ops.Op('sq', 'x * x', ('2 * x',)), 'not a name', 'method that builds the op'),
    (ops.Op('sq', 'x * x', ('2 * hypot(x)',)), 'sq2', "unknown function 'hypot'"),
])
def test_a_row_that_cannot_become_code_says_why(op, method, match):
    from micrograd_plus import register_op
    with pytest.raises(ValueError, match=match):
        register_op(op, method=method)


def test_register_op_takes_the_ops_own_method_names_and_a_replaced_ops_nodes_still_pickle():
    import pickle

    from micrograd_plus import Op, register_op
    register_op(Op('hyp', 'sqrt(x * x + y * y)', ('x / out', 'y / out'), 'hyp', '__rhyp__'))
    assert Value(3.0).hyp(4.0).data == 5.0 and Value.__rhyp__(Value(4.0), 3.0).data == 5.0
    old = register_op(Op('twice', 'x * 2', ('2',)), method='twice')
    made_before = Value(1.5).twice()
    new = register_op(Op('twice', 'x + x', ('2',)), method='twice', replace=True)
    assert new is not old and type(Value(1.0).twice()) is new
    assert type(pickle.loads(pickle.dumps(made_before))) is old and made_before._op == 'twice'
