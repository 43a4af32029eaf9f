/**
 * A refund whose R reached the bank but whose answer was lost has no trace, so BPC's refund query cannot
 * ask about it: it stays 状态未明, counts against the cap and holds the day close, "for a supervisor". The
 * refund desk must let the supervisor settle it after checking with the bank — the channel existed, the
 * screen had no way to it. The renderer (App) in happy-dom over the in-memory bridge to a real core and the
 * real BPC training simulator on loopback.
 */
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { startTcpPrinterStandIn } from '../../src/core/devices/printer-standin';
import { receiptText } from '../support/escpos';
import { mountApp, tick, type MountedApp } from './mount';

function setValue(el: HTMLInputElement | HTMLSelectElement, value: string): void {
  const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }));
}

describe('refund desk: the supervisor settles a refund left 状态未明', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '800', pin: '8888' });
  }, 60_000);
  afterEach(async () => app.close(), 60_000);

  async function until(what: string, done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await tick(50);
    expect(done(), what).toBe(true);
  }

  async function lostRefund(): Promise<{ paymentId: number; tradeNo: string; refundId: number }> {
    let paymentId = 0;
    let tradeNo = '';
    await act(async () => {
      await call('training:script', { script: 'manual' });
      const p = await call('payment:create', { amountFen: 5_000 });
      paymentId = p.id;
      tradeNo = p.tradeNo;
      await call('training:pay', { id: p.id });
    });
    for (let i = 0; i < 100 && (await call('payment:get', { id: paymentId })).status !== 'paid'; i++) await tick(50);
    // The bank refunds, and its answer is lost on the way back: no refund trace to query.
    app.core.trainingGateway.injectFault('R', { kind: 'reset' }, { after: true });
    let refundId = 0;
    await act(async () => {
      refundId = (await call('refund:create', { paymentId, amountFen: 2_000, reason: '顾客退货', approval: { code: '800', pin: '8888' } })).id;
    });
    for (let i = 0; i < 100 && (await call('refund:detail', { paymentId })).refunds[0]?.status !== 'unknown'; i++) await tick(50);
    expect((await call('refund:detail', { paymentId })).refunds[0]?.status).toBe('unknown');
    return { paymentId, tradeNo, refundId };
  }

  async function openAtDesk(tradeNo: string): Promise<void> {
    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F3', code: 'F3', bubbles: true, cancelable: true })));
    await until('the refund desk', () => q('refund-desk') !== null);
    const search = q('desk-search') as HTMLInputElement;
    await act(async () => setValue(search, tradeNo));
    await act(async () => search.form?.requestSubmit());
    await until('the sale found', () => q('desk-refunds') !== null);
  }

  async function fillAndSubmit(outcome: 'succeeded' | 'failed', reason: string, pin: string): Promise<void> {
    await act(async () => {
      setValue(q('refund-resolve-outcome') as HTMLSelectElement, outcome);
      setValue(q('refund-resolve-reason') as HTMLInputElement, reason);
      setValue(q('refund-resolve-approval-code') as HTMLInputElement, '800');
      setValue(q('refund-resolve-approval-pin') as HTMLInputElement, pin);
    });
    await act(async () => (q('refund-resolve-form') as HTMLFormElement).requestSubmit());
    await tick(300);
  }

  it('"refunded by the bank": the refund succeeds and counts as refunded; a wrong PIN or no reason changes nothing', async () => {
    const { paymentId, tradeNo } = await lostRefund();
    await openAtDesk(tradeNo);
    expect(q('refund-needs-supervisor')).not.toBeNull();
    expect(q('desk-remaining')?.textContent).toBe('¥30.00'); // the unclear refund counts against the cap
    await act(async () => q('refund-resolve')?.click());
    expect(q('refund-resolve-form')?.textContent).toContain('¥20.00');
    expect(document.activeElement).toBe(q('refund-resolve-outcome'));

    await fillAndSubmit('succeeded', '', '8888');
    expect(q('refund-resolve-error')?.textContent).toBe('请填写退款原因（至少 2 个字）');
    await fillAndSubmit('succeeded', '电话核实，银行客服 1234', '0000');
    expect(q('refund-resolve-error')).not.toBeNull();
    expect((await call('refund:detail', { paymentId })).refunds[0]?.status).toBe('unknown');

    await fillAndSubmit('succeeded', '电话核实，银行客服 1234', '8888');
    await until('settled', () => q('refund-resolve-form') === null);
    const detail = await call('refund:detail', { paymentId });
    expect(detail.refunds[0]).toMatchObject({ status: 'succeeded' });
    expect(detail.refundedFen).toBe(2_000);
    await until('the desk shows it', () => q('desk-refund-row')?.getAttribute('data-status') === 'succeeded');
    expect(q('desk-refunded')?.textContent).toBe('¥20.00');
    expect(q('refund-resolve')).toBeNull();
    expect(q('refund-print')).toBeNull(); // no receipt printer set up
  }, 60_000);

  it('with a receipt printer: a succeeded refund prints its receipt by itself, and 打印退款小票 on its row prints it again marked 重印', async () => {
    const printer = await startTcpPrinterStandIn();
    try {
      await act(async () => {
        await call('settings:save', {
          section: 'devices',
          value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'tcp', host: printer.host, port: printer.port, paperWidth: 58 } },
          approval: { code: '800', pin: '8888' },
        });
        const { useAppStore } = await import('../../src/renderer/src/store/app-store');
        await useAppStore.getState().load();
      });
      let tradeNo = '';
      await act(async () => {
        const sale = await call('payment:create', { amountFen: 3_000, tender: 'cash', tenderedFen: 3_000 });
        tradeNo = sale.tradeNo;
        await call('refund:record', { paymentId: sale.id, amountFen: 1_000, reason: '顾客退货', approval: { code: '800', pin: '8888' } });
      });
      const refundJobs = (): string[][] =>
        printer.sim
          .jobs()
          .map(receiptText)
          .filter((lines) => lines.some((l) => l.includes('退款小票')));
      await until('the refund receipt printed by itself', () => refundJobs().length === 1);
      expect(refundJobs()[0]!.join('\n')).not.toContain('重印');
      await openAtDesk(tradeNo);
      await act(async () => q('refund-print')?.click());
      await until('printed again', () => refundJobs().length === 2);
      expect(refundJobs()[1]!.join('\n')).toContain('重印');
      await until('said', () => q('refund-print-result')?.textContent === '已打印');
    } finally {
      await printer.close();
    }
  }, 60_000);

  it('"not refunded": the refund fails and its amount is refundable again', async () => {
    const { paymentId, tradeNo } = await lostRefund();
    await openAtDesk(tradeNo);
    await act(async () => q('refund-resolve')?.click());
    await fillAndSubmit('failed', '银行查无此笔退款', '8888');
    await until('settled', () => q('desk-refund-row')?.getAttribute('data-status') === 'failed');
    expect((await call('refund:detail', { paymentId })).remainingFen).toBe(5_000);
    expect(q('desk-remaining')?.textContent).toBe('¥50.00');
  }, 60_000);
});
