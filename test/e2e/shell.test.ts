import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { tempDir } from '../support/temp';
import { signIn } from '../support/ui';
import { version } from '../../package.json';

/** The built renderer, served by browser mode, in Debian's Chromium: the app shell talks to the core. */
describe('browser mode shell', () => {
  let app: BrowserMode;
  let browser: Browser;
  const data = tempDir('e2e-shell-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('shows mode and version from the core through the bridge, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.url);
    await page.getByTestId('app-version').waitFor();
    expect(await page.getByTestId('app-version').textContent()).toContain(version);
    expect(await page.getByTestId('app-mode').textContent()).toContain('培训模式');
    expect(await page.getByTestId('training-banner').textContent()).toContain('培训模式');
    await signIn(page);
    await page.keyboard.press('F11');
    await page.getByTestId('health-ledger').waitFor();
    expect(await page.getByTestId('health-ledger').textContent()).toContain(join(data.dir, 'ledger.sqlite'));
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'shell.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the customer display page shows the training banner too', async () => {
    const page = await browser.newPage();
    await page.goto(app.displayUrl);
    await page.getByTestId('training-banner').waitFor();
    expect(await page.getByTestId('training-banner').textContent()).toContain('培训模式');
  });

  it('refuses a socket with a wrong token', async () => {
    const page = await browser.newPage();
    const bad = new URL(app.url);
    bad.searchParams.set('token', '0'.repeat(48));
    await page.goto(bad.href);
    await page.getByText('无法连接收银主机').waitFor({ timeout: 10_000 });
  });
});
