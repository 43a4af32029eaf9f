import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { readConfig } from '../../src/core/config/config';
import { jsonErrorPosition } from '../../src/core/config/json-position';
import { openLedger } from '../../src/core/ledger/db';
import { verifyPin } from '../../src/core/operators/operators';
import { hashPin } from '../../src/core/operators/pin';
import { applyProvisioningFile, BPC_KEY, parseProvisioning } from '../../src/core/config/provisioning';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

/** New PINs for the three default operators: live mode is refused while any keeps its training PIN. */
const PINS = [
  { code: '001', pin: '246801' },
  { code: '800', pin: '813579' },
  { code: '900', pin: '902468' },
];
const GOOD = {
  bpc: { url: 'https://bank.example/payApi', mid: '104320170118888', posNo: '37381542', tellerNo: '001', key: '01AC$@!BGT98aw#C' },
  qr: { validitySec: 300 },
  polling: { firstQueryMs: 1000 },
  operators: PINS,
};

// Each start hashes PINs (scrypt) and checks the training ones: slow on a loaded machine.
describe('provisioning file', { timeout: 120_000 }, () => {
  let dir: string;
  let cleanup: () => void;
  const cores: Core[] = [];

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('prov-'));
  });
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close();
    cleanup();
  });

  async function core(file?: string): Promise<Core> {
    const c = await startCore({
      dataDir: dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(dir),
      logger: silentLogger,
      ...(file === undefined ? {} : { provisioningFile: file, provisioningRequired: true }),
    });
    cores.push(c);
    return c;
  }

  it('configures live mode, moves the key into encrypted storage and removes it from the file', async () => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(GOOD));
    const c = await core(file);
    expect(c.info()).toMatchObject({ mode: 'live', configError: null });
    expect(c.secrets.read(BPC_KEY)).toBe(GOOD.bpc.key);
    const rewritten = readFileSync(file, 'utf8');
    expect(rewritten).not.toContain(GOOD.bpc.key);
    expect(JSON.parse(rewritten).bpc.mid).toBe(GOOD.bpc.mid);
    const config = readConfig(c.db);
    expect(config.merchant).toMatchObject({ url: GOOD.bpc.url, mid: GOOD.bpc.mid, posNo: GOOD.bpc.posNo });
    expect(config.qr.validitySec).toBe(300);
    expect(config.polling.firstQueryMs).toBe(1000);
    expect(config.polling.fastIntervalMs).toBe(2000);
    // Neither the ledger nor its WAL holds the key in plain text.
    await c.close();
    cores.pop();
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(dir, name)).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes).not.toContain(GOOD.bpc.key);
    }
  });

  it.skipIf(process.platform === 'win32')('a symlinked file: the key leaves the real file, the link stays a link', async () => {
    const targetDir = join(dir, 'etc');
    mkdirSync(targetDir);
    const target = join(targetDir, 'counter.json');
    writeFileSync(target, JSON.stringify(GOOD), { mode: 0o644 });
    const link = join(dir, 'provisioning.json');
    symlinkSync(target, link);
    const c = await core(link);
    expect(c.info()).toMatchObject({ mode: 'live', configError: null });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const rewritten = readFileSync(target, 'utf8');
    expect(rewritten).not.toContain(GOOD.bpc.key);
    expect(JSON.parse(rewritten).bpc.mid).toBe(GOOD.bpc.mid);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it.each([
    [{ ...GOOD, bpc: { ...GOOD.bpc, mid: 'not a mid!' } }, 'bpc.mid'],
    [{ ...GOOD, bpc: { ...GOOD.bpc, url: 'ftp://x' } }, 'bpc.url'],
    [{ ...GOOD, bpc: { ...GOOD.bpc, key: 'short' } }, 'bpc.key'],
    [{ ...GOOD, polling: { fastIntervalMs: 5 } }, 'polling.fastIntervalMs'],
    [{ ...GOOD, surprise: 1 }, 'surprise'],
    [{ ...GOOD, bpc: { ...GOOD.bpc, key: undefined } }, 'bpc.key'],
  ])('a bad file names the field (%#) and changes nothing', async (content, field) => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(content));
    const c = await core(file);
    expect(c.info().mode).toBe('training');
    expect(c.info().configError).toContain(field);
    expect(readConfig(c.db).merchant).toBeNull();
    expect(c.secrets.summary(BPC_KEY).hasValue).toBe(false);
  });

  it('a broken file after a good one keeps live mode with the old settings', async () => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(GOOD));
    await (await core(file)).close();
    cores.pop();
    writeFileSync(file, '{ "bpc": { "url": ');
    const c = await core(file);
    expect(c.info()).toMatchObject({ mode: 'live' });
    expect(c.info().configError).toMatch(/not valid JSON/);
    expect(readConfig(c.db).merchant?.mid).toBe(GOOD.bpc.mid);
  });

  it('a malformed key-bearing file is reported by line and column only, never quoting the key (issue 8.11)', async () => {
    const key = 'Zq7#Kx9!Lm2$Wp4@Rt6%';
    const head = `{\n  "bpc": {\n    "url": "https://bank.example/payApi",\n    "mid": "104320170118888",\n    "posNo": "37381542",\n    "tellerNo": "001",\n`;
    const broken = [
      `${head}    "key": "${key}"\n    "oops": 1\n  }\n}\n`, // missing comma right after the key
      `${head}    "key": "${key}\n  }\n}\n`, // unterminated string holding the key
      `${head}    "key": ${key}\n  }\n}\n`, // key not quoted
      `${head}    "key": "${key.slice(0, 10)}\u0001${key.slice(10)}"\n  }\n}\n`, // control character inside the key
      `${head}    "key": "${key}",\n  }\n}\n`, // trailing comma
      `${head}    "key": "${key}"`, // cut short
    ];
    const leaks = (text: string): string[] => {
      const found: string[] = [];
      for (let i = 0; i + 4 <= key.length; i += 1) if (text.includes(key.slice(i, i + 4))) found.push(key.slice(i, i + 4));
      return found;
    };
    for (const text of broken) {
      // Our own scan agrees with V8 wherever V8 names a line and column.
      let v8 = '';
      try {
        JSON.parse(text);
      } catch (e) {
        v8 = (e as Error).message;
      }
      const lc = /line (\d+) column (\d+)/.exec(v8);
      if (lc !== null) expect(jsonErrorPosition(text)).toEqual({ line: Number(lc[1]), column: Number(lc[2]) });
      let error: unknown = null;
      try {
        parseProvisioning(text);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      const message = (error as Error).message;
      expect(message).toMatch(/line \d+, column \d+/);
      expect(leaks(message)).toEqual([]);
      expect(leaks(JSON.stringify(error))).toEqual([]);
    }
    // Through the app: the config error shown and the append-only event log carry no piece of the key.
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, broken[0] ?? '');
    const c = await core(file);
    expect(c.info().configError).toMatch(/line 8, column 5/);
    expect(leaks(c.info().configError ?? '')).toEqual([]);
    const events = c.db.prepare('SELECT data FROM events').all() as { data: string }[];
    expect(events.length).toBeGreaterThan(0);
    expect(leaks(events.map((e) => e.data).join('\n'))).toEqual([]);
  });

  it('live mode is refused while an operator keeps a published training PIN; nothing is applied and the key stays put', async () => {
    const file = join(dir, 'provisioning.json');
    const { operators: _all, ...withoutPins } = GOOD;
    writeFileSync(file, JSON.stringify({ ...withoutPins, operators: PINS.slice(0, 2) }));
    const c = await core(file);
    expect(c.info().mode).toBe('training');
    expect(c.info().configError).toContain('900');
    expect(readConfig(c.db).merchant).toBeNull();
    expect(c.secrets.summary(BPC_KEY).hasValue).toBe(false);
    // The refused file's PINs were not applied either: the training PINs still work, the new ones not.
    await expect(verifyPin(c.db, '001', '1111', Date.now())).resolves.toMatchObject({ code: '001' });
    await expect(verifyPin(c.db, '001', '246801', Date.now())).rejects.toMatchObject({ code: 'PIN_WRONG' });
    expect(c.db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'provisioning_refused'").get()).toEqual({ n: 1 });
  });

  it('live mode is refused while any other active operator has a published training PIN (a trainee 002 with 8888)', async () => {
    await (await core()).close();
    cores.pop();
    const db = openLedger(join(dir, 'ledger.sqlite'));
    db.prepare("INSERT INTO operators (code, name, role, pin_hash, created_at, updated_at) VALUES ('002', '学员', 'cashier', ?, 0, 0)").run(
      await hashPin('8888'),
    );
    db.close();
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(GOOD));
    const c = await core(file);
    expect(c.info().mode).toBe('training');
    expect(c.info().configError).toContain('002');
    expect(c.secrets.summary(BPC_KEY).hasValue).toBe(false);
  });

  it("the file sets operators' PINs: hashed into the ledger, removed from the file, and a new operator is created", async () => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ ...GOOD, operators: [...PINS, { code: '002', name: '新收银员', role: 'cashier', pin: '135792' }] }));
    const c = await core(file);
    expect(c.info()).toMatchObject({ mode: 'live', configError: null });
    const rewritten = readFileSync(file, 'utf8');
    for (const { pin } of [...PINS, { pin: '135792' }]) expect(rewritten).not.toContain(pin);
    expect(JSON.parse(rewritten).operators).toEqual([{ code: '001' }, { code: '800' }, { code: '900' }, { code: '002', name: '新收银员', role: 'cashier' }]);
    await expect(verifyPin(c.db, '800', '8888', Date.now())).rejects.toMatchObject({ code: 'PIN_WRONG' });
    await expect(verifyPin(c.db, '800', '813579', Date.now())).resolves.toMatchObject({ role: 'supervisor' });
    await expect(verifyPin(c.db, '002', '135792', Date.now())).resolves.toMatchObject({ role: 'cashier', name: '新收银员' });
    // No PIN in the ledger or its WAL, in the clear.
    await c.close();
    cores.pop();
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal']) {
      let bytes = '';
      try {
        bytes = readFileSync(join(dir, name)).toString('latin1');
      } catch {
        continue;
      }
      for (const { pin } of PINS) expect(bytes).not.toContain(`"${pin}"`);
    }
    // Started again with the rewritten file (no PINs left in it): still live.
    const again = await core(file);
    expect(again.info()).toMatchObject({ mode: 'live', configError: null });
  }, 60_000);

  it('a ledger switched live before the rule, with training PINs, starts in training and says why', async () => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(GOOD));
    await (await core(file)).close();
    cores.pop();
    // Someone puts the published PIN back directly in the ledger (or an old version went live with it).
    const db = openLedger(join(dir, 'ledger.sqlite'));
    db.prepare("UPDATE operators SET pin_hash = ? WHERE code = '800'").run(await hashPin('8888'));
    db.close();
    const c = await core();
    expect(c.info().mode).toBe('training');
    expect(c.info().modeReason).toContain('800');
  }, 60_000);

  it('parseProvisioning reports CONFIG_INVALID with details.field', () => {
    expect(() => parseProvisioning('{"bpc":{"url":"https://x","mid":"1","posNo":"2","tellerNo":"3","key":"12345678","extra":1}}')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'bpc.extra' } }),
    );
  });

  it('a settings-only file tunes the counter and stays in training', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ polling: { unknownAfterMs: 1000 } }));
    const c = await core(file);
    expect(c.info().mode).toBe('training');
    expect(readConfig(c.db).polling.unknownAfterMs).toBe(1000);
  });

  it('a missing --config file is an error, the well-known path is not', () => {
    const t = tempDir();
    const db = undefined as never;
    expect(() => applyProvisioningFile(join(t.dir, 'nope.json'), db, undefined as never, 0, true)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(applyProvisioningFile(join(t.dir, 'nope.json'), db, undefined as never, 0, false)).toEqual({ applied: false, changed: [], keyMoved: false });
    t.cleanup();
  });
});
