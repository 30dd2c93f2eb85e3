// /docs in a real browser: Debian's chromium, driven by playwright-core, opens the swagger-ui
// page of a real server and must render the loss operations and the shared schemas without a
// single console error or page error (a CSP violation counts). A screenshot is left in
// test/artifacts/docs.png. Without /usr/bin/chromium this test fails: it never skips.

import { mkdir } from 'node:fs/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, recordProblems } from '../helpers/browser.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const SCREENSHOT = new URL('../artifacts/docs.png', import.meta.url).pathname;

let server: RunningServer;
let browser: Browser;
let page: Page;
/** The text as rendered (what a reader sees), not the DOM's textContent. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, on purpose
const rendered = (locator: Locator): Promise<string> => locator.innerText();

/** Console errors, page errors and failed requests, as they happen. */
const problems: string[] = [];

beforeAll(async () => {
  server = await startServer({ workers: 1 });
  browser = await launchChromium('/docs');
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  recordProblems(page, problems);
  const answer = await page.goto(`${server.url}/docs`, { waitUntil: 'networkidle' });
  expect(answer?.status()).toBe(200);
  await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  if (page) {
    await mkdir(new URL('../artifacts/', import.meta.url), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
  }
  await browser?.close();
  await server?.close();
});

describe('/docs in chromium', () => {
  it('renders the API title and every loss operation', async () => {
    await expect(rendered(page.locator('.info .title'))).resolves.toMatch(/^lossd/);
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    const names = paths.map((p) => p.replace(/\u200b/g, '').trim());
    expect(names).toEqual(
      expect.arrayContaining(['/v1/losses/cross_entropy', '/v1/losses/mse_loss', '/v1/batch', '/v1/losses']),
    );
  });

  it('shows an operation with its request schema', async () => {
    const op = page.locator('#operations-losses-cross_entropy');
    await op.locator('.opblock-summary').click();
    const body = op.locator('.opblock-section-request-body');
    await body.waitFor();
    await body.getByText('Schema', { exact: true }).click();
    await expect(rendered(body)).resolves.toMatch(/CrossEntropyRequest[\s\S]*input[\s\S]*target[\s\S]*label_smoothing/);
    await expect(rendered(op.locator('.responses-table'))).resolves.toMatch(/400[\s\S]*application\/problem\+json/);
  });

  it('shows the Open Inference Protocol v2 routes under their own tag', async () => {
    await expect(rendered(page.locator('#operations-tag-v2'))).resolves.toMatch(/^v2/);
    const paths = await page
      .locator('.opblock-tag-section')
      .filter({ has: page.locator('#operations-tag-v2') })
      .locator('.opblock-summary-path')
      .allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, '').trim())).toEqual(
      expect.arrayContaining([
        '/v2',
        '/v2/health/live',
        '/v2/health/ready',
        '/v2/models/{model}',
        '/v2/models/{model}/ready',
        '/v2/models/{model}/infer',
      ]),
    );
  });

  it('renders the Tensor and Problem schemas', async () => {
    const models = page.locator('section.models');
    await models.waitFor();
    const titles = await models.locator('.json-schema-2020-12__title').allTextContents();
    expect(titles).toEqual(
      expect.arrayContaining(['Tensor', 'Problem', 'Scalar', 'NestedTensor', 'FlatTensor', 'B64Tensor']),
    );
    const problem = models.locator('article[data-json-schema-level="0"]').filter({
      has: page.locator('.json-schema-2020-12__title', { hasText: /^Problem$/ }),
    });
    await problem.locator('.json-schema-2020-12-accordion').first().click();
    await expect(rendered(problem)).resolves.toMatch(/type[\s\S]*title[\s\S]*status[\s\S]*detail[\s\S]*errors/);
    const tensor = models.locator('article[data-json-schema-level="0"]').filter({
      has: page.locator('.json-schema-2020-12__title', { hasText: /^Tensor$/ }),
    });
    await tensor.locator('.json-schema-2020-12-accordion').first().click();
    await expect(rendered(tensor)).resolves.toMatch(/three forms/);
  });

  it('logs no console error, page error or failed request', async () => {
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
  });
});
