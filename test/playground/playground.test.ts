// /playground in a real browser: Debian's chromium, driven by playwright-core, opens the page of a
// real server, picks losses, changes options and the sweep, and checks that what the page plots
// (window.__playground) is what the API answers for the same points, computed here with single
// POST /v1/losses/{name} requests. Any console error, page error or failed request fails the test
// (a CSP violation counts). Screenshots: test/artifacts/playground.png and playground-narrow.png.

import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, recordProblems } from '../helpers/browser.js';
import { postJson, type RunningServer, request, startServer } from '../helpers/server.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url);
const SCREENSHOT = new URL('playground.png', ARTIFACTS).pathname;
const SCREENSHOT_NARROW = new URL('playground-narrow.png', ARTIFACTS).pathname;

interface Plotted {
  x: number[];
  loss: Array<number | null>;
  grad: Array<number | null>;
  runs: number;
  state: string;
  error: string | null;
  name: string | null;
  arg: string | null;
  path: number[];
  body: Record<string, unknown> | null;
}
/**
 * The browser globals the page callbacks below use (tsconfig has no DOM lib). Only casts to this
 * type appear inside those callbacks, which run in the browser.
 */
interface Browserside {
  __playground: Plotted;
  document: {
    querySelector(selector: string): { getBoundingClientRect(): { width: number } } | null;
    documentElement: { scrollWidth: number };
  };
}
interface FormElement {
  value: string;
  dataset: Record<string, string | undefined>;
}

let server: RunningServer;
let browser: Browser;
let page: Page;
/** Console errors, page errors and failed requests, as they happen. */
const problems: string[] = [];

const plotted = () => page.evaluate(() => (globalThis as unknown as Browserside).__playground);

/** Does `act`, then waits until the page has finished the plot it caused. */
async function afterPlot(act: () => Promise<unknown>): Promise<Plotted> {
  const before = (await plotted()).runs;
  await act();
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as Browserside).__playground.runs > n &&
      (globalThis as unknown as Browserside).__playground.state !== 'busy',
    before,
    {
      timeout: 30_000,
    },
  );
  return plotted();
}

/** The page's tensor fields, parsed (empty ones left out). */
async function pageTensors(): Promise<Record<string, unknown>> {
  const texts = await page.$$eval('textarea[data-arg]', (areas) =>
    areas.map((a) => [(a as unknown as FormElement).dataset.arg ?? '', (a as unknown as FormElement).value] as const),
  );
  return Object.fromEntries(texts.filter(([, t]) => t.trim() !== '').map(([n, t]) => [n, JSON.parse(t)]));
}

function setAt(t: unknown, path: number[], x: number): unknown {
  if (path.length === 0) return x;
  const copy = [...(t as unknown[])];
  copy[path[0]!] = setAt(copy[path[0]!], path.slice(1), x);
  return copy;
}
const getAt = (t: unknown, path: number[]): unknown => path.reduce<unknown>((v, i) => (v as unknown[])[i], t);

/**
 * The plotted loss and gradient equal what POST /v1/losses/{name} answers for the same points,
 * with the request built here: the page's tensors, `options` as this test set them.
 */
async function expectPlotMatchesApi(p: Plotted, name: string, options: Record<string, unknown>): Promise<void> {
  expect(p.state).toBe('ready');
  expect(p.name).toBe(name);
  expect(p.x.length).toBeGreaterThan(2);
  expect(p.loss.length).toBe(p.x.length);
  expect(p.grad.length).toBe(p.x.length);
  const arg = p.arg!;
  const tensors = await pageTensors();
  const n = p.x.length;
  for (const i of [0, 1, Math.floor(n / 3), Math.floor(n / 2), n - 1]) {
    const body = { ...tensors, ...options, [arg]: setAt(tensors[arg], p.path, p.x[i]!), grad_wrt: [arg] };
    const answer = await postJson(server.url, `/v1/losses/${name}`, body);
    expect(answer.status, answer.text).toBe(200);
    const expected = answer.body as { loss: number; grad: Record<string, unknown> };
    expect(p.loss[i], `loss at x = ${p.x[i]}`).toBe(expected.loss);
    expect(p.grad[i], `grad at x = ${p.x[i]}`).toBe(getAt(expected.grad[arg], p.path));
  }
}

beforeAll(async () => {
  server = await startServer({ workers: 2 });
  browser = await launchChromium('playground');
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  recordProblems(page, problems);
  const answer = await page.goto(`${server.url}/playground`);
  expect(answer?.status()).toBe(200);
  await page.waitForFunction(() => (globalThis as unknown as Browserside).__playground?.runs > 0, undefined, {
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('GET /playground', () => {
  it('is served with a strict CSP, its assets from the service, and stays out of the OpenAPI document', async () => {
    const html = await request(`${server.url}/playground`);
    expect(html.status).toBe(200);
    expect(html.contentType).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html.text).not.toMatch(/https?:\/\//);
    for (const asset of ['playground.js', 'examples.js', 'playground.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
      const a = await request(`${server.url}/playground/assets/${asset}`);
      expect(a.status, asset).toBe(200);
      expect(a.contentType, asset).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    }
    const doc = (await request(`${server.url}/openapi.json`)).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/playground'))).toEqual([]);
  });

  it('plots mse_loss as the API computes it, and follows a changed reduction', async () => {
    let p = await afterPlot(() => page.selectOption('#loss', 'mse_loss'));
    await expectPlotMatchesApi(p, 'mse_loss', {});
    p = await afterPlot(() => page.selectOption('#opt-reduction', 'sum'));
    expect(p.body?.reduction).toBe('sum');
    await expectPlotMatchesApi(p, 'mse_loss', { reduction: 'sum' });
    expect(await page.locator('#chart canvas').count()).toBe(1);
  });

  it('plots smooth_l1_loss with a changed beta, another element and another range', async () => {
    await afterPlot(() => page.selectOption('#loss', 'smooth_l1_loss'));
    await afterPlot(() => page.selectOption('#sweep-element', '4'));
    await afterPlot(() => page.fill('#sweep-min', '-2'));
    await afterPlot(() => page.fill('#sweep-steps', '41'));
    const p = await afterPlot(() => page.fill('#opt-beta', '0.5'));
    expect(p.body?.beta).toBe(0.5);
    expect(p.path).toEqual([1, 1]);
    expect(p.x.length).toBe(41);
    expect(p.x[0]).toBe(-2);
    expect(p.x[40]).toBe(3);
    await expectPlotMatchesApi(p, 'smooth_l1_loss', { beta: 0.5 });
  });

  it('plots cross_entropy (class-index targets) with label smoothing', async () => {
    await afterPlot(() => page.selectOption('#loss', 'cross_entropy'));
    expect(JSON.parse(await page.inputValue('#arg-target'))).toEqual([0, 2]);
    const p = await afterPlot(() => page.fill('#opt-label_smoothing', '0.1'));
    expect(p.body?.label_smoothing).toBe(0.1);
    await expectPlotMatchesApi(p, 'cross_entropy', { label_smoothing: 0.1 });
  });

  it("shows the API's problem detail in the page instead of throwing", async () => {
    await afterPlot(() => page.selectOption('#loss', 'smooth_l1_loss'));
    const p = await afterPlot(() => page.fill('#opt-beta', '-1'));
    expect(p.state).toBe('error');
    expect(p.error).toMatch(/beta/);
    expect(await page.getAttribute('#status', 'data-state')).toBe('error');
    expect(await page.textContent('#status')).toContain('beta');
    // and a bad tensor is reported by the page itself
    const q = await afterPlot(() => page.fill('#arg-target', '[[1, 2'));
    expect(q.state).toBe('error');
    expect(await page.textContent('#status')).toContain('target: not valid JSON');
  });

  it('plots every loss of GET /v1/losses from its default example, with a gradient that is not 0 everywhere', async () => {
    const names = await page.$$eval('#loss option', (os) => os.map((o) => (o as unknown as FormElement).value));
    const listed = (await request(`${server.url}/v1/losses`)).body as { losses: Array<{ name: string }> };
    expect(names).toEqual(listed.losses.map((l) => l.name));
    const failed: string[] = [];
    for (const name of names) {
      const p = await afterPlot(() => page.selectOption('#loss', name));
      const finite = p.loss.filter((v) => v !== null).length;
      if (p.state !== 'ready' || finite === 0) failed.push(`${name}: ${p.error ?? 'no finite point'}`);
      else if (p.grad.every((g) => g === 0 || g === null)) failed.push(`${name}: the gradient is 0 everywhere`);
    }
    expect(failed).toEqual([]);
  });

  it('leaves screenshots, wide and narrow (controls above the chart, chart as wide as the window)', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await afterPlot(() => page.selectOption('#loss', 'smooth_l1_loss'));
    await afterPlot(() => page.fill('#opt-beta', '0.5'));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await page.setViewportSize({ width: 400, height: 900 });
    await page.waitForFunction(() => {
      const canvas = (globalThis as unknown as Browserside).document.querySelector('#chart canvas');
      return canvas !== null && canvas.getBoundingClientRect().width <= 400;
    });
    const controls = await page.locator('#controls').boundingBox();
    const chart = await page.locator('#chart').boundingBox();
    expect(controls!.y + controls!.height).toBeLessThanOrEqual(chart!.y);
    expect(chart!.width).toBeLessThanOrEqual(400);
    const scrollWidth = await page.evaluate(
      () => (globalThis as unknown as Browserside).document.documentElement.scrollWidth,
    );
    expect(scrollWidth).toBeLessThanOrEqual(400);
    await page.screenshot({ path: SCREENSHOT_NARROW, fullPage: true });
  });

  it('logged no console error, page error or failed request', () => {
    expect(problems).toEqual([]);
  });
});
