"""The classroom command line: output, pictures, and one-line errors for every kind of mistake."""
import html
import math
import subprocess
import sys

import pytest

from micrograd_plus.teach.cli import main

NEURON = ['graph', 'tanh(x1*w1 + x2*w2 + b)', 'x1=2', 'x2=0', 'w1=-3', 'w2=1', 'b=6.8813735870195432']


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_prints_the_result_and_every_gradient_then_a_text_view(capsys):
    code, out, err = run(capsys, *NEURON)
    assert code == 0 and err == ''
    lines = out.splitlines()
    assert lines[:7] == ['f = tanh(x1*w1 + x2*w2 + b)', 'f = 0.707106781187', 'df/dx1 = -1.5', 'df/dx2 = 0.5',
                         'df/dw1 = 1.0', 'df/dw2 = 0.0', 'df/db  = 0.5']
    assert 'x1*w1 + x2*w2 + b' in out and 'tanh' in lines[9]  # the text view, nodes named by formula


def test_writes_svg(capsys, tmp_path, renderer):
    path = tmp_path / 'neuron.svg'
    code, out, _ = run(capsys, *NEURON, '-o', str(path))
    assert code == 0 and out.splitlines()[-1] == f'wrote {path} (the graph as SVG)'
    svg = html.unescape(path.read_text(encoding='utf-8'))  # Graphviz writes '-' as &#45;
    assert '<svg' in svg and 'grad -1.5000' in svg and 'x1*w1' in svg


def test_writes_the_stepper_page_for_html(capsys, tmp_path, renderer):
    path = tmp_path / 'neuron.html'
    code, out, _ = run(capsys, *NEURON, '-o', str(path))
    assert code == 0 and 'backprop stepper page' in out
    page = path.read_text(encoding='utf-8')
    assert '<svg' in page and 'dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5' in page


def test_constants_unary_minus_and_every_function(capsys):
    code, out, _ = run(capsys, 'graph', '-x**2 + 2*exp(x) - log(x)/sqrt(x) + sigmoid(x)*relu(x) + sin(x)*cos(x) '
                                       '+ abs(-x) + x**y + 1e-3', 'x=1.5', 'y=0.5')
    assert code == 0
    x, y = 1.5, 0.5
    sig = 1 / (1 + math.exp(-x))
    value = -x**2 + 2*math.exp(x) - math.log(x)/math.sqrt(x) + sig*x + math.sin(x)*math.cos(x) + x + x**y + 1e-3
    dx = (-2*x + 2*math.exp(x) - (1/x * math.sqrt(x) - math.log(x) * 0.5 / math.sqrt(x)) / x
          + sig*(1 - sig)*x + sig + math.cos(2*x) + 1 + y * x**(y - 1))
    numbers = dict(line.split(' = ') for line in out.splitlines()[1:4])
    assert float(numbers['f']) == pytest.approx(value, rel=1e-11)
    assert float(numbers['df/dx']) == pytest.approx(dx, rel=1e-11)
    assert float(numbers['df/dy']) == pytest.approx(math.log(x) * x**y, rel=1e-11)


def test_constant_exponents_stay_constant_nodes(capsys):
    code, out, _ = run(capsys, 'graph', 'x**2 + x**-1', 'x=2')
    assert code == 0 and '**2' in out and '**-1' in out and 'df/dx = 3.75' in out


def test_an_exponent_bomb_is_inf_at_once():
    # in a process of its own, so that the bomb (a Python int of 369 million digits) could not hang the suite
    result = subprocess.run([sys.executable, '-m', 'micrograd_plus', 'graph', '9**9**9 * x', 'x=1'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and 'f = inf' in result.stdout and 'df/dx = inf' in result.stdout


def test_an_expression_starting_with_minus_is_not_an_option(capsys):
    code, out, _ = run(capsys, 'graph', '-x*2', 'x=1')
    assert code == 0 and 'df/dx = -2.0' in out
    code, out, _ = run(capsys, 'graph', '-o*2', 'o=1')  # a variable named like the option
    assert code == 0 and 'df/do = -2.0' in out


@pytest.mark.parametrize('argv', [
    ['graph', 'x*2', 'x=1', '-o{path}'], ['graph', 'x*2', 'x=1', '--out', '{path}'],
    ['graph', 'x*2', 'x=1', '--output={path}'], ['graph', '-o', '{path}', 'x*2', 'x=1'],
    ['graph', 'x*2', 'x=1', '-o', '{dash_path}'], ['graph', 'x*2', 'x=1', '--out', '{dash_path}'],
], ids=['-oFILE', '--out FILE', '--output=FILE', '-o FILE first', '-o -FILE', '--out -FILE'])
def test_every_way_of_writing_the_output_option(argv, capsys, tmp_path, renderer, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ('-f.svg' if any('dash_path' in arg for arg in argv) else 'f.svg')
    code, out, err = run(capsys, *[arg.format(path=path, dash_path='-f.svg') for arg in argv])
    assert (code, err) == (0, '') and path.read_text().lstrip().startswith('<')


def test_after_a_double_dash_everything_is_the_formula_and_its_values(capsys):
    code, out, _ = run(capsys, 'graph', '--', '-x*2', 'x=1')
    assert code == 0 and 'df/dx = -2.0' in out


def test_a_thousand_term_sum_of_products(capsys):
    code, out, err = run(capsys, 'graph', '+'.join(['x*x'] * 1_000), 'x=3')
    assert (code, err) == (0, '') and 'f = 9000.0' in out and 'df/dx = 6000.0' in out


# ---------------------------------------------------------------- errors: one line, non-zero, no traceback

ERRORS = {
    'syntax error': (['graph', 'x +', 'x=1'], 'syntax error'),
    'unknown function': (['graph', 'foo(x)', 'x=1'], "unknown function 'foo'"),
    'unknown variable': (['graph', 'x*y', 'x=1'], 'no value for y'),
    'missing value': (['graph', 'x1*w1', 'x1=2'], 'no value for w1: add w1=...'),
    'bad number': (['graph', 'x', 'x=abc'], "bad number for x: 'abc'"),
    'not name=value': (['graph', 'x', 'x'], 'expected name=value'),
    'bad variable name': (['graph', 'x', '1x=2'], "'1x' is not a variable name"),
    'value given twice': (['graph', 'x', 'x=1', 'x=2'], 'x is given twice'),
    'unused value': (['graph', 'x', 'x=1', 'y=2'], 'y given a value but not in the expression'),
    'function as variable': (['graph', 'x', 'x=1', 'exp=1'], "'exp' is a function, it cannot be a variable"),
    'bare function name': (['graph', 'exp + x', 'x=1'], 'exp is a function'),
    'bad output extension': (['graph', 'x', 'x=1', '-o', 'x.png'], "cannot write 'x.png': use .svg"),
    'no command': ([], 'required: command'),
    'unknown command': (['plot', 'x'], "invalid choice: 'plot'"),
    'no expression': (['graph'], 'required: expression'),
    'import': (['graph', "__import__('os')"], "unknown function '__import__'"),
    'import and call': (['graph', "__import__('os').system('echo pwned')"], 'can be called, by name'),
    'attribute': (['graph', 'x.__class__', 'x=1'], 'attribute access'),
    'method call': (['graph', 'x.exp()', 'x=1'], 'can be called, by name'),
    'lambda': (['graph', '(lambda: 1)()'], 'can be called, by name'),
    'bare lambda': (['graph', 'lambda: 1'], 'lambda not allowed'),
    'comprehension': (['graph', '[x for x in (1, 2)]'], 'comprehensions not allowed'),
    'generator': (['graph', 'sum(x for x in (1, 2))'], "unknown function 'sum'"),
    'subscript': (['graph', 'x[0]', 'x=1'], 'subscripts'),
    'keyword argument': (['graph', 'tanh(x=1)'], 'no keyword arguments'),
    'two arguments': (['graph', 'tanh(x, x)', 'x=1'], 'exactly one argument'),
    'string': (['graph', "'a' * 3"], 'is not a number'),
    'complex': (['graph', '1j * x', 'x=1'], 'is not a number'),
    'bool': (['graph', 'True * x', 'x=1'], 'is not a number'),
    'comparison': (['graph', 'x < 1', 'x=1'], 'comparisons not allowed'),
    'floor division': (['graph', 'x // 2', 'x=1'], 'operator // is not supported'),
    'walrus': (['graph', '(y := 2)'], "':=' not allowed"),
    'statement': (['graph', 'import os'], 'syntax error'),
    # Python >= 3.11 refuses a 5000-digit literal while parsing; older ones parse it and we refuse the float
    'huge literal': (['graph', '1' * 5000 + '* x', 'x=1'], 'has 5,000 digits, more than the 400 a float can use'),
    'deep nesting': (['graph', '(' * 300 + 'x' + ')' * 300, 'x=1'], 'syntax error'),
    'picture type': (['graph', 'x', 'x=1', '-oout.png'], '.png'),
    'underscored digits': (['graph', '1_' * 450 + '1 * x', 'x=1'], 'has 451 digits'),
    'very long': (['graph', 'x' + '.a' * 60_000, 'x=1'], '120,001 characters long'),
    'very long sum': (['graph', 'x+' * 2_001 + 'x', 'x=1'], '2,001 operators and parentheses, more than the 2,000'),
}


@pytest.mark.parametrize('case', ERRORS, ids=list(ERRORS))
def test_every_mistake_is_one_line_on_stderr_and_a_nonzero_exit(case, capsys):
    argv, message = ERRORS[case]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ''
    assert err.count('\n') == 1 and err.startswith('micrograd-plus: error: ')
    assert any(alternative in err for alternative in message.split('|'))


def test_an_unwritable_output_is_one_line_and_exit_1(capsys, tmp_path, renderer):
    code, _, err = run(capsys, 'graph', 'x', 'x=1', '-o', str(tmp_path / 'missing' / 'x.svg'))
    assert code == 1
    assert err == f'micrograd-plus: error: cannot write {tmp_path / "missing" / "x.svg"}: No such file or directory\n'


def test_help_exits_zero(capsys):
    code, out, _ = run(capsys, 'graph', '--help')
    assert code == 0 and 'name=value' in out


def test_the_parts_of_the_command_say_what_they_take_when_called_from_python():
    import ast

    from micrograd_plus import Value
    from micrograd_plus.teach.cli import UsageError, evaluate, graph_command, parse, read_assignments, variables
    assert issubclass(UsageError, ValueError)  # a wrong formula is a wrong value
    with pytest.raises(TypeError, match=r'parse\(expression\), the formula, must be text \(a str\), got None'):
        parse(None)
    with pytest.raises(TypeError, match=r'variables\(tree\) takes the syntax tree parse\(\) returns.*got str'):
        variables('x * y')
    with pytest.raises(UsageError, match=r'attribute access \(a.b\) not allowed'):  # a tree made by hand
        evaluate(ast.parse('x.grad', mode='eval').body, {'x': Value(1.0)})
    with pytest.raises(ValueError, match=r"evaluate\(values\) must be a dict with a Value for every variable.*: "
                                         r"y=None"):
        evaluate(parse('x * y'), {'x': Value(1.0)})
    with pytest.raises(ValueError, match=r'y=float 2.0'):
        evaluate(parse('x * y'), {'x': Value(1.0), 'y': 2.0})
    with pytest.raises(TypeError, match=r"read_assignments\(assignments\) must be a list of texts like 'x1=2', "
                                        r"got str 'x=1'"):
        read_assignments('x=1')
    with pytest.raises(TypeError, match=r'got int 2 at position 1'):
        read_assignments(['x=1', 2])
    with pytest.raises(TypeError, match=r'graph_command\(output\), the file to write, must be a file name'):
        graph_command('x', ['x=1'], 2.5)
    with pytest.raises(UsageError, match="cannot write 'f.txt'"):  # a str names a file as a Path does
        graph_command('x', ['x=1'], 'f.txt')
    with pytest.raises(TypeError, match=r'main\(argv\) must be None .* got float 1.0 at position 1'):
        main(['graph', 1.0])


def test_code_in_the_expression_never_runs(tmp_path):
    marker = tmp_path / 'pwned'
    for expression in (f"__import__('os').system('touch {marker}')",
                       f"[__import__('os').system('touch {marker}') for _ in (1,)]",
                       f"x.__class__.__init__.__globals__['os'].system('touch {marker}')"):
        result = subprocess.run([sys.executable, '-m', 'micrograd_plus', 'graph', expression, 'x=1'],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and 'Traceback' not in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not marker.exists()


def test_python_dash_m_runs_it(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'micrograd_plus', *NEURON], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and 'df/dx1 = -1.5' in result.stdout and result.stderr == ''


def test_a_non_ascii_variable_is_the_one_python_reads(capsys):
    bold_x = '\N{MATHEMATICAL BOLD SMALL X}'  # Python reads this identifier as x (NFKC)
    code, out, err = run(capsys, 'graph', f'{bold_x}*2', f'{bold_x}=1.5')
    assert code == 0 and err == '' and 'f = 3.0' in out and 'df/dx = 2.0' in out


@pytest.mark.parametrize('digits', [300, 5000])
def test_a_huge_hex_literal_is_a_one_line_usage_error(capsys, digits):
    code, out, err = run(capsys, 'graph', 'x * 0x' + 'f' * digits, 'x=1')
    assert code == 2 and out == '' and ('too large for a float' in err or 'digits, more than' in err)
    assert len(err.splitlines()) == 1


def test_the_installed_micrograd_plus_command_runs_the_cli():
    from importlib.metadata import entry_points
    command, = [e for e in entry_points(group='console_scripts') if e.name == 'micrograd-plus']
    assert command.load() is main


def test_a_reader_that_stops_early_is_no_error():
    # `micrograd-plus graph ... | head -1`: the pipe closes after one line, long before ~40 KB are written
    names = [f'x{i}' for i in range(1000)]
    command = (f'{sys.executable} -m micrograd_plus graph "{"+".join(names)}" '
               + ' '.join(f'{name}=1' for name in names) + ' | head -1')
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith('f = x0+x1+') and result.stderr == ''
