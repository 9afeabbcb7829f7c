/**
 * Drives the real Temporal Web UI (v2.42, shipped with Temporal CLI v1.5.1) in headless Chromium
 * (playwright-core, system /usr/bin/chromium), the way an operator does: open a run, read its
 * `status` query, send a signal through "More Actions" → "Send a Signal". Selectors are the UI's own
 * data-testid attributes where it has them, else roles and visible labels. Several dialogs and
 * menus exist twice in the DOM (one per layout), so every locator keeps only the visible one.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './headless-chromium.ts';

export const SCREENSHOT_DIR = 'test-results';

export interface WebUiSession {
  page: Page;
  /** Writes a screenshot of the viewport to test-results/<name> and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openWebUi(): Promise<WebUiSession> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}; run: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: 'UTC', locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']); // runQueryInUi reads results through the UI's copy button
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    async screenshot(name) {
      const path = join(SCREENSHOT_DIR, name);
      await page.screenshot({ path });
      return path;
    },
    close: () => browser.close(),
  };
}

/** Polls `probe` until it returns something other than undefined. */
async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const visible = (page: Page, testId: string): Locator => page.locator(`[data-testid="${testId}"]:visible`);

/**
 * Opens `<ui>/namespaces/<ns>/workflows/<workflowId>`; the UI redirects to the latest run's history.
 * Resolves with the URL it landed on once the run's heading shows.
 */
export async function openRun(page: Page, uiUrl: string, workflowId: string, namespace = 'default'): Promise<string> {
  await page.goto(`${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'load' });
  await visible(page, 'workflow-id-heading').filter({ hasText: workflowId }).waitFor();
  await page.waitForURL(/\/history(\?|$)/);
  return page.url();
}

/**
 * Queries tab → query type → "Run Query"; resolves with the result the UI shows, as JSON text. The
 * result viewer (CodeMirror) renders only the lines in view, so the text comes from its own "copy"
 * button through the clipboard, in full.
 */
export async function runQueryInUi(page: Page, queryName: string): Promise<string> {
  await visible(page, 'queries-tab').click();
  const select = visible(page, 'query-select-button');
  await select.waitFor();
  if ((await visible(page, 'query-select').inputValue()) !== queryName) {
    await select.click();
    await page.getByRole('option', { name: new RegExp(`^${queryName}\\b`) }).filter({ visible: true }).click();
  }
  const result = visible(page, 'query-result');
  await page.getByRole('button', { name: 'Run Query' }).click();
  // The result panel fills asynchronously; wait until it holds JSON.
  await poll(`the result of query ${queryName}`, async () => (/[{[]/.test((await result.textContent()) ?? '') ? true : undefined));
  await result.locator('xpath=ancestor::div[.//button[@data-track-intent="copy"]][1]').locator('button[data-track-intent="copy"]').click();
  return (await page.evaluate('navigator.clipboard.readText()')) as string;
}

export interface SignalDialog {
  modal: Locator;
  /** The signal names the dialog offers, each with the description its handler registered. */
  options(): Promise<{ name: string; description: string }[]>;
  choose(signalName: string): Promise<void>;
  /** Types the JSON payload into the Data editor and leaves it, so the UI formats and accepts it. */
  fill(json: string): Promise<string>;
  /** Clicks Submit; resolves with the HTTP status of the UI's signal request once the dialog closed. */
  submit(): Promise<{ status: number; url: string }>;
}

/** "More Actions" → "Send a Signal". */
export async function openSignalDialog(page: Page): Promise<SignalDialog> {
  await page.getByRole('button', { name: 'More Actions' }).filter({ visible: true }).click();
  await visible(page, 'signal-button').click();
  const modal = visible(page, 'signal-confirmation-modal');
  await modal.waitFor();
  const editor = modal.locator('.cm-content[contenteditable="true"]');
  const submitButton = modal.getByTestId('confirm-modal-button');
  return {
    modal,
    async options() {
      await modal.getByTestId('signal-select-button').click();
      const items = modal.getByRole('option');
      await items.first().waitFor();
      const out = await items.evaluateAll((els) =>
        els.map((el) => ({
          name: el.querySelector('.menu-item-wrapper')?.textContent?.trim() ?? '',
          description: el.querySelector('.menu-item-description')?.textContent?.trim() ?? '',
        })),
      );
      await modal.getByTestId('signal-select-button').click(); // closes the list again
      return out;
    },
    async choose(signalName) {
      const button = modal.getByTestId('signal-select-button');
      if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
      await modal.getByRole('option', { name: new RegExp(`^${signalName}\\b`) }).click();
      const chosen = await modal.getByTestId('signal-select').inputValue();
      if (chosen !== signalName) throw new Error(`the signal dialog shows "${chosen}" after choosing "${signalName}"`);
    },
    async fill(json) {
      await editor.click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      // insertText, not type: the editor would auto-close every bracket and quote typed key by key.
      await page.keyboard.insertText(json);
      // Leaving the editor lets the UI validate and pretty-print the payload. Without this, the first
      // click on Submit only blurs the editor, the dialog grows, and the click misses the button.
      await editor.evaluate((el) => (el as unknown as { blur(): void }).blur());
      await poll(`the signal dialog to accept the payload ${json}`, async () => ((await submitButton.isEnabled()) ? true : undefined), 5_000);
      return await editor.innerText();
    },
    async submit() {
      const response = page.waitForResponse((r) => r.request().method() === 'POST' && /\/workflows\/[^/]+\/signal\//.test(r.url()));
      await submitButton.click();
      const r = await response;
      await modal.waitFor({ state: 'hidden' });
      return { status: r.status(), url: r.url() };
    },
  };
}
