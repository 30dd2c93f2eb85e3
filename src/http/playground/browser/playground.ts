// The playground's browser script (an ES module, compiled by tsc with the DOM library into
// dist/src/http/playground/browser/playground.js and served as /playground/assets/playground.js).
// Everything it shows comes from GET /v1/losses: tensor fields from each loss's `example`,
// option controls from the options' JSON Schema, the swept argument from `default_grad_wrt`.
// One plot is one POST /v1/batch, one item per sweep point. The plotted series are left on
// window.__playground for tests.

import type uPlot from 'uplot';
import { EXAMPLES } from './examples.js';

/** A discovery entry (GET /v1/losses), the parts the page reads. */
interface LossInfo {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly formula: string;
  readonly args: readonly ArgInfo[];
  readonly options: Readonly<Record<string, OptionSchema>>;
  readonly default_grad_wrt: readonly string[];
  readonly example: Readonly<Record<string, unknown>>;
}

interface ArgInfo {
  readonly name: string;
  readonly kind: 'float' | 'int' | 'float-or-int';
  readonly required: boolean;
  readonly differentiable: boolean;
  readonly description: string;
}

/** An option's JSON Schema, as Zod writes it. */
interface OptionSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly multipleOf?: number;
  readonly description?: string;
}

interface Problem {
  readonly detail?: string;
  readonly title?: string;
}

/** A batch result: a loss response body, or {error: Problem}. */
interface BatchResult {
  readonly loss?: unknown;
  readonly grad?: Readonly<Record<string, unknown>>;
  readonly error?: Problem;
}

type Path = number[];
type Answer<T> = { ok: true; body: T } | { ok: false; error: string };

/** What the page last plotted, for tests. */
interface Exposed {
  x: number[];
  loss: Array<number | null>;
  grad: Array<number | null>;
  runs: number;
  state: string;
  error: string | null;
  name: string | null;
  arg: string | null;
  path: Path;
  body: Record<string, unknown> | null;
}

declare global {
  interface Window {
    uPlot: typeof uPlot;
    __playground: Exposed;
  }
}

const MAX_STEPS = 1024;
const COLORS = { loss: '#2563eb', grad: '#dc2626', text: '#334155', grid: '#e2e8f0' };

const ui = {
  losses: new Map<string, LossInfo>(),
  info: null as LossInfo | null,
  chart: null as uPlot | null,
  paths: [] as Path[],
  seq: 0,
  timer: 0,
};
const exposed: Exposed = {
  x: [],
  loss: [],
  grad: [],
  runs: 0,
  state: 'loading',
  error: null,
  name: null,
  arg: null,
  path: [],
  body: null,
};
window.__playground = exposed;

/** The page's element with this id (the HTML in src/http/playground/page.ts has them all). */
function $<T extends HTMLElement = HTMLInputElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** document.createElement with properties (undefined ones skipped) and children. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else (e as unknown as Record<string, unknown>)[k] = v;
  }
  e.append(...children);
  return e;
}

function setStatus(state: string, text: string): void {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

// ---- the API ---------------------------------------------------------------------------------

function problemText(p: unknown, fallback: string): string {
  if (!p || typeof p !== 'object') return fallback;
  const { detail, title } = p as Problem;
  return detail || title || fallback;
}

/** GET (no body) or POST JSON; never throws. */
async function api<T>(path: string, body?: unknown): Promise<Answer<T>> {
  const init: RequestInit =
    body === undefined
      ? { headers: { accept: 'application/json' } }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  try {
    const res = await fetch(path, init);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) return { ok: false, error: problemText(json, `HTTP ${res.status} ${res.statusText}`) };
    return { ok: true, body: json as T };
  } catch (e) {
    return { ok: false, error: `the request failed: ${message(e)}` };
  }
}

// ---- tensors ---------------------------------------------------------------------------------

const isNested = (t: unknown): boolean => typeof t === 'number' || (Array.isArray(t) && t.every(isNested));

function leaves(t: unknown, path: Path = [], out: Array<{ path: Path; value: unknown }> = []) {
  if (Array.isArray(t)) {
    for (const [i, v] of t.entries()) leaves(v, path.concat(i), out);
  } else out.push({ path, value: t });
  return out;
}

const getAt = (t: unknown, path: Path): unknown => path.reduce((v, i) => (Array.isArray(v) ? v[i] : undefined), t);

function setAt(t: unknown, path: Path, x: number): unknown {
  const [first, ...rest] = path;
  if (first === undefined || !Array.isArray(t)) return x;
  const copy = t.slice();
  copy[first] = setAt(t[first], rest, x);
  return copy;
}

/** A response number; a non-finite one ("NaN", "Infinity") is null, a gap in the plot. */
const finite = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** A reduced loss, or the sum of an unreduced one (its gradient is the sum's, grad_output = ones). */
function total(v: unknown): number | null {
  if (!Array.isArray(v)) return finite(v);
  let s = 0;
  for (const { value } of leaves(v)) {
    if (typeof value !== 'number') return null;
    s += value;
  }
  return s;
}

/** One line per row of the first dimension: [[0.3, 0.7],\n [0.6, 0.4]]. */
function formatTensor(t: unknown): string {
  const line = (v: unknown) => JSON.stringify(v).replace(/,/g, ', ');
  if (Array.isArray(t) && t.some(Array.isArray)) return `[${t.map(line).join(',\n ')}]`;
  return line(t);
}

const pathText = (path: Path) => (path.length === 0 ? '' : `[${path.join('][')}]`);

// ---- controls, from the discovery entry ------------------------------------------------------

function buildArgs(info: LossInfo): void {
  $('args').replaceChildren(
    ...info.args.map((arg) => {
      // the loss's own example: a request the service answers with 200
      const value = info.example[arg.name];
      const text = value === undefined ? '' : formatTensor(value);
      const notes: string[] = [arg.kind];
      if (!arg.required) notes.push('optional');
      if (info.default_grad_wrt.includes(arg.name)) notes.push('prediction');
      const area = h('textarea', {
        id: `arg-${arg.name}`,
        value: text,
        rows: Math.min(8, Math.max(1, text.split('\n').length)),
        spellcheck: false,
        placeholder: arg.required ? 'required' : 'optional: left out when empty',
        dataset: { arg: arg.name },
      });
      const name = h('span', { className: 'name' }, `${arg.name} `, h('small', {}, notes.join(', ')));
      return h('label', { className: 'field', title: arg.description }, name, area);
    }),
  );
}

/** A bound worth showing (zod writes ±MAX_SAFE_INTEGER for a plain integer). */
const bound = (v: unknown) => (typeof v === 'number' && Math.abs(v) < 1e15 ? String(v) : undefined);

function optionControl(name: string, schema: OptionSchema): HTMLLabelElement {
  const def = schema.default;
  let input: HTMLInputElement | HTMLSelectElement;
  if (Array.isArray(schema.enum)) {
    const values = schema.enum;
    input = h('select', {}, ...values.map((v) => h('option', { value: String(v) }, String(v))));
    input.selectedIndex = Math.max(0, values.indexOf(def));
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
  input.id = `opt-${name}`;
  input.dataset.option = name;
  return h(
    'label',
    { className: 'field option', title: schema.description || '' },
    h('span', { className: 'name' }, name),
    input,
  );
}

function buildOptions(info: LossInfo): void {
  const entries = Object.entries(info.options);
  $('options').replaceChildren(
    ...(entries.length ? entries.map(([n, s]) => optionControl(n, s)) : [h('p', { className: 'summary' }, 'none')]),
  );
}

/** The options that differ from their defaults; throws a message for an unreadable one. */
function readOptions(info: LossInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(info.options)) {
    const input = $<HTMLInputElement | HTMLSelectElement>(`opt-${name}`);
    let v: unknown;
    if (input instanceof HTMLSelectElement) v = schema.enum?.[input.selectedIndex];
    else if (input.type === 'checkbox') v = input.checked;
    else if (input.type === 'number') {
      if (input.validity.badInput) throw new Error(`option ${name}: not a number`);
      if (input.value.trim() === '') continue;
      v = Number(input.value);
    } else {
      if (input.value.trim() === '') continue;
      try {
        v = JSON.parse(input.value);
      } catch (e) {
        throw new Error(`option ${name}: not valid JSON (${message(e)})`);
      }
    }
    if (v !== schema.default) out[name] = v;
  }
  return out;
}

function buildSweep(info: LossInfo): void {
  const hints = EXAMPLES[info.name] ?? {};
  const floats = info.args.filter((a) => a.differentiable && a.kind !== 'int').map((a) => a.name);
  const candidates = info.default_grad_wrt.length ? info.default_grad_wrt : floats;
  $('sweep-arg').replaceChildren(...candidates.map((n) => h('option', { value: n }, n)));
  const [lo, hi] = hints.sweep ?? [-3, 3];
  $('sweep-min').value = String(lo);
  $('sweep-max').value = String(hi);
  buildElements(hints.element ?? 0);
}

/** The swept argument's elements; keeps the selected one unless told which. */
function buildElements(preferred?: number): void {
  const select = $<HTMLSelectElement>('sweep-element');
  const keep = preferred === undefined ? select.selectedIndex : preferred;
  const area = document.getElementById(`arg-${$('sweep-arg').value}`) as HTMLTextAreaElement | null;
  let t: unknown;
  try {
    t = JSON.parse(area ? area.value : '');
  } catch {
    return; // reported by run()
  }
  const found = isNested(t) ? leaves(t) : [];
  ui.paths = found.map((l) => l.path);
  select.replaceChildren(
    ...found.map((l, i) => h('option', { value: String(i) }, `${pathText(l.path) || '(scalar)'} = ${l.value}`)),
  );
  select.selectedIndex = Math.min(Math.max(keep, 0), found.length - 1);
}

// ---- one plot: one batch ---------------------------------------------------------------------

interface Sweep {
  readonly items: Array<Record<string, unknown>>;
  readonly x: number[];
  readonly arg: string;
  readonly path: Path;
  readonly body: Record<string, unknown>;
}

function buildRequest(info: LossInfo): Sweep | { error: string } {
  const tensors: Record<string, unknown> = {};
  for (const arg of info.args) {
    const text = $<HTMLTextAreaElement>(`arg-${arg.name}`).value.trim();
    if (text === '') continue;
    try {
      tensors[arg.name] = JSON.parse(text);
    } catch (e) {
      return { error: `${arg.name}: not valid JSON (${message(e)})` };
    }
  }
  let options: Record<string, unknown>;
  try {
    options = readOptions(info);
  } catch (e) {
    return { error: message(e) };
  }
  const arg = $('sweep-arg').value;
  if (!(arg in tensors)) return { error: `the swept argument ${arg} is empty` };
  if (!isNested(tensors[arg])) {
    return { error: `${arg}: write it as nested arrays of numbers to sweep one of its elements` };
  }
  const path = ui.paths[$<HTMLSelectElement>('sweep-element').selectedIndex];
  if (path === undefined) return { error: `pick an element of ${arg} to sweep` };
  const lo = Number($('sweep-min').value);
  const hi = Number($('sweep-max').value);
  const steps = Number($('sweep-steps').value);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return { error: 'the sweep needs numbers min < max' };
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_STEPS) {
    return { error: `steps: a whole number from 2 to ${MAX_STEPS}` };
  }
  const body = { ...tensors, ...options };
  const x = Array.from({ length: steps }, (_, i) => (i === steps - 1 ? hi : lo + ((hi - lo) * i) / (steps - 1)));
  const items = x.map((v) => ({ loss: info.name, ...body, [arg]: setAt(tensors[arg], path, v), grad_wrt: [arg] }));
  return { items, x, arg, path, body };
}

function fail(text: string): void {
  ui.chart?.destroy();
  ui.chart = null;
  Object.assign(exposed, { x: [], loss: [], grad: [], state: 'error', error: text, runs: exposed.runs + 1 });
  setStatus('error', text);
}

async function run(): Promise<void> {
  const info = ui.info;
  if (info === null) return;
  const seq = ++ui.seq;
  const req = buildRequest(info);
  if ('error' in req) return fail(req.error);
  setStatus('busy', `computing ${req.x.length} points…`);
  const res = await api<{ results: BatchResult[] }>('v1/batch', { items: req.items });
  if (seq !== ui.seq) return; // superseded by a newer run
  if (!res.ok) return fail(res.error);
  const loss: Array<number | null> = [];
  const grad: Array<number | null> = [];
  const errors: Problem[] = [];
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
    grad.push(finite(getAt(r.grad?.[req.arg], req.path)));
  }
  if (errors.length === req.x.length) return fail(problemText(errors[0], 'every point failed'));
  const swept = req.arg + pathText(req.path);
  Object.assign(exposed, {
    x: req.x,
    loss,
    grad,
    state: 'ready',
    error: null,
    name: info.name,
    arg: req.arg,
    path: req.path,
    body: req.body,
  });
  plot(req.x, loss, grad, {
    x: swept,
    loss: unreduced ? 'loss (sum of elements)' : 'loss',
    grad: `d loss / d ${swept}`,
  });
  const first = req.x[0];
  const last = req.x[req.x.length - 1];
  if (errors.length) {
    setStatus('warn', `${errors.length} of ${req.x.length} points failed: ${problemText(errors[0], 'error')}`);
  } else setStatus('ready', `${info.name}: ${req.x.length} points, ${swept} from ${first} to ${last}`);
  exposed.runs += 1;
}

function schedule(delay = 250): void {
  clearTimeout(ui.timer);
  exposed.state = 'busy';
  ui.timer = window.setTimeout(run, delay);
}

// ---- the chart -------------------------------------------------------------------------------

const chartHeight = (width: number) => Math.round(Math.min(440, Math.max(240, width * 0.6)));

function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

/** uPlot's resolved axis (its own fields beside the options). */
interface ResolvedAxis {
  readonly _size: number;
  readonly font: readonly string[];
  readonly ticks: { readonly size: number };
  readonly gap: number;
}

/** A y axis as wide as its longest tick label (uPlot's own axes have a fixed size). */
function fitTicks(u: uPlot, values: string[], axisIdx: number, cycleNum: number): number {
  const axis = u.axes[axisIdx] as unknown as ResolvedAxis;
  if (cycleNum > 1) return axis._size;
  const longest = (values || []).reduce((a, v) => (v.length > a.length ? v : a), '');
  u.ctx.font = axis.font[0] ?? '';
  return Math.ceil(axis.ticks.size + axis.gap + u.ctx.measureText(longest).width / devicePixelRatio);
}

function plot(
  x: number[],
  loss: Array<number | null>,
  grad: Array<number | null>,
  labels: { x: string; loss: string; grad: string },
): void {
  const box = $<HTMLDivElement>('chart');
  ui.chart?.destroy();
  const width = box.clientWidth;
  const shown = (_u: uPlot, v: number | null) => (v == null ? '–' : String(Number(v.toPrecision(6))));
  const axis = (extra: uPlot.Axis): uPlot.Axis => ({
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
    [x, loss, grad] as uPlot.AlignedData,
    box,
  );
}

// the chart follows its container's width
new ResizeObserver(() => {
  const width = $<HTMLDivElement>('chart').clientWidth;
  if (ui.chart && width > 0 && width !== ui.chart.width) ui.chart.setSize({ width, height: chartHeight(width) });
}).observe($('chart'));

// ---- wiring ----------------------------------------------------------------------------------

function selectLoss(name: string): void {
  const info = ui.losses.get(name);
  if (info === undefined) return;
  ui.info = info;
  $<HTMLSelectElement>('loss').value = name;
  history.replaceState(null, '', `#${name}`);
  $('summary').textContent = info.summary;
  $('formula').textContent = info.formula;
  buildArgs(info);
  buildOptions(info);
  buildSweep(info);
  schedule(0);
}

$('controls').addEventListener('input', (e) => {
  const t = e.target as HTMLInputElement;
  if (t.id === 'loss') return selectLoss(t.value);
  if (t.id === 'sweep-arg') buildElements(0);
  else if (t.dataset.arg !== undefined && t.dataset.arg === $('sweep-arg').value) buildElements();
  schedule();
});
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule(0);
});

async function init(): Promise<void> {
  const res = await api<{ losses: LossInfo[] }>('v1/losses');
  if (!res.ok) return fail(`cannot list the losses: ${res.error}`);
  const losses = res.body.losses;
  for (const info of losses) ui.losses.set(info.name, info);
  $('loss').replaceChildren(
    ...losses.map((l) =>
      h('option', { value: l.name }, l.aliases.length ? `${l.name} (${l.aliases.join(', ')})` : l.name),
    ),
  );
  const wanted = decodeURIComponent(location.hash.slice(1));
  const first = ui.losses.has(wanted) ? wanted : ui.losses.has('mse_loss') ? 'mse_loss' : losses[0]?.name;
  if (first !== undefined) selectLoss(first);
}

init();
