"""stepper(): one self-contained HTML page that steps through the forward pass, then the backward pass.

The page holds the graph as inline SVG (drawn by ``viz.to_svg``), the steps as JSON, and a little
script: no network, no files beside it, so a teacher can mail it or open it offline in a lecture hall.
Each step highlights one node, fills its value (forward) or its grad (backward) into the picture, and
shows the same formula text as ``explain()``.

The script finds a Value's drawing by its Graphviz ``<title>``: ``str(id(value))`` for the record,
``str(id(value)) + value._op`` for its op node (the viz module's naming contract).
"""
from __future__ import annotations

import html
import json
import os
import pathlib
import re
from typing import Any

from .engine import Value
from .explain import ChainRule, format_number


def _graph_svg(root: Value, **options: Any) -> str:
    from .viz import to_svg  # here, not at the top: the engine and explain() need no Graphviz
    return to_svg(root, **options)


def _inline(svg: str) -> str:
    """The ``<svg>`` element alone: an XML declaration or DOCTYPE is not allowed inside HTML."""
    start = svg.find('<svg')
    if start < 0:
        raise ValueError('the graph drawing is not SVG (no <svg> element found)')
    return svg[start:]


def steps(root: Value) -> list[dict[str, Any]]:
    """The forward pass in topological order, then the backward pass in reverse: one dict per step."""
    graph = ChainRule(root)
    if not graph.backward_has_run():
        name = graph.name(root)
        raise ValueError(f'the stepper shows the gradients of the last backward(), and {name}.grad is 0: '
                         f'call {name}.backward() before stepper()')
    result = []
    count = len(graph.order)
    for k, node in enumerate(graph.order, 1):
        result.append({
            'phase': 'forward', 'node': str(id(node)), 'op': str(id(node)) + node._op if node._op else None,
            'edges': [[str(id(p)), str(id(node)) + node._op] for p in node._prev] +
                     ([[str(id(node)) + node._op, str(id(node))]] if node._op else []),
            'title': f'Forward {k}/{count}: {graph.name(node)}',
            'formula': graph.forward(node), 'value': format_number(node.data)})
    for k, node in enumerate(reversed(graph.order), 1):
        consumers = graph.consumers[node]
        result.append({
            'phase': 'backward', 'node': str(id(node)), 'op': None,
            'edges': [[str(id(node)), str(id(c)) + c._op] for c, _ in consumers] +
                     [[str(id(c)) + c._op, str(id(c))] for c, _ in consumers],
            'title': f'Backward {k}/{count}: {graph.d(node)}',
            'formula': graph.backward(node), 'value': format_number(node.grad)})
    return result


def stepper(root: Value, path: str | os.PathLike, **svg_options: Any) -> pathlib.Path:
    """Write the backprop stepper page for ``root`` (after ``root.backward()``) to ``path``; returns the path.

    ``svg_options`` go to the drawing (e.g. ``rankdir='TB'``, ``color_by='role'``). In the page: the
    buttons, or the arrow keys (Home/End jump), move one step; ``#step=N`` in the address opens step N.
    """
    if not isinstance(root, Value):
        raise TypeError(f'stepper() takes the output Value, got {type(root).__name__} {root!r}')
    data = {'steps': steps(root)}
    svg = _inline(_graph_svg(root, **svg_options))
    # '<' escaped as \u003c: no '</script>' inside the data can end the script element early
    payload = json.dumps(data).replace('<', '\\u003c')
    name = ChainRule(root).name(root)
    fill = {'%TITLE%': html.escape(f'Backprop stepper: {name}'), '%SVG%': svg, '%DATA%': payload}
    page = re.sub('%(?:TITLE|SVG|DATA)%', lambda hole: fill[hole.group()], _PAGE)  # one pass: no text refilled
    path = pathlib.Path(path)
    path.write_text(page, encoding='utf-8')
    return path


_PAGE = r'''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%TITLE%</title>
<style>
  :root { --ink: #1e293b; --muted: #64748b; --line: #e2e8f0; --fwd: #2563eb; --bwd: #dc2626; --hl: #fde68a; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
         background: #f8fafc; }
  header { padding: 14px 24px 6px; }
  h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header p { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
  #graph { margin: 8px 24px; padding: 12px; background: white; border: 1px solid var(--line);
           border-radius: 10px; overflow: auto; text-align: center; }
  #graph svg { width: 100%; height: auto; max-height: 62vh; }
  #panel { margin: 0 24px 24px; display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
  .card { background: white; border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
  #controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  button { font: inherit; padding: 6px 14px; border-radius: 8px; border: 1px solid #cbd5e1; background: white;
           cursor: pointer; }
  button:hover:not(:disabled) { background: #f1f5f9; }
  button:disabled { opacity: .4; cursor: default; }
  #next { background: var(--ink); color: white; border-color: var(--ink); }
  #next:hover:not(:disabled) { background: #334155; }
  #progress { flex: 1; min-width: 120px; height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; }
  #bar { height: 100%; width: 0; background: var(--fwd); transition: width .15s; }
  #phase { font-size: 12px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; margin-top: 12px; }
  #phase.forward { color: var(--fwd); } #phase.backward { color: var(--bwd); }
  #title { font-size: 17px; font-weight: 600; margin: 2px 0 8px; }
  pre { font: 15px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; margin: 0; white-space: pre-wrap;
        background: #f1f5f9; border-radius: 8px; padding: 10px 12px; }
  #log { max-height: 260px; overflow: auto; font: 12.5px/1.45 ui-monospace, Menlo, Consolas, monospace; }
  #log div { padding: 3px 6px; border-radius: 5px; white-space: pre-wrap; color: var(--muted); cursor: pointer; }
  #log div.done { color: var(--ink); }
  #log div.now { background: var(--hl); color: var(--ink); }
  .keys { color: var(--muted); font-size: 12px; margin-top: 10px; }
  kbd { border: 1px solid #cbd5e1; border-bottom-width: 2px; border-radius: 4px; padding: 0 5px; font-size: 11px; }
  /* the picture: the node being computed, where its numbers come from, what is not known yet */
  g.node.current polygon, g.node.current ellipse { fill: var(--hl) !important; stroke: #b45309; stroke-width: 3px; }
  g.node.current-op ellipse, g.node.current-op polygon { fill: #fef3c7 !important; stroke: #b45309; stroke-width: 2px; }
  g.edge.active path { stroke: #b45309; stroke-width: 2.5px; }
  g.edge.active polygon { fill: #b45309; stroke: #b45309; }
  body.backward g.edge.active path { stroke: var(--bwd); }
  body.backward g.edge.active polygon { fill: var(--bwd); stroke: var(--bwd); }
  text.unknown { fill: #94a3b8; }
  text.filled { font-weight: 700; }
</style>
</head>
<body>
<header>
  <h1>%TITLE%</h1>
  <p>Step through the forward pass (values, inputs first), then the backward pass (grads by the chain rule, output first).</p>
</header>
<div id="graph">%SVG%</div>
<div id="panel">
  <div class="card">
    <div id="controls">
      <button id="first" title="Start (Home)">Start</button>
      <button id="prev" title="Back (&#8592;)">&#9664; Back</button>
      <button id="next" title="Next (&#8594;)">Next &#9654;</button>
      <button id="last" title="End (End)">End</button>
      <div id="progress"><div id="bar"></div></div>
      <span id="counter"></span>
    </div>
    <div id="phase"></div>
    <div id="title"></div>
    <pre id="formula"></pre>
    <div class="keys"><kbd>&#8594;</kbd> / <kbd>space</kbd> next &middot; <kbd>&#8592;</kbd> back &middot;
      <kbd>Home</kbd> / <kbd>End</kbd> jump &middot; click a line on the right to go there</div>
  </div>
  <div class="card"><div id="log"></div></div>
</div>
<script type="application/json" id="steps">%DATA%</script>
<script>
"use strict";
const STEPS = JSON.parse(document.getElementById("steps").textContent).steps;
const svg = document.querySelector("#graph svg");

// Graphviz titles name the drawing's parts: a Value's record, its op node, and "a->b" for an edge.
const nodes = {}, edges = {};
for (const g of svg.querySelectorAll("g.node, g.edge")) {
  const title = g.querySelector("title");
  if (!title) continue;
  (g.classList.contains("node") ? nodes : edges)[title.textContent.trim()] = g;
}
// the record's "data ..." and "grad ..." fields, with the numbers the drawing was made with
const fields = {};
for (const [name, g] of Object.entries(nodes)) {
  for (const t of g.querySelectorAll("text")) {
    const m = /^(data|grad)\s/.exec(t.textContent.trim());
    if (m) (fields[name] = fields[name] || {})[m[1]] = {el: t, text: t.textContent};
  }
}

const log = document.getElementById("log");
STEPS.forEach((s, i) => {
  const line = document.createElement("div");
  line.textContent = s.formula.split("\n").join("\n  ");
  line.onclick = () => show(i + 1);
  log.appendChild(line);
});

let current = 0;  // 0: before the forward pass; k: step k done
function setField(name, which, known) {
  const f = fields[name] && fields[name][which];
  if (!f) return;
  f.el.textContent = known ? f.text : which + " ?";
  f.el.classList.toggle("unknown", !known);
}
function show(k) {
  current = Math.max(0, Math.min(STEPS.length, k));
  for (const name of Object.keys(fields)) { setField(name, "data", false); setField(name, "grad", false); }
  for (const g of svg.querySelectorAll(".current, .current-op, .active, .filled"))
    g.classList.remove("current", "current-op", "active", "filled");
  STEPS.slice(0, current).forEach(s => setField(s.node, s.phase === "forward" ? "data" : "grad", true));
  const s = STEPS[current - 1];
  const lines = log.children;
  for (let i = 0; i < lines.length; i++) {
    lines[i].className = i < current - 1 ? "done" : (i === current - 1 ? "now" : "");
  }
  document.body.className = s ? s.phase : "";
  if (s) {
    if (nodes[s.node]) nodes[s.node].classList.add("current");
    if (s.op && nodes[s.op]) nodes[s.op].classList.add("current-op");
    for (const [a, b] of s.edges) { const e = edges[a + "->" + b]; if (e) e.classList.add("active"); }
    const f = fields[s.node] && fields[s.node][s.phase === "forward" ? "data" : "grad"];
    if (f) f.el.classList.add("filled");
    lines[current - 1].scrollIntoView({block: "nearest"});
  }
  document.getElementById("phase").textContent = s ? s.phase + " pass" : "ready";
  document.getElementById("phase").className = s ? s.phase : "";
  document.getElementById("title").textContent = s ? s.title : "Press Next (or \u2192) to start the forward pass";
  document.getElementById("formula").textContent = s ? s.formula : "Every value and grad is hidden (?) until its step.";
  document.getElementById("counter").textContent = current + " / " + STEPS.length;
  const bar = document.getElementById("bar");
  bar.style.width = (100 * current / STEPS.length) + "%";
  bar.style.background = s && s.phase === "backward" ? "var(--bwd)" : "var(--fwd)";
  document.getElementById("first").disabled = document.getElementById("prev").disabled = current === 0;
  document.getElementById("last").disabled = document.getElementById("next").disabled = current === STEPS.length;
  history.replaceState(null, "", "#step=" + current);
}
document.getElementById("first").onclick = () => show(0);
document.getElementById("prev").onclick = () => show(current - 1);
document.getElementById("next").onclick = () => show(current + 1);
document.getElementById("last").onclick = () => show(STEPS.length);
document.addEventListener("keydown", e => {
  const moves = {ArrowRight: current + 1, " ": current + 1, ArrowLeft: current - 1, Home: 0, End: STEPS.length};
  if (e.key in moves) { e.preventDefault(); show(moves[e.key]); }
});
function fromAddress() { const m = /step=(\d+)/.exec(location.hash); show(m ? parseInt(m[1], 10) : 0); }
window.addEventListener("hashchange", fromAddress);
fromAddress();
</script>
</body>
</html>
'''
