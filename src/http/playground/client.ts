// The playground's browser script (an ES module, served as /playground/assets/playground.js),
// embedded as a string so that dist/ alone serves it. Everything it shows comes from
// GET /v1/losses: tensor fields from `args` (prefilled generically, or from examples.js where a
// generic tensor cannot be valid), option controls from the options' JSON Schema, the swept
// argument from `default_grad_wrt`. One plot is one POST /v1/batch, one item per sweep point.
// The plotted series are left on window.__playground for tests.
// (Plain JS in a String.raw template: no backticks and no dollar-brace inside.)

export const PLAYGROUND_JS = String.raw`// lossd playground (source: src/http/playground/client.ts)
import { EXAMPLES } from './examples.js';

/** Generic tensors: the k-th prediction argument gets PREDICTIONS[k], other required floats LABELS. */
const PREDICTIONS = [
  [[0.3, 0.7, 0.2], [0.6, 0.4, 0.9]],
  [[0.5, 0.1, 0.8], [0.2, 0.9, 0.3]],
  [[0.9, 0.3, 0.6], [0.1, 0.5, 0.7]],
];
const LABELS = [[1, 0, 1], [0, 1, 1]];
const MAX_STEPS = 1024;
const COLORS = { loss: '#2563eb', grad: '#dc2626', text: '#334155', grid: '#e2e8f0' };

const ui = { losses: new Map(), info: null, chart: null, paths: [], seq: 0, timer: 0 };
const exposed = { x: [], loss: [], grad: [], runs: 0, state: 'loading', error: null, name: null, arg: null, path: [], body: null };
window.__playground = exposed;

const $ = (id) => document.getElementById(id);

/** document.createElement with properties (undefined ones skipped) and children. */
function h(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

function setStatus(state, text) {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
}

// ---- the API ---------------------------------------------------------------------------------

function problemText(p, fallback) {
  if (!p || typeof p !== 'object') return fallback;
  return p.detail || p.title || fallback;
}

/** GET (no body) or POST JSON; never throws: {ok: true, body} or {ok: false, error}. */
async function api(path, body) {
  const init = body === undefined
    ? { headers: { accept: 'application/json' } }
    : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  try {
    const res = await fetch(path, init);
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) return { ok: false, error: problemText(json, 'HTTP ' + res.status + ' ' + res.statusText) };
    return { ok: true, body: json };
  } catch (e) {
    return { ok: false, error: 'the request failed: ' + e.message };
  }
}

// ---- tensors ---------------------------------------------------------------------------------

const isNested = (t) => typeof t === 'number' || (Array.isArray(t) && t.every(isNested));

function leaves(t, path = [], out = []) {
  if (Array.isArray(t)) t.forEach((v, i) => leaves(v, path.concat(i), out));
  else out.push({ path, value: t });
  return out;
}

const getAt = (t, path) => path.reduce((v, i) => (Array.isArray(v) ? v[i] : undefined), t);

function setAt(t, path, x) {
  if (path.length === 0) return x;
  const copy = t.slice();
  copy[path[0]] = setAt(t[path[0]], path.slice(1), x);
  return copy;
}

/** A response number; a non-finite one ("NaN", "Infinity") is null, a gap in the plot. */
const finite = (v) => (typeof v === 'number' ? v : null);

/** A reduced loss, or the sum of an unreduced one (its gradient is the sum's, grad_output = ones). */
function total(v) {
  if (!Array.isArray(v)) return finite(v);
  let s = 0;
  for (const { value } of leaves(v)) {
    if (typeof value !== 'number') return null;
    s += value;
  }
  return s;
}

/** One line per row of the first dimension: [[0.3, 0.7],\n [0.6, 0.4]]. */
function formatTensor(t) {
  const line = (v) => JSON.stringify(v).replace(/,/g, ', ');
  if (Array.isArray(t) && t.some(Array.isArray)) return '[' + t.map(line).join(',\n ') + ']';
  return line(t);
}

const pathText = (path) => (path.length === 0 ? '' : '[' + path.join('][') + ']');

// ---- controls, from the discovery entry ------------------------------------------------------

function defaultTensor(info, arg) {
  const example = (EXAMPLES[info.name] || {}).args || {};
  if (arg.name in example) return example[arg.name];
  if (!arg.required || arg.kind === 'int') return undefined;
  const k = info.default_grad_wrt.indexOf(arg.name);
  return k >= 0 ? PREDICTIONS[k % PREDICTIONS.length] : LABELS;
}

function buildArgs(info) {
  $('args').replaceChildren(
    ...info.args.map((arg) => {
      const value = defaultTensor(info, arg);
      const text = value === undefined ? '' : formatTensor(value);
      const notes = [arg.kind];
      if (!arg.required) notes.push('optional');
      if (info.default_grad_wrt.includes(arg.name)) notes.push('prediction');
      const area = h('textarea', {
        id: 'arg-' + arg.name,
        value: text,
        rows: Math.min(8, Math.max(1, text.split('\n').length)),
        spellcheck: false,
        placeholder: arg.required ? 'required' : 'optional: left out when empty',
        dataset: { arg: arg.name },
      });
      const name = h('span', { className: 'name' }, arg.name + ' ', h('small', {}, notes.join(', ')));
      return h('label', { className: 'field', title: arg.description }, name, area);
    }),
  );
}

/** A bound worth showing (zod writes +-MAX_SAFE_INTEGER for a plain integer). */
const bound = (v) => (typeof v === 'number' && Math.abs(v) < 1e15 ? String(v) : undefined);

function optionControl(name, schema) {
  const def = schema.default;
  let input;
  if (Array.isArray(schema.enum)) {
    input = h('select', {}, ...schema.enum.map((v) => h('option', { value: String(v) }, String(v))));
    input.selectedIndex = Math.max(0, schema.enum.indexOf(def));
  } else if (schema.type === 'boolean') {
    input = h('input', { type: 'checkbox', checked: def === true });
  } else if (schema.type === 'number' || schema.type === 'integer') {
    input = h('input', {
      type: 'number',
      step: schema.type === 'integer' ? '1' : schema.multipleOf === undefined ? 'any' : String(schema.multipleOf),
      min: bound(schema.minimum === undefined ? schema.exclusiveMinimum : schema.minimum),
      max: bound(schema.maximum === undefined ? schema.exclusiveMaximum : schema.maximum),
      value: def === undefined ? '' : String(def),
    });
  } else {
    input = h('input', { type: 'text', value: def === undefined ? '' : JSON.stringify(def), placeholder: 'JSON' });
  }
  input.id = 'opt-' + name;
  input.dataset.option = name;
  return h('label', { className: 'field option', title: schema.description || '' }, h('span', { className: 'name' }, name), input);
}

function buildOptions(info) {
  const entries = Object.entries(info.options);
  $('options').replaceChildren(...(entries.length ? entries.map(([n, s]) => optionControl(n, s)) : [h('p', { className: 'summary' }, 'none')]));
}

/** The options that differ from their defaults; throws a message for an unreadable one. */
function readOptions(info) {
  const out = {};
  for (const [name, schema] of Object.entries(info.options)) {
    const input = $('opt-' + name);
    let v;
    if (input.tagName === 'SELECT') v = schema.enum[input.selectedIndex];
    else if (input.type === 'checkbox') v = input.checked;
    else if (input.type === 'number') {
      if (input.validity.badInput) throw new Error('option ' + name + ': not a number');
      if (input.value.trim() === '') continue;
      v = Number(input.value);
    } else {
      if (input.value.trim() === '') continue;
      try {
        v = JSON.parse(input.value);
      } catch (e) {
        throw new Error('option ' + name + ': not valid JSON (' + e.message + ')');
      }
    }
    if (v !== schema.default) out[name] = v;
  }
  return out;
}

function buildSweep(info) {
  const example = EXAMPLES[info.name] || {};
  const floats = info.args.filter((a) => a.differentiable && a.kind !== 'int').map((a) => a.name);
  const candidates = info.default_grad_wrt.length ? info.default_grad_wrt : floats;
  $('sweep-arg').replaceChildren(...candidates.map((n) => h('option', { value: n }, n)));
  const range = example.sweep || [-3, 3];
  $('sweep-min').value = String(range[0]);
  $('sweep-max').value = String(range[1]);
  buildElements(example.element || 0);
}

/** The swept argument's elements; keeps the selected one unless told which. */
function buildElements(preferred) {
  const select = $('sweep-element');
  const keep = preferred === undefined ? select.selectedIndex : preferred;
  const area = $('arg-' + $('sweep-arg').value);
  let t;
  try {
    t = JSON.parse(area ? area.value : '');
  } catch {
    return; // reported by run()
  }
  const found = isNested(t) ? leaves(t) : [];
  ui.paths = found.map((l) => l.path);
  select.replaceChildren(...found.map((l, i) => h('option', { value: String(i) }, (pathText(l.path) || '(scalar)') + ' = ' + l.value)));
  select.selectedIndex = Math.min(Math.max(keep, 0), found.length - 1);
}

// ---- one plot: one batch ---------------------------------------------------------------------

function buildRequest(info) {
  const tensors = {};
  for (const arg of info.args) {
    const text = $('arg-' + arg.name).value.trim();
    if (text === '') continue;
    try {
      tensors[arg.name] = JSON.parse(text);
    } catch (e) {
      return { error: arg.name + ': not valid JSON (' + e.message + ')' };
    }
  }
  let options;
  try {
    options = readOptions(info);
  } catch (e) {
    return { error: e.message };
  }
  const arg = $('sweep-arg').value;
  if (!(arg in tensors)) return { error: 'the swept argument ' + arg + ' is empty' };
  if (!isNested(tensors[arg])) return { error: arg + ': write it as nested arrays of numbers to sweep one of its elements' };
  const path = ui.paths[$('sweep-element').selectedIndex];
  if (path === undefined) return { error: 'pick an element of ' + arg + ' to sweep' };
  const lo = Number($('sweep-min').value);
  const hi = Number($('sweep-max').value);
  const steps = Number($('sweep-steps').value);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return { error: 'the sweep needs numbers min < max' };
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_STEPS) return { error: 'steps: a whole number from 2 to ' + MAX_STEPS };
  const body = { ...tensors, ...options };
  const x = Array.from({ length: steps }, (_, i) => (i === steps - 1 ? hi : lo + ((hi - lo) * i) / (steps - 1)));
  const items = x.map((v) => ({ loss: info.name, ...body, [arg]: setAt(tensors[arg], path, v), grad_wrt: [arg] }));
  return { items, x, arg, path, body };
}

function fail(message) {
  if (ui.chart) ui.chart.destroy();
  ui.chart = null;
  Object.assign(exposed, { x: [], loss: [], grad: [], state: 'error', error: message, runs: exposed.runs + 1 });
  setStatus('error', message);
}

async function run() {
  const info = ui.info;
  const seq = ++ui.seq;
  const req = buildRequest(info);
  if (req.error) return fail(req.error);
  setStatus('busy', 'computing ' + req.x.length + ' points…');
  const res = await api('v1/batch', { items: req.items });
  if (seq !== ui.seq) return; // superseded by a newer run
  if (!res.ok) return fail(res.error);
  const loss = [];
  const grad = [];
  const errors = [];
  let unreduced = false;
  for (const r of res.body.results) {
    if (r.error) {
      errors.push(r.error);
      loss.push(null);
      grad.push(null);
      continue;
    }
    unreduced = unreduced || Array.isArray(r.loss);
    loss.push(total(r.loss));
    grad.push(finite(getAt(r.grad ? r.grad[req.arg] : undefined, req.path)));
  }
  if (errors.length === req.x.length) return fail(problemText(errors[0], 'every point failed'));
  const swept = req.arg + pathText(req.path);
  Object.assign(exposed, { x: req.x, loss, grad, state: 'ready', error: null, name: info.name, arg: req.arg, path: req.path, body: req.body });
  plot(req.x, loss, grad, {
    x: swept,
    loss: unreduced ? 'loss (sum of elements)' : 'loss',
    grad: 'd loss / d ' + swept,
  });
  if (errors.length) setStatus('warn', errors.length + ' of ' + req.x.length + ' points failed: ' + problemText(errors[0], 'error'));
  else setStatus('ready', info.name + ': ' + req.x.length + ' points, ' + swept + ' from ' + req.x[0] + ' to ' + req.x[req.x.length - 1]);
  exposed.runs += 1;
}

function schedule(delay = 250) {
  clearTimeout(ui.timer);
  exposed.state = 'busy';
  ui.timer = setTimeout(run, delay);
}

// ---- the chart -------------------------------------------------------------------------------

const chartHeight = (width) => Math.round(Math.min(440, Math.max(240, width * 0.6)));

function tick(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** A y axis as wide as its longest tick label (uPlot's own axes have a fixed size). */
function fitTicks(u, values, axisIdx, cycleNum) {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return axis._size;
  const longest = (values || []).reduce((a, v) => (v.length > a.length ? v : a), '');
  u.ctx.font = axis.font[0];
  return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / devicePixelRatio);
}

function plot(x, loss, grad, labels) {
  const box = $('chart');
  if (ui.chart) ui.chart.destroy();
  const width = box.clientWidth;
  const shown = (_u, v) => (v == null ? '–' : String(Number(v.toPrecision(6))));
  const axis = (extra) => ({
    stroke: COLORS.text,
    size: fitTicks,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1 },
    values: (_u, ticks) => ticks.map(tick),
    ...extra,
  });
  ui.chart = new window.uPlot(
    {
      width,
      height: chartHeight(width),
      scales: { x: { time: false }, loss: { auto: true }, grad: { auto: true } },
      series: [
        { label: labels.x, value: shown },
        { label: labels.loss, scale: 'loss', stroke: COLORS.loss, width: 2, value: shown },
        { label: labels.grad, scale: 'grad', stroke: COLORS.grad, width: 2, dash: [8, 4], value: shown },
      ],
      axes: [
        axis({ label: labels.x, size: 48 }),
        axis({ scale: 'loss', label: 'loss', stroke: COLORS.loss }),
        axis({ scale: 'grad', label: 'gradient', stroke: COLORS.grad, side: 1, grid: { show: false } }),
      ],
    },
    [x, loss, grad],
    box,
  );
}

// the chart follows its container's width
new ResizeObserver(() => {
  const width = $('chart').clientWidth;
  if (ui.chart && width > 0 && width !== ui.chart.width) ui.chart.setSize({ width, height: chartHeight(width) });
}).observe($('chart'));

// ---- wiring ----------------------------------------------------------------------------------

function selectLoss(name) {
  const info = ui.losses.get(name);
  ui.info = info;
  $('loss').value = name;
  history.replaceState(null, '', '#' + name);
  $('summary').textContent = info.summary;
  $('formula').textContent = info.formula;
  buildArgs(info);
  buildOptions(info);
  buildSweep(info);
  schedule(0);
}

$('controls').addEventListener('input', (e) => {
  const t = e.target;
  if (t.id === 'loss') return selectLoss(t.value);
  if (t.id === 'sweep-arg') buildElements(0);
  else if (t.dataset.arg !== undefined && t.dataset.arg === $('sweep-arg').value) buildElements();
  schedule();
});
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule(0);
});

async function init() {
  const res = await api('v1/losses');
  if (!res.ok) return fail('cannot list the losses: ' + res.error);
  for (const info of res.body.losses) ui.losses.set(info.name, info);
  $('loss').replaceChildren(
    ...res.body.losses.map((l) => h('option', { value: l.name }, l.aliases.length ? l.name + ' (' + l.aliases.join(', ') + ')' : l.name)),
  );
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = ui.losses.has(wanted) ? wanted : ui.losses.has('mse_loss') ? 'mse_loss' : res.body.losses[0].name;
  selectLoss(first);
}

init();
`;
