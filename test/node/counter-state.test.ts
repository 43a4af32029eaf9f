import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CounterState } from '../../src/core/app/state';
import { SETTING } from '../../src/core/config/config';
import { BPC_KEY } from '../../src/core/config/provisioning';
import { YIMA_SETTING } from '../../src/core/config/yima-config';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { writeSetting } from '../../src/core/ledger/settings';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { SecretStore } from '../../src/core/secrets/store';
import { applySnapshot } from '../../src/core/sync/pusher';
import { YimaSettingsSchema } from '../../src/shared/yima-settings';
import { tempDir } from '../support/temp';

/**
 * The core reads its configuration and mode once and again only after a change (issue 10.7). These
 * prove both halves: many reads cost one parse, and every kind of change is seen at once.
 */
describe('counter state: read once, read again on change', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  function setup(pins: string[] = []): { db: Db; secrets: SecretStore; state: CounterState } {
    const t = tempDir('state-');
    const db = openLedger(join(t.dir, 'ledger.sqlite'));
    cleanups.push(() => {
      db.close();
      t.cleanup();
    });
    const secrets = new SecretStore(db, createFileKeyCipher(t.dir));
    return { db, secrets, state: new CounterState(db, secrets, pins) };
  }
  const merchant = { url: 'https://bank.example/payApi', mid: '104320170118888', posNo: '37381542', tellerNo: '001' };

  it('a thousand questions about the mode and the configuration read the settings once', () => {
    const { state } = setup();
    for (let i = 0; i < 1000; i += 1) {
      expect(state.mode()).toBe('training');
      expect(state.config().shop.name).toBeTypeOf('string');
      expect(state.yima()).toBeNull();
    }
    expect(state.reads).toBe(1);
  });

  it('a settings write, a key, the mode switch and a changed PIN list each show at once', () => {
    const { db, secrets, state } = setup(['001']);
    expect(state.modeReason()).toBe('no merchant configured');
    writeSetting(db, SETTING.merchant, merchant, 1);
    expect(state.modeReason()).toBe('merchant key missing');
    secrets.write(BPC_KEY, '01AC$@!BGT98aw#C');
    expect(state.modeReason()).toContain('has not switched to live');
    writeSetting(db, SETTING.mode, 'live', 2);
    expect(state.modeReason()).toContain('operators 001 still have the published training PINs');
    state.setDefaultPins([]);
    expect(state.mode()).toBe('live');
    secrets.remove(BPC_KEY);
    expect(state.mode()).toBe('training');
    writeSetting(db, SETTING.shop, { name: '一号店' }, 3);
    expect(state.config().shop.name).toBe('一号店');
    writeSetting(
      db,
      YIMA_SETTING,
      YimaSettingsSchema.parse({ url: 'https://yima.example/api', isspid: '1', systemId: '2', storeId: '3', posId: '4', terminalId: 'T1' }),
      4,
    );
    expect(state.yima()?.terminalId).toBe('T1');
    // Six changes, six reads (plus the first): nothing stale, nothing read in between.
    expect(state.reads).toBe(8);
  });

  it("a headquarters snapshot's settings are seen without a reload call", () => {
    const { db, state } = setup();
    expect(state.config().limits.maxAmountFen).not.toBe(12_345);
    applySnapshot(db, { version: 1, shopName: '总部命名', maxAmountFen: 12_345 }, 5);
    expect(state.config().shop.name).toBe('总部命名');
    expect(state.config().limits.maxAmountFen).toBe(12_345);
  });

  it('what was read inside a transaction that rolled back is not kept', () => {
    const { db, state } = setup();
    const before = state.config().shop.name;
    expect(() =>
      db.transaction(() => {
        writeSetting(db, SETTING.shop, { name: '回滚的名字' }, 6);
        expect(state.config().shop.name).toBe('回滚的名字');
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(state.config().shop.name).toBe(before);
  });
});
