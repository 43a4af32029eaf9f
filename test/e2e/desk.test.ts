import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { tempDir } from '../support/temp';
import { signIn, takeTrainingPayment } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';
import { withNonces } from '../support/approvals';

interface SimOrder {
  sysTrace: string;
  amountFen: number;
  refundedFen: number;
  pendingRefundFen: number;
  refunds: { amountFen: number; state: string }[];
}

/** Polls `read` until `ok` holds (the UI and the engine are asynchronous); fails with the last value. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * The supervisor's refund desk and the transactions screen in a real browser, against the built-in
 * simulated BPC gateway: find by trace with the keyboard, partial and repeated refunds capped by the
 * engine, PIN approval, and the day's list with filters, paging and the full event history.
 */
describe('refund desk and transactions in the browser (training gateway)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let bridge: ReturnType<typeof bridgeFor>;
  let simBase: string;
  let trace1 = '';
  let trace2 = '';
  const data = tempDir('e2e-desk-');

  const simOrder = async (sysTrace: string): Promise<SimOrder> => {
    const res = await fetch(`${simBase}/sim/orders/${encodeURIComponent(sysTrace)}`);
    expect(res.status).toBe(200);
    return (await res.json()) as SimOrder;
  };
  const text = async (testId: string): Promise<string> => (await page.getByTestId(testId).textContent()) ?? '';
  // Runs in the page (text, so the node-side type program needs no DOM types).
  const active = (): Promise<string | null> => page.evaluate("document.activeElement?.getAttribute('data-testid') ?? null");
  const ledger = <T>(sql: string, ...params: unknown[]): T => {
    const db = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).get(...params) as T;
    } finally {
      db.close();
    }
  };
  const invoke = async <T>(channel: string, input: unknown): Promise<T> => {
    const result = (await bridge.invoke(channel as never, (await withNonces(channel, input, (c, i) => bridge.invoke(c as never, i as never))) as never)) as {
      ok: boolean;
      value?: T;
      error?: unknown;
    };
    if (!result.ok) throw new Error(`${channel} failed: ${JSON.stringify(result.error)}`);
    return result.value as T;
  };

  async function refund(amount: string, reason: string, code: string, pin: string): Promise<void> {
    await page.getByTestId('refund-amount').fill(amount);
    await page.getByTestId('refund-reason').fill(reason);
    await page.getByTestId('refund-approval-code').fill(code);
    await page.getByTestId('refund-approval-pin').fill(pin);
    await page.getByTestId('refund-approval-pin').press('Enter');
  }

  beforeAll(async () => {
    // Fast polling so refunds and payments settle in well under a second (still training mode).
    const settings = join(data.dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ polling: { firstQueryMs: 200, fastIntervalMs: 500, unknownAfterMs: 60_000 } }));
    app = await startBrowserMode(['--data', data.dir, '--config', settings, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timezoneId: Intl.DateTimeFormat().resolvedOptions().timeZone });
    await page.goto(app.url);
    await signIn(page);
    bridge = bridgeFor(app.url);
    expect((await invoke<{ configError: string | null }>('app:info', undefined)).configError).toBeNull();
    const state = await invoke<{ simulatorUrl: string | null }>('training:state', undefined);
    if (state.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.simulatorUrl).origin;
    trace1 = await takeTrainingPayment(page, simBase, '50');
    trace2 = await takeTrainingPayment(page, simBase, '20.00');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('finds a payment by its trace (typed + Enter) and refunds it in parts; the engine caps the total; a wrong PIN is refused', async () => {
    expect(trace1).toMatch(/\S/);
    expect(trace2).not.toBe(trace1);
    await page.keyboard.press('F3');
    await page.getByTestId('refund-desk').waitFor();
    expect(await active()).toBe('desk-search');

    // A keyboard-wedge scanner types the code and presses Enter.
    await page.keyboard.type(trace1);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="desk-detail"] [data-testid="desk-totals"]').waitFor();
    expect(await text('fact-trace')).toBe(trace1);
    expect(await text('desk-paid')).toBe('¥50.00');
    expect(await text('desk-refunded')).toBe('¥0.00');
    expect(await text('desk-remaining')).toBe('¥50.00');
    expect(await active()).toBe('refund-amount');

    // First partial refund: R answers 00 at once.
    await refund('12.3', '顾客退一件商品', '800', '8888');
    await page.locator('[data-testid="desk-last-refund"][data-status="succeeded"]').waitFor();
    await until(
      () => text('desk-remaining'),
      (v) => v === '¥37.70',
      'remaining 37.70',
    );
    expect(await text('desk-refunded')).toBe('¥12.30');
    expect((await simOrder(trace1)).refundedFen).toBe(1230);
    const row1 = page.locator('[data-testid="desk-refund-row"]').first();
    expect(await row1.getAttribute('data-status')).toBe('succeeded');
    expect(await row1.textContent()).toContain('顾客退一件商品');
    expect(await row1.textContent()).toContain('800');
    // The approval is not remembered after the action.
    expect(await page.getByTestId('refund-approval-pin').inputValue()).toBe('');

    // Second partial refund: the bank answers 99 first, so the refund is in flight and follows J.
    const scripted = await fetch(`${simBase}/sim/refund-script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: { kind: 'unknown_then', queries: 6, then: 'success' } }),
    });
    expect(scripted.status).toBe(200);
    await refund('7.70', '价格调整', '800', '8888');
    await page.locator('[data-testid="desk-last-refund"][data-status="unknown"]').waitFor();
    expect(await text('desk-inflight')).toBe('¥7.70');
    expect(await text('desk-remaining')).toBe('¥30.00');
    await page.locator('[data-testid="desk-last-refund"][data-status="succeeded"]').waitFor({ timeout: 20_000 });
    await until(
      () => text('desk-inflight'),
      (v) => v === '¥0.00',
      'nothing in flight',
    );
    expect(await text('desk-refunded')).toBe('¥20.00');
    expect(await text('desk-remaining')).toBe('¥30.00');
    const afterTwo = await simOrder(trace1);
    expect(afterTwo.refundedFen).toBe(2000);
    expect(afterTwo.refunds).toHaveLength(2);
    const paymentId = ledger<{ id: number }>('SELECT id FROM payments WHERE sys_trace = ?', trace1).id;
    const js = ledger<{ n: number }>(
      "SELECT count(*) AS n FROM events e JOIN refunds r ON e.entity = 'refund' AND e.entity_id = r.id WHERE r.payment_id = ? AND e.type = 'bpc.J'",
      paymentId,
    );
    expect(js.n).toBeGreaterThanOrEqual(1);

    // Third refund above the remainder: the form only hints; the engine refuses and nothing is sent.
    const rBefore = ledger<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'bpc.R'").n;
    await page.getByTestId('refund-amount').fill('30.01');
    await page.getByTestId('refund-hint').waitFor();
    await refund('30.01', '超额测试', '800', '8888');
    await page.getByTestId('refund-error').waitFor();
    const exceeded = await text('refund-error');
    expect(exceeded).toContain('退款金额超过可退金额');
    expect(exceeded).toContain('30.00');
    const afterThird = await simOrder(trace1);
    expect(afterThird.refundedFen).toBe(2000);
    expect(afterThird.refunds).toHaveLength(2);
    expect(ledger<{ n: number }>('SELECT count(*) AS n FROM refunds WHERE payment_id = ?', paymentId).n).toBe(2);
    expect(ledger<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'bpc.R'").n).toBe(rBefore);
    expect(await text('desk-remaining')).toBe('¥30.00');
    await page.screenshot({ path: join(ROOT, 'test-results', 'refund-desk.png'), fullPage: true });

    // A wrong PIN is refused, and so is a cashier approving; neither sends anything.
    await refund('1', '密码测试', '800', '1234');
    await until(
      () => text('refund-error'),
      (v) => v.includes('工号或密码错误'),
      'PIN_WRONG message',
    );
    expect(await active()).toBe('refund-approval-pin');
    await refund('1', '权限测试', '001', '1111');
    await until(
      () => text('refund-error'),
      (v) => v.includes('权限不足'),
      'ROLE_REQUIRED message',
    );
    expect(ledger<{ n: number }>('SELECT count(*) AS n FROM refunds WHERE payment_id = ?', paymentId).n).toBe(2);
    expect((await simOrder(trace1)).refunds).toHaveLength(2);

    // Esc goes back to the search; the second payment is found the same way and is untouched.
    await page.keyboard.press('Escape');
    await page.getByTestId('desk-detail').waitFor({ state: 'detached' });
    await until(
      () => active(),
      (v) => v === 'desk-search',
      'focus back on the search',
    );
    await page.getByTestId('desk-search').fill(trace2);
    await page.keyboard.press('Enter');
    await until(
      () => text('fact-trace'),
      (v) => v === trace2,
      'second payment shown',
    );
    await until(
      () => text('desk-remaining'),
      (v) => v === '¥20.00',
      'second payment remaining',
    );

    // Date + amount search finds it too.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('desk-day').inputValue()).toBe(localDay(Date.now()));
    await page.getByTestId('desk-amount').fill('50');
    await page.getByTestId('desk-amount').press('Enter');
    await until(
      () => text('fact-trace'),
      (v) => v === trace1,
      'found by day + amount',
    );
  });

  it('transactions: the day list with filters, paging, re-query, and a detail with the full masked event history', async () => {
    // More of the day: a ZFBA payment, a cancelled one, one still open, and enough refused ones to page.
    await invoke('training:script', { script: 'manual' });
    const zfba = await invoke<{ id: number; sysTrace: string }>('payment:create', { amountFen: 300 });
    const paid = await fetch(`${simBase}/sim/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sysTrace: zfba.sysTrace, payType: 'ZFBA' }),
    });
    expect(paid.status).toBe(200);
    await until(
      () => invoke<{ status: string }>('payment:get', { id: zfba.id }),
      (p) => p.status === 'paid',
      'ZFBA payment paid',
    );
    await invoke('training:script', { script: 'hang' });
    const cancelled = await invoke<{ id: number }>('payment:create', { amountFen: 800 });
    await invoke('payment:cancel', { id: cancelled.id });
    await until(
      () => invoke<{ status: string }>('payment:get', { id: cancelled.id }),
      (p) => p.status === 'closed',
      'closed',
    );
    await invoke('training:script', { script: 'hang' });
    const open = await invoke<{ id: number; sysTrace: string }>('payment:create', { amountFen: 900 });

    await page.keyboard.press('F4');
    await page.getByTestId('transactions').waitFor();
    expect(await page.getByTestId('tx-day').inputValue()).toBe(localDay(Date.now()));
    const rows = page.getByTestId('tx-row');
    const count = (): Promise<number> => rows.count();
    await until(count, (n) => n === 5, 'five rows');
    const traces = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-trace')));
    expect(traces).toContain(trace1);
    expect(traces).toContain(trace2);
    const refundedRow = page.locator(`[data-testid="tx-row"][data-trace="${trace1}"]`);
    expect(await refundedRow.textContent()).toContain('¥20.00'); // refunded so far
    expect(await refundedRow.textContent()).toContain('支付成功');
    expect(await refundedRow.textContent()).toContain('微信支付');
    // The day's refunds are listed too: the two succeeded partial refunds of the first payment.
    const dayRefundRows = page.getByTestId('tx-refund-row');
    await until(
      () => dayRefundRows.count(),
      (n) => n === 2,
      'two refund rows',
    );
    const refundTexts = await dayRefundRows.allTextContents();
    expect(refundTexts.join('|')).toContain('¥12.30');
    expect(refundTexts.join('|')).toContain('¥7.70');
    expect(refundTexts.every((text) => text.includes(trace1))).toBe(true);
    await page.screenshot({ path: join(ROOT, 'test-results', 'transactions.png'), fullPage: true });

    // Status: paid only → 3; with pay type ZFBA → 1.
    await page.getByTestId('tx-status-paid').check();
    await until(count, (n) => n === 3, 'paid rows');
    expect(await rows.evaluateAll((els) => els.every((e) => e.getAttribute('data-status') === 'paid'))).toBe(true);
    await page.getByTestId('tx-paytype').selectOption('ZFBA');
    await until(count, (n) => n === 1, 'ZFBA row');
    expect(await rows.first().getAttribute('data-id')).toBe(String(zfba.id));
    await page.getByTestId('tx-paytype').selectOption('');
    await page.getByTestId('tx-status-all').click();
    await until(count, (n) => n === 5, 'all rows again');

    // "Unfinished" shows the open one, with its own re-query; the day-wide re-query reports it.
    await page.getByTestId('tx-unfinished').click();
    await until(count, (n) => n === 1, 'unfinished row');
    expect(await rows.first().getAttribute('data-id')).toBe(String(open.id));
    await page.getByTestId('tx-requery').click();
    expect(await page.getByTestId('tx-error').count()).toBe(0);
    await page.getByTestId('tx-requery-open').click();
    await until(
      () =>
        page
          .getByTestId('tx-notice')
          .textContent()
          .catch(() => ''),
      (v) => v !== null && v.includes('1 笔交易'),
      're-query notice',
    );
    await page.getByTestId('tx-status-all').click();

    // Prefix search and operator filter.
    // The list before the search may hold one row too (the unfinished filter): wait for the searched one.
    await page.getByTestId('tx-search').fill(trace2);
    await until(
      async () => ((await count()) === 1 ? await rows.first().getAttribute('data-trace') : null),
      (v) => v === trace2,
      'search by trace',
    );
    await page.getByTestId('tx-search').fill('');
    await page.getByTestId('tx-operator').fill('999');
    await until(count, (n) => n === 0, 'no rows of operator 999');
    await page.getByTestId('tx-empty').waitFor();
    await page.getByTestId('tx-operator').fill('001');
    await until(count, (n) => n === 5, 'rows of operator 001');

    // ← / → change the day (from a row, not a text field).
    await rows.first().focus();
    await page.keyboard.press('ArrowLeft');
    const today = localDay(Date.now());
    const [y, m, d] = today.split('-').map(Number);
    const yesterday = new Date(Date.UTC(y!, m! - 1, d! - 1)).toISOString().slice(0, 10);
    await until(
      () => page.getByTestId('tx-day').inputValue(),
      (v) => v === yesterday,
      'previous day',
    );
    await until(count, (n) => n === 0, 'nothing yesterday');
    await page.getByTestId('tx-next').click();
    await until(count, (n) => n === 5, 'back to today');

    // Detail of the refunded payment, opened with the keyboard: F, G, R (and J) with readable data, no key.
    const index = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-trace')))).indexOf(trace1);
    await rows.nth(index).focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('tx-detail').waitFor();
    await page.getByTestId('tx-events').waitFor();
    const types = await page.getByTestId('tx-event').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    for (const t of ['bpc.F', 'bpc.G', 'bpc.R', 'bpc.J']) expect(types).toContain(t);
    expect(types.filter((t) => t === 'bpc.R')).toHaveLength(2);
    const history = (await page.getByTestId('tx-events').textContent()) ?? '';
    expect(history).toContain(trace1); // the exchanges themselves are shown
    expect(history).toContain('"tranType"');
    expect(history).not.toMatch(/"(key|signKey|sign|mchKey|secret|password|pin)"\s*:\s*"(?!\*\*\*")/i);
    const refundRows = page.locator('[data-testid="tx-detail"] [data-testid="desk-refund-row"]');
    expect(await refundRows.count()).toBe(2);
    expect(await text('desk-remaining')).toBe('¥30.00');
    await page.screenshot({ path: join(ROOT, 'test-results', 'transactions-detail.png') });
    await page.keyboard.press('Escape');
    await page.getByTestId('tx-table').waitFor();
    await until(count, (n) => n === 5, 'list kept after the detail');

    // Paging: 51 refused sales push the day past one page; "more" loads the rest by cursor.
    // (One sale at a time: the open one is cancelled first.)
    await invoke('payment:cancel', { id: open.id });
    await until(
      () => invoke<{ status: string }>('payment:get', { id: open.id }),
      (p) => p.status === 'closed',
      'open sale closed',
    );
    for (let i = 0; i < 51; i++) {
      await invoke('training:script', { script: 'reject' });
      const refused = await bridge.invoke('payment:create', { amountFen: 100 + i });
      expect(refused.ok ? refused.value.status : refused.error.code).toBe('failed');
    }
    await page.getByTestId('tx-operator').fill('');
    await page.getByTestId('tx-status-failed').check();
    await until(
      () => page.getByTestId('tx-count').textContent(),
      (v) => v === '已显示 50 笔',
      'first page of failed sales',
    );
    expect(await count()).toBe(50);
    await page.getByTestId('tx-more').click();
    await until(count, (n) => n === 51, 'second page');
    expect(await page.getByTestId('tx-more').count()).toBe(0);
    const ids = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(new Set(ids).size).toBe(51);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });
});
