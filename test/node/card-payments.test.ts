import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { hasSocat, startNullModem, type NullModem } from '../../src/core/devices/virtual-port';
import { startTerminalSimulator, type TerminalSimulator } from '../../src/core/devices/simulator';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import type { PaymentView } from '../../src/shared/domain';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/**
 * The card tender through the whole core: checkout → intent → journal "sent" → MIS sale frame over a
 * real pty pair → the terminal simulator on the other end. Never a second sale frame for one sale.
 */
describe.skipIf(!hasSocat())('card sales over the terminal link', () => {
  let core: Core;
  let modem: NullModem;
  let terminal: TerminalSimulator;
  let data: { dir: string; cleanup: () => void };
  let ptyDir: string;
  const cashier = { role: 'cashier' as const };
  /** Through the dispatcher, as a window would call (input parsed with the contract's schema). */
  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, cashier)), cashier);
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  beforeEach(async () => {
    data = tempDir('card-');
    ptyDir = mkdtempSync(join(tmpdir(), 'card-pty-'));
    modem = await startNullModem(join(ptyDir, 'pos'), join(ptyDir, 'terminal'));
    terminal = await startTerminalSimulator({ path: modem.b });
    core = await startCore({ dataDir: data.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: { path: modem.a, ackTimeoutMs: 500, answerTimeoutMs: 1500, queryTimeoutMs: 1500 } },
      approval: { code: '800', pin: '8888' },
    });
    await vi.waitFor(
      async () => expect(await invoke('devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'card-terminal', state: 'connected' })),
      {
        timeout: 5000,
      },
    );
  });

  afterEach(async () => {
    await core.close();
    await terminal.close();
    await modem.stop();
    rmSync(ptyDir, { recursive: true, force: true });
    data.cleanup();
  });

  async function settled(id: number, until: (p: PaymentView) => boolean): Promise<PaymentView> {
    let last: PaymentView | undefined;
    await vi.waitFor(
      async () => {
        const current = (await invoke('payment:get', { id })) as PaymentView;
        last = current;
        expect(until(current)).toBe(true);
      },
      { timeout: 8000 },
    );
    return last!;
  }

  it('approved: created at once, then paid with the terminal reference; "sent" journaled before the frame', async () => {
    const created = await invoke('payment:create', { amountFen: 2580, tender: 'card' });
    expect(created).toMatchObject({ status: 'created', tender: 'card', amountFen: 2580 });
    const paid = await settled(created.id, (p) => p.status === 'paid');
    expect(paid.sysTrace).toMatch(/-/);
    // Ledger migration 6: the terminal reference in gateway_ref (sysTrace its alias), the answer's
    // parts in the masked gateway detail — never the full card number.
    expect(paid).toMatchObject({ gateway: 'terminal', gatewayRef: paid.sysTrace });
    expect(paid.gatewayDetail).toMatchObject({ referenceNo: expect.any(String), voucherNo: expect.any(String), batchNo: expect.any(String) });
    expect(String(paid.gatewayDetail?.cardNo)).toMatch(/^(\d{0,6}\*+\d{0,4})?$/);
    expect(paid.sysTrace).toBe(
      [paid.gatewayDetail?.terminalNo, paid.gatewayDetail?.batchNo, paid.gatewayDetail?.voucherNo, paid.gatewayDetail?.referenceNo].join('-'),
    );
    expect(terminal.saleFrameCount()).toBe(1);
    const types = (core.db.prepare("SELECT type FROM events WHERE entity = 'payment' AND entity_id = ? ORDER BY id").all(created.id) as { type: string }[]).map(
      (r) => r.type,
    );
    expect(types.indexOf('intent')).toBeLessThan(types.indexOf('card.sent'));
    expect(types.indexOf('card.sent')).toBeLessThan(types.indexOf('card.sale'));
  });

  it("declined: failed with the terminal's code and message", async () => {
    terminal.script({ result: 'decline', code: '51', message: '余额不足' });
    const created = await invoke('payment:create', { amountFen: 990, tender: 'card' });
    const failed = await settled(created.id, (p) => p.status === 'failed');
    expect(failed).toMatchObject({ respCode: '51', respMsg: '余额不足' });
  });

  it('no answer: 状态未明, the last-transaction query settles it paid, and exactly one sale frame was sent', async () => {
    terminal.script({ result: 'silent' });
    const created = await invoke('payment:create', { amountFen: 4321, tender: 'card' });
    const paid = await settled(created.id, (p) => p.status === 'paid');
    expect(paid.respMsg).toContain('last transaction');
    expect(terminal.saleFrameCount()).toBe(1);
  });

  it('no answer and the terminal did not complete it: stays 状态未明 (never guessed failed), no second sale frame', async () => {
    terminal.script({ result: 'silent', completes: false });
    const created = await invoke('payment:create', { amountFen: 777, tender: 'card' });
    // The terminal has no transaction to report: the query settles nothing, the sale stays 状态未明.
    const unknown = await settled(created.id, (p) => p.status === 'unknown' && !(p.respMsg ?? '').includes('asking'));
    expect(unknown.respMsg).toMatch(/last-transaction query|not this sale/);
    await expect(invoke('payment:requery', { id: created.id })).resolves.toMatchObject({ status: 'unknown' });
    expect(terminal.saleFrameCount()).toBe(1);
    await expect(invoke('payment:cancel', { id: created.id })).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it("the terminal's last transaction is the previous sale of the same amount: not taken for this one, which stays 状态未明", async () => {
    const first = await invoke('payment:create', { amountFen: 1500, tender: 'card' });
    const paid = await settled(first.id, (p) => p.status === 'paid');
    // The next sale of the same price never reaches the terminal; its last transaction is still the first.
    terminal.script({ result: 'silent', completes: false });
    const second = await invoke('payment:create', { amountFen: 1500, tender: 'card' });
    const unknown = await settled(second.id, (p) => p.status === 'unknown' && (p.respMsg ?? '').includes(first.tradeNo));
    expect(unknown.sysTrace).toBeNull();
    // A supervisor's re-query gets the same answer: a clear 状态未明, not an internal error.
    await expect(invoke('payment:requery', { id: second.id })).resolves.toMatchObject({ status: 'unknown', sysTrace: null });
    expect((await invoke('payment:get', { id: first.id })).sysTrace).toBe(paid.sysTrace);
    expect(terminal.saleFrameCount()).toBe(2);
  });

  it('refused before anything is written when the configured terminal is not connected', async () => {
    await invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: { path: join(ptyDir, 'unplugged') } },
      approval: { code: '800', pin: '8888' },
    });
    await expect(invoke('payment:create', { amountFen: 100, tender: 'card' })).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    expect(core.db.prepare('SELECT count(*) AS n FROM payments').get()).toEqual({ n: 0 });
  });
});

describe('card sales in training mode (built-in simulated terminal, no hardware)', () => {
  it('works out of the box and follows the trainer: approve, then decline', async () => {
    const data = tempDir('card-training-');
    const core = await startCore({ dataDir: data.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
    const invoke = async (channel: string, input: unknown): Promise<any> => {
      const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
      if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
      return result.value;
    };
    const final = async (id: number): Promise<PaymentView> => {
      let p: PaymentView | undefined;
      await vi.waitFor(
        async () => {
          p = (await invoke('payment:get', { id })) as PaymentView;
          expect(['paid', 'failed']).toContain(p.status);
        },
        { timeout: 10_000 },
      );
      return p!;
    };
    try {
      await invoke('session:signIn', { code: '001', pin: '1111' });
      await vi.waitFor(async () =>
        expect(await invoke('devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'card-terminal', state: 'connected' })),
      );
      const ports = await invoke('devices:listPorts', undefined);
      expect(ports.ports.map((p: { path: string }) => p.path)).toContain('training://card-terminal');
      const a = await invoke('payment:create', { amountFen: 1200, tender: 'card' });
      expect((await final(a.id)).status).toBe('paid');
      await invoke('training:script', { script: 'fail' });
      const b = await invoke('payment:create', { amountFen: 1300, tender: 'card' });
      expect(await final(b.id)).toMatchObject({ status: 'failed', respCode: '51' });
    } finally {
      await core.close();
      data.cleanup();
    }
  });
});
