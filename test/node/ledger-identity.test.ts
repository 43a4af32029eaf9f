import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { backupLedger, listBackups, pruneBackups, scheduleBackups } from '../../src/core/ledger/backup';
import { openLedger } from '../../src/core/ledger/db';
import { IDENTITY_FILE } from '../../src/core/ledger/identity';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

const cleanups: (() => void)[] = [];
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  cleanups.splice(0).forEach((c) => c());
});

function dataDir(): string {
  const t = tempDir('identity-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function start(dir: string): Promise<Core> {
  const core = await startCore({
    dataDir: dir,
    version: '0',
    platform: 'web',
    cipher: createFileKeyCipher(dir),
    logger: silentLogger,
    schedule: { firstQueryMs: 50, fastIntervalMs: 500 },
  });
  cores.push(core);
  return core;
}

async function stop(core: Core): Promise<void> {
  await core.close();
  cores.splice(cores.indexOf(core), 1);
}

async function refused(dir: string): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const error = await start(dir).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; details: Record<string, unknown> },
  );
  if (error === undefined) throw new Error('the core started');
  return error;
}

const LEDGER_FILES = ['ledger.sqlite', 'ledger.sqlite-wal', 'ledger.sqlite-shm'];
function removeLedger(dir: string): void {
  for (const name of LEDGER_FILES) rmSync(join(dir, name), { force: true });
}

async function call(core: Core, channel: string, input: unknown): Promise<any> {
  const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
  if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
  return result.value;
}

/** A training sale of `amountFen` that the simulated customer pays; resolves once the ledger says paid. */
async function paidSale(core: Core, amountFen: number): Promise<number> {
  await call(core, 'training:script', { script: 'manual' });
  const p = await call(core, 'payment:create', { amountFen });
  await call(core, 'training:pay', { id: p.id });
  for (let i = 0; i < 200; i += 1) {
    if ((await call(core, 'payment:get', { id: p.id })).status === 'paid') return p.id as number;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the sale was never recorded paid');
}

describe('ledger identity: a used data directory never starts over on an empty ledger', { timeout: 120_000 }, () => {
  it('a new data directory gets an identity in the ledger and a marker beside it; restarts are fine', async () => {
    const dir = dataDir();
    const core = await start(dir);
    const marker = JSON.parse(readFileSync(join(dir, IDENTITY_FILE), 'utf8')) as { id: string };
    expect(marker.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(statSync(join(dir, IDENTITY_FILE)).mode & 0o777).toBe(0o600);
    await stop(core);
    await stop(await start(dir));
  });

  it('a missing ledger is refused with LEDGER_MISSING naming the file and the backups, and no new ledger is made', async () => {
    const dir = dataDir();
    await stop(await start(dir));
    removeLedger(dir);
    const error = await refused(dir);
    expect(error.code).toBe('LEDGER_MISSING');
    expect(error.message).toContain(join(dir, 'ledger.sqlite'));
    expect(error.message).toContain(join(dir, 'backups'));
    expect(error.details).toMatchObject({ reason: 'missing' });
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(false);
  });

  it('a 0-byte ledger is refused with LEDGER_MISSING', async () => {
    const dir = dataDir();
    await stop(await start(dir));
    removeLedger(dir);
    writeFileSync(join(dir, 'ledger.sqlite'), '');
    const error = await refused(dir);
    expect(error).toMatchObject({ code: 'LEDGER_MISSING', details: { reason: 'empty' } });
    expect(statSync(join(dir, 'ledger.sqlite')).size).toBe(0);
  });

  it("an emptied ledger (a fresh schema, no identity) or another counter's ledger is refused with LEDGER_MISMATCH", async () => {
    const dir = dataDir();
    await stop(await start(dir));
    removeLedger(dir);
    openLedger(join(dir, 'ledger.sqlite')).close();
    expect(await refused(dir)).toMatchObject({ code: 'LEDGER_MISMATCH', details: { found: null } });

    const other = dataDir();
    await stop(await start(other));
    removeLedger(dir);
    copyFileSync(join(other, 'ledger.sqlite'), join(dir, 'ledger.sqlite'));
    const error = await refused(dir);
    expect(error.code).toBe('LEDGER_MISMATCH');
    expect(error.message).toContain('backup');
  });

  it('a lost marker is written again from the ledger; a ledger from before identities is adopted', async () => {
    const dir = dataDir();
    await stop(await start(dir));
    const id = (JSON.parse(readFileSync(join(dir, IDENTITY_FILE), 'utf8')) as { id: string }).id;
    rmSync(join(dir, IDENTITY_FILE));
    await stop(await start(dir));
    expect((JSON.parse(readFileSync(join(dir, IDENTITY_FILE), 'utf8')) as { id: string }).id).toBe(id);

    // An older version's data directory: a ledger with history but no identity, no marker.
    const legacy = dataDir();
    openLedger(join(legacy, 'ledger.sqlite')).close();
    await stop(await start(legacy));
    expect(existsSync(join(legacy, IDENTITY_FILE))).toBe(true);
  });
});

describe('a lost marker where backups remain: the backups say which ledger belongs here', { timeout: 120_000 }, () => {
  async function usedWithBackup(): Promise<string> {
    const dir = dataDir();
    const core = await start(dir);
    await backupLedger(core.db, dir, 'manual', Date.now());
    await stop(core);
    rmSync(join(dir, IDENTITY_FILE));
    return dir;
  }

  it('an emptied ledger (fresh schema, no identity) is refused, not given a new identity', async () => {
    const dir = await usedWithBackup();
    removeLedger(dir);
    openLedger(join(dir, 'ledger.sqlite')).close();
    expect(await refused(dir)).toMatchObject({ code: 'LEDGER_MISMATCH', details: { found: null } });
    expect(existsSync(join(dir, IDENTITY_FILE))).toBe(false);
  });

  it("another counter's ledger is refused, not adopted", async () => {
    const dir = await usedWithBackup();
    const other = dataDir();
    await stop(await start(other));
    removeLedger(dir);
    copyFileSync(join(other, 'ledger.sqlite'), join(dir, 'ledger.sqlite'));
    const error = await refused(dir);
    expect(error.code).toBe('LEDGER_MISMATCH');
    expect(error.message).toContain('backup');
    expect(existsSync(join(dir, IDENTITY_FILE))).toBe(false);
  });

  it('its own ledger gets its marker back; a truncated backup is no witness', async () => {
    const dir = await usedWithBackup();
    const [good] = listBackups(dir);
    // A newer backup cut short (a copy interrupted by hand) must not decide anything.
    const cut = join(dir, 'backups', 'ledger-29990101-000000-manual.sqlite');
    writeFileSync(cut, readFileSync(good!.file).subarray(0, 1000));
    await stop(await start(dir));
    expect(existsSync(join(dir, IDENTITY_FILE))).toBe(true);
    // Reading the witness leaves nothing beside the copies (no -wal / -shm).
    expect(readdirSync(join(dir, 'backups')).filter((n) => !n.endsWith('.sqlite'))).toEqual([]);
  });
});

describe('automatic backups and the documented restore', { timeout: 180_000 }, () => {
  it('day close makes a 0600 backup; after the ledger is lost, restoring it as README says brings the paid history back', async () => {
    const dir = dataDir();
    const core = await start(dir);
    await call(core, 'session:signIn', { code: '001', pin: '1111' });
    const paidId = await paidSale(core, 1234);
    const day = (await call(core, 'payment:get', { id: paidId })).businessDay as string;
    await call(core, 'day:close', { day, manager: { code: '900', pin: '9999' } });
    const [backup, ...more] = listBackups(dir);
    expect(more).toEqual([]);
    expect(backup).toMatchObject({ reason: 'day-close' });
    expect(statSync(backup!.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'backups')).mode & 0o777).toBe(0o700);
    expect(core.db.prepare("SELECT COUNT(*) AS n FROM events WHERE entity = 'app' AND type = 'backup'").get()).toEqual({ n: 1 });
    await stop(core);

    // The disk loses the ledger: the app refuses to start rather than begin again on an empty one.
    removeLedger(dir);
    expect((await refused(dir)).code).toBe('LEDGER_MISSING');

    // README "Restoring a backup": with the app stopped, move any leftover ledger.sqlite* aside, copy
    // the newest backups/ledger-….sqlite to ledger.sqlite, start the app.
    const newest = readdirSync(join(dir, 'backups'))
      .filter((n) => n.endsWith('.sqlite'))
      .sort()
      .at(-1)!;
    copyFileSync(join(dir, 'backups', newest), join(dir, 'ledger.sqlite'));
    const restored = await start(dir);
    await call(restored, 'session:signIn', { code: '001', pin: '1111' }); // reports are read signed in
    const payment = await call(restored, 'payment:get', { id: paidId });
    expect(payment).toMatchObject({ status: 'paid', amountFen: 1234 });
    expect((await call(restored, 'day:report', { day })).closed).toMatchObject({ closedBy: '900' });
  });

  it('the daily schedule makes a backup, keeps keepDays, and re-arms even when a copy fails', async () => {
    const dir = dataDir();
    const db = openLedger(join(dir, 'ledger.sqlite'));
    try {
      const DAY = 86_400_000;
      let clock = Date.UTC(2026, 4, 1, 3, 0, 0);
      // Old copies: 40 and 10 days ago.
      await backupLedger(db, dir, 'daily', clock - 40 * DAY, 365);
      await backupLedger(db, dir, 'daily', clock - 10 * DAY, 365);
      const armed: { fn: () => void; ms: number }[] = [];
      const timers = { setTimeout: (fn: () => void, ms: number) => armed.push({ fn, ms }), clearTimeout: () => undefined };
      const schedule = scheduleBackups({ db, dataDir: dir, now: () => clock, timers, logger: silentLogger });
      // The newest copy is 10 days old: due now (at least a minute after start).
      expect(armed.at(-1)?.ms).toBe(60_000);
      armed.at(-1)!.fn();
      await schedule.run('manual');
      const names = listBackups(dir).map((b) => b.name);
      // 30 days kept by default: the 40-day-old one is gone.
      expect(names).toHaveLength(3);
      expect(names.some((n) => n.startsWith('ledger-20260321'))).toBe(false);
      expect(armed).toHaveLength(2);
      expect(armed[1]!.ms).toBe(DAY);

      // A copy that cannot be written (backups/ replaced by a file): recorded, and the next one is armed.
      rmSync(join(dir, 'backups'), { recursive: true });
      writeFileSync(join(dir, 'backups'), 'not a directory');
      clock += DAY;
      armed[1]!.fn();
      await schedule.run('manual');
      expect(armed).toHaveLength(3);
      expect(db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'backup_failed'").get()).toEqual({ n: 2 });
      await schedule.stop();
      rmSync(join(dir, 'backups'));
      expect(pruneBackups(dir, 1, clock)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
