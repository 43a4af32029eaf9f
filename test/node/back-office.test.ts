import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/** Who may do what at the counter, through the dispatcher as a window calls it. */
describe('back office rules', () => {
  let core: Core;
  let cleanup: () => void;
  let bank: Server | null = null;
  const supervisor = { code: '800', pin: '8888' };

  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  beforeEach(async () => {
    const t = tempDir('office-');
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
  });
  afterEach(async () => {
    await core.close();
    await new Promise<void>((ok) => (bank === null ? ok() : bank.close(() => ok())));
    bank = null;
    cleanup();
  });

  it('a sale needs a signed-in operator, and records who', async () => {
    await expect(invoke('payment:create', { amountFen: 100 })).rejects.toMatchObject({ code: 'PIN_REQUIRED' });
    await expect(invoke('session:signIn', { code: '001', pin: '0000' })).rejects.toMatchObject({ code: 'PIN_WRONG' });
    const session = await invoke('session:signIn', { code: '001', pin: '1111' });
    expect(session.operator.code).toBe('001');
    expect(session.shift.operator).toBe('001');
    const p = await invoke('payment:create', { amountFen: 100 });
    expect(p.operator).toBe('001');
  });

  it('saving merchant settings and a key never switches to live by itself; the switch needs a supervisor', async () => {
    bank = createServer((_req, res) => res.end(JSON.stringify({ respCode: '25', respMsg: '原交易不存在' })));
    await new Promise<void>((ok) => bank!.listen(0, '127.0.0.1', () => ok()));
    const url = `http://127.0.0.1:${(bank.address() as AddressInfo).port}/payApi`;
    await expect(invoke('settings:setMode', { mode: 'live', approval: supervisor })).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    await invoke('settings:save', {
      section: 'bpc',
      value: { merchant: { url, mid: '104320170118888', posNo: '37381542', tellerNo: '001' }, profile: {}, timeouts: {} },
      approval: supervisor,
    });
    const view = await invoke('settings:setKey', { gateway: 'bpc', key: '01AC$@!BGT98aw#C', approval: supervisor });
    expect(view.bpc.key).toEqual({ hasValue: true, suffix: '#C', cipher: 'file-key' });
    expect(JSON.stringify(view)).not.toContain('01AC$@!BGT98aw#C');
    expect(core.info().mode).toBe('training');
    // "Test connection" talks to the configured bank even before going live.
    const test = await invoke('settings:testConnection', { gateway: 'bpc' });
    expect(test).toMatchObject({ ok: true });
    expect(test.detail).toContain(url);
    expect(test.detail).toContain('25');
    await expect(invoke('settings:setMode', { mode: 'live', approval: { code: '001', pin: '1111' } })).rejects.toMatchObject({ code: 'ROLE_REQUIRED' });
    // Not while any operator still has a published training PIN (a refund approved by 800/8888 on a live counter).
    await expect(invoke('settings:setMode', { mode: 'live', approval: supervisor })).rejects.toMatchObject({
      code: 'DEFAULT_PINS',
      details: { operators: '001,800,900' },
    });
    expect(core.info().mode).toBe('training');
    const manager = { code: '900', pin: '9999' };
    await invoke('operators:save', { code: '001', name: '收银员', role: 'cashier', pin: '246801', approval: supervisor });
    await invoke('operators:save', { code: '800', name: '主管', role: 'supervisor', pin: '813579', approval: manager });
    await expect(invoke('settings:setMode', { mode: 'live', approval: { code: '800', pin: '813579' } })).rejects.toMatchObject({
      code: 'DEFAULT_PINS',
      details: { operators: '900' },
    });
    await invoke('operators:save', { code: '900', name: '店长', role: 'manager', pin: '902468', approval: manager });
    expect((await invoke('settings:setMode', { mode: 'live', approval: { code: '800', pin: '813579' } })).mode).toBe('live');
    expect(core.info().mode).toBe('live');
    // Live: a published training PIN cannot be given back to its operator.
    await expect(
      invoke('operators:save', { code: '800', name: '主管', role: 'supervisor', pin: '8888', approval: { code: '900', pin: '902468' } }),
    ).rejects.toMatchObject({
      code: 'DEFAULT_PINS',
      details: { field: 'pin' },
    });
    // …nor to a new operator under another code: 8888 is as published for 802 as for 800.
    await expect(
      invoke('operators:save', { code: '802', name: '新主管', role: 'supervisor', pin: '8888', approval: { code: '900', pin: '902468' } }),
    ).rejects.toMatchObject({ code: 'DEFAULT_PINS', details: { field: 'pin' } });
    await expect(
      invoke('operators:save', { code: '003', name: '新员工', role: 'cashier', pin: '9999', approval: { code: '900', pin: '902468' } }),
    ).rejects.toMatchObject({ code: 'DEFAULT_PINS', details: { field: 'pin' } });
    expect(core.info().mode).toBe('live');
  }, 120_000);

  it('the switch to live checks every active operator against every published training PIN, not only 001/800/900 under their own', async () => {
    bank = createServer((_req, res) => res.end(JSON.stringify({ respCode: '25', respMsg: '原交易不存在' })));
    await new Promise<void>((ok) => bank!.listen(0, '127.0.0.1', () => ok()));
    const url = `http://127.0.0.1:${(bank.address() as AddressInfo).port}/payApi`;
    const manager = { code: '900', pin: '9999' };
    await invoke('settings:save', {
      section: 'bpc',
      value: { merchant: { url, mid: '104320170118888', posNo: '37381542', tellerNo: '001' }, profile: {}, timeouts: {} },
      approval: supervisor,
    });
    await invoke('settings:setKey', { gateway: 'bpc', key: '01AC$@!BGT98aw#C', approval: supervisor });
    // Training allows a published PIN: a trainee 002 with the supervisor's 8888, and 800 re-set to 001's 1111.
    await invoke('operators:save', { code: '001', name: '收银员', role: 'cashier', pin: '246801', approval: supervisor });
    await invoke('operators:save', { code: '002', name: '学员', role: 'cashier', pin: '8888', approval: supervisor });
    await invoke('operators:save', { code: '800', name: '主管', role: 'supervisor', pin: '1111', approval: manager });
    await invoke('operators:save', { code: '900', name: '店长', role: 'manager', pin: '902468', approval: manager });
    await expect(invoke('settings:setMode', { mode: 'live', approval: { code: '800', pin: '1111' } })).rejects.toMatchObject({
      code: 'DEFAULT_PINS',
      details: { operators: '002,800' },
    });
    expect(core.info().mode).toBe('training');
    await invoke('operators:save', { code: '800', name: '主管', role: 'supervisor', pin: '813579', approval: { code: '900', pin: '902468' } });
    await expect(invoke('settings:setMode', { mode: 'live', approval: { code: '800', pin: '813579' } })).rejects.toMatchObject({
      code: 'DEFAULT_PINS',
      details: { operators: '002' },
    });
    // Deactivated, 002 can no longer sign in or approve: the switch goes through.
    await invoke('operators:save', { code: '002', name: '学员', role: 'cashier', active: false, approval: { code: '800', pin: '813579' } });
    expect((await invoke('settings:setMode', { mode: 'live', approval: { code: '800', pin: '813579' } })).mode).toBe('live');
  }, 120_000);

  it('operators: a cashier cannot approve; a manager is needed to create a supervisor', async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' }); // reading the operator list needs someone signed in
    await expect(
      invoke('operators:save', { code: '002', name: '新员工', role: 'cashier', pin: '2222', approval: { code: '001', pin: '1111' } }),
    ).rejects.toMatchObject({
      code: 'ROLE_REQUIRED',
    });
    await invoke('operators:save', { code: '002', name: '新员工', role: 'cashier', pin: '2222', approval: supervisor });
    await expect(invoke('operators:save', { code: '801', name: '主管二', role: 'supervisor', pin: '8011', approval: supervisor })).rejects.toMatchObject({
      code: 'ROLE_REQUIRED',
    });
    await invoke('operators:save', { code: '801', name: '主管二', role: 'supervisor', pin: '8011', approval: { code: '900', pin: '9999' } });
    const list = await invoke('operators:list', undefined);
    expect(list.map((o: { code: string }) => o.code)).toEqual(expect.arrayContaining(['001', '002', '800', '801', '900']));
    expect(JSON.stringify(list)).not.toMatch(/scrypt|pin/i);
  });

  it('operators: a supervisor cannot demote, re-PIN or deactivate another supervisor or a manager; a manager can', async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' }); // reading the operator list needs someone signed in
    const manager = { code: '900', pin: '9999' };
    await invoke('operators:save', { code: '801', name: '主管二', role: 'supervisor', pin: '8011', approval: manager });
    await invoke('operators:save', { code: '901', name: '店长二', role: 'manager', pin: '9011', approval: manager });
    // Demoting (the new role alone would need only a supervisor), re-PIN and deactivation of higher roles.
    const attempts = [
      { code: '801', name: '主管二', role: 'cashier' },
      { code: '801', name: '主管二', role: 'supervisor', pin: '1234' },
      { code: '801', name: '主管二', role: 'supervisor', active: false },
      { code: '901', name: '店长二', role: 'cashier' },
      { code: '901', name: '店长二', role: 'manager', pin: '1234' },
      { code: '901', name: '店长二', role: 'manager', active: false },
    ];
    for (const change of attempts) {
      await expect(invoke('operators:save', { ...change, approval: supervisor })).rejects.toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    const untouched = (await invoke('operators:list', undefined)).filter((o: { code: string }) => o.code === '801' || o.code === '901');
    expect(untouched.map((o: { role: string; active: boolean }) => [o.role, o.active])).toEqual([
      ['supervisor', true],
      ['manager', true],
    ]);
    await expect(invoke('session:signIn', { code: '801', pin: '8011' })).resolves.toMatchObject({ operator: { code: '801' } });
    // A manager may do each of them.
    await invoke('operators:save', { code: '801', name: '主管二', role: 'supervisor', pin: '1234', approval: manager });
    await invoke('operators:save', { code: '801', name: '主管二', role: 'cashier', approval: manager });
    await invoke('operators:save', { code: '901', name: '店长二', role: 'manager', active: false, approval: manager });
    const after = (await invoke('operators:list', undefined)).filter((o: { code: string }) => o.code === '801' || o.code === '901');
    expect(after.map((o: { role: string; active: boolean }) => [o.role, o.active])).toEqual([
      ['cashier', true],
      ['manager', false],
    ]);
    // Now a cashier: a supervisor may change 801 again.
    await invoke('operators:save', { code: '801', name: '主管二', role: 'cashier', pin: '4321', approval: supervisor });
  }, 120_000);

  it('operators: creating one with active:false creates an inactive operator who cannot sign in', async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' }); // reading the operator list needs someone signed in
    const saved = await invoke('operators:save', { code: '003', name: '未上岗', role: 'cashier', pin: '3333', active: false, approval: supervisor });
    expect(saved.active).toBe(false);
    expect((await invoke('operators:list', undefined)).find((o: { code: string }) => o.code === '003').active).toBe(false);
    await expect(invoke('session:signIn', { code: '003', pin: '3333' })).rejects.toMatchObject({ code: 'PIN_WRONG' });
  });

  it('the default-PIN warning is there from the very first start, until the PIN is changed', async () => {
    // beforeEach started a core on an empty data directory: the first start ever.
    expect((await invoke('session:current', undefined)).defaultPins).toEqual(['001', '800', '900']);
    await invoke('operators:save', { code: '001', name: '收银员', role: 'cashier', pin: '4826', approval: supervisor });
    expect((await invoke('session:current', undefined)).defaultPins).toEqual(['800', '900']);
  });

  it('a counter provisioned with a merchant but the training PINs stays in training and warns about them from the first start', async () => {
    const t = tempDir('office-live-');
    const file = join(t.dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ bpc: { url: 'https://bank.example/payApi', mid: '104320170118888', posNo: '37381542', key: '01AC$@!BGT98aw#C' } }));
    const live = await startCore({
      dataDir: t.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      provisioningFile: file,
      provisioningRequired: true,
    });
    try {
      // Live mode is refused while the published PINs work (issue 8.8); the warning says why.
      expect(live.info().mode).toBe('training');
      const result = await live.dispatch('session:current', undefined, { role: 'cashier' });
      expect(result).toMatchObject({ ok: true, value: { defaultPins: ['001', '800', '900'] } });
    } finally {
      await live.close();
      t.cleanup();
    }
  });

  it("the refund desk finds a sale by the wallet's own transaction number from the bank's answer", async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await invoke('training:script', { script: 'manual' });
    const created = await invoke('payment:create', { amountFen: 1234, payType: 'WEIX' });
    expect((await invoke('training:pay', { id: created.id })).paid).toBe(true);
    const { vi } = await import('vitest');
    await vi.waitFor(async () => expect((await invoke('payment:requery', { id: created.id })).status).toBe('paid'), { timeout: 8000, interval: 200 });
    // The simulated bank answers G for a WeChat sale with oldTradeId = 42000 + 23 digits, as the seed's sample.
    const paid = await invoke('payment:get', { id: created.id });
    expect(paid.walletTradeNo).toMatch(/^42000\d{23}$/);
    const found = await invoke('refund:find', { code: paid.walletTradeNo });
    expect(found.map((p: { id: number }) => p.id)).toEqual([created.id]);
    expect((await invoke('refund:detail', { paymentId: created.id })).payment.walletTradeNo).toBe(paid.walletTradeNo);
  });

  it('past handovers are listed per business day and operator, with their stored reports', async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' });
    const { shift } = await invoke('shift:handover', undefined);
    await invoke('session:signIn', { code: '800', pin: '8888' });
    await invoke('shift:handover', undefined);
    await invoke('session:signIn', { code: '900', pin: '9999' }); // the list is read by someone signed in
    const current = await invoke('day:current', undefined);
    const all = await invoke('shift:list', { day: current.calendarDay });
    expect(all.map((s: { operator: string }) => s.operator)).toEqual(['800', '001']);
    const mine = await invoke('shift:list', { day: current.calendarDay, operator: '001' });
    expect(mine).toEqual([shift]);
    expect(mine[0].report.kind).toBe('shift');
    const { addDays } = await import('../../src/core/reports/time');
    expect(await invoke('shift:list', { day: addDays(current.calendarDay, -1) })).toEqual([]);
  });

  it('the shop name reaches the customer display (app:info), and the default pay type is sent in F', async () => {
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await expect(invoke('settings:save', { section: 'shop', value: { name: 'x'.repeat(41) }, approval: supervisor })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await invoke('settings:save', { section: 'shop', value: { name: '老王便利店' }, approval: supervisor });
    const display = await core.dispatch('app:info', undefined, { role: 'display' });
    expect(display).toMatchObject({ ok: true, value: { shopName: '老王便利店' } });
    const qr = (await invoke('settings:get', undefined)).qr;
    await invoke('settings:save', { section: 'qr', value: { ...qr, defaultPayType: 'ZFBA' }, approval: supervisor });
    await invoke('payment:create', { amountFen: 300 });
    const f = core.trainingGateway
      .requests()
      .filter((r) => r.tranType === 'F')
      .at(-1);
    expect(f?.body?.payType).toBe('ZFBA');
  });
});
