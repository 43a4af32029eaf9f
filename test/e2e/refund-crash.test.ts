import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crashRig } from '../support/crash-rig';
import type { Headless } from '../support/headless';

/**
 * Crash safety of refunds, as test/e2e/crash.test.ts does for payments: the real engine in a child
 * process (live mode, provisioning file) against a simulated bank is SIGKILLed at each point of a
 * refund, restarted on the same data directory, and must end in the right state — never a second R
 * for the refund, and never a refund lost (one that may have reached the bank stays counted and shown).
 */
interface RefundRow {
  id: number;
  refund_no: string;
  status: string;
  sent_at: number | null;
  sys_trace: string | null;
}

describe('refund crash and resume', () => {
  const rig = crashRig({
    key: 'refund-crash-key-0123456789',
    tempPrefix: 'refund-crash-',
    polling: { firstQueryMs: 50, fastIntervalMs: 500, slowIntervalMs: 500, backoffStartMs: 500, backoffMaxMs: 1000 },
  });
  const start = (fault?: string): Headless => rig.start(fault);

  function refundRow(): RefundRow {
    const db = new Database(join(rig.dir, 'ledger.sqlite'), { readonly: true });
    const row = db.prepare('SELECT id, refund_no, status, sent_at, sys_trace FROM refunds ORDER BY id DESC LIMIT 1').get() as RefundRow;
    db.close();
    return row;
  }

  /** A paid sale (the simulated customer pays the QR), then a refund of 12.34 that kills the process at `point`. */
  async function crashAt(point: string): Promise<{ row: RefundRow; paymentId: number }> {
    const first = start(point);
    const ready = await first.next((l) => l.ready === true, 60_000);
    expect(ready.info.mode, ready.info.modeReason).toBe('live');
    first.send({ op: 'create', amountFen: 5000 });
    const created = await first.next((l) => l.reply?.status === 'qr_issued');
    expect(rig.sim.pay(created.reply.sysTrace as string)).toBe(true);
    await first.next((l) => l.update?.id === created.reply.id && l.update.status === 'paid', 30_000);
    first.send({ op: 'refund', paymentId: created.reply.id, amountFen: 1234 });
    const exit = await first.exited;
    expect(exit.signal).toBe('SIGKILL');
    return { row: refundRow(), paymentId: created.reply.id as number };
  }

  async function restartAndWait(
    id: number,
    until: (refund: { status: string; needsSupervisor: boolean }) => boolean,
  ): Promise<{ status: string; needsSupervisor: boolean }> {
    const second = start();
    const ready = await second.next((l) => l.ready === true, 60_000);
    expect(ready.info.mode).toBe('live');
    for (let i = 0; i < 150; i += 1) {
      second.send({ op: 'getRefund', id });
      const reply = await second.next((l) => l.refundReply?.id === id && second.lines.indexOf(l) >= second.lines.length - 1);
      if (until(reply.refundReply)) {
        second.send({ op: 'exit' });
        await second.exited;
        return reply.refundReply;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('refund did not settle after restart');
  }

  const rCount = (refundNo: string): number => rig.sim.countRequests('R', (b) => b.tradeNo === refundNo);

  it('killed before the "R sent" marker: on restart the refund ends failed (nothing refunded), and no R was ever sent', async () => {
    const { row } = await crashAt('refund-before-send');
    expect(row).toMatchObject({ status: 'created', sent_at: null });
    expect(rCount(row.refund_no)).toBe(0);
    expect(await restartAndWait(row.id, (r) => r.status !== 'created')).toMatchObject({ status: 'failed', needsSupervisor: false });
    expect(rCount(row.refund_no)).toBe(0);
    expect(rig.sim.countRequests('R')).toBe(0);
  });

  it('killed after the marker, before R left: 状态未明 for a supervisor (R may have left), and R is never sent', async () => {
    const { row } = await crashAt('refund-marked');
    expect(row.status).toBe('created');
    expect(row.sent_at).not.toBeNull();
    expect(rCount(row.refund_no)).toBe(0);
    expect(await restartAndWait(row.id, (r) => r.status !== 'created')).toMatchObject({ status: 'unknown', needsSupervisor: true });
    // Give a resumed engine time to (wrongly) resend: it must not.
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.sim.countRequests('R')).toBe(0);
  });

  it('killed after R was answered but before the answer was written: not lost (状态未明 for a supervisor, counted), exactly one R', async () => {
    const { row } = await crashAt('refund-after-answer');
    expect(row.status).toBe('created');
    expect(row.sys_trace).toBeNull();
    expect(rCount(row.refund_no)).toBe(1);
    const settled = await restartAndWait(row.id, (r) => r.status !== 'created');
    expect(settled).toMatchObject({ status: 'unknown', needsSupervisor: true });
    expect(rCount(row.refund_no)).toBe(1);
    expect(rig.sim.countRequests('R')).toBe(1);
  });

  it('killed while J is polling: on restart J resumes and the refund ends succeeded, exactly one R', async () => {
    rig.sim.scriptNextRefund({ kind: 'unknown_then', queries: 4, then: 'success' });
    const { row } = await crashAt('refund-after-query');
    expect(row.sys_trace).not.toBeNull();
    expect(row.status).toBe('unknown');
    const jBefore = rig.sim.countRequests('J');
    expect(jBefore).toBe(1);
    expect(await restartAndWait(row.id, (r) => r.status === 'succeeded')).toMatchObject({ status: 'succeeded' });
    expect(rig.sim.countRequests('J')).toBeGreaterThan(jBefore);
    expect(rCount(row.refund_no)).toBe(1);
    expect(rig.sim.countRequests('R')).toBe(1);
  });

  it('killed while J is polling (plain SIGKILL from outside, no fault hook): resumes and ends succeeded, exactly one R', async () => {
    rig.sim.scriptNextRefund({ kind: 'unknown_then', queries: 6, then: 'success' });
    const first = start();
    await first.next((l) => l.ready === true, 60_000);
    first.send({ op: 'create', amountFen: 800 });
    const created = await first.next((l) => l.reply?.status === 'qr_issued');
    rig.sim.pay(created.reply.sysTrace as string);
    await first.next((l) => l.update?.id === created.reply.id && l.update.status === 'paid', 30_000);
    first.send({ op: 'refund', paymentId: created.reply.id, amountFen: 800 });
    const refund = await first.next((l) => l.refundReply !== undefined);
    expect(refund.refundReply.status).toBe('unknown');
    for (let i = 0; i < 100 && rig.sim.countRequests('J') < 1; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(rig.sim.countRequests('J')).toBeGreaterThanOrEqual(1);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await restartAndWait(refund.refundReply.id as number, (r) => r.status === 'succeeded')).toMatchObject({ status: 'succeeded' });
    expect(rig.sim.countRequests('R')).toBe(1);
  });
});
