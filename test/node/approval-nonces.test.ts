/**
 * 8.16: an approval is bound to the action it approves. A supervisor's code + PIN crosses the bridge
 * with a single-use nonce the core issued for exactly this channel and these inputs; a captured
 * approval frame replays neither for the same refund nor for another one, nor after a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ApprovalSchema } from '../../src/shared/reports';
import { channels } from '../../src/shared/ipc/contract';
import { APPROVAL_PATHS, approvalSubject } from '../../src/shared/ipc/approvals';
import { createApprovalNonces, APPROVAL_NONCE_TTL_MS } from '../../src/core/operators/approval-nonces';
import { ledgerRows, startCounter, SUPERVISOR, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';

describe('approval nonces', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  const raw = async (channel: string, input: unknown): Promise<any> => counter!.core.dispatch(channel, input, { role: 'cashier' });
  const nonceFor = async (action: string, input: unknown): Promise<string> => {
    const r = await raw('approval:nonce', { action, input });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    return r.value.nonce as string;
  };
  const refundCount = (dir: string): number => ledgerRows<{ n: number }>(dir, 'SELECT count(*) AS n FROM refunds')[0]!.n;

  it('a captured refund approval cannot be replayed for the same refund or another one; a missing nonce is refused', async () => {
    const t = tempDir('nonce-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const a = await counter.sell(1000);
    const b = await counter.sell(2000);

    const input = { paymentId: a.id, amountFen: 300, reason: 'customer returned goods' };
    const frame = { ...input, approval: { ...SUPERVISOR, nonce: await nonceFor('refund:create', input) } };
    const first = await raw('refund:create', frame);
    expect(first.ok, JSON.stringify(first)).toBe(true);
    expect(refundCount(t.dir)).toBe(1);

    // The same frame again (a replay): refused, nothing written.
    const again = await raw('refund:create', frame);
    expect(again).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID', details: { reason: 'unknown or used' } } });
    // The captured approval moved onto another payment's refund: refused.
    const moved = await raw('refund:create', { paymentId: b.id, amountFen: 2000, reason: 'customer returned goods', approval: frame.approval });
    expect(moved).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID' } });
    // A fresh nonce for one refund does not approve a bigger one of the same payment.
    const nonce = await nonceFor('refund:create', input);
    const bigger = await raw('refund:create', { ...input, amountFen: 700, approval: { ...SUPERVISOR, nonce } });
    expect(bigger).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID', details: { reason: 'issued for another action' } } });
    // ... and a failed use spends it: the right refund with that nonce is refused too.
    expect(await raw('refund:create', { ...input, approval: { ...SUPERVISOR, nonce } })).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID' } });
    // No nonce at all (yesterday's client, or a hand-made frame): refused before the PIN is checked.
    expect(await raw('refund:create', { ...input, approval: SUPERVISOR })).toMatchObject({
      ok: false,
      error: { code: 'APPROVAL_INVALID', details: { reason: 'missing' } },
    });
    // A nonce for a settings change does not approve a refund.
    const modeNonce = await nonceFor('settings:setMode', { mode: 'training' });
    expect(await raw('refund:create', { ...input, approval: { ...SUPERVISOR, nonce: modeNonce } })).toMatchObject({
      ok: false,
      error: { code: 'APPROVAL_INVALID' },
    });
    expect(refundCount(t.dir)).toBe(1);

    // Spaces around the reason are trimmed alike on both sides: the renderer's nonce still fits.
    const padded = { paymentId: b.id, amountFen: 500, reason: '  wrong size  ' };
    const ok = await raw('refund:create', { ...padded, approval: { ...SUPERVISOR, nonce: await nonceFor('refund:create', padded) } });
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    expect(refundCount(t.dir)).toBe(2);

    // A nonce asked for with bad input is refused as the action would refuse it.
    expect(await raw('approval:nonce', { action: 'refund:create', input: { paymentId: a.id, amountFen: -1, reason: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    // The display window may not ask for one.
    expect(await counter.core.dispatch('approval:nonce', { action: 'refund:create', input }, { role: 'display' })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('a nonce issued before a restart is worthless after it; the day close binds both approvals', async () => {
    const t = tempDir('nonce-restart-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const paid = await counter.sell(1000);
    const input = { paymentId: paid.id, amountFen: 100, reason: 'customer returned goods' };
    const nonce = await nonceFor('refund:create', input);
    await counter.close();
    counter = await startCounter(t.dir);
    expect(await raw('refund:create', { ...input, approval: { ...SUPERVISOR, nonce } })).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID' } });
    expect(refundCount(t.dir)).toBe(0);

    // day:close carries the manager's approval and, with an override, a supervisor's: each needs its own.
    const day = (await counter.invoke('day:current', undefined)).day as string;
    const closeInput = { day, override: { reason: 'late scan accepted' } };
    const one = await nonceFor('day:close', closeInput);
    const refused = await raw('day:close', {
      day,
      manager: { code: '900', pin: '9999', nonce: one },
      override: { reason: 'late scan accepted', approval: { ...SUPERVISOR, nonce: one } },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'APPROVAL_INVALID', details: { field: 'override.approval' } } });
  });

  it('reads and exports of the shop records need a signed-in operator', async () => {
    const t = tempDir('reads-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const paid = await counter.sell(1000);
    const day = (await counter.invoke('day:current', undefined)).day as string;
    const reads: [string, unknown][] = [
      ['ledger:list', { day }],
      ['ledger:refunds', { day }],
      ['refund:find', { code: paid.tradeNo }],
      ['refund:detail', { paymentId: paid.id }],
      ['day:report', { day }],
      ['day:export', { day, format: 'csv' }],
      ['shift:list', { day }],
      ['operators:list', undefined],
      ['settings:get', undefined],
    ];
    const marked = Object.entries(channels)
      .filter(([, spec]) => spec.signedIn === true)
      .map(([name]) => name)
      .sort();
    expect(marked).toEqual(reads.map(([c]) => c).sort());
    for (const [channel, input] of reads) expect((await raw(channel, input)).ok, channel).toBe(true);
    await counter.invoke('session:signOut', undefined);
    for (const [channel, input] of reads) expect(await raw(channel, input), channel).toMatchObject({ ok: false, error: { code: 'PIN_REQUIRED' } });
    // The sale itself and the display's view are not reads of the records: still answered.
    expect((await raw('payment:current', undefined)).ok).toBe(true);
  });

  it('expires after its time; every channel carrying an approval is on the list', () => {
    let t = 1_000_000;
    const nonces = createApprovalNonces(() => t);
    const input = { mode: 'training' };
    const { nonce, expiresAt } = nonces.issue('settings:setMode', input);
    expect(expiresAt).toBe(1_000_000 + APPROVAL_NONCE_TTL_MS);
    t = expiresAt;
    expect(() => nonces.consume('settings:setMode', { ...input, approval: { ...SUPERVISOR, nonce } })).toThrow(
      expect.objectContaining({ code: 'APPROVAL_INVALID', details: expect.objectContaining({ reason: 'expired' }) }),
    );
    expect(approvalSubject('day:close', { day: '2026-12-02', manager: { code: '9' }, override: { approval: {}, reason: 'r' } })).toBe(
      '{"day":"2026-12-02","override":{"reason":"r"}}',
    );

    // Walk every channel's input schema: wherever ApprovalSchema appears, its path is listed.
    const found = (schema: z.ZodType, path: string[]): string[][] => {
      if (schema === ApprovalSchema) return [path];
      const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[] } }).def;
      if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') return found(def.innerType!, path);
      if (def.type === 'object') return Object.entries((schema as z.ZodObject).shape).flatMap(([k, v]) => found(v as z.ZodType, [...path, k]));
      if (def.type === 'union') return (def.options ?? []).flatMap((o) => found(o, path));
      return [];
    };
    const listed = Object.fromEntries(Object.entries(APPROVAL_PATHS).map(([c, paths]) => [c, paths.map((p) => p.join('.')).sort()]));
    const actual: Record<string, string[]> = {};
    for (const [name, spec] of Object.entries(channels)) {
      const paths = [...new Set(found(spec.input as z.ZodType, []).map((p) => p.join('.')))].sort();
      if (paths.length > 0) actual[name] = paths;
    }
    expect(actual).toEqual(listed);
  });
});
