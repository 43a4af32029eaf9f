import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type Core } from '../../src/core/app/core';
import { decodeMisResponse, encodeMisResponse } from '../../src/core/devices/mis';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { maskPansInText, maskPanText, maskSecrets, silentLogger } from '../../src/core/util/logger';
import { startWebHost, type WebHost } from '../../src/core/web/host';
import { tempDir } from '../support/temp';

/** Issue 8.14: no full card number is stored or crosses the bridge. The training terminal sends one. */
const FULL_PAN = '6222021234567890123';
const MASKED = '622202*********0123';

describe('PAN masking rule', () => {
  it('keeps at most the first 6 and the last 4 digits', () => {
    expect(maskPanText(FULL_PAN)).toBe(MASKED);
    expect(maskPanText('6222 0212 3456 7890')).toBe('622202******7890');
    expect(maskPanText('622202******1234')).toBe('622202******1234');
    expect(maskPanText('123456789')).toBe('*****6789');
    expect(maskPanText('1234')).toBe('****');
    expect(maskPanText('')).toBe('');
  });

  it('masks card-number fields in logged / stored data, and Luhn-valid card numbers in free text', () => {
    expect(maskSecrets({ response: { cardNo: FULL_PAN, referenceNo: '123456789012' } })).toEqual({ response: { cardNo: MASKED, referenceNo: '123456789012' } });
    // 4111 1111 1111 1111 passes Luhn; a 20-digit trace number does not get touched.
    expect(maskPansInText('card 4111111111111111 declined, trace 20261202123456789012')).toBe('card 411111******1111 declined, trace 20261202123456789012');
  });

  it('the MIS decoder masks a full PAN from the terminal', () => {
    const sent = encodeMisResponse({
      returnCode: '00',
      bankCode: '0102',
      cardNo: FULL_PAN,
      voucherNo: '000001',
      amountFen: 100,
      message: '成功',
      merchantNo: '898310048990001',
      terminalNo: '10010001',
      batchNo: '000001',
      date: '1202',
      time: '101010',
      referenceNo: '123456789012',
      authCode: '100001',
      settlementDate: '1202',
      check: '123',
    });
    expect(decodeMisResponse(sent).cardNo).toBe(MASKED);
  });
});

describe('a card sale on the training terminal leaves no full PAN anywhere', () => {
  let core: Core;
  let host: WebHost;
  let cleanup: () => void;

  beforeEach(async () => {
    const t = tempDir('pan-');
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    host = await startWebHost({ dispatch: core.dispatch, bus: core.bus, logger: silentLogger, staticDir: t.dir });
  });
  afterEach(async () => {
    await host.close();
    await core.close();
    cleanup();
  });

  function socket(pageUrl: string): Promise<{ ws: WebSocket; frames: string[]; call(channel: string, input?: unknown): Promise<any> }> {
    const page = new URL(pageUrl);
    const ws = new WebSocket(`ws://${page.host}/ipc?token=${page.searchParams.get('token')}`);
    const frames: string[] = [];
    const pending = new Map<number, (r: unknown) => void>();
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      frames.push(text);
      const frame = JSON.parse(text) as { id?: number; result?: unknown };
      if (typeof frame.id === 'number') pending.get(frame.id)?.(frame.result);
    });
    let next = 1;
    return new Promise((ok, fail) => {
      ws.once('error', fail);
      ws.once('open', () =>
        ok({
          ws,
          frames,
          call: (channel, input) =>
            new Promise((resolve) => {
              const id = next++;
              pending.set(id, resolve);
              ws.send(JSON.stringify({ id, channel, input }));
            }),
        }),
      );
    });
  }

  it('events table, cashier frames and display frames hold the masked number only', async () => {
    const cashier = await socket(host.url);
    const display = await socket(host.displayUrl);
    expect(await cashier.call('session:signIn', { code: '001', pin: '1111' })).toMatchObject({ ok: true });
    const created = await cashier.call('payment:create', { amountFen: 2580, tender: 'card' });
    expect(created).toMatchObject({ ok: true });
    await expect.poll(async () => (await cashier.call('payment:get', { id: created.value.id })).value.status, { timeout: 15_000 }).toBe('paid');
    const detail = await cashier.call('refund:detail', { paymentId: created.value.id });
    expect(detail.ok).toBe(true);
    const rows = core.db.prepare('SELECT data FROM events').all() as { data: string }[];
    const stored = rows.map((r) => r.data).join('\n');
    // The card number did travel (masked): the test is not vacuous.
    expect(stored).toContain(MASKED);
    for (const text of [stored, cashier.frames.join('\n'), display.frames.join('\n')]) {
      expect(text).not.toContain(FULL_PAN);
      expect(text).not.toContain('1234567890');
    }
    cashier.ws.close();
    display.ws.close();
  });
});
