"""The backprop stepper page: its steps, and stepping it in a real headless Chromium.

The browser is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ending in NUL on file descriptors 3 and 4), so the test needs no websocket library and no port.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from micrograd_plus import Value
from micrograd_plus.teach.explain import Explainer, format_number
from micrograd_plus.teach.stepper import stepper, steps
from micrograd_plus.viz import trace

import catalogue

CHROMIUM = next(filter(None, map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome'))), None)
# .ci/run sets this: there the browser tests must run, so a missing browser fails them instead of skipping
REQUIRED = os.environ.get('MICROGRAD_PLUS_REQUIRE_BROWSER') == '1'
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason='no chromium on PATH: install it (apt-get install chromium) to test the stepper page in a real browser; '
           '.ci/run does')


def lecture_neuron():
    """The lecture neuron after backward, only n and o labelled: (o, its nodes by name)."""
    nodes = catalogue.lecture_neuron(('n', 'o'))
    nodes['o'].backward()
    return nodes['o'], nodes


def test_steps_are_the_forward_pass_then_the_backward_pass_with_explains_text():
    o, v = lecture_neuron()
    graph = Explainer(o)
    order = trace(o)[0]  # as a person computes: x1, w1, x1*w1, x2, w2, x2*w2, ...
    result = steps(o, leaves=True)  # every node, leaves too
    assert [s['phase'] for s in result] == ['forward'] * len(order) + ['backward'] * len(order)
    assert [s['node'] for s in result] == [str(id(n)) for n in order + order[::-1]]
    assert [s['formula'] for s in result] == [graph.forward(n) for n in order] + \
           [graph.backward(n) for n in order[::-1]]
    assert [s['title'].split(': ')[1] for s in result[:6]] == ['x1', 'w1', 'x1*w1', 'x2', 'w2', 'x2*w2']
    x1_step = next(s for s in result if s['phase'] == 'backward' and s['node'] == str(id(v['x1'])))
    assert x1_step['formula'] == 'dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5'


def test_the_stepper_needs_backward_first(tmp_path):
    a = Value(2.0, label='a')
    with pytest.raises(ValueError, match=r'call b.backward\(\) before stepper\(\)'):
        b = a * a
        b.label = 'b'
        stepper(b, tmp_path / 'page.html')


def test_the_page_is_self_contained(tmp_path, renderer):
    o, _ = lecture_neuron()
    page = stepper(o, tmp_path / 'neuron.html').read_text(encoding='utf-8')
    assert page.startswith('<!DOCTYPE html>') and '<svg' in page and '<?xml' not in page
    assert not re.search(r'<link|<img|<iframe|\bsrc=|@import|url\(|fetch\(|XMLHttpRequest', page)
    # the only addresses are XML namespace names, which are never fetched
    assert set(re.findall(r'https?://[^\s"\')]+', page)) <= {'http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink'}
    data = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page, re.S).group(1)
    assert len(json.loads(data)['steps']) == len(steps(o))


def test_a_script_end_tag_in_a_label_cannot_break_out_of_the_data(tmp_path, renderer):
    a = Value(1.0, label='</script><script>alert(1)</script>')
    b = a * 2
    b.backward()
    page = stepper(b, tmp_path / 'page.html').read_text(encoding='utf-8')
    data = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page, re.S).group(1)
    assert any('</script>' in step['formula'] for step in json.loads(data)['steps'])


def test_a_label_that_reads_like_a_placeholder_stays_a_label(tmp_path, renderer):
    a = Value(1.0, label='%DATA% %SVG% %TITLE%')
    b = a * 2
    b.backward()
    page = stepper(b, tmp_path / 'page.html').read_text(encoding='utf-8')
    assert page.count('id="steps"') == 1 and page.count('<svg') == 1
    data = re.search(r'<script type="application/json" id="steps">(.*?)</script>', page, re.S).group(1)
    assert any('%DATA% %SVG% %TITLE%' in step['formula'] for step in json.loads(data)['steps'])


class Chromium:
    """Headless Chromium with the DevTools protocol on a pipe; one page, one session."""

    def __init__(self, url: str, ready: str = 'document.querySelector("#counter").textContent') -> None:
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def on_fds_3_and_4() -> None:  # the pipe ends may themselves be 3 or 4: move them out of the way first
            a, b = os.dup2(to_browser, 100), os.dup2(from_browser, 101)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._profile = tempfile.mkdtemp(prefix='stepper-chromium-')
        self.process = subprocess.Popen(
            [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--window-size=1280,900', f'--user-data-dir={self._profile}', '--remote-debugging-pipe',
             'about:blank'],
            preexec_fn=on_fds_3_and_4, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._id, self.session = b'', 0, None
        target = self.send('Target.createTarget', url=url)['targetId']
        self.session = self.send('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        self.wait_for(f'document.readyState === "complete" && (() => {{ try {{ return {ready}; }} catch (e) {{ '
                      'return false; } })()')

    def send(self, method: str, **params):
        self._id += 1
        message = {'id': self._id, 'method': method, 'params': params}
        if self.session:
            message['sessionId'] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b'\0')
        deadline = time.monotonic() + 30
        while True:
            while b'\0' not in self._buffer:
                if time.monotonic() > deadline:
                    raise TimeoutError(f'chromium did not answer {method}')
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError('chromium closed the DevTools pipe')
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b'\0', 1)
            reply = json.loads(raw)
            if reply.get('id') == self._id:
                if 'error' in reply:
                    raise RuntimeError(f'{method}: {reply["error"]}')
                return reply['result']

    def js(self, expression: str):
        reply = self.send('Runtime.evaluate', expression=expression, returnByValue=True)
        if 'exceptionDetails' in reply:
            raise RuntimeError(reply['exceptionDetails'])
        return reply['result'].get('value')

    def wait_for(self, condition: str) -> None:
        deadline = time.monotonic() + 45  # generous: a loaded machine, not a slow page
        while not self.js(f'!!({condition})'):
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            time.sleep(0.05)

    def press(self, key: str, code: int) -> None:
        for kind in ('keyDown', 'keyUp'):
            self.send('Input.dispatchKeyEvent', type=kind, key=key, code=key, windowsVirtualKeyCode=code)

    def click(self, selector: str) -> None:
        box = self.js(f'(r => [r.x + r.width / 2, r.y + r.height / 2])'
                      f'(document.querySelector({selector!r}).getBoundingClientRect())')
        for kind in ('mousePressed', 'mouseReleased'):
            self.send('Input.dispatchMouseEvent', type=kind, x=box[0], y=box[1], button='left', clickCount=1)

    def highlighted(self) -> dict:
        """Which node the picture highlights and what its record's data and grad fields read."""
        return self.js('''(() => {
            const g = document.querySelector("g.node.current");
            if (!g) return null;
            const texts = [...g.querySelectorAll("text")].map(t => t.textContent.trim());
            return {title: g.querySelector("title").textContent.trim(),
                    data: texts.find(t => t.startsWith("data ")), grad: texts.find(t => t.startsWith("grad ")),
                    formula: document.getElementById("formula").textContent,
                    counter: document.getElementById("counter").textContent};
        })()''')

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self._profile, ignore_errors=True)


@pytest.fixture
def page(tmp_path, renderer):
    if CHROMIUM is None:
        pytest.fail('MICROGRAD_PLUS_REQUIRE_BROWSER=1 (set by .ci/run) but there is no chromium on PATH: '
                    'install it with apt-get install chromium')
    o, v = lecture_neuron()
    path = stepper(o, tmp_path / 'neuron.html', leaves=True)  # every node stepped, as these tests count
    browser = Chromium(path.as_uri())
    yield browser, o, v
    browser.close()


@needs_browser
def test_stepping_moves_the_highlight_and_fills_in_the_grad(page):
    browser, o, v = page
    order = trace(o)[0]
    total = 2 * len(order)
    assert browser.highlighted() is None  # step 0: nothing computed yet, every number hidden
    assert browser.js('[...document.querySelectorAll("g.node text")].filter(t => /^grad \\S/.test(t.textContent)).'
                      'every(t => t.textContent === "grad ?")')

    browser.press('ArrowRight', 39)  # forward step 1: the first node, its value filled in
    first = browser.highlighted()
    assert first['title'] == str(id(order[0])) and first['counter'] == f'1 / {total}'
    assert first['data'] != 'data ?' and first['grad'] == 'grad ?'

    browser.press('End', 35)  # the last backward step: the first node again, now with its grad
    last = browser.highlighted()
    assert last['title'] == str(id(order[0])) and last['grad'] == f'grad {order[0].grad:.4f}'

    assert last['formula'] == 'dL/dx1 = dL/d(x1*w1) * w1 = 0.5 * -3.0 = -1.5'  # x1, the first input, is last

    # step back through the backward pass to x2: the highlight moves, x2's grad reads 0.5
    seen = []
    while browser.highlighted()['title'] != str(id(v['x2'])):
        browser.press('ArrowLeft', 37)
        seen.append(browser.highlighted()['title'])
    assert len(set(seen)) == len(seen) > 0
    x2 = browser.highlighted()
    assert x2['grad'] == 'grad 0.5000'
    assert x2['formula'] == 'dL/dx2 = dL/d(x2*w2) * w2 = 0.5 * 1.0 = 0.5'

    browser.press('ArrowLeft', 37)  # one step earlier x2's grad is not known yet
    assert browser.highlighted()['title'] != str(id(v['x2']))
    assert browser.js(f'[...document.querySelectorAll("g.node")].find(g => g.querySelector("title").textContent'
                      f' === "{id(v["x2"])}").textContent.includes("grad ?")')


@needs_browser
def test_buttons_step_too_and_the_address_opens_a_step(page, tmp_path):
    browser, o, v = page
    browser.click('#next')
    browser.click('#next')
    assert browser.highlighted()['counter'].startswith('2 / ')
    browser.click('#last')
    assert browser.highlighted()['grad'] != 'grad ?'
    browser.click('#prev')
    assert browser.highlighted()['counter'] == f'{2 * len(Explainer(o).order) - 1} / {2 * len(Explainer(o).order)}'
    browser.click('#first')
    assert browser.highlighted() is None

    order = Explainer(o).order
    backward_root = len(order) + 1  # the first backward step: dL/do = 1
    browser.send('Page.navigate', url=(tmp_path / 'neuron.html').as_uri() + f'#step={backward_root}')
    browser.wait_for(f'document.getElementById("counter").textContent.startsWith("{backward_root} /")')
    root = browser.highlighted()
    assert root['title'] == str(id(o)) and root['grad'] == 'grad 1.0000'


def test_the_teaching_demo_writes_the_page_and_explains_w1(tmp_path, capsys, monkeypatch, renderer):
    import importlib
    import pathlib
    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parents[1] / 'demos'))  # as demo.py does
    importlib.import_module('teaching').main(tmp_path / 'out')
    assert '<svg' in (tmp_path / 'out' / 'neuron_stepper.html').read_text(encoding='utf-8')
    assert 'dL/dw1 = dL/d(x1*w1) * x1 = 0.5 * 2.0 = 1.0' in capsys.readouterr().out


# ---------------------------------------------------------------- the steps a student takes

def test_by_default_leaves_are_not_stepped_forward_and_constants_not_backward():
    o, v = lecture_neuron()
    result = steps(o)
    forward = [s['node'] for s in result if s['phase'] == 'forward']
    backward = [s['node'] for s in result if s['phase'] == 'backward']
    inner = [n for n in trace(o)[0] if n._prev]
    assert forward == [str(id(n)) for n in inner]  # x1*w1 ... o: what is computed, not what is given
    assert {str(id(v[name])) for name in ('x1', 'x2', 'w1', 'w2', 'b')} <= set(backward)  # their grads matter
    c = Value(3.0)
    y = o * c  # an unlabelled constant: its grad is nobody's question
    y.backward()
    assert str(id(c)) not in [s['node'] for s in steps(y) if s['phase'] == 'backward']


def lecture_mlp_loss():
    from micrograd_plus.nn import MLP
    model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', rng=0)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, [1.0, -1.0, -1.0, 1.0]))
    loss.backward()
    return model, loss


def test_the_layer_order_goes_level_by_level_each_node_after_its_inputs():
    model, loss = lecture_mlp_loss()
    by_id = {str(id(n)): n for n in Explainer(loss).order}
    result = steps(loss, order='layer')
    forward = [by_id[s['node']] for s in result if s['phase'] == 'forward']
    level = {}
    for node in Explainer(loss).order:
        level[node] = 1 + max((level[p] for p in node._prev), default=-1)
    assert [level[n] for n in forward] == sorted(level[n] for n in forward)
    first_layer = [n for n in forward if n._op == 'dot' and n._b[1] in model.layers[0].parameters()]
    assert len(first_layer) == 16 and forward[:16] == first_layer  # every sample's first-layer sums come first
    backward = [by_id[s['node']] for s in result if s['phase'] == 'backward']
    seen = set()
    for node in backward:  # a node's grad is stepped only after every node that used it has passed its grad on
        assert all(consumer in seen for consumer, _ in Explainer(loss).consumers[node]), node
        seen.add(node)
    assert set(model.parameters()) <= seen


def test_the_page_is_titled_by_the_roots_label_or_l(tmp_path, renderer):
    o, _ = lecture_neuron()
    assert '<title>Backprop stepper: o</title>' in stepper(o).html
    o.label = ''
    assert '<title>Backprop stepper: L</title>' in stepper(o).html


def test_in_a_notebook_the_page_shows_inline(renderer):
    o, _ = lecture_neuron()
    page = stepper(o)
    shown = page._repr_html_()
    assert shown.startswith('<iframe sandbox="allow-scripts" srcdoc="&lt;!DOCTYPE html&gt;')
    assert 'id=&quot;steps&quot;' in shown
    assert 'Backprop stepper: o' in repr(page)


def test_the_order_must_be_one_it_knows():
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match="order must be one of 'topological', 'layer'"):
        steps(o, order='breadth')


def test_arguments_are_checked_before_any_work_or_writing(tmp_path, monkeypatch):
    from micrograd_plus.teach.stepper import StepperPage
    monkeypatch.chdir(tmp_path)
    o, _ = lecture_neuron()
    o.backward()
    with pytest.raises(TypeError, match="leaves is True or False, got str 'yes'"):
        steps(o, leaves='yes')
    with pytest.raises(TypeError, match=r'steps\(\) takes the output Value, after its backward\(\), got list'):
        steps([o])
    with pytest.raises(TypeError, match=r'stepper\(path\), the file to write, must be a file name .* got int 3'):
        stepper(o, 3)
    with pytest.raises(TypeError, match=r'StepperPage\(title\) must be text \(a str\), got None'):
        StepperPage('<p>hi</p>', None)
    with pytest.raises(TypeError, match=r'save\(path\) must be a file name .* got None'):
        StepperPage('<p>hi</p>', 'a page').save(None)
    assert os.listdir(tmp_path) == []


@pytest.fixture
def default_page(tmp_path, renderer):
    if CHROMIUM is None:
        pytest.fail('MICROGRAD_PLUS_REQUIRE_BROWSER=1 (set by .ci/run) but there is no chromium on PATH')
    o, v = lecture_neuron()
    path = stepper(o, tmp_path / 'neuron.html')
    browser = Chromium(path.as_uri())
    yield browser, o, v
    browser.close()


def fields(browser):
    """Each record's data and grad text, by node title."""
    return browser.js('''Object.fromEntries([...document.querySelectorAll("g.node")].map(g => [
        g.querySelector("title").textContent.trim(),
        [...g.querySelectorAll("text")].map(t => t.textContent.trim()).filter(t => /^(data|grad) /.test(t))]))''')


@needs_browser
def test_at_step_zero_nothing_a_step_computes_is_shown_and_the_log_is_empty(default_page):
    browser, o, v = default_page
    assert browser.js('document.getElementById("log").children.length') == 0
    shown = fields(browser)
    assert shown[str(id(v['x1']))] == ['data 2.0000', 'grad ?']  # given: its number; not yet known: its grad
    assert shown[str(id(v['n']))] == ['data ?', 'grad ?'] and shown[str(id(o))] == ['data ?', 'grad ?']
    assert '0.7071' not in browser.js('document.body.innerText')  # o's value is nowhere on the page yet


@needs_browser
def test_after_n_steps_the_log_lists_those_n_and_the_end_shows_every_grad(default_page):
    browser, o, v = default_page
    for _ in range(3):
        browser.press('ArrowRight', 39)
    log = browser.js('[...document.getElementById("log").children].map(d => [d.textContent, d.className])')
    assert len(log) == 3 and log[-1][1] == 'now'
    assert [text for text, _ in log] == [s['formula'] for s in steps(o)[:3]]  # the steps taken, and no more
    assert fields(browser)[str(id(o))] == ['data ?', 'grad ?']  # o is computed in step 5, not yet
    browser.press('End', 35)
    total = browser.js('STEPS.length')
    assert browser.js('document.getElementById("log").children.length') == total
    assert all(text != 'grad ?' for pair in fields(browser).values() for text in pair)
    assert fields(browser)[str(id(v['w1']))] == ['data -3.0000', 'grad 1.0000']


@needs_browser
def test_the_picture_zooms_and_pans(default_page):
    browser, o, v = default_page
    width = browser.js('document.querySelector("#graph svg").viewBox.baseVal.width')
    browser.press('+', 187)
    assert browser.js('document.querySelector("#graph svg").viewBox.baseVal.width') < width
    browser.click('#zoom-fit')
    assert browser.js('document.querySelector("#graph svg").viewBox.baseVal.width') == pytest.approx(width)
    browser.click('#zoom-in')
    x = browser.js('document.querySelector("#graph svg").viewBox.baseVal.x')
    box = browser.js('(r => [r.x + r.width / 2, r.y + r.height / 2])'
                     '(document.getElementById("graph").getBoundingClientRect())')
    for kind, dx in (('mousePressed', 0), ('mouseMoved', 120), ('mouseReleased', 120)):
        browser.send('Input.dispatchMouseEvent', type=kind, x=box[0] + dx, y=box[1], button='left', clickCount=1)
    assert browser.js('document.querySelector("#graph svg").viewBox.baseVal.x') < x  # dragged right: view moved left


@needs_browser
def test_the_inline_notebook_page_steps_inside_its_sandboxed_frame(tmp_path, renderer):
    o, v = lecture_neuron()
    notebook_cell = tmp_path / 'cell.html'
    notebook_cell.write_text(stepper(o)._repr_html_(), encoding='utf-8')
    browser = Chromium(notebook_cell.as_uri(), ready='document.querySelector("iframe")')
    try:
        # sandboxed without allow-same-origin: the notebook cannot reach into the page, nor the page out
        assert browser.js('document.querySelector("iframe").contentDocument') is None
        # the frame has an origin of its own, so Chromium runs it as a target of its own: attach to that
        browser.session = None  # the browser's own Target domain lists the frames
        deadline = time.monotonic() + 20
        while not (frames := [t for t in browser.send('Target.getTargets')['targetInfos'] if t['type'] == 'iframe']):
            assert time.monotonic() < deadline, 'the sandboxed frame never appeared'
            time.sleep(0.05)
        frame_session = browser.send('Target.attachToTarget', targetId=frames[0]['targetId'], flatten=True)['sessionId']
        browser.session = frame_session
        in_frame = browser.js
        deadline = time.monotonic() + 20
        while in_frame('document.getElementById("counter") && document.getElementById("counter").textContent') \
                != f'0 / {len(steps(o))}':
            assert time.monotonic() < deadline, 'the page in the frame did not start'
            time.sleep(0.05)
        in_frame('document.getElementById("next").click()')  # the page's own script answers the click
        assert in_frame('document.getElementById("counter").textContent') == f'1 / {len(steps(o))}'
        assert in_frame('document.querySelector("g.node.current title").textContent')
    finally:
        browser.close()


def test_a_constants_grad_is_hidden_until_the_node_that_used_it_has_its_step():
    a, w = Value(2.0, label='a'), Value(-1.5, label='w')
    one = Value(1.0)  # an unlabelled constant: no step of its own
    loss = (a * w - one) ** 2
    loss.label = 'loss'
    loss.backward()
    result = steps(loss)
    revealing = [s for s in result if str(id(one)) in s.get('reveals', [])]
    assert len(revealing) == 1 and revealing[0]['node'] == str(id(loss._prev[0]))  # the '-' node that used it


@needs_browser
def test_in_the_page_no_grad_shows_before_its_step_constants_included(tmp_path, renderer):
    a, w = Value(2.0, label='a'), Value(-1.5, label='w')
    one = Value(1.0)
    loss = (a * w - one) ** 2
    loss.label = 'loss'
    loss.backward()
    browser = Chromium(stepper(loss, tmp_path / 'page.html').as_uri())
    try:
        assert all(pair[1] == 'grad ?' for pair in fields(browser).values() if pair)  # records; op nodes have none
        assert fields(browser)[str(id(one))] == ['data 1.0000', 'grad ?']
        browser.press('End', 35)
        assert fields(browser)[str(id(one))] == ['data 1.0000', f'grad {one.grad:.4f}']
    finally:
        browser.close()


@needs_browser
@pytest.mark.parametrize('options', [{}, {'expand_dot': True}])
def test_copies_of_a_much_used_leaf_and_a_drawn_out_sum_hide_their_numbers_too(tmp_path, renderer, options):
    from micrograd_plus.nn import Neuron
    x = Value(1.5, label='x')
    neuron = Neuron(2, rng=3)
    total = neuron([x, Value(2.0, label='u')])
    for k in range(10):  # x used by 11 ops: drawn beside each use
        total = total + x * float(k)
    total.label = 'total'
    total.backward()
    browser = Chromium(stepper(total, tmp_path / 'page.html', **options).as_uri())
    try:
        texts = browser.js('[...document.querySelectorAll("g.node text")].map(t => t.textContent.trim())')
        numbers = [t for t in texts if re.match(r'(data|grad) -?\d', t)]
        assert all(t.startswith('data') for t in numbers), numbers  # at step 0 no grad shows anywhere ...
        computed = [t for t in texts if t.startswith('data ?')]
        assert computed  # ... and what the steps compute is hidden
        browser.press('End', 35)
        texts = browser.js('[...document.querySelectorAll("g.node text")].map(t => t.textContent.trim())')
        assert not [t for t in texts if t.endswith('?')]  # at the end every number shows
    finally:
        browser.close()


# ---------------------------------------------------------------- a batch: samples, their order, their names

def test_forward_goes_as_a_person_computes_sample_0_first_backward_one_sample_at_a_time():
    model, loss = lecture_mlp_loss()
    result = steps(loss)
    forward = [s for s in result if s['phase'] == 'forward']
    assert [s['title'] for s in forward[:4]] == ['Forward 1/84: layers.0.neurons.0.z[0]',
                                                 'Forward 2/84: layers.0.neurons.0.y[0]',
                                                 'Forward 3/84: layers.0.neurons.1.z[0]',
                                                 'Forward 4/84: layers.0.neurons.1.y[0]']
    samples = [s['sample'] for s in forward if s['sample'] is not None]
    assert samples == sorted(samples) and set(samples) == {0, 1, 2, 3}
    backward = [s for s in result if s['phase'] == 'backward']
    samples = [s['sample'] for s in backward if s['sample'] is not None]
    assert samples == sorted(samples) and set(samples) == {0, 1, 2, 3}  # sample 0's grads first, then 1's ...
    by_id = {str(id(n)): n for n in trace(loss)[0]}
    graph, done = Explainer(loss), set()
    for step in backward:  # ... and still each node after every node that used it
        node = by_id[step['node']]
        assert all(consumer in done for consumer, _ in graph.consumers[node] if consumer._prev), step['title']
        done.add(node)
    assert backward[-1]['sample'] is None  # the weights last: every sample has passed its grad on


@pytest.mark.parametrize('leaves', [False, True])
def test_step_titles_never_repeat(leaves):
    _, loss = lecture_mlp_loss()
    result = steps(loss, leaves=leaves)
    for phase in ('forward', 'backward'):
        names = [s['title'].split(': ', 1)[1] for s in result if s['phase'] == phase]
        assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1][:3]


def test_formulas_read_as_a_person_writes_them_and_define_every_name():
    _, loss = lecture_mlp_loss()
    result = steps(loss, leaves=True)
    for step in result:
        text = step['title'] + '\n' + step['formula']
        assert not re.search(r'- -\d|\+ -\d|\*\*\(\d+ - 1\)|\b0\.0 \+ ', text), text
        for name in set(re.findall(r'\bv\d+\b', text)):
            assert f'where {name} = ' in step['formula'] or step['formula'].startswith(f'{name} = ') or \
                f'{name} = ' in step['title'], (name, text)
    formulas = '\n'.join(step['formula'] for step in result)
    assert 'layers.2.neurons.0.y[1] + 1.0 = ' in formulas  # the target -1.0 subtracted: + 1.0
    assert '* 2*(layers.2.neurons.0.y[0] - 1.0) = ' in formulas  # d/dx x**2 = 2*x, not 2*x**(2 - 1)
    first_sum = next(s for s in result if s['title'].endswith(': 0 + (layers.2.neurons.0.y[0] - 1.0)**2'))
    assert first_sum['formula'] == '0 + (layers.2.neurons.0.y[0] - 1.0)**2 = 0 + 0.33067 = 0.33067'
    assert 'v139 = (layers.2.neurons.0.y[0] - 1.0)**2 + (layers.2.neurons.0.y[1] + 1.0)**2' in formulas


def test_a_neuron_without_bias_writes_its_sum_without_0_and_a_zero_bias_adds_no_0_0():
    from micrograd_plus.nn import Neuron
    neuron = Neuron(2, bias=False, activation='linear', rng=0)
    x = [Value(1.0, label='x0'), Value(-2.0, label='x1')]
    out = neuron(x)
    out.backward()
    w0, w1 = (format_number(w.data) for w in neuron.w)
    assert Explainer(out).forward(out) == f'z = w.0*x0 + w.1*x1 = {w0} * 1.0 + {w1} * -2.0 = {format_number(out.data)}'


def test_a_sample_to_focus_must_be_one_the_graph_holds(renderer):
    _, loss = lecture_mlp_loss()
    with pytest.raises(ValueError, match=r'stepper\(sample=4\): the graph holds 4 samples of a model'):
        stepper(loss, sample=4)
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match='holds 0 samples.*focus needs a model called on several samples'):
        stepper(o, sample=0)
    with pytest.raises(TypeError, match=r'stepper\(present=...\) is True or False'):
        stepper(o, present='yes')


# ---------------------------------------------------------------- on a projector

LAYOUT = '''(() => {  // every step: the page does not scroll, the header, controls and the whole formula in view
  const doc = document.documentElement, wrong = [];
  for (let k = 0; k <= STEPS.length; k++) {
    show(k);
    const f = document.getElementById("formula"), r = f.getBoundingClientRect();
    if (doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth)
      wrong.push([k, "the page scrolls", doc.scrollHeight, doc.scrollWidth]);
    if (f.scrollHeight > f.clientHeight + 1 || r.bottom > innerHeight) wrong.push([k, "the formula is cut off"]);
    for (const sel of ["h1", "#next", "#counter", "#title"]) {
      const e = document.querySelector(sel).getBoundingClientRect();
      if (e.top < 0 || e.bottom > innerHeight) wrong.push([k, sel + " out of view"]);
    }
  }
  return wrong;
})()'''

SMALL_TEXT = '''[...document.querySelectorAll("body *")].filter(e => !e.closest("svg") && e.offsetParent !== null &&
  [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())).map(e =>
  [e.tagName + "#" + e.id, parseFloat(getComputedStyle(e).fontSize)]).filter(([_, px]) => px < 20)'''


def mlp_browser(tmp_path, **options):
    if CHROMIUM is None:
        pytest.fail('MICROGRAD_PLUS_REQUIRE_BROWSER=1 (set by .ci/run) but there is no chromium on PATH')
    _, loss = lecture_mlp_loss()
    return Chromium(stepper(loss, tmp_path / 'mlp.html', **options).as_uri())


def window(browser, width, height):
    browser.send('Emulation.setDeviceMetricsOverride', width=width, height=height, deviceScaleFactor=1, mobile=False)
    assert browser.js('[innerWidth, innerHeight]') == [width, height]


@needs_browser
@pytest.mark.parametrize('size', [(1024, 768), (1400, 900)])
def test_the_page_fits_the_window_at_every_step_normal_and_presenting(tmp_path, renderer, size):
    browser = mlp_browser(tmp_path)
    try:
        window(browser, *size)
        assert browser.js(LAYOUT) == []
        browser.press('p', 80)
        assert browser.js('document.body.classList.contains("present")')
        assert browser.js(LAYOUT) == []
    finally:
        browser.close()


@needs_browser
def test_presentation_mode_writes_20_px_or_more_and_zooms_the_picture_to_the_step(tmp_path, renderer):
    browser = mlp_browser(tmp_path, present=True)
    try:
        window(browser, 1024, 768)
        assert browser.js('document.getElementById("present").textContent') == 'Normal'
        assert browser.js(SMALL_TEXT) == []
        sizes = browser.js('[0, 1, 30, 84, 85, 150, STEPS.length].map(k => { show(k); '
                           'return textPx(nodes[STEPS[Math.max(k, 1) - 1].node]); })')
        assert min(sizes) >= 20, sizes  # step 0 too: the picture opens where the first step is, readable
        browser.press('p', 80)  # back to normal: the small print returns
        assert browser.js(SMALL_TEXT) != []
    finally:
        browser.close()


@needs_browser
def test_one_sample_in_focus_fades_the_others_and_steps_only_through_its_own(tmp_path, renderer):
    browser = mlp_browser(tmp_path, sample=1)
    try:
        assert browser.js('document.getElementById("sample").textContent') == 'Sample 1 of 4'
        faded = browser.js('[...document.querySelectorAll("g.node.faded text")].map(t => t.textContent.trim())')
        assert 'z[0]' in faded and 'z[1]' not in faded and 'z[3]' in faded
        taken = []
        for _ in range(40):
            browser.press('ArrowRight', 39)
            taken.append(browser.js('STEPS[current - 1].sample'))
        assert set(taken) <= {1, None} and 1 in taken
        assert browser.js('document.getElementById("counter").textContent') == \
            f'40 / {sum(1 for s in steps(lecture_mlp_loss()[1]) if s["sample"] in (1, None))}'
        browser.send('Page.navigate', url=(tmp_path / 'mlp.html').as_uri() + '#step=150')  # a step of sample 3
        browser.wait_for('STEPS[current - 1] && STEPS[current - 1].sample !== 3')
        assert browser.js('STEPS[current - 1].sample') in (1, None) and browser.js('current') > 150
        browser.press('s', 83)  # the next sample
        assert browser.js('document.getElementById("sample").textContent') == 'Sample 2 of 4'
        browser.press('s', 83)
        browser.press('s', 83)  # past the last: all samples again
        assert browser.js('document.getElementById("sample").textContent') == 'All samples'
        assert browser.js('document.querySelectorAll("g.faded").length') == 0
    finally:
        browser.close()
