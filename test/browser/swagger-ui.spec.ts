import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { API_KEY, AUTH, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The Swagger UI at /docs, used by a person in a real browser: Debian's headless Chromium, driven by
 * playwright-core, against the real app (startTestApp: the production HTTP stack, its helmet CSP, a fresh
 * database). It authorizes with an API key through the "Authorize" dialog, creates a wallet and deposits
 * into it with "Try it out" → "Execute", and reads the 201 answers off the page.
 *
 * Elements are found by what Swagger UI renders for an operation (method + `data-path`), not by operationId,
 * so renaming operations does not break it. Every wait is for an element, bounded by WAIT_MS; no sleeps.
 *
 * Screenshots (the deposit operation, and the whole page) go to test/browser/artifacts/ (CI artefacts; the
 * folder is git-ignored). With UPDATE_DOCS_SCREENSHOT=1 the deposit one is also copied to docs/swagger-ui.png.
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = resolve(ROOT, 'test/browser/artifacts');
const DOCS_SCREENSHOT = resolve(ROOT, 'docs/swagger-ui.png');
const WAIT_MS = 30_000;

/** The block Swagger UI renders for one operation, e.g. ('post', '/v1/wallets'); the first if tags repeat it. */
function operation(page: Page, method: string, path: string): Locator {
  return page
    .locator(`.opblock.opblock-${method}`)
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
    .first();
}

/** Expands an operation and presses "Try it out", so its inputs become editable. */
async function tryItOut(op: Locator): Promise<void> {
  await op.locator('button.opblock-summary-control').click();
  await op.locator('.opblock-body').waitFor({ state: 'visible' });
  await op.locator('button.try-out__btn', { hasText: 'Try it out' }).click();
  await op.locator('button.execute').waitFor({ state: 'visible' });
}

async function setRequestBody(op: Locator, body: unknown): Promise<void> {
  await op.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
}

async function setParameter(op: Locator, name: string, value: string): Promise<void> {
  await op.locator(`tr[data-param-name="${name}"] input`).fill(value);
}

/** Presses "Execute" and returns what the page shows under "Server response": the status cell and the body. */
async function execute(op: Locator): Promise<{ status: string; body: string }> {
  await op.locator('button.execute').click();
  const row = op.locator('.live-responses-table tbody tr.response');
  const status = row.locator('td.response-col_status');
  await status.waitFor({ state: 'visible' });
  const bodyCode = row.locator('td.response-col_description .highlight-code pre').first();
  await bodyCode.waitFor({ state: 'visible' });
  return { status: (await status.innerText()).trim(), body: (await bodyCode.innerText()).trim() };
}

/**
 * In page coordinates, an operation block from its summary line down to the end of the first `until` inside it
 * (the server's response body): the documented responses below it would make the picture several screens tall.
 */
async function regionOf(op: Locator, until: string): Promise<{ x: number; y: number; width: number; height: number }> {
  // Runs in the page (the project's tsconfig has no DOM lib, hence the cast for `window`).
  const top = await op.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const view = globalThis as unknown as { scrollX: number; scrollY: number };
    return { x: box.left + view.scrollX, y: box.top + view.scrollY, width: box.width };
  });
  const bottom = await op
    .locator(until)
    .first()
    .evaluate((el) => el.getBoundingClientRect().bottom + (globalThis as unknown as { scrollY: number }).scrollY);
  const margin = 8;
  return { x: Math.max(0, top.x - margin), y: Math.max(0, top.y - margin), width: top.width + 2 * margin, height: bottom - top.y + 2 * margin };
}

describe('Swagger UI at /docs in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: this test needs Debian's chromium. Install it with ` +
          '`apt-get install -y --no-install-recommends chromium` (.ci/run does this before npm test).',
      );
    }
    t = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: WAIT_MS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.setDefaultNavigationTimeout(WAIT_MS);
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
        pageProblems.push(`console: ${message.text()}`);
      }
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with an API key, creates a wallet and deposits into it through "Try it out"', async () => {
    try {
      const base = await t.app.getUrl();
      const loaded = await page.goto(`${base}/docs`, { waitUntil: 'domcontentloaded' });
      expect(loaded?.status()).toBe(200);
      await page.locator('.swagger-ui .info .title', { hasText: 'Wallet service' }).waitFor();

      // Authorize: the padlock button opens the dialog; the bearer scheme takes the API key secret.
      await page.locator('.scheme-container button.btn.authorize').click();
      const dialog = page.locator('.dialog-ux .modal-ux');
      await dialog.waitFor({ state: 'visible' });
      await dialog.locator('input#auth-bearer-value').fill(API_KEY);
      await dialog.locator('button.modal-btn.authorize', { hasText: 'Authorize' }).click();
      await dialog.locator('button.modal-btn', { hasText: 'Logout' }).waitFor(); // shown once credentials are applied
      await dialog.locator('button.btn-done', { hasText: 'Close' }).click();
      await dialog.waitFor({ state: 'hidden' });

      // Create a wallet.
      const create = operation(page, 'post', '/v1/wallets');
      await tryItOut(create);
      await setRequestBody(create, { ownerId: 'swagger_ui_user', currency: 'EUR' });
      const created = await execute(create);
      expect({ status: created.status, body: created.body }).toMatchObject({ status: expect.stringMatching(/^201\b/) });
      const wallet = JSON.parse(created.body) as { id: string; ownerId: string; currency: string; balance: number };
      expect(wallet).toMatchObject({ ownerId: 'swagger_ui_user', currency: 'EUR', balance: 0 });
      expect(wallet.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.body).toContain(wallet.id);

      // Deposit into it, with the id the first call returned.
      const deposit = operation(page, 'post', '/v1/wallets/{id}/deposits');
      await tryItOut(deposit);
      await setParameter(deposit, 'id', wallet.id);
      await setParameter(deposit, 'Idempotency-Key', 'swagger-ui-topup-1');
      await setRequestBody(deposit, { amount: 2500, reference: 'card-7731' });
      const deposited = await execute(deposit);
      expect({ status: deposited.status, body: deposited.body }).toMatchObject({ status: expect.stringMatching(/^201\b/) });
      const transaction = JSON.parse(deposited.body) as Record<string, unknown>;
      expect(transaction).toMatchObject({ type: 'deposit', walletId: wallet.id, amount: 2500, currency: 'EUR', reference: 'card-7731' });
      expect(deposited.body).toContain(wallet.id);
      // The curl line Swagger UI shows carries the key and the idempotency key it sent.
      await deposit.locator('.curl-command', { hasText: `Bearer ${API_KEY}` }).filter({ hasText: 'swagger-ui-topup-1' }).waitFor();

      // The money really moved: the API, not the page, says so.
      const reread = await t.http.get(`/v1/wallets/${wallet.id}`).set(AUTH).expect(200);
      expect(reread.body).toMatchObject({ balance: 2500, available: 2500 });

      mkdirSync(ARTIFACTS, { recursive: true });
      const operationShot = resolve(ARTIFACTS, 'swagger-ui-deposit.png');
      const pageShot = resolve(ARTIFACTS, 'swagger-ui-page.png');
      await page.screenshot({ path: operationShot, fullPage: true, clip: await regionOf(deposit, '.live-responses-table .highlight-code') });
      await page.screenshot({ path: pageShot, fullPage: true });
      process.stdout.write(`Swagger UI screenshots: ${operationShot} ${pageShot}\n`);
      if (process.env.UPDATE_DOCS_SCREENSHOT === '1') {
        copyFileSync(operationShot, DOCS_SCREENSHOT);
        process.stdout.write(`copied to ${DOCS_SCREENSHOT}\n`);
      }

      expect(pageProblems).toEqual([]);
    } catch (error) {
      // What the page showed when it went wrong, for the CI log; then the original failure.
      if (page) {
        mkdirSync(ARTIFACTS, { recursive: true });
        const failureShot = resolve(ARTIFACTS, 'swagger-ui-failure.png');
        await page.screenshot({ path: failureShot, fullPage: true }).then(
          () => process.stdout.write(`Swagger UI at the failure: ${failureShot}\n`),
          () => undefined,
        );
      }
      throw error;
    }
  }, 180_000);
});
