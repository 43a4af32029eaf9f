import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { readConfig } from '../../src/core/config/config';
import { jsonErrorPosition } from '../../src/core/config/json-position';
import { applyProvisioningFile, BPC_KEY, parseProvisioning } from '../../src/core/config/provisioning';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

const GOOD = {
  bpc: { url: 'https://bank.example/payApi', mid: '104320170118888', posNo: '37381542', tellerNo: '001', key: '01AC$@!BGT98aw#C' },
  qr: { validitySec: 300 },
  polling: { firstQueryMs: 1000 },
};

describe('provisioning file', () => {
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
