/**
 * Issue 11.4: the one-time terminal binding (Settings → Yima, behind `bindingEnabled`; the body is a
 * [guess] modelled on bind_pos_request). A real core (training mode) and the real Yima simulator over
 * loopback HTTP: a manager's approval, one request with its own reserved pos_seq, the outcome kept and
 * in the event log; once bound the same pos_id + store_id is refused before anything is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerRows, MANAGER, startCounter, SUPERVISOR, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

/** The training simulator's merchant (src/core/app/core.ts TRAINING_YIMA). */
const TRAINING = { posId: 'POS01', storeId: 'TRAIN01' };

describe('Yima terminal binding (Settings, manager)', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  const appEvents = (dir: string, type: string): { actor: string | null; data: string }[] =>
    ledgerRows(dir, "SELECT actor, data FROM events WHERE entity = 'app' AND type = ? ORDER BY id", type);

  it('off by default; a manager binds once: one bind_pos_request with a reserved pos_seq, outcome kept and logged; bound again is refused unsent', async () => {
    const t = tempDir('yima-bind-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    await expect(counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER })).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    await expect(counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await counter.invoke('settings:save', { section: 'yima', value: { ...SETTINGS, bindingEnabled: true }, approval: SUPERVISOR });
    await expect(counter.invoke('settings:yimaBind', { storeName: '一号店', approval: SUPERVISOR })).rejects.toMatchObject({ code: 'ROLE_REQUIRED' });
    expect(sim.countRequests()).toBe(0);

    const out = await counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER });
    // Training binds the simulator's training terminal (its merchant identity), never the live one.
    expect(out.binding).toMatchObject({
      verdict: 'bound',
      code: '0000',
      mode: 'training',
      posId: TRAINING.posId,
      storeId: TRAINING.storeId,
      storeName: '一号店',
      by: MANAGER.code,
    });
    expect(sim.binding(TRAINING.posId)).toEqual({ storeId: TRAINING.storeId, storeName: '一号店' });
    const requests = sim.requests().filter((r) => r.requestType === 'bind_pos_request');
    expect(requests).toHaveLength(1);
    const body = JSON.parse(requests[0]!.raw.toString('utf8')) as Record<string, unknown>;
    expect(body.bind_pos_request).toEqual({ pos_id: TRAINING.posId, store_info: { store_id: TRAINING.storeId, store_name: '一号店' } });
    expect(body.pos_seq).toBe(out.binding.posSeq);
    expect(ledgerRows(t.dir, "SELECT seq FROM gateway_requests WHERE gateway = 'yima' AND purpose = 'bind'")).toEqual([{ seq: out.binding.posSeq }]);
    expect(appEvents(t.dir, 'yima_bind_requested')).toHaveLength(1);
    const logged = appEvents(t.dir, 'yima_bind');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.actor).toBe(MANAGER.code);
    expect(JSON.parse(logged[0]!.data)).toMatchObject({ verdict: 'bound', request: expect.stringContaining('bind_pos_request') });
    expect((await counter.invoke('settings:get', undefined)).yima.binding).toMatchObject({ verdict: 'bound', storeName: '一号店' });

    // Once per pos_id + store_id: refused before anything is sent.
    await expect(counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(sim.countRequests('bind_pos_request')).toBe(1);
  });

  it('no usable answer is unclear (may have taken effect) and may be tried again; the simulator checks the body', async () => {
    const t = tempDir('yima-bind-unclear-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    await counter.invoke('settings:save', { section: 'yima', value: { ...SETTINGS, bindingEnabled: true }, approval: SUPERVISOR });
    sim.injectFault('bind_pos_request', { kind: 'reset' }, { count: 1, after: true });
    const unclear = await counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER });
    expect(unclear.binding).toMatchObject({ verdict: 'unclear', code: '' });
    expect(unclear.binding.detail).toContain('reset');
    // The reset came after Yima took it: the retry is Yima's "already bound", not a second binding.
    const again = await counter.invoke('settings:yimaBind', { storeName: '一号店', approval: MANAGER });
    expect(again.binding).toMatchObject({ verdict: 'refused', code: '4007', detail: '终端已绑定' });
    const posSeqs = sim
      .requests()
      .filter((r) => r.requestType === 'bind_pos_request')
      .map((r) => r.posSeq);
    expect(new Set(posSeqs).size).toBe(2);
  });
});
