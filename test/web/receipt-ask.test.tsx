import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTcpPrinterStandIn, type TcpPrinterStandIn } from '../../src/core/devices/printer-standin';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { usePaymentStore } from '../../src/renderer/src/store/payment-store';
import { receiptText } from '../support/escpos';
import { mountApp, press, tick, typeSlowly, type MountedApp } from './mount';

/** Keys go to the window (the checkout's listener), whatever has the focus. */
const pressAtWindow = (key: string, code = key): Promise<void> => press(key, code, window);

/** Types like a person: 80 ms between keys (faster is a scanner's burst). */

/**
 * Auto print "ask" (issue 12.3): after a paid sale the checkout asks 打印小票？ — Enter prints, Esc does
 * not, and typing the next amount dismisses it and starts the next sale. Real core, real TCP printer
 * stand-in on loopback.
 */
describe('receipt after a sale: ask the cashier (renderer)', () => {
  let app: MountedApp;
  let printer: TcpPrinterStandIn;
  const q = (id: string): HTMLElement | null => app.q(id);

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    printer = await startTcpPrinterStandIn();
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('settings:save', {
        section: 'devices',
        value: {
          poleDisplay: null,
          cardTerminal: null,
          receiptPrinter: { transport: 'tcp', host: printer.host, port: printer.port, paperWidth: 58, autoPrint: 'ask' },
        },
        approval: { code: '800', pin: '8888' },
      });
      await call('training:script', { script: 'manual' });
    });
    await tick(50);
  }, 60_000);

  afterEach(async () => {
    await app.close();
    await printer.close();
  }, 60_000);

  /** A QR sale typed on the keys, paid by the simulated customer; waits for the paid screen. */
  async function paidSale(amount: string): Promise<void> {
    await typeSlowly(amount, window);
    await pressAtWindow('Enter');
    for (let i = 0; i < 100 && (usePaymentStore.getState().payment?.scanCode ?? null) === null; i++) await tick(30);
    const pending = usePaymentStore.getState().payment?.id ?? 0;
    await act(async () => {
      await call('training:pay', { id: pending });
    });
    for (let i = 0; i < 200 && q('payment-result')?.dataset.status !== 'paid'; i++) await tick(30);
    expect(q('payment-result')?.dataset.status).toBe('paid');
  }

  it('asks after a paid sale; Enter prints one receipt and starts the next sale; nothing prints before the answer', async () => {
    await paidSale('12.5');
    expect(q('receipt-ask')?.textContent).toBe('打印小票？ Enter 打印 / Esc 不打印');
    expect(q('checkout-keys')?.textContent).toContain('打印小票');
    // The setting is "ask": the core printed nothing by itself, and the paid screen waits for the answer.
    await tick(400);
    expect(printer.sim.jobs()).toHaveLength(0);
    expect(q('payment-result')?.textContent).not.toContain('秒后');
    await pressAtWindow('Enter');
    for (let i = 0; i < 100 && printer.sim.jobs().length === 0; i++) await tick(30);
    expect(printer.sim.jobs()).toHaveLength(1);
    expect(receiptText(printer.sim.jobs()[0]!).some((l) => /^金额 +￥12\.50$/.test(l))).toBe(true);
    expect(q('receipt-ask')).toBeNull();
    expect(q('amount-display')?.textContent).toBe('¥ 0.00');
    await tick(300);
    expect(printer.sim.jobs()).toHaveLength(1);
  }, 60_000);

  it('Esc does not print; typing the next amount dismisses the question and types into the new sale', async () => {
    await paidSale('3');
    await pressAtWindow('Escape');
    await tick(50);
    expect(q('receipt-ask')).toBeNull();
    expect(q('amount-display')?.textContent).toBe('¥ 0.00');

    await paidSale('4');
    expect(q('receipt-ask')).not.toBeNull();
    await typeSlowly('56', window);
    expect(q('receipt-ask')).toBeNull();
    expect(q('payment-result')).toBeNull();
    expect(q('amount-display')?.textContent).toBe('¥ 56');
    await tick(400);
    expect(printer.sim.jobs()).toHaveLength(0);
    const payments = app.core.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'receipt_printed'").get() as { n: number };
    expect(payments.n).toBe(0);
  }, 60_000);

  it('a print that fails on Enter is queued and said on the next sale, which is not held up; the English text', async () => {
    useLang.getState().setLang('en');
    await paidSale('7');
    expect(q('receipt-ask')?.textContent).toBe('Print a receipt? Enter prints / Esc skips');
    printer.sim.set({ paperOut: true });
    await pressAtWindow('Enter');
    expect(q('receipt-ask')).toBeNull();
    expect(q('amount-display')).not.toBeNull();
    for (let i = 0; i < 100 && q('checkout-message') === null; i++) await tick(30);
    expect(q('checkout-message')?.textContent).toMatch(/^Receipt not printed, kept in the print queue/);
    let queue: Awaited<ReturnType<typeof call<'receipt:queue'>>> = [];
    await act(async () => {
      queue = await call('receipt:queue', undefined);
    });
    expect(queue).toHaveLength(1);
    expect(queue[0]?.kind).toBe('payment');
    // Typing the next amount goes on as usual.
    await typeSlowly('8', window);
    expect(q('amount-display')?.textContent).toBe('¥ 8');
  }, 60_000);
});
