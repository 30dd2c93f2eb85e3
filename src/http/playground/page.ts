// The playground's HTML and stylesheet, embedded as strings so that dist/ alone serves them.
// Asset and API URLs are relative (the page lives at /playground), so a path prefix in front of
// the service keeps working. No inline script, style or event handler: the page runs under a
// strict Content-Security-Policy (see routes/playground.ts).

export const PLAYGROUND_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lossd playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="playground/assets/uPlot.min.css">
<link rel="stylesheet" href="playground/assets/playground.css">
<script src="playground/assets/uPlot.iife.min.js"></script>
<script type="module" src="playground/assets/playground.js"></script>
</head>
<body>
<header>
  <h1>lossd playground</h1>
  <p>Sweep one element of a loss's prediction and plot the loss and its gradient, computed by this service.
  <a href="docs">API reference</a></p>
</header>
<main class="layout">
  <form id="controls" class="controls" autocomplete="off">
    <label class="field">
      <span class="name">loss</span>
      <select id="loss"></select>
    </label>
    <p id="summary" class="summary"></p>
    <code id="formula" class="formula"></code>
    <fieldset>
      <legend>Tensors (JSON)</legend>
      <div id="args" class="stack"></div>
    </fieldset>
    <fieldset>
      <legend>Options</legend>
      <div id="options" class="stack"></div>
    </fieldset>
    <fieldset>
      <legend>Sweep</legend>
      <div class="row two">
        <label class="field"><span class="name">argument</span><select id="sweep-arg"></select></label>
        <label class="field"><span class="name">element</span><select id="sweep-element"></select></label>
      </div>
      <div class="row three">
        <label class="field"><span class="name">min</span><input id="sweep-min" type="number" step="any" value="-3"></label>
        <label class="field"><span class="name">max</span><input id="sweep-max" type="number" step="any" value="3"></label>
        <label class="field"><span class="name">steps</span><input id="sweep-steps" type="number" min="2" max="1024" step="1" value="101"></label>
      </div>
    </fieldset>
    <button id="plot" type="submit">Plot</button>
  </form>
  <section class="output" aria-label="plot">
    <div id="status" class="status" role="status" aria-live="polite" data-state="busy">loading the losses…</div>
    <div id="chart" class="chart"></div>
  </section>
</main>
</body>
</html>
`;

export const PLAYGROUND_CSS = `:root {
  --fg: #0f172a;
  --muted: #64748b;
  --line: #e2e8f0;
  --accent: #2563eb;
  --bad: #b91c1c;
  --warn: #b45309;
  color-scheme: light;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #f8fafc; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #fff; }
header h1 { margin: 0; font-size: 18px; }
header p { margin: 2px 0 0; color: var(--muted); }
a { color: var(--accent); }
.layout {
  display: grid;
  grid-template-columns: minmax(280px, 380px) minmax(0, 1fr);
  gap: 16px;
  padding: 16px 20px;
  align-items: start;
}
.controls, .stack { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
fieldset { margin: 0; padding: 6px 10px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; min-width: 0; }
legend { padding: 0 4px; font-weight: 600; }
.field { display: flex; flex-direction: column; gap: 2px; min-width: 0; }
.name { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.name small { color: var(--muted); font-family: system-ui, sans-serif; }
.field.option { flex-direction: row; align-items: center; justify-content: space-between; gap: 8px; }
.field.option input[type="number"], .field.option select { width: 9.5em; }
.row { display: grid; gap: 8px; margin-top: 4px; }
.row.two { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.row.three { grid-template-columns: repeat(3, minmax(0, 1fr)); }
input, select, textarea, button {
  font: inherit;
  color: inherit;
  padding: 4px 6px;
  border: 1px solid #cbd5e1;
  border-radius: 4px;
  background: #fff;
  min-width: 0;
}
input[type="checkbox"] { width: 18px; height: 18px; }
textarea { width: 100%; resize: vertical; font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; }
button { align-self: flex-start; padding: 6px 16px; border-color: var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
.summary { margin: 0; color: var(--muted); }
.formula {
  display: block;
  padding: 4px 6px;
  border-radius: 4px;
  background: #f1f5f9;
  font-size: 12px;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.output { min-width: 0; padding: 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.status { min-height: 1.5em; margin-bottom: 6px; color: var(--muted); overflow-wrap: anywhere; }
.status[data-state="error"] { color: var(--bad); }
.status[data-state="warn"] { color: var(--warn); }
.chart { width: 100%; min-width: 0; }
@media (min-width: 700px) {
  .output { position: sticky; top: 12px; }
}
@media (max-width: 699px) {
  .layout { grid-template-columns: minmax(0, 1fr); padding: 10px; gap: 10px; }
  header { padding: 10px; }
}
`;
