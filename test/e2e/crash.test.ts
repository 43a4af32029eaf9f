import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crashRig } from '../support/crash-rig';
import type { Headless } from '../support/headless';
import { tempDir } from '../support/temp';

/**
 * Crash safety: the real engine runs in a child process against a simulated bank (live mode through a
 * provisioning file). It is SIGKILLed at several points of a payment, restarted on the same data
 * directory, and must end in the right state — with never more than one F for the sale.
 */
describe('crash and resume', () => {
  const rig = crashRig({
    key: 'crash-test-key-0123456789',
    tempPrefix: 'crash-',
    polling: { firstQueryMs: 50, fastIntervalMs: 500, slowIntervalMs: 500, backoffStartMs: 500, backoffMaxMs: 1000 },
  });
  const start = (fault?: string): Headless => rig.start(fault);

  function ledgerRow(): { id: number; trade_no: string; status: string; sys_trace: string | null } {
    const db = new Database(join(rig.dir, 'ledger.sqlite'), { readonly: true });
    const row = db.prepare('SELECT id, trade_no, status, sys_trace FROM payments ORDER BY id DESC LIMIT 1').get() as never;
    db.close();
    return row;
  }

  async function crashAt(point: string): Promise<{ id: number; trade_no: string; status: string; sys_trace: string | null }> {
    const first = start(point);
    await first.next((l) => l.ready === true, 60_000);
    first.send({ op: 'create', amountFen: 4321 });
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    return ledgerRow();
  }

  async function restartAndWait(id: number, until: (status: string) => boolean): Promise<string> {
    const second = start();
    const ready = await second.next((l) => l.ready === true, 60_000);
    expect(ready.info.mode).toBe('live');
    for (let i = 0; i < 100; i += 1) {
      second.send({ op: 'get', id });
      const reply = await second.next((l) => l.reply?.id === id && second.lines.indexOf(l) >= second.lines.length - 1);
      if (until(reply.reply.status)) {
        second.send({ op: 'exit' });
        await second.exited;
        return reply.reply.status as string;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('payment did not settle after restart');
  }

  const fCount = (tradeNo: string): number => rig.sim.countRequests('F', (b) => b.tradeNo === tradeNo);

  it('killed before the F left: on restart the sale ends failed, and no F was ever sent', async () => {
    const row = await crashAt('before-send');
    expect(row.status).toBe('created');
    expect(fCount(row.trade_no)).toBe(0);
    expect(await restartAndWait(row.id, (s) => s !== 'created')).toBe('failed');
    expect(fCount(row.trade_no)).toBe(0);
  });

  it('killed after the F was answered but before the answer was written: failed (no QR was shown), exactly one F', async () => {
    const row = await crashAt('after-send');
    expect(row.status).toBe('created');
    expect(row.sys_trace).toBeNull();
    expect(fCount(row.trade_no)).toBe(1);
    expect(await restartAndWait(row.id, (s) => s !== 'created')).toBe('failed');
    expect(fCount(row.trade_no)).toBe(1);
  });

  it('killed after the QR was issued; the customer pays while the app is down: on restart it ends paid, exactly one F', async () => {
    const row = await crashAt('after-answer');
    expect(row.status).toBe('qr_issued');
    expect(row.sys_trace).not.toBeNull();
    expect(rig.sim.pay(row.sys_trace!)).toBe(true);
    expect(await restartAndWait(row.id, (s) => s === 'paid')).toBe('paid');
    expect(fCount(row.trade_no)).toBe(1);
    expect(rig.sim.countRequests('F')).toBe(1);
  });

  it('killed while waiting for the customer (no fault hook: plain SIGKILL from outside): resumes polling and ends paid', async () => {
    const first = start();
    await first.next((l) => l.ready === true, 60_000);
    first.send({ op: 'create', amountFen: 999 });
    const created = await first.next((l) => l.reply?.status === 'qr_issued');
    await first.next((l) => l.update?.id === created.reply.id && l.update.queryCount >= 1);
    first.child.kill('SIGKILL');
    await first.exited;
    rig.sim.pay(created.reply.sysTrace as string);
    expect(await restartAndWait(created.reply.id as number, (s) => s === 'paid')).toBe('paid');
    expect(rig.sim.countRequests('F')).toBe(1);
  });
});

describe('training mode survives a crash too', () => {
  it('browser-mode training payment: kill -9 while waiting, the customer pays meanwhile, restart → paid, one F', async () => {
    const { startBrowserMode } = await import('../support/browser-mode');
    const { bridgeFor } = await import('../support/ws-bridge');
    const data = tempDir('crash-training-');
    try {
      const first = await startBrowserMode(['--data', data.dir, '--quiet']);
      const b1 = bridgeFor(first.url);
      expect((await b1.invoke('session:signIn', { code: '001', pin: '1111' })).ok).toBe(true);
      await b1.invoke('training:script', { script: 'manual' });
      const created = await b1.invoke('payment:create', { amountFen: 1888 });
      if (!created.ok) throw new Error(created.error.message);
      const state = await b1.invoke('training:state', undefined);
      if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
      b1.close();
      // Give the simulated bank a moment to write its order, then kill the app without warning.
      await new Promise((r) => setTimeout(r, 200));
      await first.stop('SIGKILL');
      const second = await startBrowserMode(['--data', data.dir, '--quiet']);
      const b2 = bridgeFor(second.url);
      const state2 = await b2.invoke('training:state', undefined);
      if (!state2.ok || state2.value.simulatorUrl === null) throw new Error('no training gateway');
      const base = new URL(state2.value.simulatorUrl).origin;
      // The simulated customer pays the QR issued before the crash.
      const pay = await fetch(`${base}/sim/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sysTrace: created.value.sysTrace }),
      });
      expect(pay.status).toBe(200);
      for (let i = 0; i < 100; i += 1) {
        const p = await b2.invoke('payment:get', { id: created.value.id });
        if (p.ok && p.value.status === 'paid') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const final = await b2.invoke('payment:get', { id: created.value.id });
      expect(final).toMatchObject({ ok: true, value: { status: 'paid', amountFen: 1888 } });
      const orders = (await (await fetch(`${base}/sim/orders`)).json()) as { orders: { tradeNo: string }[] };
      expect(orders.orders.filter((o) => o.tradeNo === created.value.tradeNo)).toHaveLength(1);
      b2.close();
      await second.stop();
    } finally {
      data.cleanup();
    }
  });
});
