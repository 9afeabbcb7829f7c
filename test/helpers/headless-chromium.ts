/**
 * Opens an HTML page in headless Chromium (playwright-core, system /usr/bin/chromium) with a fresh
 * profile, records console errors, page errors and every request that is not the page itself, and
 * writes a full-page screenshot under test-results/.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface PageVisit {
  consoleErrors: string[];
  pageErrors: string[];
  /** Requests other than the page's own URL (a self-contained page makes none). */
  requests: string[];
  screenshot: string;
}

export async function visitInChromium<T>(
  target: { url: string } | { html: string },
  screenshotName: string,
  inspect: (page: Page) => Promise<T>,
): Promise<PageVisit & { result: T }> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}; run: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const profile = await mkdtemp(join(tmpdir(), 'scoreflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    const visit: PageVisit = { consoleErrors: [], pageErrors: [], requests: [], screenshot: '' };
    page.on('console', (m) => {
      if (m.type() === 'error') visit.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => visit.pageErrors.push(e.message));
    const own = 'url' in target ? target.url : 'about:blank';
    await page.route('**/*', async (route) => {
      const u = route.request().url();
      if (u !== own) {
        visit.requests.push(u);
        await route.abort();
      } else {
        await route.continue();
      }
    });
    if ('url' in target) await page.goto(target.url, { waitUntil: 'load' });
    else await page.setContent(target.html, { waitUntil: 'load' });
    const result = await inspect(page);
    await mkdir('test-results', { recursive: true });
    visit.screenshot = join('test-results', screenshotName);
    await page.screenshot({ path: visit.screenshot, fullPage: true });
    return { ...visit, result };
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
}
