"""register_op: a row added at run time is parsed by the table's own grammar; what the user types is data."""
import os

import pytest

from micrograd_plus import Op, Value, compile_graph, explain, register_op

INJECTED = 'MICROGRAD_PLUS_TEST_INJECTED'


@pytest.mark.parametrize('op, reason', [
    # issue 22: text pasted into a generated docstring used to close it and run the rest as code
    (Op('evil', 'x + """; import os; os.environ["' + INJECTED + '"] = "1"; """', ('1',)), 'is not a number'),
    (Op('evil', 'x', ('"""; import os; os.environ["' + INJECTED + '"] = "1"; """',)), 'is not a number'),
    (Op('evil', 'x.__class__', ('1',)), 'attribute access'),
    (Op('evil', 'x', ('(lambda: 1)()',)), 'only the functions can be called'),
    (Op('evil', '__import__("os").getcwd()', ('1',)), 'only the functions can be called'),
    (Op('evil', '__import__("os")', ('1',)), "unknown function '__import__'"),
    (Op('evil', 'x', ('os',)), "unknown name 'os'"),
    (Op('evil', 'x', ('[x for x in x]',)), 'comprehensions'),
])
def test_a_rule_outside_the_grammar_is_refused_before_any_code_is_written(op, reason):
    with pytest.raises(ValueError, match=reason):
        register_op(op, method='evil')
    assert INJECTED not in os.environ and not hasattr(Value, 'evil')


@pytest.mark.parametrize('name', ['two\nlines', 'quote"s', "it's", '"""', 'x # y', 'back\\slash', '{}'[:1] + 'a'])
def test_an_op_name_with_newlines_or_quotes_reaches_generated_code_only_quoted(name):
    method = 'named_' + str(abs(hash(name)))
    if name.startswith('{'):
        with pytest.raises(ValueError, match='braces in a name mark a constant'):
            register_op(Op(name, 'x * 3', ('3',)), method=method)
        return
    cls = register_op(Op(name, 'x * 3', ('3',)), method=method)
    x = Value(2.0, label='x')
    y = getattr(x, method)()
    assert y._op == name and type(y) is cls and y.data == 6.0
    loss = y * 1.0
    loss.backward()
    assert x.grad == 3.0 and 'dL/dx' in explain(x, root=loss)
    program = compile_graph(loss, [x])
    assert program([1.0]) == (3.0, [3.0])
    namespace: dict = {}
    exec(program.code(), namespace)  # the printed program runs: no name broke out of its comment
    assert namespace['program'](1.0) == (3.0, [3.0])


def test_a_registered_op_with_a_constant_takes_it_as_a_keyword_and_keeps_it_on_the_node():
    cls = register_op(Op('scaled_tanh', 'k * tanh(x)', ('k * (1 - tanh(x) * tanh(x))',), constants=(('k', 2.0),)),
                      method='scaled_tanh')
    x = Value(0.5)
    y = x.scaled_tanh(k=3.0)
    assert type(y) is cls and y.constants() == (3.0,) and x.scaled_tanh().constants() == (2.0,)
    y.backward()
    assert x.grad == pytest.approx(3.0 * (1 - 0.46211715726000974 ** 2))


def test_a_constant_named_like_the_generated_codes_own_locals_is_refused():
    with pytest.raises(ValueError, match="'self' is a name the generated code uses"):
        register_op(Op('bad', 'x * self', ('self',), constants=(('self', 1.0),)), method='bad_self')
