"""Rendering: SVG and PNG with graphviz-pure alone, a system `dot` for the rest, the notebook display, errors."""
import itertools
import os
import pathlib
import re
import stat
import struct
import subprocess
import sys
import sysconfig
import textwrap
import xml.etree.ElementTree as ET

import graphviz
import pytest

from micrograd_plus.nn import MLP
from micrograd_plus.viz import Digraph, NoRendererError, available_renderer, draw_dot, render, to_svg
from micrograd_plus.viz.render import PURE_FORMATS, RenderError, find_graphviz_pure

import catalogue

SVG = '{http://www.w3.org/2000/svg}'
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def lecture_neuron():
    """The lecture neuron after backward: (o, its nodes by name)."""
    nodes = catalogue.lecture_neuron()
    nodes['o'].backward()
    return nodes['o'], nodes


def png_size(picture):
    """(width, height) in pixels from a PNG's header chunk, after checking the signature."""
    assert picture[:8] == PNG_SIGNATURE and picture[12:16] == b'IHDR'
    return struct.unpack('>II', picture[16:24])


def svg_size(svg):
    """(width, height) in points of an SVG drawing."""
    root = ET.fromstring(svg[svg.index('<svg'):])
    return tuple(float(root.get(side).removesuffix('pt')) for side in ('width', 'height'))


def files_in(folder):
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def empty_path(tmp_path, monkeypatch):
    """A PATH with nothing on it: no Graphviz (this machine has none either, but be sure), no graphviz-pure.

    graphviz-pure is still found, next to this Python: that is how a venv used without activating it runs.
    """
    empty = tmp_path / 'empty-bin'
    empty.mkdir()
    monkeypatch.setenv('PATH', str(empty))
    monkeypatch.delenv(render.PREFERENCE, raising=False)


@pytest.fixture
def out(tmp_path):
    """A folder for pictures, holding nothing else."""
    folder = tmp_path / 'out'
    folder.mkdir()
    return folder


# ---------------------------------------------------------------- graphviz-pure alone

def test_graphviz_pure_is_found_next_to_python_with_nothing_on_path(empty_path):
    found = find_graphviz_pure()
    beside_python = {os.path.dirname(sys.executable), sysconfig.get_path('scripts')}
    assert found is not None and os.path.dirname(found) in beside_python
    assert available_renderer() == available_renderer('png') == 'graphviz-pure'


def test_pipe_makes_svg_with_records_and_stable_names(empty_path):
    o, v = lecture_neuron()
    svg = draw_dot(o).pipe(format='svg').decode()
    root = ET.fromstring(svg[svg.index('<svg'):])
    groups = root.findall(f'.//{SVG}g[@class="node"]')
    titles = {g.find(f'{SVG}title').text for g in groups}
    assert len(groups) == 15                                                  # 10 values + 5 ops
    assert {str(id(o)), f'{id(o)}tanh', str(id(v["x1w1"])) + '*'} <= titles   # the stable names
    texts = [t.text for t in root.iter(f'{SVG}text')]
    assert texts[texts.index('o'):texts.index('o') + 3] == ['o', 'data 0.7071', 'grad 1.0000']  # one record
    assert 'grad &#45;1.5000' in svg


def test_pipe_makes_png_the_size_of_the_svg_at_96_dpi(empty_path):
    o, _ = lecture_neuron()
    width, height = png_size(draw_dot(o).pipe(format='png'))
    points = svg_size(to_svg(o))
    assert abs(width - points[0] * 96 / 72) <= 2 and abs(height - points[1] * 96 / 72) <= 2
    assert width > 1000 and 150 < height < width / 4                         # the lecture's long, flat picture


def test_render_writes_svg_and_png_files_with_graphviz_names(empty_path, out):
    o, _ = lecture_neuron()
    written = draw_dot(o).render(out / 'neuron', cleanup=True)
    assert written == str(out / 'neuron.svg') and files_in(out) == ['neuron.svg']   # cleanup removed the source
    assert ET.parse(written).getroot().tag == f'{SVG}svg'

    written = draw_dot(o).render(out / 'neuron', format='png')
    assert written == str(out / 'neuron.png') and files_in(out) == ['neuron', 'neuron.png', 'neuron.svg']
    assert (out / 'neuron').read_text() == draw_dot(o).source                 # the source stays without cleanup
    png_size((out / 'neuron.png').read_bytes())

    written = draw_dot(o).render(outfile=out / 'other.png')                   # the format from the suffix
    assert written == str(out / 'other.png') and (out / 'other.gv').exists()
    png_size((out / 'other.png').read_bytes())
    with pytest.raises(graphviz.FileExistsError):
        draw_dot(o).render(outfile=out / 'other.png', raise_if_result_exists=True)


def test_clusters_render(empty_path):
    model = MLP(2, [2, 1], rng=1)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    svg = to_svg(loss, color_by='role', parameters=model.parameters())
    root = ET.fromstring(svg[svg.index('<svg'):])
    titles = [t.text for g in root.iter(f'{SVG}g') if g.get('class') == 'cluster' for t in g.iter(f'{SVG}title')]
    assert sorted(titles) == ['cluster_layers.0.neurons.0', 'cluster_layers.0.neurons.1', 'cluster_layers.1.neurons.0']
    assert 'layers.0' in svg and 'layers.0.neurons.1' in svg


def test_the_notebook_display_is_svg(empty_path):
    o, _ = lecture_neuron()
    g = draw_dot(o)
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ['image/svg+xml']
    assert bundle['image/svg+xml'].startswith('<?xml') and '</svg>' in bundle['image/svg+xml']
    assert g._repr_image_svg_xml() == g._repr_svg_() == bundle['image/svg+xml']
    png_size(g._repr_mimebundle_(include=['image/png'])['image/png'])       # graphviz.set_jupyter_format('png')


def test_in_a_notebook_a_large_drawing_scales_to_the_cell_width_never_beyond_its_size():
    from micrograd_plus.nn import MLP
    model = MLP(3, [4, 4, 1], rng=0)
    g = draw_dot(model([1.0, 2.0, 3.0]))
    drawn = ET.fromstring((svg := g.pipe(format='svg', encoding='utf-8'))[svg.index('<svg'):])
    shown = g._repr_mimebundle_()['image/svg+xml']
    root = ET.fromstring(shown[shown.index('<svg'):])
    assert float(drawn.get('width').removesuffix('pt')) > 1000  # too wide for a cell as drawn
    assert root.get('width') == '100%' and root.get('height') is None and root.get('viewBox') == drawn.get('viewBox')
    assert root.get('style') == f"max-width: {drawn.get('width')}; height: auto"
    assert g.pipe(format='svg', encoding='utf-8') == svg  # files and pipe() keep the drawing's own size


def test_view_renders_then_opens_the_picture(empty_path, out, monkeypatch):
    opened = []
    monkeypatch.setattr(graphviz, 'view', lambda path, quiet=False: opened.append((os.fspath(path), quiet)))
    o, _ = lecture_neuron()
    written = draw_dot(o).view(out / 'neuron', cleanup=True)
    assert opened == [(written, False)] and files_in(out) == ['neuron.svg']


def test_the_format_list_matches_the_installed_program():
    done = subprocess.run([find_graphviz_pure(), '-Tnot-a-format'], input=b'digraph {}', capture_output=True,
                          check=False)
    listed = re.search(r'Use one of: (.*)', done.stderr.decode()).group(1).split()
    assert done.returncode != 0 and set(listed) == PURE_FORMATS


# ---------------------------------------------------------------- errors

def test_a_format_no_renderer_makes_says_what_can_be_made_and_leaves_no_files(empty_path, out):
    o, _ = lecture_neuron()
    with pytest.raises(NoRendererError) as caught:
        draw_dot(o).render(out / 'neuron', format='pdf')
    message = str(caught.value)
    assert "format 'pdf'" in message and 'svg, png and jpeg' in message and 'https://graphviz.org/download/' in message
    with pytest.raises(NoRendererError, match="format 'pdf'"):
        draw_dot(o).render(outfile=out / 'neuron.pdf')
    with pytest.raises(NoRendererError, match="format 'pdf'"):
        draw_dot(o).pipe(format='pdf')
    assert files_in(out) == []
    with pytest.raises(ValueError, match="unknown format: 'nonsense'"):         # as graphviz says it
        draw_dot(o).pipe(format='nonsense')


def test_a_source_the_renderer_refuses_is_one_readable_message_and_no_files(empty_path, out):
    g = Digraph()
    g.body.append('\ta -> {\n')  # an unclosed brace
    with pytest.raises(RenderError) as caught:
        g.pipe(format='svg')
    message = str(caught.value)
    assert message.startswith('graphviz-pure could not render this graph (exit status 1): ')
    assert 'syntax error' in message and 'print(graph.source)' in message and '\n' not in message
    assert isinstance(caught.value, graphviz.CalledProcessError)   # code written for graphviz still catches it
    with pytest.raises(RenderError):
        g.render(out / 'broken', format='png')
    assert files_in(out) == []


def test_renderer_warnings_go_to_stderr_unless_quiet(empty_path, capsys):
    g = Digraph()
    g.node('a', color='not-a-colour')
    assert b'</svg>' in g.pipe(format='svg')
    assert 'not-a-colour is not a known color' in capsys.readouterr().err
    g.pipe(format='svg', quiet=True)
    assert capsys.readouterr().err == ''


def test_nothing_to_render_with_says_what_to_install(empty_path, monkeypatch):
    monkeypatch.setattr(render, 'find_graphviz_pure', lambda: None)  # as on a platform without its wheel
    assert available_renderer() is None
    o, _ = lecture_neuron()
    with pytest.raises(NoRendererError) as caught:
        draw_dot(o)._repr_mimebundle_()
    message = str(caught.value)
    assert "pip install 'graphviz-pure" in message and 'https://graphviz.org/download/' in message
    assert isinstance(caught.value, graphviz.ExecutableNotFound)  # code written for graphviz still catches it


def child_processes():
    """Pids whose parent is this process, zombies included (Linux's /proc)."""
    children = []
    for stat_file in os.listdir('/proc'):
        if stat_file.isdigit():
            try:
                fields = pathlib.Path(f'/proc/{stat_file}/stat').read_text().rsplit(')', 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            if int(fields[1]) == os.getpid():
                children.append(int(stat_file))
    return children


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='reads /proc')
def test_no_renderer_process_outlives_a_render_even_an_interrupted_one(empty_path, monkeypatch):
    o, _ = lecture_neuron()
    draw_dot(o).pipe(format='png')
    with pytest.raises(RenderError):
        Digraph(body=['\t{\n']).pipe(format='svg')

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C in a notebook while the program runs
    monkeypatch.setattr(subprocess.Popen, 'communicate', interrupted)
    with pytest.raises(KeyboardInterrupt):
        draw_dot(o).pipe(format='svg')
    assert child_processes() == []


# ---------------------------------------------------------------- a system dot beside it

FAKE_DOT = '''\
    #!{python}
    """A stand-in for Graphviz's dot: logs its arguments and input, answers with a marked SVG."""
    import os, sys
    source = sys.stdin.read()
    args = ' '.join(sys.argv[1:])
    sys.stdout.write('<svg xmlns="http://www.w3.org/2000/svg"><!-- fake dot {{}} --></svg>'.format(args))
    open(os.environ['FAKE_DOT_LOG'], 'a').write(source)
'''


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A `dot` on PATH that logs what it was given; yields the log file."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake = bin_dir / 'dot'
    fake.write_text(textwrap.dedent(FAKE_DOT).format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / 'dot.log'
    monkeypatch.setenv('PATH', str(bin_dir))
    monkeypatch.setenv('FAKE_DOT_LOG', str(log))
    monkeypatch.delenv(render.PREFERENCE, raising=False)
    return log


def test_a_system_dot_makes_what_graphviz_pure_cannot(fake_dot, out):
    o, _ = lecture_neuron()
    assert available_renderer('pdf') == 'dot'
    assert 'fake dot -Kdot -Tpdf' in draw_dot(o).pipe(format='pdf').decode()
    assert '{ o | data 0.7071 | grad 1.0000 }' in fake_dot.read_text()       # the source went in on stdin
    written = draw_dot(o).render(out / 'neuron', format='pdf', cleanup=True)
    assert 'fake dot' in pathlib.Path(written).read_text() and files_in(out) == ['neuron.pdf']


def test_graphviz_pure_wins_for_the_formats_both_make(fake_dot):
    o, _ = lecture_neuron()
    assert available_renderer() == available_renderer('png') == 'graphviz-pure'
    assert 'fake dot' not in to_svg(o) and not fake_dot.exists()              # dot was never run
    png_size(draw_dot(o).pipe(format='png'))


def test_the_environment_can_prefer_the_system_dot(fake_dot, monkeypatch):
    o, _ = lecture_neuron()
    monkeypatch.setenv(render.PREFERENCE, 'dot')
    assert available_renderer() == 'dot'
    assert 'fake dot -Kdot -Tsvg' in draw_dot(o)._repr_mimebundle_()['image/svg+xml']
    monkeypatch.setenv(render.PREFERENCE, 'Dot ')
    with pytest.raises(ValueError, match=r"MICROGRAD_PLUS_RENDERER='Dot ': set it to 'dot'"):
        draw_dot(o).pipe()


@pytest.mark.parametrize('call, error, match', [
    (lambda: render.render_source(None), TypeError, r'render_source\(source\), the DOT text, must be text'),
    (lambda: render.render_source('digraph {}', format=None), TypeError, "the format must be text, like 'svg'"),
    (lambda: render.render_source('digraph {}', engine=2.5), TypeError, r'the engine must be text \(one of'),
    (lambda: render.render_source('digraph {}', neato_no_op=5), ValueError, r'neato_no_op .* must be at most 2'),
    (lambda: render.render_source('digraph {}', encoding='klingon'), ValueError, "unknown encoding 'klingon'"),
    (lambda: Digraph().pipe(format='svg', quiet='no'), TypeError, "quiet is True or False, got str 'no'"),
    (lambda: Digraph().render('g', cleanup='yes'), TypeError, r"render\(cleanup=...\) is True or False"),
    (lambda: Digraph().render(2.5), TypeError, r'render\(filename=...\) must be a file name'),
    (lambda: available_renderer(None), TypeError, 'the format must be text'),
])
def test_render_arguments_are_checked_before_anything_runs_or_is_written(call, error, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match):
        call()
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- pictures that fit a screen

def text_px_at_fit(svg, screen=(1920, 1080)):
    """{font size in points: its height in CSS px} when the SVG is shown whole, scaled to fit ``screen``.

    An SVG of W x H points is W x H * 4/3 px at 96 dpi; fitted, it is scaled by min(screen / that), never up.
    """
    width, height = svg_size(svg)
    scale = min(screen[0] / (width * 4 / 3), screen[1] / (height * 4 / 3), 1.0)
    return {float(size): float(size) * 4 / 3 * scale for size in re.findall(r'font-size="([\d.]+)"', svg)}


def one_sample_mlp():
    model = MLP(3, [4, 4, 1], rng=0)
    out = model([1.0, -2.0, 0.5])
    out.backward()
    return out, model


def test_a_one_sample_mlp_fits_a_1080p_screen_with_text_of_9_px_or_more():
    """Before: 3401x3315 px (layer boxes stacked like stairs, half-inch records), 6 px text; now 2721x1236 px."""
    out, model = one_sample_mlp()
    for svg in (to_svg(out), to_svg(out, color_by='role', parameters=model.parameters())):
        width, height = svg_size(svg)
        assert height * 4 / 3 < 1400 and width * 4 / 3 < 3000
        sizes = text_px_at_fit(svg)
        assert min(sizes.values()) >= 12, sizes  # records, box titles and the legend (before: 10 pt, 5 px at fit)
    assert 'fill: blue = input' in svg  # the role picture has its legend


def test_the_layers_of_an_mlp_stand_side_by_side_not_in_a_staircase():
    out, _ = one_sample_mlp()
    root = ET.fromstring(to_svg(out)[to_svg(out).index('<svg'):])
    boxes = {}
    for group in root.iter(f'{SVG}g'):
        if group.get('class') == 'cluster':
            name = group.find(f'{SVG}title').text.removeprefix('cluster_')
            points = [tuple(map(float, p.split(','))) for p in group.find(f'{SVG}path').get('d')
                      .replace('M', ' ').replace('C', ' ').replace('Z', ' ').split()]
            boxes[name] = (min(x for x, _ in points), max(x for x, _ in points),
                           min(y for _, y in points), max(y for _, y in points))
    layer = {k: [box for name, box in boxes.items() if name.startswith(f'layers.{k}.')] for k in range(3)}
    assert [len(layer[k]) for k in range(3)] == [4, 4, 1]
    columns = [(min(b[0] for b in layer[k]), max(b[1] for b in layer[k]), min(b[2] for b in layer[k]),
                max(b[3] for b in layer[k])) for k in range(3)]
    for left, right in itertools.pairwise(columns):
        assert left[1] < right[0]  # every box of the next layer right of every box of this one ...
        overlap = min(left[3], right[3]) - max(left[2], right[2])
        # ... and beside it: they share most of the shorter column's height (the staircase shared a quarter)
        assert overlap > 0.7 * min(left[3] - left[2], right[3] - right[2])


def test_micrographs_neuron_written_out_fits_a_1024_wide_screen():
    """expand_dot draws b + w0*x0 + ... as a chain: before 2404x353 px (8 px text at 1024 wide), now 1915x188."""
    from micrograd_plus.nn import Neuron
    neuron = Neuron(3, rng=0)
    y = neuron([1.0, 2.0, 3.0])
    y.backward()
    svg = to_svg(y, expand_dot=True)
    assert min(text_px_at_fit(svg, (1024, 768)).values()) >= 9.5
    assert min(text_px_at_fit(svg).values()) >= 18


def test_the_lecture_neuron_keeps_micrograds_roomy_records():
    o, _ = lecture_neuron()
    assert 'height=' not in draw_dot(o).source and 'nodesep' not in draw_dot(o).source


def test_draw_network_pictures_fit_a_1080p_screen_with_readable_text_and_legend():
    """2-16-16-1 with its sample: 1192x1584 px, 11 px circles' text, 12.7 px legend at fit; the network with
    BatchNorm, Dropout and a Residual: 2275x457 px, 13.5 px."""
    from micrograd_plus.losses import mse
    from micrograd_plus.nn import BatchNorm, Dropout, Linear, ReLU, Residual, Sequential, Tanh
    from micrograd_plus.viz import draw_network
    big = draw_network(MLP(2, [16, 16, 1], rng=1337), x=[0.5, -0.3]).pipe(format='svg', encoding='utf-8')
    model = Sequential(Linear(2, 4, rng=0), BatchNorm(4), ReLU(), Dropout(0.3, rng=0),
                       Residual(Sequential(Linear(4, 4, rng=1), Tanh())), Linear(4, 1, rng=2))
    mse([y[0] for y in model.batch([[0.5, -0.3], [1.0, 0.2], [-0.4, 0.9]])], [1.0, 0.0, 1.0]).backward()
    parts = draw_network(model.eval(), x=[0.5, -0.3]).pipe(format='svg', encoding='utf-8')
    for svg, smallest in ((big, 10), (parts, 12)):
        sizes = text_px_at_fit(svg)
        assert min(sizes.values()) >= smallest and sizes[14.0] >= 12, sizes  # circles, then titles and legend
