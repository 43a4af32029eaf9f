import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { createRotatingLog } from '../../src/core/util/log-file';
import { createLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/** Issue 15.2: the diagnostics zip is useful and carries no secret. */
const KEY = 'Zq7$Lm2!Kp9#Wx4@Rt6%';
const PIN = '97531864';

describe('diagnostics export', () => {
  let core: Core;
  let cleanup: () => void;
  let dir: string;
  const supervisor = { code: '800', pin: '8888' };

  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  beforeEach(async () => {
    const t = tempDir('diag-');
    cleanup = t.cleanup;
    dir = t.dir;
    const logger = createLogger('test', [createRotatingLog(dir)]);
    core = await startCore({ dataDir: dir, version: '7.7.7', platform: 'web', cipher: createFileKeyCipher(dir), logger });
  });
  afterEach(async () => {
    await core.close();
    cleanup();
  });

  it('needs a supervisor, and holds logs, health, versions, settings, the integrity check — no key, PIN, hash or ledger', async () => {
    await invoke('settings:save', {
      section: 'bpc',
      value: { merchant: { url: 'http://127.0.0.1:9/payApi', mid: '104320170118888', posNo: '37381542', tellerNo: '001' }, profile: {}, timeouts: {} },
      approval: supervisor,
    });
    await invoke('settings:setKey', { gateway: 'bpc', key: KEY, approval: supervisor });
    await invoke('operators:save', { code: '802', name: '主管三', role: 'supervisor', pin: PIN, approval: { code: '900', pin: '9999' } });
    await expect(invoke('session:signIn', { code: '802', pin: '12345678' })).rejects.toMatchObject({ code: 'PIN_WRONG' });
    // A careless log line quoting the key and a PIN: the export must still not carry them.
    core.logger.error(`gateway said something about ${KEY}`, { pin: PIN, body: `key=${KEY}` });

    await expect(invoke('app:diagnostics', { approval: { code: '001', pin: '1111' } })).rejects.toMatchObject({ code: 'ROLE_REQUIRED' });
    const out = await invoke('app:diagnostics', { approval: { code: '802', pin: PIN } });
    expect(out).toMatchObject({ mime: 'application/zip', fileName: expect.stringMatching(/^diagnostics-.*\.zip$/) });
    const bytes = Buffer.from(out.base64, 'base64');
    const zip = await JSZip.loadAsync(bytes);
    const names = Object.keys(zip.files).sort();
    expect(names).toEqual(expect.arrayContaining(['README.txt', 'health.json', 'ledger.json', 'logs/cashier.log', 'settings.json', 'versions.json']));
    const texts = await Promise.all(names.filter((n) => !zip.files[n]!.dir).map(async (n) => [n, await zip.file(n)!.async('string')] as const));
    const all = texts.map(([, t]) => t).join('\n');

    expect(JSON.parse(texts.find(([n]) => n === 'versions.json')![1])).toMatchObject({ app: '7.7.7', platform: 'web' });
    const ledger = JSON.parse(texts.find(([n]) => n === 'ledger.json')![1]);
    expect(ledger.integrityCheck).toEqual(['ok']);
    expect(ledger.counts.operators).toBeGreaterThanOrEqual(4);
    const settings = JSON.parse(texts.find(([n]) => n === 'settings.json')![1]);
    expect(settings.keysSet).toEqual({ bpc: true, cipher: 'file-key' });
    expect(settings.settings.bpc.merchant.mid).toBe('104320170118888');
    expect(texts.find(([n]) => n === 'logs/cashier.log')![1]).toContain('gateway said something about ***');

    // No secret: the key, any 8-character window of it, the PIN, a PIN hash, the file key, the ledger.
    for (let i = 0; i + 8 <= KEY.length; i++) expect(all).not.toContain(KEY.slice(i, i + 8));
    expect(all).not.toContain(PIN);
    const hashes = core.db.prepare('SELECT pin_hash AS h FROM operators').all() as { h: string }[];
    for (const { h } of hashes) expect(all).not.toContain(h.slice(-16));
    expect(bytes.includes(Buffer.from('SQLite format 3'))).toBe(false);
    expect(names.some((n) => /\.sqlite|secret\.key/.test(n))).toBe(false);
  }, 60_000);
});
