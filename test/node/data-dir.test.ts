import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

const cleanups: (() => void)[] = [];
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  cleanups.splice(0).forEach((c) => c());
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function start(dataDir: string): Promise<Core> {
  const core = await startCore({ dataDir, version: '0', platform: 'web', cipher: createFileKeyCipher(dataDir), logger: silentLogger });
  cores.push(core);
  return core;
}

describe.skipIf(process.platform === 'win32')('data directory permissions', () => {
  it('the data dir is 0700 and the ledger, its -wal/-shm, secret.key and the training state are 0600', async () => {
    const t = tempDir('modes-');
    cleanups.push(t.cleanup);
    // An installer (or an old version) left the directory world-readable.
    const dataDir = join(t.dir, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const core = await start(dataDir);
    const ok = await core.dispatch('session:signIn', { code: '001', pin: '1111' }, { role: 'cashier' });
    expect(ok.ok).toBe(true);
    expect((await core.dispatch('payment:create', { amountFen: 100 }, { role: 'cashier' })).ok).toBe(true);
    expect(mode(dataDir)).toBe(0o700);
    for (const name of ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm', 'secret.key', 'training-gateway.json']) {
      expect([name, mode(join(dataDir, name))]).toEqual([name, 0o600]);
    }
  });

  it('files left readable by an older version are tightened at start', async () => {
    const t = tempDir('modes-');
    cleanups.push(t.cleanup);
    await (await start(t.dir)).close();
    cores.pop();
    for (const name of ['ledger.sqlite', 'secret.key']) chmodSync(join(t.dir, name), 0o644);
    await start(t.dir);
    for (const name of ['ledger.sqlite', 'secret.key']) expect([name, mode(join(t.dir, name))]).toEqual([name, 0o600]);
  });
});
