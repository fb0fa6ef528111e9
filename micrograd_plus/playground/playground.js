// The playground's view: one front-end for the notebook widget (anywidget) and the served page (page.js).
//
// It reads the model's state (settings, running, frame, info, error), draws it, and changes settings and
// running or sends messages (tick, step, reset, select, explain): see controller.py. Every text it shows
// is set with textContent, never parsed as markup.

const ORANGE = [245, 147, 34];   // class 0, negative outputs and weights (TensorFlow Playground's colours)
const BLUE = [8, 119, 189];      // class 1, positive ones
const PAPER = [248, 248, 246];
const DATASETS = ['circles', 'xor', 'moons', 'spiral', 'blobs'];
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const REGULARIZATION_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const BATCH_SIZES = [1, 2, 5, 10, 20, 30, 50, 100, 200];
const OPTIMIZERS = [['sgd', 'SGD'], ['momentum', 'Momentum'], ['adam', 'Adam']];
const ACTIVATIONS = [['tanh', 'Tanh'], ['relu', 'ReLU'], ['sigmoid', 'Sigmoid'], ['linear', 'Linear']];
const REGULARIZATIONS = [['none', 'None'], ['L1', 'L1'], ['L2', 'L2']];
const FEATURES = [['x1', 'x₁'], ['x2', 'x₂'], ['x1^2', 'x₁²'], ['x2^2', 'x₂²'], ['x1*x2', 'x₁x₂'],
                  ['sin(x1)', 'sin(x₁)'], ['sin(x2)', 'sin(x₂)']];
const MAX_LAYERS = 6;
const MAX_NEURONS = 8;
const NODE = 34;                 // a neuron's picture, in pixels
const BIG = 248;                 // the output's picture

// ---------------------------------------------------------------- small helpers

function element(tag, attributes = {}, ...children) {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') made.textContent = value;
    else if (name === 'className') made.className = value;
    else made.setAttribute(name, value);
  }
  for (const child of children) made.append(child);
  return made;
}

function svg(tag, attributes = {}) {
  const made = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}

function colour(v) {  // v in [-1, 1]: orange, paper white, blue
  const [end, t] = v < 0 ? [ORANGE, -v] : [BLUE, v];
  return PAPER.map((c, i) => Math.round(c + (end[i] - c) * t));
}

function number(x, digits = 4) {
  if (x === null || x === undefined) return 'nan';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

// the colour of each byte a heatmap holds (-127..127 for -1..1), as RGBA: painting is then one copy a pixel
const PALETTE = new Uint8ClampedArray(256 * 4);
for (let byte = 0; byte < 256; byte += 1) {
  const v = (byte > 127 ? byte - 256 : byte) / 127;
  PALETTE.set([...colour(Math.max(-1, v)), 255], 4 * byte);
}

function paint(canvas, base64, size) {  // the session's heatmaps: signed bytes in base64
  if (canvas.width !== size) canvas.width = size;
  if (canvas.height !== size) canvas.height = size;
  const context = canvas.getContext('2d');
  const image = context.createImageData(size, size);
  const bytes = atob(base64);
  for (let i = 0; i < bytes.length; i += 1) {
    const at = 4 * bytes.charCodeAt(i);
    image.data.set(PALETTE.subarray(at, at + 4), 4 * i);
  }
  context.putImageData(image, 0, 0);
}

function choice(label, options, current, onChange) {
  const select = element('select', {'aria-label': label});
  const known = options.map((o) => (Array.isArray(o) ? o : [o, String(o)]));
  if (!known.some(([value]) => value === current)) known.push([current, String(current)]);
  for (const [value, text] of known) {
    const option = element('option', {text});
    option.value = JSON.stringify(value);
    option.selected = value === current;
    select.append(option);
  }
  select.addEventListener('change', () => onChange(JSON.parse(select.value)));
  return element('label', {className: 'mgp-field'}, element('span', {text: label}), select);
}

function slider(label, min, max, step, current, shown, onChange) {
  const input = element('input', {type: 'range', min, max, step, 'aria-label': label});
  input.value = current;
  const value = element('span', {className: 'mgp-value', text: shown(current)});
  input.addEventListener('input', () => { value.textContent = shown(Number(input.value)); });
  input.addEventListener('change', () => onChange(Number(input.value)));
  return element('label', {className: 'mgp-field'}, element('span', {text: label}, ' ', value), input);
}

// ---------------------------------------------------------------- the view

class View {
  constructor(model, el, page) {
    this.model = model;
    this.el = el;
    this.page = page;
    this.waiting = false;   // a tick was sent and its reply has not come yet
    this.drawn = null;      // the settings the controls were built for
    this.root = element('div', {className: 'mgp', tabindex: '0'});
    el.append(this.root);
    this.build();
    this.listeners = [
      ['change:frame', () => this.schedule()], ['change:info', () => { this.showInfo(); this.schedule(); }],
      ['change:error', () => this.showError()], ['change:running', () => this.showRunning()],
      ['change:settings', () => this.schedule()], ['msg:custom', (message) => this.onMessage(message)],
    ];
    for (const [event, callback] of this.listeners) model.on(event, callback);
    this.keys = (event) => this.onKey(event);
    (page ? document : this.root).addEventListener('keydown', this.keys);
    this.draw();
    this.showInfo();
    this.showError();
    this.showRunning();
  }

  destroy() {
    for (const [event, callback] of this.listeners) this.model.off(event, callback);
    (this.page ? document : this.root).removeEventListener('keydown', this.keys);
  }

  settings() { return this.model.get('settings'); }

  change(name, value) {
    this.model.set('settings', {...this.settings(), [name]: value});
    this.model.save_changes();
  }

  build() {
    const button = (label, symbol, onClick) => {
      const made = element('button', {type: 'button', 'aria-label': label, title: label, className: 'mgp-button'},
                           element('span', {'aria-hidden': 'true', text: symbol}), element('span', {text: label}));
      made.addEventListener('click', onClick);
      return made;
    };
    this.buttons = {
      reset: button('Reset', '↺', () => this.model.send({type: 'reset'})),
      play: button('Play', '▶', () => this.setRunning(true)),
      pause: button('Pause', '❚❚', () => this.setRunning(false)),
      step: button('Step', '+1', () => this.model.send({type: 'step'})),
    };
    this.stepCount = element('output', {className: 'mgp-step', 'aria-live': 'off', text: '0'});
    this.controls = element('div', {className: 'mgp-controls'});
    this.bar = element('header', {className: 'mgp-bar'},
                       element('div', {className: 'mgp-buttons'}, ...Object.values(this.buttons)),
                       element('div', {className: 'mgp-counter'}, element('span', {text: 'Step'}), this.stepCount),
                       this.controls);
    this.data = element('section', {className: 'mgp-data', 'aria-label': 'Data'});
    this.features = element('div', {className: 'mgp-features'});
    this.network = element('section', {className: 'mgp-network', 'aria-label': 'Network'});
    this.output = element('section', {className: 'mgp-output', 'aria-label': 'Output'});
    this.error = element('div', {className: 'mgp-error', role: 'alert'});
    this.root.append(this.bar, this.error,
                     element('div', {className: 'mgp-main'},
                             element('div', {className: 'mgp-left'}, this.data,
                                     element('section', {className: 'mgp-inputs', 'aria-label': 'Features'},
                                             element('h3', {text: 'Features'}), this.features)),
                             this.network, this.output));
    this.buildOutput();
  }

  buildOutput() {
    this.losses = element('div', {className: 'mgp-losses'});
    this.curve = element('canvas', {className: 'mgp-curve', width: 260, height: 64, 'aria-label': 'Loss curves'});
    this.boundary = element('canvas', {className: 'mgp-boundary', width: BIG, height: BIG,
                                       'aria-label': 'Decision boundary with the training and test points'});
    this.info = element('div', {className: 'mgp-info', 'aria-live': 'polite'});
    const legend = element('div', {className: 'mgp-legend'},
                           element('span', {className: 'mgp-train', text: 'white rim: train'}),
                           element('span', {className: 'mgp-test', text: 'dark rim: test'}),
                           element('span', {text: 'orange: class 0 (−1), blue: class 1 (+1)'}));
    this.output.append(element('h3', {text: 'Output'}), this.losses, this.curve, this.boundary, legend, this.info);
  }

  buildControls(s) {
    this.controls.replaceChildren(
      choice('Learning rate', LEARNING_RATES, s.learning_rate, (v) => this.change('learning_rate', v)),
      choice('Optimizer', OPTIMIZERS, s.optimizer, (v) => this.change('optimizer', v)),
      choice('Activation', ACTIVATIONS, s.activation, (v) => this.change('activation', v)),
      choice('Regularization', REGULARIZATIONS, s.regularization, (v) => this.change('regularization', v)),
      choice('Regularization rate', REGULARIZATION_RATES, s.regularization_rate,
             (v) => this.change('regularization_rate', v)));
    const datasets = s.dataset === 'custom' ? [...DATASETS, ['custom', 'your points']] : DATASETS;
    const seed = element('input', {type: 'number', min: 0, step: 1, 'aria-label': 'Seed'});
    seed.value = s.seed;
    seed.addEventListener('change', () => this.change('seed', Number(seed.value)));
    this.data.replaceChildren(
      element('h3', {text: 'Data'}),
      choice('Dataset', datasets, s.dataset, (v) => this.change('dataset', v)),
      slider('Noise', 0, 0.5, 0.05, s.noise, (v) => v.toFixed(2), (v) => this.change('noise', v)),
      slider('Training data', 10, 90, 10, Math.round(s.train_fraction * 100), (v) => `${v}%`,
             (v) => this.change('train_fraction', v / 100)),
      choice('Batch size', BATCH_SIZES, s.batch_size, (v) => this.change('batch_size', v)),
      element('label', {className: 'mgp-field'}, element('span', {text: 'Seed'}), seed));
    this.buildFeatures(s);
  }

  buildFeatures(s) {
    this.featureCanvases = {};
    this.features.replaceChildren(...FEATURES.map(([name, label]) => {
      const on = s.features.includes(name);
      const canvas = element('canvas', {className: 'mgp-node', 'data-feature': name});
      this.featureCanvases[name] = canvas;
      const toggle = element('button', {type: 'button', className: `mgp-feature${on ? ' on' : ''}`,
                                        'aria-pressed': String(on), 'aria-label': `Input feature ${label}`},
                             canvas, element('span', {text: label}));
      toggle.addEventListener('click', () => {
        const chosen = on ? s.features.filter((f) => f !== name) : [...s.features, name];
        if (chosen.length) this.change('features', chosen);
      });
      return toggle;
    }));
  }

  // ---------------------------------------------------------------- drawing

  schedule() {
    if (this.pending) return;
    this.pending = true;
    // a hidden page gets no animation frames: keep training there on a timer
    const later = document.hidden ? (callback) => setTimeout(callback, 16) : requestAnimationFrame;
    later(() => {
      this.pending = false;
      this.draw();
      if (this.waiting === 'draw') this.tick();
    });
  }

  draw() {
    const started = performance.now();
    const frame = this.model.get('frame');
    const s = this.settings();
    if (!frame || !s) return;
    const key = JSON.stringify(s);
    if (key !== this.drawn) {
      this.drawn = key;
      this.generation = null;
      this.buildControls(s);
    }
    this.stepCount.textContent = frame.step.toLocaleString('en');
    if (frame.generation !== this.generation) {  // the features' pictures change only with new data
      this.generation = frame.generation;
      for (const [name, canvas] of Object.entries(this.featureCanvases)) {
        paint(canvas, frame.feature_pictures[name], frame.grid);
      }
    }
    this.drawNetwork(frame, s);
    this.drawOutput(frame);
    this.root.dataset.step = String(frame.step);
    this.root.dataset.draws = String(Number(this.root.dataset.draws || 0) + 1);
    this.root.dataset.drawMs = (performance.now() - started).toFixed(1);  // for demos/playground_benchmark.py
  }

  drawNetwork(frame, s) {
    // columns: the features, each hidden layer, the output; each column centred vertically
    const sizes = [frame.features.length, ...frame.network.map((layer) => layer.length)];
    const width = Math.max(this.network.clientWidth, 300);
    const top = 58;
    const height = top + MAX_NEURONS * (NODE + 12);
    const x = (c) => 8 + c * (width - NODE - 16) / (sizes.length - 1);
    const place = (c, j) => [x(c), top + (MAX_NEURONS - sizes[c]) * (NODE + 12) / 2 + j * (NODE + 12)];
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.neuron : undefined;
    const nodes = this.drawNodes(frame, place);
    nodes.style.height = `${height}px`;
    nodes.append(this.layerControls(frame, x));
    this.network.replaceChildren(
      element('h3', {text: `${frame.network.length - 1} hidden layer${frame.network.length === 2 ? '' : 's'}`},
              this.layerButtons(s)),
      element('div', {className: 'mgp-canvas'}, this.drawEdges(frame, place, width, height), nodes));
    if (focused) {  // the neuron a keyboard user was on is drawn anew: keep the focus on it
      const again = this.network.querySelector(`[data-neuron="${focused}"]`);
      if (again) again.focus();
    }
  }

  drawEdges(frame, place, width, height) {
    const picture = svg('svg', {class: 'mgp-edges', width, height, viewBox: `0 0 ${width} ${height}`});
    frame.network.forEach((layer, l) => layer.forEach((neuron, i) => neuron.weights.forEach((w, j) => {
      const [x0, y0] = place(l, j);
      const [x1, y1] = place(l + 1, i);
      const middle = (x0 + x1 + NODE) / 2;
      const d = `M${x0 + NODE},${y0 + NODE / 2} C${middle},${y0 + NODE / 2} ${middle},${y1 + NODE / 2} ` +
                `${x1},${y1 + NODE / 2}`;
      const size = w === null ? 0 : Math.min(Math.abs(w), 3);
      const [r, g, b] = w !== null && w < 0 ? ORANGE : BLUE;
      const edge = svg('path', {d, class: 'mgp-edge', 'data-edge': `${l}.${i}.${j}`,
                                stroke: `rgb(${r},${g},${b})`, 'stroke-width': (0.5 + 2.5 * size).toFixed(2),
                                'stroke-opacity': (0.35 + 0.2 * size).toFixed(2)});
      const target = `layers.${l}.neurons.${i}.w.${j}`;
      const hit = svg('path', {d, class: target === this.selected() ? 'mgp-hit selected' : 'mgp-hit',
                               'data-edge': `${l}.${i}.${j}`});
      const title = svg('title');
      title.textContent = `weight ${number(w)}`;
      hit.append(title);
      hit.addEventListener('click', () => this.select(target));
      picture.append(edge, hit);
    })));
    return picture;
  }

  drawNodes(frame, place) {
    const nodes = element('div', {className: 'mgp-nodes'});
    frame.features.forEach((feature, j) => {
      const [left, top] = place(0, j);
      const canvas = element('canvas', {className: 'mgp-node', 'aria-label': `input ${feature.label}`});
      paint(canvas, feature.heatmap, frame.grid);
      nodes.append(this.positioned(canvas, left, top), this.positioned(
        element('span', {className: 'mgp-node-label', text: feature.label}), left - 2, top + NODE + 1));
    });
    const last = frame.network.length - 1;
    frame.network.forEach((layer, l) => layer.forEach((neuron, i) => {
      const [left, top] = place(l + 1, i);
      let node;
      if (l === last) {
        node = element('button', {type: 'button', className: 'mgp-out-node', 'data-output': `${l}.${i}`,
                                  'aria-label': `Output neuron, bias ${number(neuron.bias)}`, text: 'out'});
      } else {  // a hidden neuron: its output over the input plane
        const canvas = element('canvas');
        paint(canvas, neuron.heatmap, frame.grid);
        node = element('button', {type: 'button', className: 'mgp-node mgp-neuron', 'data-neuron': `${l}.${i}`,
                                  'aria-label': `Neuron ${i + 1} of hidden layer ${l + 1}, bias ${number(neuron.bias)}`},
                       canvas);
      }
      if (this.selected() === `layers.${l}.neurons.${i}.b`) node.classList.add('selected');
      node.addEventListener('click', () => this.select(`layers.${l}.neurons.${i}.b`));
      nodes.append(this.positioned(node, left, top));
    }));
    return nodes;
  }

  positioned(node, left, top) {
    node.style.left = `${left}px`;
    node.style.top = `${top}px`;
    return node;
  }

  layerButtons(s) {
    const small = (label, symbol, onClick, disabled) => {
      const made = element('button', {type: 'button', className: 'mgp-small', 'aria-label': label, title: label,
                                      text: symbol});
      made.disabled = disabled;
      made.addEventListener('click', onClick);
      return made;
    };
    return element('span', {className: 'mgp-layer-buttons'},
                   small('Add a hidden layer', '+', () => this.change('layers', [...s.layers, 2]),
                         s.layers.length >= MAX_LAYERS),
                   small('Remove the last hidden layer', '−', () => this.change('layers', s.layers.slice(0, -1)),
                         s.layers.length === 0));
  }

  layerControls(frame, x) {
    const s = this.settings();
    const row = element('div', {className: 'mgp-layer-row'});
    s.layers.forEach((size, l) => {
      const set = (n) => this.change('layers', s.layers.map((m, k) => (k === l ? n : m)));
      const add = element('button', {type: 'button', className: 'mgp-small', text: '+',
                                     'aria-label': `Add a neuron to hidden layer ${l + 1}`});
      add.disabled = size >= MAX_NEURONS;
      add.addEventListener('click', () => set(size + 1));
      const remove = element('button', {type: 'button', className: 'mgp-small', text: '−',
                                        'aria-label': `Remove a neuron from hidden layer ${l + 1}`});
      remove.disabled = size <= 1;
      remove.addEventListener('click', () => set(size - 1));
      const group = element('div', {className: 'mgp-layer-control'}, add, remove,
                            element('span', {text: `${size} neuron${size === 1 ? '' : 's'}`}));
      row.append(this.positioned(group, x(l + 1) - 14, 0));
    });
    return row;
  }

  drawOutput(frame) {
    this.losses.replaceChildren(
      element('div', {}, element('span', {text: 'Test loss '}), element('b', {className: 'mgp-test-loss',
                                                                             text: number(frame.test_loss, 3)})),
      element('div', {}, element('span', {text: 'Training loss '}),
              element('b', {className: 'mgp-train-loss', text: number(frame.train_loss, 3)})),
      element('div', {className: 'mgp-accuracy',
                      text: `accuracy ${Math.round(100 * frame.train_accuracy)}% train, ` +
                            `${Math.round(100 * frame.test_accuracy)}% test`}));
    this.drawCurve(frame.history);
    const context = this.boundary.getContext('2d');
    const small = document.createElement('canvas');
    paint(small, frame.network.at(-1)[0].heatmap, frame.grid);
    context.imageSmoothingEnabled = true;
    context.drawImage(small, 0, 0, BIG, BIG);
    const [low, high] = frame.extent;
    const at = (v) => ((v - low) / (high - low)) * BIG;
    for (const [which, stroke] of [['train', '#fff'], ['test', '#111']]) {
      for (const [a, b, label] of frame.points[which]) {
        const [r, g, bl] = label ? BLUE : ORANGE;
        context.beginPath();
        context.arc(at(a), BIG - at(b), 3.2, 0, 2 * Math.PI);
        context.fillStyle = `rgb(${r},${g},${bl})`;
        context.fill();
        context.lineWidth = 1;
        context.strokeStyle = stroke;
        context.stroke();
      }
    }
  }

  drawCurve(history) {
    const context = this.curve.getContext('2d');
    const {width, height} = this.curve;
    context.clearRect(0, 0, width, height);
    const values = [...history.train_loss, ...history.test_loss].filter((v) => v !== null);
    const highest = Math.max(...values, 1e-9);
    const n = history.step.length;
    for (const [name, colourName] of [['train_loss', '#999'], ['test_loss', '#111']]) {
      context.beginPath();
      history[name].forEach((v, i) => {
        const px = n > 1 ? (i / (n - 1)) * (width - 2) + 1 : 1;
        const py = height - 2 - ((v === null ? highest : v) / highest) * (height - 4);
        if (i === 0) context.moveTo(px, py); else context.lineTo(px, py);
      });
      context.strokeStyle = colourName;
      context.lineWidth = 1.5;
      context.stroke();
    }
  }

  // ---------------------------------------------------------------- info, errors, running

  selected() { return (this.model.get('info') || {}).target; }

  select(target) { this.model.send({type: 'select', target}); }

  showInfo() {
    const info = this.model.get('info') || {};
    if (!info.target) {
      this.info.replaceChildren(element('p', {className: 'mgp-hint', text: 'Click a neuron or an edge for its numbers.'}));
      return;
    }
    const kind = info.target.endsWith('.b') ? 'bias' : 'weight';
    const explain = element('button', {type: 'button', className: 'mgp-small mgp-explain', text: 'explain()',
                                       'aria-label': 'Explain its gradient'});
    explain.addEventListener('click', () => this.model.send({type: 'explain', target: info.target}));
    const rows = element('div', {className: 'mgp-numbers'},
                         element('code', {text: info.target}),
                         element('div', {text: `${kind} ${number(info.value)}`}),
                         element('div', {text: `grad ${number(info.grad)}`}), explain);
    const text = info.text ? [element('pre', {className: 'mgp-explained', text: info.text})] : [];
    this.info.replaceChildren(rows, ...text);
  }

  showError() {
    const error = this.model.get('error') || '';
    this.error.textContent = error;
    this.error.hidden = !error;
  }

  showRunning() {
    const running = Boolean(this.model.get('running'));
    this.buttons.play.disabled = running;
    this.buttons.pause.disabled = !running;
    this.root.classList.toggle('running', running);
    if (running && !this.waiting) this.tick();
    if (!running) this.waiting = false;
  }

  setRunning(running) {
    this.model.set('running', running);
    this.model.save_changes();
    this.showRunning();
  }

  tick() {
    this.waiting = true;
    this.model.send({type: 'tick'});
  }

  onMessage(message) {
    if (!message || message.type !== 'ticked') return;
    if (!this.model.get('running')) {
      this.waiting = false;
      return;
    }
    this.waiting = 'draw';   // the next tick goes out once this frame is drawn
    this.schedule();
  }

  onKey(event) {
    // Space plays and pauses wherever the focus is (Enter still presses a focused button); the other keys
    // leave the controls alone
    const tag = event.target && event.target.tagName;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === ' ') {
      event.preventDefault();
      this.setRunning(!this.model.get('running'));
    } else if (tag !== 'BUTTON' && (event.key === 'ArrowRight' || event.key === 's')) {
      this.model.send({type: 'step'});
    } else if (tag !== 'BUTTON' && event.key === 'r') {
      this.model.send({type: 'reset'});
    }
  }
}

function render({model, el, page = false}) {
  const view = new View(model, el, page);
  return () => view.destroy();
}

export default {render};
