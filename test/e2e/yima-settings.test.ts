import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/core/gateways/yima/codec';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { tempDir } from '../support/temp';
import { signIn } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';
import { framesSeen, leakedSecrets, watchSecret } from '../support/frames';

const KEY = 'Yk9#check-a-rule-key';
/** PIN checks are scrypt (~1.5 s on a loaded machine): give the answers time. */
const SLOW = { timeout: 20_000 };

/**
 * The Yima section of Settings in a real browser: a bad split plan is refused with the rule named, a
 * good one saved with a supervisor's PIN, the signing rule switched, and "check a rule" run against a
 * signed sample body (match, and none when tampered); the key never appears on the page.
 */
describe('Yima settings in the browser', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let bridge: ReturnType<typeof bridgeFor>;
  const data = tempDir('e2e-yima-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(app.url);
    await signIn(page);
    bridge = bridgeFor(app.url);
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('split plan refused with the rule named, saved when valid; signing rule switched; check a rule', async () => {
    await page.keyboard.press('F10');
    await page.getByTestId('settings').waitFor();
    await page.getByTestId('settings-nav-yima').click();
    await page.getByTestId('yima-url').fill('http://127.0.0.1:9/ipos-sa/gateway');
    await page.getByTestId('yima-isspid').fill('39493002');
    await page.getByTestId('yima-system-id').fill('8888');
    await page.getByTestId('yima-store-id').fill('1511300001');
    await page.getByTestId('yima-pos-id').fill('1511300001');
    await page.getByTestId('yima-device-no').fill('0001045907');
    // Real-time split with a planned date: the seed allows the date only with D.
    await page.getByTestId('yima-split-flag').selectOption('R');
    await page.getByTestId('yima-split-date').fill('20230418');
    await page.getByTestId('yima-receivers').fill('10000000000001 1.50');
    await page.getByTestId('yima-approval-code').fill('800');
    await page.getByTestId('yima-approval-pin').fill('8888');
    await page.getByTestId('yima-save').click();
    const splitError = page.locator('[data-testid="field-error"][data-field="splitPlan"]');
    await splitError.waitFor(SLOW);
    expect(await splitError.textContent()).toContain('预分账日期只能用于延时分账 (D)');
    expect(await splitError.textContent()).toContain('split.date_only_d');
    const before = await bridge.invoke('settings:get', undefined);
    if (!before.ok) throw new Error(before.error.message);
    expect(before.value.yima.settings).toBeNull();

    await page.getByTestId('yima-split-date').fill('');
    await page.getByTestId('yima-sign-rule').selectOption('json_key');
    expect(await page.getByTestId('yima-paid-amount').inputValue()).toBe('if-reported');
    expect(await page.getByTestId('yima-paid-amount').textContent()).toContain('必须报金额，否则不算已付款');
    await page.getByTestId('yima-paid-amount').selectOption('require');
    await page.getByTestId('yima-approval-pin').fill('8888');
    await page.getByTestId('yima-save').click();
    await expect.poll(async () => page.getByTestId('yima-message').textContent(), SLOW).toBe('已保存');
    const saved = await bridge.invoke('settings:get', undefined);
    if (!saved.ok) throw new Error(saved.error.message);
    expect(saved.value.yima.settings).toMatchObject({
      isspid: '39493002',
      terminalId: '0001045907',
      signRule: 'json_key',
      paidAmount: 'require',
      splitPlan: { flag: 'R', receivers: [{ merchantId: '10000000000001', divAmtFen: 150 }] },
    });

    // Check a rule: a body signed with rule (b), the key typed once.
    const body = encodeRequest(
      {
        request_type: 'bcm_resultquery_request',
        isspid: '39493002',
        pos_seq: '2018121400000005',
        bcm_resultquery_request: { org_pos_seq: '2018121400000004' },
      },
      { format: 'json', xmlTransport: 'raw', signRule: 'json_key' },
      KEY,
    ).text;
    await page.getByTestId('yima-check-body').fill(body);
    await page.getByTestId('yima-check-key').fill(KEY);
    await page.getByTestId('yima-check-run').click();
    const result = page.getByTestId('yima-check-result');
    await expect.poll(async () => result.getAttribute('data-verdict'), SLOW).toBe('match');
    expect(await result.textContent()).toContain('(b) 紧凑 JSON + 密钥');
    expect(await page.getByTestId('yima-check-key').inputValue()).toBe('');
    await page.getByTestId('yima-check-body').fill(body.replace('2018121400000004', '2018121400000009'));
    await page.getByTestId('yima-check-key').fill(KEY);
    await page.getByTestId('yima-check-run').click();
    await expect.poll(async () => result.getAttribute('data-verdict'), SLOW).toBe('none');
    expect(await page.content()).not.toContain(KEY);
  });

  it('13.4: the Yima and headquarters keys go in through their write-only fields and never come back over the bridge', async () => {
    const yimaKey = 'Yk7-live-yima-KEY-e2e-9031';
    const hqKey = 'Hq5-counter-HMAC-key-e2e-2218';
    watchSecret(KEY);
    watchSecret(yimaKey);
    watchSecret(hqKey);
    await page.getByTestId('yima-key-input').fill(yimaKey);
    await page.getByTestId('yima-key-approval-code').fill('800');
    await page.getByTestId('yima-key-approval-pin').fill('8888');
    await page.getByTestId('yima-key-save').click();
    await expect.poll(async () => page.getByTestId('yima-key-message').textContent(), SLOW).toBe('密钥已加密保存。');
    expect(await page.getByTestId('yima-key-input').inputValue()).toBe('');

    await page.getByTestId('settings-nav-hq').click();
    await page.getByTestId('hq-key-input').fill(hqKey);
    await page.getByTestId('hq-key-approval-code').fill('800');
    await page.getByTestId('hq-key-approval-pin').fill('8888');
    await page.getByTestId('hq-key-save').click();
    await expect.poll(async () => page.getByTestId('hq-key-status').textContent(), SLOW).toBe('已设置');
    // Leaving and coming back re-reads Settings from the host: still only "set".
    await page.getByTestId('settings-nav-yima').click();
    await page.getByTestId('settings-nav-hq').click();
    expect(await page.getByTestId('hq-key-status').textContent()).toBe('已设置');
    const content = await page.content();
    for (const k of [KEY, yimaKey, hqKey]) expect(content).not.toContain(k);

    const seen = framesSeen();
    // The tap sees what it claims: each key went out in a frame the page sent.
    for (const k of [KEY, yimaKey, hqKey]) expect(seen.sentWith(k)).toBe(true);
    expect(leakedSecrets()).toEqual([]);
  });
});
