import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import type { PaymentView } from '../../src/shared/domain';
import { customerQrSize, mountCustomerDisplay } from '../../src/renderer/src/CustomerDisplay';
import { setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { usePaymentStore } from '../../src/renderer/src/store/payment-store';
import { tempDir } from '../support/temp';

const tick = (ms = 30): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

function sale(over: Partial<PaymentView>): PaymentView {
  const now = Date.now();
  return {
    id: 1,
    tradeNo: 'P1',
    merOrderNo: null,
    memo: null,
    mode: 'training',
    tender: 'qr',
    amountFen: 1234,
    status: 'qr_issued',
    payType: null,
    sysTrace: 'T1',
    scanCode: 'https://qr.example/abc',
    qrExpiresAt: now + 600_000,
    respCode: null,
    respMsg: null,
    operator: '001',
    businessDay: '2026-01-01',
    createdAt: now,
    updatedAt: now,
    paidAt: null,
    closeRequested: false,
    ...over,
  } as PaymentView;
}

describe('customer display (renderer, real core over the in-memory bridge)', () => {
  let core: Core;
  let cleanup: () => void;
  let unmount: () => void;
  let container: HTMLElement;
  const q = (id: string): HTMLElement | null => container.querySelector(`[data-testid="${id}"]`);

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '1.0.0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'display'));
    usePaymentStore.setState({ payment: null, finalSeenAt: null });
    useLang.getState().setLang('zh');
    container = document.createElement('div');
    document.body.appendChild(container);
    unmount = mountCustomerDisplay(container);
    await tick(100);
  }, 60_000);

  afterEach(async () => {
    unmount();
    container.remove();
    setBridge(null);
    await core.close();
    cleanup();
  }, 60_000);

  it('9.9 while the QR can be paid the scan instruction and the QR stay; 88 ("paying") is a second line', async () => {
    usePaymentStore.getState().show(sale({ status: 'waiting' }));
    await tick(100);
    expect(q('customer-instruction')?.textContent).toBe('请使用支付宝、微信或云闪付扫码');
    expect(q('customer-paying')?.textContent).toContain('支付');
    expect(q('customer-countdown')?.textContent).toMatch(/^二维码有效时间还剩 \d+:\d\d$/);
  }, 60_000);

  it('9.10 during a card sale the customer is told to use the terminal, with no QR', async () => {
    usePaymentStore.getState().show(sale({ tender: 'card', status: 'created', scanCode: null, qrExpiresAt: null }));
    await tick(50);
    expect(q('customer-card')?.textContent).toContain('刷卡机');
    expect(q('customer-qr')).toBeNull();
  }, 60_000);

  it('9.10/9.15 the thank-you screen says 已付金额, not 应付金额; a sale long final is not shown after a reload', async () => {
    usePaymentStore.getState().show(sale({ status: 'paid', paidAt: Date.now() }));
    await tick(50);
    expect(q('customer-thanks')).not.toBeNull();
    expect(q('customer-payment')?.textContent).toContain('已付金额');
    expect(q('customer-payment')?.textContent).not.toContain('应付金额');
  }, 60_000);

  it('9.17 without React: the QR for the scan code appears, the language follows the switch, the welcome page returns when the sale goes', async () => {
    usePaymentStore.getState().show(sale({ status: 'qr_issued' }));
    for (let i = 0; i < 50 && q('customer-qr') === null; i++) await tick(50);
    expect(q('customer-qr')?.getAttribute('data-scan-code')).toBe('https://qr.example/abc');
    expect(q('customer-qr')?.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(q('customer-amount')?.textContent).toBe('¥ 12.34');
    // The countdown ticks in place: the QR image (and every other node) stays the same element.
    const img = q('customer-qr');
    const countdown = q('customer-countdown')?.textContent;
    for (let i = 0; i < 100 && q('customer-countdown')?.textContent === countdown; i++) await tick(50);
    expect(q('customer-countdown')?.textContent).not.toBe(countdown);
    expect(q('customer-qr')).toBe(img);
    useLang.getState().setLang('en');
    await tick(50);
    expect(q('customer-instruction')?.textContent).not.toContain('扫码');
    usePaymentStore.getState().show(null);
    await tick(50);
    expect(q('customer-idle')).not.toBeNull();
    expect(q('customer-qr')).toBeNull();
  }, 60_000);

  it("a Yima sale the cashier abandoned leaves the screen after a closed sale's time: the next customer sees the welcome page, not 状态未明", async () => {
    usePaymentStore.getState().show(sale({ id: 7, gateway: 'yima', tender: 'card', status: 'waiting', scanCode: null, qrExpiresAt: null }));
    await tick(50);
    expect(q('customer-card')).not.toBeNull();
    // Esc at the counter: the core marks it abandoned and keeps querying (状态未明).
    usePaymentStore
      .getState()
      .show(sale({ id: 7, gateway: 'yima', tender: 'card', status: 'unknown', scanCode: null, qrExpiresAt: null, closeRequested: true }));
    await tick(50);
    expect(q('customer-payment')?.getAttribute('data-status')).toBe('unknown');
    for (let i = 0; i < 120 && q('customer-idle') === null; i++) await tick(50);
    expect(q('customer-idle')).not.toBeNull();
    // A later query's update of the same sale does not bring it back.
    usePaymentStore
      .getState()
      .show(
        sale({ id: 7, gateway: 'yima', tender: 'card', status: 'unknown', scanCode: null, qrExpiresAt: null, closeRequested: true, respMsg: 'asked again' }),
      );
    await tick(300);
    expect(q('customer-idle')).not.toBeNull();
    // A QR sale in 状态未明 (not abandoned) stays: the customer may be the one who paid.
    usePaymentStore.getState().show(sale({ id: 8, status: 'unknown' }));
    await tick(4500);
    expect(q('customer-payment')?.getAttribute('data-status')).toBe('unknown');
  }, 60_000);

  it('a cancelled QR sale whose close is not confirmed yet: the QR is gone and the customer is told not to scan', async () => {
    usePaymentStore.getState().show(sale({ status: 'qr_issued' }));
    for (let i = 0; i < 50 && q('customer-qr') === null; i++) await tick(50);
    expect(q('customer-qr')).not.toBeNull();
    usePaymentStore.getState().show(sale({ status: 'qr_issued', closeRequested: true }));
    await tick(50);
    expect(q('customer-qr')).toBeNull();
    expect(q('customer-countdown')).toBeNull();
    expect(q('customer-instruction')).toBeNull();
    expect(q('customer-withdrawn')?.textContent).toBe('本笔交易已取消，请不要扫码');
    // The close confirmed: the usual closed screen.
    usePaymentStore.getState().show(sale({ status: 'closed', closeRequested: true }));
    await tick(50);
    expect(q('customer-withdrawn')).toBeNull();
    expect(q('customer-payment')?.textContent).toContain('订单已取消');
  }, 60_000);

  it('a cancelled QR sale whose close the bank never confirmed (状态未明) leaves the screen like an abandoned one; the QR never comes back', async () => {
    usePaymentStore.getState().show(sale({ id: 9, status: 'qr_issued' }));
    for (let i = 0; i < 50 && q('customer-qr') === null; i++) await tick(50);
    usePaymentStore.getState().show(sale({ id: 9, status: 'unknown', closeRequested: true }));
    await tick(50);
    expect(q('customer-qr')).toBeNull();
    for (let i = 0; i < 120 && q('customer-idle') === null; i++) await tick(50);
    expect(q('customer-idle')).not.toBeNull();
    usePaymentStore.getState().show(sale({ id: 9, status: 'unknown', closeRequested: true, respMsg: 'asked again' }));
    await tick(300);
    expect(q('customer-idle')).not.toBeNull();
  }, 60_000);

  it('9.10 the QR scales with the screen', () => {
    expect(customerQrSize(800, 440)).toBeGreaterThanOrEqual(300);
    expect(customerQrSize(800, 440)).toBeLessThanOrEqual(440);
    expect(customerQrSize(1920, 1080)).toBeGreaterThan(customerQrSize(1024, 600));
  });
});
