import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { startWebHost, type WebHost } from '../../src/core/web/host';
import { CHANNEL_NAMES, DisplayAppInfoSchema, DisplayPaymentSchema } from '../../src/shared/ipc/contract';
import { bridgeFor } from '../support/ws-bridge';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/**
 * Issue 8.12: the customer display (its token in browser mode, its window in Electron) hears only what
 * a customer may see. Here over the real WebSocket host, recording every raw frame the display's socket
 * receives during a sale, a refund and operator changes made at the cashier.
 */
const DISPLAY_CHANNELS = new Set(['app:info', 'payment:current']);
const DISPLAY_EVENTS = new Set(['app:mode', 'payment:updated']);
const PAYMENT_KEYS = new Set(Object.keys(DisplayPaymentSchema.shape));
const INFO_KEYS = new Set(Object.keys(DisplayAppInfoSchema.shape));
// Planted in what the cashier types: none of it may reach the customer.
const MEMO = 'MEMO-not-for-customer';
const ORDER = 'ORDERnotforcustomer1';
const REASON = 'REASON-not-for-customer';
const OPERATOR_NAME = 'OPNAME-not-for-customer';

describe('customer display access list (WebSocket host, display token)', () => {
  let core: Core;
  let host: WebHost;
  let cleanup: () => void;

  beforeEach(async () => {
    const t = tempDir('display-');
    cleanup = t.cleanup;
    core = await startCore({
      dataDir: t.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      schedule: { firstQueryMs: 100, fastIntervalMs: 100 },
    });
    host = await startWebHost({ dispatch: core.dispatch, bus: core.bus, logger: silentLogger, staticDir: t.dir });
  });
  afterEach(async () => {
    await host.close();
    await core.close();
    cleanup();
  });

  async function openDisplaySocket(): Promise<{ ws: WebSocket; frames: unknown[]; call(channel: string, input?: unknown): Promise<any> }> {
    const page = new URL(host.displayUrl);
    const ws = new WebSocket(`ws://${page.host}/ipc?token=${page.searchParams.get('token')}`, { origin: `http://${page.host}` });
    const frames: unknown[] = [];
    const pending = new Map<number, (result: unknown) => void>();
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
      frames.push(frame);
      if (typeof frame.id === 'number') pending.get(frame.id)?.(frame.result);
    });
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    let next = 1;
    return {
      ws,
      frames,
      call: (channel, input) =>
        new Promise((resolve) => {
          const id = next++;
          pending.set(id, resolve);
          ws.send(JSON.stringify({ id, channel, input }));
        }),
    };
  }

  it('refuses every channel but the display ones, and hears only display events with display-safe fields', async () => {
    const display = await openDisplaySocket();
    for (const channel of CHANNEL_NAMES.filter((c) => !DISPLAY_CHANNELS.has(c))) {
      expect(await display.call(channel, undefined), channel).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }

    const cashier = bridgeFor(host.url);
    const invoke = async (channel: string, input: unknown): Promise<any> => {
      const result = await cashier.invoke(channel as never, (await withNonces(channel, input, (c, i) => cashier.invoke(c as never, i as never))) as never);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code} ${result.error.message}`);
      return result.value;
    };
    const supervisor = { code: '800', pin: '8888' };
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await invoke('training:script', { script: 'manual' });
    const sale = await invoke('payment:create', { amountFen: 1234, memo: MEMO, merOrderNo: ORDER });
    await invoke('training:pay', { id: sale.id });
    await expect.poll(async () => (await invoke('payment:get', { id: sale.id })).status, { timeout: 10_000 }).toBe('paid');
    const refund = await invoke('refund:create', { paymentId: sale.id, amountFen: 234, reason: REASON, approval: supervisor });
    await expect.poll(async () => (await invoke('refund:requery', { id: refund.id })).status, { timeout: 10_000 }).toBe('succeeded');
    await invoke('operators:save', { code: '002', name: OPERATOR_NAME, role: 'cashier', pin: '2468', approval: supervisor });
    await invoke('session:signIn', { code: '002', pin: '2468' });
    await invoke('session:signOut', undefined);
    core.bus.emit('app:mode', core.info());

    // The display still reads what it needs, and only that.
    const info = await display.call('app:info');
    expect(info.ok).toBe(true);
    expect(Object.keys(info.value).every((k) => INFO_KEYS.has(k))).toBe(true);
    const current = await display.call('payment:current');
    expect(current.value.payment).toMatchObject({ id: sale.id, amountFen: 1234, status: 'paid' });
    expect(Object.keys(current.value.payment).every((k) => PAYMENT_KEYS.has(k))).toBe(true);

    await expect.poll(() => display.frames.some((f: any) => f.event === 'payment:updated' && f.payload.status === 'paid')).toBe(true);
    const events = display.frames.filter((f): f is { event: string; payload: Record<string, unknown> } => typeof (f as { event?: unknown }).event === 'string');
    expect(events.length).toBeGreaterThan(0);
    for (const frame of events) {
      expect(DISPLAY_EVENTS.has(frame.event), frame.event).toBe(true);
      const allowed = frame.event === 'payment:updated' ? PAYMENT_KEYS : INFO_KEYS;
      for (const key of Object.keys(frame.payload)) expect(allowed.has(key), `${frame.event}.${key}`).toBe(true);
    }
    const everything = JSON.stringify(display.frames);
    for (const planted of [MEMO, ORDER, REASON, OPERATOR_NAME, core.info().dataDir]) expect(everything).not.toContain(planted);
    display.ws.close();
    cashier.close();
  });
});
