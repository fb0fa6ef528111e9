"""The playground: its settings and address, the session's training (against the engine), the widget's Python
side as a front-end drives it, the served page and its API, and the page in a real headless Chromium."""
import base64
import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from test_stepper import CHROMIUM, Chromium, needs_browser

from micrograd_plus import losses
from micrograd_plus.nn import MLP
from micrograd_plus.playground import DEFAULTS, Session, from_address, to_address
from micrograd_plus.playground.session import GRID
from micrograd_plus.teach.explain import format_number

ROOT = pathlib.Path(__file__).resolve().parents[1]
PRESET = 'dataset=circles&layers=6,3&activation=tanh&learningRate=0.1&regularization=L2'


def heatmap(text):
    """A frame's heatmap back as numbers in [-1, 1] (signed bytes over 127)."""
    return [b - 256 if b > 127 else b for b in base64.b64decode(text)]


# ---------------------------------------------------------------- settings and the address

def test_settings_are_checked_with_messages_that_say_what_to_do():
    cases = [({'dataset': 'moon'}, ValueError, "dataset must be one of 'moons'"),
             ({'layers': [4, 9]}, ValueError, r'layers\[1\] has 9 neurons; the playground shows at most 8 in a layer'),
             ({'layers': [1] * 7}, ValueError, 'at most 6'),
             ({'layers': 4}, TypeError, r'a list of hidden layer sizes, like \[4, 2\]'),
             ({'learning_rate': 0}, ValueError, r'learning_rate must be in \(0, 100\]'),
             ({'learning_rate': '0.1'}, TypeError, 'convert text with float'),
             ({'optimizer': 'rmsprop'}, ValueError, "'sgd', 'momentum', 'adam'"),
             ({'activation': 'gelu'}, ValueError, "'tanh', 'relu', 'sigmoid', 'linear'"),
             ({'regularization': 'L3'}, ValueError, "'none', 'L1', 'L2'"),
             ({'features': []}, ValueError, 'at least one input'),
             ({'features': ['x3']}, ValueError, "each of features must be one of 'x1'"),
             ({'train_fraction': 1.0}, ValueError, r'in \[0.1, 0.9\]'),
             ({'seed': -1}, ValueError, 'seed must be an int >= 0'),
             ({'batch_size': 0}, ValueError, 'batch_size must be an int >= 1'),
             ({'learningrate': 0.1}, TypeError, "unknown playground setting 'learningrate': the settings are"),
             ({'dataset': 'custom'}, ValueError, r'Playground\(X=..., y=...\)')]
    for given, error, message in cases:
        with pytest.raises(error, match=message):
            Session(**given)


def test_your_own_points_are_checked():
    with pytest.raises(ValueError, match='X and y must have the same length'):
        Session(X=[[0, 0]] * 5, y=[0] * 4)
    with pytest.raises(ValueError, match=r'y\[2\] must be a label 0 or 1'):
        Session(X=[[0, 0]] * 5, y=[0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match=r'X\[1\] must be a point \[x1, x2\]'):
        Session(X=[[0, 0], [1, 2, 3], [0, 1], [1, 1]], y=[0, 1, 0, 1])


def test_the_address_reads_tensorflow_playgrounds_names_and_round_trips():
    settings = from_address(f'#{PRESET}&regularizationRate=0.01&percTrainData=70&batchSize=20&xSquared=true&y=false')
    assert settings['dataset'] == 'circles' and settings['layers'] == [6, 3]
    assert settings['learning_rate'] == 0.1 and settings['regularization'] == 'L2'
    assert settings['regularization_rate'] == 0.01 and settings['train_fraction'] == 0.7
    assert settings['batch_size'] == 20 and settings['features'] == ['x1', 'x1^2']
    assert from_address(to_address(settings)) == settings
    assert from_address('networkShape=2&dataset=gauss')['layers'] == [2]  # TensorFlow Playground's own words
    assert from_address('dataset=gauss')['dataset'] == 'blobs'
    copied = ('activation=relu&batchSize=10&dataset=xor&regDataset=reg-plane&learningRate=0.03&regularizationRate=0'
              '&noise=0&networkShape=4,2&seed=0&showTestData=false&discretize=false&percTrainData=50&x=true&y=true'
              '&xTimesY=true&xSquared=false&ySquared=false&sinX=false&sinY=false&collectStats=false'
              '&problem=classification&initZero=false&hideText=false')  # a link from TensorFlow Playground
    settings = from_address(copied.replace('noise=0', 'noise=35'))
    assert settings['noise'] == 0.35  # TensorFlow Playground's percent
    with pytest.raises(ValueError, match="seed='0.5' in the address: seed takes a whole number"):
        from_address(copied.replace('seed=0', 'seed=0.5'))
    assert (settings['dataset'], settings['layers'], settings['activation']) == ('xor', [4, 2], 'relu')
    assert settings['features'] == ['x1', 'x2', 'x1*x2']
    with pytest.raises(ValueError, match="problem='regression' in the address: the playground separates two"):
        from_address('problem=regression')  # the playground classifies
    with pytest.raises(ValueError, match="unknown setting 'learnRate' in the address"):
        from_address('learnRate=0.1')
    with pytest.raises(ValueError, match="layers='a,b' in the address: layers takes numbers like 6,3"):
        from_address('layers=a,b')
    with pytest.raises(ValueError, match='must be true or false'):
        from_address('sinX=1')


# ---------------------------------------------------------------- the session against the engine

def engine_loss(session, xs, targets, rate):
    """The batch's loss built with Values: mean squared error plus rate times the L2 norm of the weights."""
    model = session.model
    loss = losses.mse([model(x) for x in xs], targets)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    return loss + rate * sum(w * w for w in weights)


def test_a_compiled_step_moves_the_weights_as_the_engines_backward_says():
    session = Session(dataset='moons', layers=[5, 3], batch_size=8, regularization='L2', regularization_rate=0.01,
                      learning_rate=0.2, seed=3)
    before = [p.data for p in session.model.parameters()]
    session.step(1)
    batch = session._last_batch
    columns, targets = session._columns['train'], session._targets['train']
    xs = [[column[i] for column in columns] for i in batch]
    for p, data in zip(session.model.parameters(), before):
        p.data, p.grad = data, 0.0
    loss = engine_loss(session, xs, [targets[i] for i in batch], 0.01)
    loss.backward()
    expected = [p.data - 0.2 * p.grad for p in session.model.parameters()]
    session2 = Session(dataset='moons', layers=[5, 3], batch_size=8, regularization='L2', regularization_rate=0.01,
                       learning_rate=0.2, seed=3)
    session2.step(1)
    assert [p.data for p in session2.model.parameters()] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_the_pictures_are_the_networks_outputs_on_the_plane():
    session = Session(dataset='xor', layers=[3, 2], activation='relu', features=['x1', 'x2', 'x1*x2'], seed=1)
    session.step(30)
    frame = session.frame()
    low, high = frame['extent']
    cell = (high - low) / GRID
    model = session.model
    for k in (0, 417, GRID * GRID - 1):  # the grid runs left to right, top row first
        a, b = low + (k % GRID + 0.5) * cell, high - (k // GRID + 0.5) * cell
        x = [a, b, a * b]
        hidden = model.layers[0].outputs(x)
        for i, neuron in enumerate(frame['network'][0]):
            assert heatmap(neuron['heatmap'])[k] == int(max(-1.0, min(1.0, hidden[i].data)) * 127)
        output = model(x).data
        assert heatmap(frame['network'][-1][0]['heatmap'])[k] == int(output * 127)
    assert len(heatmap(frame['network'][-1][0]['heatmap'])) == GRID * GRID


def test_losses_and_history_are_the_mean_squared_error_on_all_points():
    session = Session(dataset='circles', layers=[4], seed=2)
    session.step(5)
    state = session.state()
    for which in ('train', 'test'):
        points, labels = session.points[which]
        expected = sum((session.model(p).data - (2 * t - 1)) ** 2 for p, t in zip(points, labels)) / len(points)
        assert state[f'{which}_loss'] == pytest.approx(expected, rel=1e-12)
    history = session.history
    assert history['step'] == list(range(6)) and history['test_loss'][-1] == state['test_loss']
    assert {'step', 'train_loss', 'test_loss', 'dataset', 'layers', 'learning_rate', 'optimizer', 'activation',
            'regularization', 'regularization_rate', 'features', 'seed', 'noise', 'batch_size',
            'train_fraction'} <= set(state)


def test_what_rebuilds_and_what_goes_on():
    session = Session(seed=4)
    first = [p.data for p in session.model.parameters()]
    session.step(3)
    assert session.update(learning_rate=0.3, optimizer='adam', batch_size=20, regularization='L1') is False
    assert session.step_count == 3
    session.step(2)
    assert session.step_count == 5
    assert session.update(layers=[3]) is True and session.step_count == 0
    assert [len(layer.neurons) for layer in session.model.layers] == [3, 1]
    session.update(layers=[4, 2])
    session.reset()
    assert [p.data for p in session.model.parameters()] == first  # the seed makes the same network
    with pytest.raises(ValueError):
        session.update(layers=[4, 2], learning_rate=-1)
    assert session.settings['learning_rate'] == 0.3  # nothing changed on an error


def test_every_optimizer_and_activation_trains_and_a_network_gone_to_nan_still_makes_json():
    for optimizer in ('sgd', 'momentum', 'adam'):
        for activation in ('tanh', 'relu', 'sigmoid', 'linear'):
            session = Session(dataset='moons', optimizer=optimizer, activation=activation, learning_rate=0.03,
                              batch_size=50, seed=0)
            session.step(40)
            assert session.state()['train_loss'] < session.history['train_loss'][0], (optimizer, activation)
    session = Session(activation='linear', seed=0)
    session.model.layers[0].neurons[0].w[0].data = math.inf  # as a learning rate far too large can end
    session.step(2)
    assert math.isnan(session.state()['test_loss'])
    frame = json.loads(json.dumps(session.frame(), allow_nan=False))
    assert frame['test_loss'] is None and frame['network'][0][0]['weights'][0] is None


def test_explain_writes_the_chain_rule_of_a_weight_on_the_last_batch():
    session = Session(layers=[2], batch_size=4, seed=0)
    session.step(2)
    text = session.explain('layers.0.neurons.1.w.0')
    assert text.startswith('layers.0.neurons.1.w.0 = ') and 'dL/d(layers.0.neurons.1.w.0)' in text
    grad = session.info('layers.0.neurons.1.w.0')['grad']
    assert f'= {format_number(grad)}\n' in text  # the grad the engine's backward() gave
    with pytest.raises(ValueError, match="no parameter 'layers.9.w'"):
        session.explain('layers.9.w')


def test_your_own_points_train_and_are_drawn_in_their_own_square():
    X = [[10 + i % 7, 20 + i % 5] for i in range(40)]
    y = [int(a + b > 33) for a, b in X]
    session = Session(X=X, y=y, layers=[3], learning_rate=0.1, batch_size=30)
    assert session.settings['dataset'] == 'custom'
    low, high = session.extent
    assert low < 10 and high > 24
    session.step(20)
    assert session.state()['n_train'] + session.state()['n_test'] == 40
    assert 'dataset=' not in to_address(session.settings)


def test_importing_micrograd_plus_leaves_the_playground_and_anywidget_unloaded():
    code = ('import sys, micrograd_plus; print(any(m.startswith(("micrograd_plus.playground", "anywidget", '
            '"ipywidgets")) for m in sys.modules))')
    assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          check=True).stdout.strip() == 'False'


# ---------------------------------------------------------------- the widget's Python side

@pytest.fixture
def widget():
    from micrograd_plus.playground import Playground
    p = Playground(dataset='xor', layers=[4, 4], activation='tanh', learning_rate=0.1, seed=0)
    p.sent = []
    p.send = lambda content, buffers=None: p.sent.append(content)  # what would go to the front-end
    return p


def test_the_widget_syncs_its_state_and_its_python_api_trains(widget):
    assert widget.settings['layers'] == [4, 4] and widget.frame['step'] == 0 and widget.running is False
    assert isinstance(widget.model, MLP) and [len(layer.neurons) for layer in widget.model.layers] == [4, 4, 1]
    assert repr(widget) == 'Playground(xor, 2-4-4-1 tanh network, step 0)'
    assert widget.get_state()['settings']['dataset'] == 'xor'  # what the front-end is sent
    state = widget.step(25)
    assert state['step'] == 25 == widget.frame['step'] and len(widget.history['step']) == 26
    assert state == {**widget.state()} and state['dataset'] == 'xor' and state['layers'] == [4, 4]
    assert widget.frame['test_loss'] == pytest.approx(state['test_loss'])
    widget.reset()
    assert widget.state()['step'] == 0 and widget.frame['step'] == 0
    assert widget.set(learning_rate=0.3)['learning_rate'] == 0.3 and widget.settings['learning_rate'] == 0.3


def test_the_front_end_changes_settings_and_a_bad_one_is_refused_with_a_message(widget):
    widget.step(5)
    widget.set_state({'settings': {**widget.settings, 'learning_rate': 0.01}})  # as the front-end sends it
    assert widget.state()['learning_rate'] == 0.01 and widget.state()['step'] == 5 and widget.error == ''
    widget.set_state({'settings': {**widget.settings, 'layers': [2]}})
    assert widget.state()['layers'] == [2] and widget.state()['step'] == 0
    assert sum(1 for layer in widget.frame['network'][:-1] for _ in layer) == 2
    widget.set_state({'settings': {**widget.settings, 'activation': 'swish'}})
    assert "activation must be one of 'tanh'" in widget.error
    assert widget.settings['activation'] == 'tanh' and widget.state()['activation'] == 'tanh'


def test_the_front_ends_messages_play_step_reset_select_and_explain(widget):
    widget._handle_custom_msg({'type': 'tick'}, [])
    assert widget.frame['step'] == 0 and widget.sent == [{'type': 'ticked', 'step': 0}]  # paused: no training
    widget.set_state({'running': True})
    widget._handle_custom_msg({'type': 'tick'}, [])
    assert widget.frame['step'] >= 1 and widget.sent[-1] == {'type': 'ticked', 'step': widget.frame['step']}
    widget.set_state({'running': False})
    steps = widget.frame['step']
    widget._handle_custom_msg({'type': 'step'}, [])
    assert widget.frame['step'] == steps + 1
    widget._handle_custom_msg({'type': 'select', 'target': 'layers.1.neurons.2.w.3'}, [])
    weight = widget.model.layers[1].neurons[2].w[3]
    assert widget.info == {'target': 'layers.1.neurons.2.w.3', 'value': weight.data, 'grad': weight.grad}
    widget._handle_custom_msg({'type': 'explain', 'target': 'layers.1.neurons.2.w.3'}, [])
    assert widget.info['text'].startswith('layers.1.neurons.2.w.3 = ')
    assert widget.explain('layers.0.neurons.0.b') == widget.info['text']
    widget._handle_custom_msg({'type': 'select', 'target': '<b>x</b>'}, [])
    assert "no parameter '<b>x</b>'" in widget.error
    widget._handle_custom_msg({'type': 'reset'}, [])
    assert widget.frame['step'] == 0 and widget.info == {} and widget.error == ''
    with pytest.raises(ValueError, match='a playground message is a dict with a type among tick'):
        widget._controller.message({'type': 'eval', 'code': '1'})  # (ipywidgets logs what a handler raises)


def test_the_widgets_front_end_is_package_data_with_no_markup_from_data(widget):
    from micrograd_plus.playground.widget import FILES
    script = (FILES / 'playground.js').read_text(encoding='utf-8')
    state = widget.get_state()  # what anywidget sends the front-end: the package's files as they are
    assert state['_esm'] == script and state['_css'] == (FILES / 'playground.css').read_text(encoding='utf-8')
    assert 'export default {render}' in script
    assert 'innerHTML' not in script and 'insertAdjacentHTML' not in script and 'eval(' not in script
    for name in ('Play', 'Pause', 'Step', 'Reset'):
        assert f"button('{name}'," in script
    assert not re.search(r'https?://(?!www\.w3\.org/2000/svg)', script + (FILES / 'page.js').read_text()
                         + (FILES / 'playground.html').read_text())


# ---------------------------------------------------------------- the served page

class Served:
    """``micrograd-plus playground --port 0 --no-browser`` in a process of its own."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, '-m', 'micrograd_plus', 'playground', '--port', '0',
                                         '--no-browser'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        cwd=ROOT)
        line = self.process.stdout.readline()
        match = re.search(r'http://127\.0\.0\.1:\d+/', line)
        assert match, line + self.process.stderr.read()
        self.url = match.group(0)

    def get(self, path, **headers):
        request = urllib.request.Request(self.url + path.lstrip('/'), headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read()) if answer.headers['Content-Type'].startswith('application/json') \
                else answer.read().decode()

    def post(self, path, content):
        request = urllib.request.Request(self.url + path.lstrip('/'), data=json.dumps(content).encode(),
                                         headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self):
        """Ctrl-C, as a teacher stops it; returns the exit status and what it printed."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=20)
        return self.process.returncode, out, err


@pytest.fixture(scope='module')
def served():
    server = Served()
    yield server
    if server.process.poll() is None:
        server.stop()


def test_the_server_serves_the_page_its_files_and_the_state_as_json(served):
    page = served.get('/')
    assert '<script type="module" src="page.js">' in page and 'playground.css' in page
    assert 'export default {render}' in served.get('/playground.js')
    state = served.get('/api/state')
    assert state['step'] == 0 and state['dataset'] == DEFAULTS['dataset'] and state['running'] is False
    answer = served.post('/api/message', {'type': 'address', 'address': '#' + PRESET})
    assert answer['traits']['settings']['layers'] == [6, 3] and answer['traits']['frame']['address'].startswith(
        'dataset=circles')
    served.post('/api/message', {'type': 'step'})
    assert served.get('/api/state')['step'] == 1
    explained = served.get('/api/explain?target=layers.0.neurons.0.w.1')
    assert explained['text'].startswith('layers.0.neurons.0.w.1 = ') and explained['value'] is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        served.get('/api/explain?target=nothing')
    assert refused.value.code == 400 and "no parameter 'nothing'" in json.loads(refused.value.read())['error']
    with pytest.raises(urllib.error.HTTPError) as foreign:
        served.get('/api/state', Host='evil.example:80')
    assert foreign.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as missing:
        served.get('/../pyproject.toml')
    assert missing.value.code == 404


def test_ctrl_c_stops_the_server_cleanly():
    server = Served()
    assert server.get('/api/state')['step'] == 0
    status, out, err = server.stop()
    assert status == 0 and 'stopped' in out and 'Traceback' not in err


def test_a_taken_port_is_a_one_line_error(served):
    port = served.url.rsplit(':', 1)[1].strip('/')
    done = subprocess.run([sys.executable, '-m', 'micrograd_plus', 'playground', '--port', port, '--no-browser'],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 1 and done.stderr.startswith(f'micrograd-plus: error: cannot serve on 127.0.0.1:{port}')
    assert len(done.stderr.strip().splitlines()) == 1
    done = subprocess.run([sys.executable, '-m', 'micrograd_plus', 'playground', '--port', '70000', '--no-browser'],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 1 and done.stderr == ('micrograd-plus: error: port must be a TCP port, 0 to 65535 '
                                                    '(0: any free one), got 70000\n')


# ---------------------------------------------------------------- the page in a real browser

# Collects what a page reports as broken: console errors, uncaught exceptions and rejected promises
CONSOLE_HOOK = '''
window.__errors = [];
const original = console.error.bind(console);
console.error = (...args) => { window.__errors.push(args.map(String).join(' ')); original(...args); };
window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
'''


READY = 'document.body && document.body.dataset.ready === "true" && document.querySelector(".mgp[data-step]")'


def open_page(url, width=1024, height=768):
    if CHROMIUM is None:
        pytest.fail('MICROGRAD_PLUS_REQUIRE_BROWSER=1 (set by .ci/run) but there is no chromium on PATH')
    browser = Chromium('about:blank', ready='true')
    browser.send('Page.enable')
    browser.send('Page.addScriptToEvaluateOnNewDocument', source=CONSOLE_HOOK)
    browser.send('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=False)
    browser.send('Page.navigate', url=url)
    browser.wait_for(READY)
    return browser


def shown_number(x):
    """How the page writes a number: 4 decimals, or 4 significant digits in e-notation when tiny or huge."""
    if x != 0 and not 1e-3 <= abs(x) < 1e4:
        mantissa, exponent = f'{x:.3e}'.split('e')
        return f'{mantissa}e{int(exponent):+d}'
    return f'{x:.4f}'


def paused(served):
    """The server's state once the page's Pause has reached it."""
    for _ in range(100):
        state = served.get('/api/state')
        if not state['running']:
            return state
        time.sleep(0.1)
    raise TimeoutError('the server still runs after Pause')


@needs_browser
def test_the_page_trains_live_from_a_preset_in_the_address(served):
    browser = open_page(served.url + '#' + PRESET)
    try:
        state = served.get('/api/state')
        assert (state['dataset'], state['layers'], state['activation'], state['learning_rate'],
                state['regularization'], state['step']) == ('circles', [6, 3], 'tanh', 0.1, 'L2', 0)
        neurons = browser.js('[...document.querySelectorAll("[data-neuron]")].map(e => e.dataset.neuron)')
        assert sorted(neurons) == [f'{layer}.{i}' for layer, size in enumerate((6, 3)) for i in range(size)]
        assert browser.js('document.querySelectorAll("[data-neuron] canvas").length') == 9
        assert browser.js('document.querySelectorAll("path.mgp-edge").length') == 2 * 6 + 6 * 3 + 3
        first_loss = state['test_loss']

        browser.click('[aria-label="Play"]')
        browser.wait_for('Number(document.querySelector(".mgp").dataset.step) >= 250')
        browser.click('[aria-label="Pause"]')
        state = paused(served)
        assert state['step'] >= 250
        assert state['test_loss'] < 0.5 * first_loss
        browser.wait_for(f'document.querySelector(".mgp").dataset.step === "{state["step"]}"')
        assert browser.js('document.querySelector(".mgp-test-loss").textContent') == f'{state["test_loss"]:.3f}'
        assert browser.js('location.hash').startswith('#dataset=circles&')
        assert browser.js('document.documentElement.scrollWidth') <= 1024  # a projector: no sideways scrolling
        assert browser.js('window.__errors') == []
    finally:
        browser.close()


@needs_browser
def test_the_keyboard_plays_and_a_click_shows_a_weights_numbers_and_its_chain_rule(served):
    browser = open_page(served.url + '#dataset=xor&layers=3&learningRate=0.03')
    try:
        assert browser.js('["Play", "Pause", "Step", "Reset"].every(name => '
                          'document.querySelector(`button[aria-label="${name}"]`))')
        browser.click('[aria-label="Step"]')
        browser.wait_for('document.querySelector(".mgp").dataset.step === "1"')
        browser.press(' ', 32)  # Space plays
        browser.wait_for('Number(document.querySelector(".mgp").dataset.step) > 20')
        browser.press(' ', 32)  # and pauses
        paused(served)
        # the button's own click(), not one at its coordinates: a redraw between reading its box and the mouse
        # event could put the click elsewhere (seen once in a full run)
        browser.js('document.querySelector(\'[data-neuron="0.1"]\').click()')
        browser.wait_for('document.querySelector(".mgp-numbers code")')
        assert browser.js('document.querySelector(".mgp-numbers code").textContent') == 'layers.0.neurons.1.b'
        browser.wait_for('document.querySelector(\'[data-neuron="0.1"]\').classList.contains("selected")')
        browser.js('document.querySelector(\'path.mgp-hit[data-edge="0.2.1"]\').dispatchEvent(new MouseEvent("click"))')
        browser.wait_for('document.querySelector(".mgp-numbers code").textContent === "layers.0.neurons.2.w.1"')
        weight = served.get('/api/explain?target=layers.0.neurons.2.w.1')['value']
        assert browser.js('document.querySelector(".mgp-numbers").textContent').startswith(
            f'layers.0.neurons.2.w.1weight {shown_number(weight)}grad ')
        browser.click('.mgp-explain')
        browser.wait_for('document.querySelector(".mgp-explained")')
        text = browser.js('document.querySelector(".mgp-explained").textContent')
        assert text.startswith('layers.0.neurons.2.w.1 = ') and 'dL/d(layers.0.neurons.2.w.1)' in text
        browser.click('[aria-label="Add a hidden layer"]')
        browser.wait_for('document.querySelectorAll("[data-neuron]").length === 5')
        assert served.get('/api/state')['layers'] == [3, 2] and browser.js('location.hash').count('layers=3%2C2') + \
            browser.js('location.hash').count('layers=3,2') == 1
        browser.send('Page.navigate', url=served.url + '#dataset=spiral&layers=9')
        browser.wait_for(f'{READY} && !document.querySelector(".mgp-error").hidden')
        assert 'at most 8' in browser.js('document.querySelector(".mgp-error").textContent')
        markup = '<img src=x onerror="window.__injected = 1">'  # text in an error message stays text
        browser.send('Page.navigate', url=served.url + '#dataset=' + urllib.parse.quote(markup))
        browser.wait_for('document.querySelector(".mgp-error").textContent.includes("onerror")')
        assert markup in browser.js('document.querySelector(".mgp-error").textContent')
        assert browser.js('document.querySelectorAll("img").length') == 0 and browser.js('window.__injected') is None
        assert browser.js('window.__errors') == []
    finally:
        browser.close()


@pytest.mark.skipif(not os.environ.get('MICROGRAD_PLUS_SCREENSHOTS'), reason='set MICROGRAD_PLUS_SCREENSHOTS=dir to '
                    'write the screenshots the README and the report show')
def test_write_screenshots(served):
    folder = pathlib.Path(os.environ['MICROGRAD_PLUS_SCREENSHOTS'])
    for width, height in ((1024, 768), (1400, 900)):
        browser = open_page(served.url + '#dataset=spiral&layers=8,8,4&activation=tanh&learningRate=0.03'
                                         '&optimizer=adam&batchSize=30&xSquared=true&ySquared=true&sinX=true&sinY=true',
                            width, height)
        try:
            browser.click('[aria-label="Play"]')
            browser.wait_for('Number(document.querySelector(".mgp").dataset.step) >= 400')
            browser.click('[aria-label="Pause"]')
            browser.click('[data-neuron="1.2"]')
            browser.wait_for('document.querySelector(".mgp-numbers code")')
            shot = browser.send('Page.captureScreenshot', format='png')['data']
            (folder / f'playground-{width}x{height}.png').write_bytes(base64.b64decode(shot))
        finally:
            browser.close()


# ---------------------------------------------------------------- the lessons notebook

def test_the_playground_notebook_shows_what_the_lessons_claim(tmp_path):
    nbformat = pytest.importorskip('nbformat')
    nbclient = pytest.importorskip('nbclient')
    notebook = nbformat.read(ROOT / 'demos' / 'playground.ipynb', as_version=4)
    assert all(cell.outputs == [] for cell in notebook.cells if cell.cell_type == 'code')  # committed clean
    nbclient.NotebookClient(notebook, timeout=180, kernel_name='python3',
                            resources={'metadata': {'path': str(tmp_path)}}).execute()
    shown = [cell for cell in notebook.cells if cell.cell_type == 'code']
    assert any('application/vnd.jupyter.widget-view+json' in o.get('data', {}) for o in shown[0].outputs)
    text = '\n'.join(o.text for cell in shown for o in cell.outputs if o.output_type == 'stream')

    def numbers(pattern):
        return [tuple(map(float, match)) for match in re.findall(pattern, text)]
    (small, small_jump), (large, large_jump) = numbers(r'learning rate [\d.]+: test loss ([\d.]+) after 300 steps, '
                                                       r'largest change in one step ([\d.]+)')
    assert large > 3 * small and large_jump > 3 * small_jump  # too large: stuck high, and jumping
    norms = [norm for norm, _ in numbers(r'L2 rate [\d.]+: weight norm ([\d.]+), test loss ([\d.]+)')]
    assert len(norms) == 3 and norms[0] > norms[1] > norms[2] and norms[2] < 0.6 * norms[0]
    (too_small, _), (enough, _) = numbers(r'layers \[[\d, ]+\]: train accuracy (\d+)%, test accuracy (\d+)%')
    assert too_small < 75 and enough > 90


# ---------------------------------------------------------------- the widget's front-end in a browser

WIDGET_PAGE = '''<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<style>%(css)s</style></head><body><p id="outside" tabindex="0">a notebook cell</p><div id="cell"></div>
<script type="application/json" id="state">%(state)s</script>
<script type="text/plain" id="source">%(source)s</script>
<script type="module">
// what anywidget gives render(): a model with get/set/save_changes/send/on/off, here recording the calls
const traits = JSON.parse(document.getElementById('state').textContent);
const listeners = {};
window.calls = [];
const model = {
  get: (name) => traits[name],
  set: (name, value) => { traits[name] = value; window.calls.push(['set', name, value]); },
  save_changes: () => window.calls.push(['save_changes']),
  send: (content) => window.calls.push(['send', content]),
  on: (event, callback) => { (listeners[event] ||= []).push(callback); },
  off: (event, callback) => { listeners[event] = (listeners[event] || []).filter((c) => c !== callback); },
};
window.emit = (event, ...args) => (listeners[event] || []).forEach((callback) => callback(...args));
const url = URL.createObjectURL(new Blob([document.getElementById('source').textContent], {type: 'text/javascript'}));
const widget = (await import(url)).default;  // as anywidget loads _esm
window.cleanup = widget.render({model, el: document.getElementById('cell')});
document.body.dataset.ready = 'true';
</script></body></html>'''


@needs_browser
def test_the_widgets_front_end_renders_in_a_cell_and_talks_to_its_model(widget, tmp_path):
    from micrograd_plus.playground.widget import FILES
    widget.step(10)
    state = {name: getattr(widget, name) for name in ('settings', 'running', 'frame', 'info', 'error')}
    source = (FILES / 'playground.js').read_text(encoding='utf-8')
    assert '</script' not in source
    page = tmp_path / 'widget.html'
    page.write_text(WIDGET_PAGE % {'css': (FILES / 'playground.css').read_text(encoding='utf-8'), 'source': source,
                                   'state': json.dumps(state).replace('</', '<\\/')}, encoding='utf-8')
    browser = open_page(page.as_uri())
    try:
        assert browser.js('document.querySelectorAll("#cell [data-neuron]").length') == 8
        assert browser.js('document.querySelector("#cell .mgp").dataset.step') == '10'
        edges = browser.js('Object.fromEntries([...document.querySelectorAll("path.mgp-edge")].map(e => '
                           '[e.dataset.edge, [e.getAttribute("stroke"), Number(e.getAttribute("stroke-width"))]]))')
        weights = {f'{depth}.{i}.{j}': w for depth, layer in enumerate(state['frame']['network'])
                   for i, neuron in enumerate(layer) for j, w in enumerate(neuron['weights'])}
        assert set(edges) == set(weights)
        for name, w in weights.items():  # blue for a positive weight, orange for a negative one
            assert edges[name][0] == ('rgb(8,119,189)' if w > 0 else 'rgb(245,147,34)')
        by_size = sorted(weights, key=lambda name: abs(weights[name]))
        assert [edges[name][1] for name in by_size] == sorted(edges[name][1] for name in by_size)  # thicker: larger
        assert edges[by_size[0]][1] < edges[by_size[-1]][1]
        browser.click('[aria-label="Play"]')
        assert browser.js('calls') == [['set', 'running', True], ['save_changes'], ['send', {'type': 'tick'}]]
        browser.js('calls.length = 0')
        browser.click('#outside')
        browser.press(' ', 32)  # Space in another cell belongs to the notebook, not to the widget
        assert browser.js('calls') == []
        browser.click('[data-neuron="1.3"]')
        assert browser.js('calls') == [['send', {'type': 'select', 'target': 'layers.1.neurons.3.b'}]]
        browser.js('calls.length = 0')
        browser.js('document.querySelector("#cell .mgp").focus()')
        browser.press(' ', 32)  # in the widget, Space pauses
        assert browser.js('calls')[:2] == [['set', 'running', False], ['save_changes']]
        browser.js('calls.length = 0')
        browser.js('document.querySelector(\'select[aria-label="Activation"]\').value = \'"relu"\';'
                   'document.querySelector(\'select[aria-label="Activation"]\').dispatchEvent(new Event("change"))')
        assert browser.js('calls') == [['set', 'settings', {**widget.settings, 'activation': 'relu'}], ['save_changes']]
        assert browser.js('window.__errors') == []
        browser.js('cleanup()')
    finally:
        browser.close()
