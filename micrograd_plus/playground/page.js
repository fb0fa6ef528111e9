// The served page: the widget's view (playground.js) over HTTP instead of a notebook's comm.
// HttpModel offers the part of anywidget's model the view uses (get, set, save_changes, send, on, off),
// and keeps the address (#dataset=circles&layers=6,3...) and the settings in step.
import playground from './playground.js';

class HttpModel {
  constructor() {
    this.answer = 0;  // the newest answer applied: an older one arriving late is stale
    this.traits = {};
    this.changed = {};
    this.listeners = {};
  }
  get(name) { return this.traits[name]; }
  set(name, value) { this.traits[name] = value; this.changed[name] = value; }
  save_changes() {
    const changes = this.changed;
    this.changed = {};
    return this.post('/api/traits', changes);
  }
  send(content) { return this.post('/api/message', content); }
  on(event, callback) { (this.listeners[event] ||= []).push(callback); }
  off(event, callback) {
    this.listeners[event] = (this.listeners[event] || []).filter((c) => c !== callback);
  }
  emit(event, ...args) { for (const callback of this.listeners[event] || []) callback(...args); }

  async load() {
    const answer = await fetch('/api/traits');
    this.apply({traits: await answer.json(), messages: []});
  }
  async post(url, body) {
    let answer;
    try {
      answer = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: JSON.stringify(body)});
    } catch (error) {  // the server was stopped: say so, and stop asking
      this.apply({traits: {running: false, error: 'The playground server does not answer: start it again with ' +
                                                  'micrograd-plus playground'}, messages: []});
      return;
    }
    const reply = await answer.json();
    if (!answer.ok) {
      this.apply({traits: {error: reply.error || answer.statusText}, messages: []});
      return;
    }
    this.apply(reply);
  }
  apply({traits, messages, answer}) {
    if (answer !== undefined) {
      if (answer < this.answer) return;
      this.answer = answer;
    }
    for (const [name, value] of Object.entries(traits)) {
      const before = JSON.stringify(this.traits[name]);
      this.traits[name] = value;
      if (JSON.stringify(value) !== before) this.emit(`change:${name}`);
    }
    for (const message of messages) this.emit('msg:custom', message, []);
  }
}

function showAddress(model) {
  const address = (model.get('frame') || {}).address;
  if (address && location.hash !== `#${address}`) history.replaceState(null, '', `#${address}`);
}

async function start() {
  const model = new HttpModel();
  await model.load();
  if (location.hash.length > 1) await model.send({type: 'address', address: location.hash});
  const el = document.getElementById('app');
  el.replaceChildren();
  playground.render({model, el, page: true});
  showAddress(model);
  model.on('change:frame', () => showAddress(model));
  window.addEventListener('hashchange', () => model.send({type: 'address', address: location.hash}));
  document.body.dataset.ready = 'true';
}

start();
