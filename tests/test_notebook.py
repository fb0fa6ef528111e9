"""The library in a real Jupyter kernel: the tour notebook runs top to bottom and shows rich outputs, and
micrograd's own trace_graph workflow works with micrograd_plus's draw_dot."""
import pathlib
import re

import pytest

nbformat = pytest.importorskip('nbformat')
nbclient = pytest.importorskip('nbclient')
pytest.importorskip('ipykernel')

TOUR = pathlib.Path(__file__).resolve().parents[1] / 'demos' / 'tour.ipynb'


def run(notebook, directory):
    """Execute every cell in a fresh kernel (in ``directory``); returns the notebook with its outputs."""
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name='python3',
                                     resources={'metadata': {'path': str(directory)}})
    client.execute()
    return notebook


def outputs_of(cell):
    """{mime type or 'stream': text} of a code cell's outputs."""
    found = {}
    for output in cell.outputs:
        if output.output_type == 'stream':
            found['stream'] = found.get('stream', '') + output.text
        for mime, content in output.get('data', {}).items():
            found[mime] = content
    return found


def test_the_tour_is_committed_without_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == 'code':
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.fixture(scope='module')
def tour(tmp_path_factory):
    """The outputs of each code cell of the tour, run in a fresh kernel, by the cell's source."""
    notebook = run(nbformat.read(TOUR, as_version=4), tmp_path_factory.mktemp('tour'))
    return {cell.source: outputs_of(cell) for cell in notebook.cells if cell.cell_type == 'code'}


def cell_with(tour, text):
    """The outputs of the cell whose source or outputs contain ``text``."""
    return next(shown for source, shown in tour.items()
                if text in source or any(text in str(content) for content in shown.values()))


def test_the_tour_runs_top_to_bottom_and_shows_a_value_at_a_glance(tour):
    value = cell_with(tour, 'Value(data=0.707')
    assert '<b>o</b> data 0.707107' in value['text/html'] and 'grad 1.0' in value['text/html']


def test_the_tour_draws_the_graph_inline_as_svg(tour):
    svg = cell_with(tour, '<svg')['image/svg+xml']
    assert 'x1*w1' in svg and 'grad' in svg


def test_the_tour_explains_a_weight_and_shows_the_text_view(tour):
    assert 'dL/dw1 = dL/d(x1*w1) * x1 = 0.5 * 2.0 = 1.0' in cell_with(tour, 'dL/dw1')['stream']
    assert '<pre' in cell_with(tour, '├─')['text/html']


def test_the_tour_shows_the_stepper_inline(tour):
    frame = cell_with(tour, '<iframe sandbox="allow-scripts" srcdoc=')['text/html']
    assert 'Backprop stepper: o' in frame and 'id=&quot;steps&quot;' in frame


def test_the_tour_shows_gradcheck_as_a_table(tour):
    table = cell_with(tour, 'gradcheck')['text/html']
    assert '<table' in table and 'PASSED' in table


def test_the_tour_shows_the_model_as_a_table_of_its_layers(tour):
    table = cell_with(tour, 'optimizer.step()')['text/html']
    assert '<b>MLP</b>: 337 parameters' in table and '16 ReLU neurons, 2 inputs each' in table


def test_the_tour_trains_and_plots(tour):
    import re
    accuracy = re.search(r'accuracy (\d+)%', cell_with(tour, 'optimizer.step()')['stream'])
    assert accuracy and int(accuracy.group(1)) >= 90
    assert cell_with(tour, 'plt.show()')['image/png']


def test_micrograds_trace_graph_workflow_works_with_micrograd_plus(tmp_path):
    # the cells of micrograd's trace_graph.ipynb, with the import changed
    cells = ['from micrograd_plus import Value, draw_dot',
             'x = Value(1.0)\ny = (x * 2 + 1).relu()\ny.backward()\ndot = draw_dot(y)\ndot',
             "dot.render('gout')"]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    shown = [outputs_of(cell) for cell in run(notebook, tmp_path).cells]
    assert '<svg' in shown[1]['image/svg+xml']
    assert shown[2]['text/plain'] == "'gout.svg'" and (tmp_path / 'gout.svg').read_text().count('<svg') == 1


def test_the_tour_ends_with_the_playground_widget_trained_from_python(tour):
    shown = cell_with(tour, 'Playground(')
    assert 'application/vnd.jupyter.widget-view+json' in shown
    assert float(re.search(r'after 100 steps: test loss ([\d.]+)', shown['stream']).group(1)) < 0.5
