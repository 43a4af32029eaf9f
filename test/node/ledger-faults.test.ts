import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCore } from '../../src/core/app/core';
import { createDispatcher } from '../../src/core/ipc/dispatcher';
import { LEDGER_BUSY_TIMEOUT_MS, openLedger } from '../../src/core/ledger/db';
import { ledgerErrorOf } from '../../src/core/ledger/errors';
import { getPayment } from '../../src/core/ledger/payments';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger, type Logger } from '../../src/core/util/logger';
import type { PaymentStatus } from '../../src/shared/domain';
import { startEngineHarness, type EngineHarness, type HarnessOptions } from '../support/engine-harness';
import { tempDir } from '../support/temp';

/**
 * The ledger under faults another program or the disk causes: a second real SQLite connection holding
 * the write lock (a backup tool, antivirus), a real full tmpfs, a damaged file.
 */
const harnesses: EngineHarness[] = [];
const locks: Database.Database[] = [];
afterEach(async () => {
  for (const l of locks.splice(0)) {
    if (l.inTransaction) l.exec('ROLLBACK');
    l.close();
  }
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** A schedule whose backoff is visible: 100 → 200 → 400 → 800 ms. */
const VISIBLE_BACKOFF: HarnessOptions['schedule'] = { backoffStartMs: 100, backoffFactor: 2, backoffMaxMs: 800, fastIntervalMs: 50, slowIntervalMs: 50 };

interface Logged {
  at: number;
  message: string;
}

async function lockedHarness(options: HarnessOptions): Promise<{ h: EngineHarness; logged: Logged[]; lock: () => void; release: () => number }> {
  const h = await startEngineHarness(options);
  harnesses.push(h);
  // The same short wait on both sides of the fix, so a failure shows as a failure and not as a freeze.
  h.db.pragma('busy_timeout = 100');
  const logged: Logged[] = [];
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: (message) => logged.push({ at: Date.now(), message }) };
  h.deps.logger = logger;
  h.restart();
  const other = new Database(h.dbFile);
  other.pragma('busy_timeout = 0');
  locks.push(other);
  return {
    h,
    logged,
    lock: () => other.exec('BEGIN EXCLUSIVE'),
    release: () => {
      other.exec('COMMIT');
      return Date.now();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function untilStatus(h: EngineHarness, id: number, status: PaymentStatus, timeout: number): Promise<void> {
  await vi.waitFor(() => expect(getPayment(h.db, id).status).toBe(status), { timeout, interval: 10 });
}

describe('a locked ledger (another program holds BEGIN EXCLUSIVE)', () => {
  it('the busy timeout is short: a lock never freezes the app for seconds', () => {
    const t = tempDir('busy-');
    try {
      const db = openLedger(join(t.dir, 'ledger.sqlite'));
      expect(db.pragma('busy_timeout', { simple: true })).toBe(LEDGER_BUSY_TIMEOUT_MS);
      expect(LEDGER_BUSY_TIMEOUT_MS).toBeLessThanOrEqual(250);
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('across QR expiry: the payment made meanwhile is recorded paid within one polling interval of the release, and the retries back off', async () => {
    const { h, logged, lock, release } = await lockedHarness({ qrValiditySec: 1, schedule: VISIBLE_BACKOFF });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await h.engine.createPayment({ amountFen: 1234, operator: '001' });
    expect(p.status).toBe('qr_issued');
    lock();
    const lockedAt = Date.now();
    // The customer pays while the ledger is locked; the QR expires meanwhile (the close cannot be written).
    await sleep(300);
    expect(h.sim.pay(p.sysTrace ?? '')).toBe(true);
    await sleep(Math.max(0, 1000 - (Date.now() - lockedAt)) + 2200);
    // Every failed attempt: queries of the live QR, then the close steps after expiry.
    const failedSteps = logged
      .filter((l) => l.message === `payment ${p.id} query failed` || l.message === `payment ${p.id} scheduled step failed`)
      .map((l) => l.at);
    expect(logged.some((l) => l.message === `payment ${p.id} scheduled step failed`)).toBe(true);
    const releasedAt = release();
    // It kept trying while locked, with growing gaps (backoff does not restart after a failed commit).
    expect(failedSteps.length).toBeGreaterThanOrEqual(3);
    expect(failedSteps.length).toBeLessThanOrEqual(8);
    const gaps = failedSteps.slice(1).map((at, i) => at - (failedSteps[i] ?? at));
    expect(gaps[gaps.length - 1] ?? 0).toBeGreaterThan((gaps[0] ?? 0) * 2);
    await untilStatus(h, p.id, 'paid', 800 + 1000);
    expect(Date.now() - releasedAt).toBeLessThan(800 + 1000);
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('across a cancel: the cashier hears LEDGER_BUSY, the sale keeps being queried, the payment made meanwhile is recorded paid', async () => {
    const { h, lock, release } = await lockedHarness({ qrValiditySec: 600, schedule: VISIBLE_BACKOFF });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await h.engine.createPayment({ amountFen: 2500, operator: '001' });
    lock();
    await expect(h.engine.cancelPayment(p.id, '001')).rejects.toMatchObject({ code: 'LEDGER_BUSY' });
    expect(h.sim.pay(p.sysTrace ?? '')).toBe(true);
    await sleep(1500);
    const releasedAt = release();
    await untilStatus(h, p.id, 'paid', 800 + 1000);
    expect(Date.now() - releasedAt).toBeLessThan(800 + 1000);
    // Nothing was sent twice, no close reached the bank for a sale it reports paid.
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('a sale attempted while locked fails with LEDGER_BUSY before anything is sent', async () => {
    const { h, lock, release } = await lockedHarness({});
    lock();
    await expect(h.engine.createPayment({ amountFen: 100, operator: '001' })).rejects.toMatchObject({ code: 'LEDGER_BUSY' });
    expect(h.sim.countRequests('F')).toBe(0);
    release();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const p = await h.engine.createPayment({ amountFen: 100, operator: '001' });
    await untilStatus(h, p.id, 'paid', 3000);
  });

  it('start-up under a lock reports "ledger busy, retrying" and starts once released, not a provisioning error', async () => {
    const t = tempDir('busy-start-');
    try {
      const first = openLedger(join(t.dir, 'ledger.sqlite'));
      first.close();
      const provisioning = join(t.dir, 'provisioning.json');
      writeFileSync(provisioning, JSON.stringify({ shop: { name: '锁测试' } }));
      const other = new Database(join(t.dir, 'ledger.sqlite'));
      locks.push(other);
      other.exec('BEGIN EXCLUSIVE');
      const busy: string[] = [];
      const started = startCore({
        dataDir: t.dir,
        version: '0',
        platform: 'web',
        cipher: createFileKeyCipher(t.dir),
        logger: silentLogger,
        provisioningFile: provisioning,
        onLedgerBusy: (error) => busy.push(error.code),
      });
      await vi.waitFor(() => expect(busy.length).toBeGreaterThanOrEqual(2), { timeout: 4000, interval: 20 });
      expect(new Set(busy)).toEqual(new Set(['LEDGER_BUSY']));
      other.exec('COMMIT');
      const core = await started;
      try {
        expect(core.info().configError).toBeNull();
      } finally {
        await core.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('ledger errors get stable codes', () => {
  it('SQLite failures map to DISK_FULL / LEDGER_BUSY / LEDGER_CORRUPT at the dispatcher edge', async () => {
    const errors: Record<string, string> = {
      SQLITE_FULL: 'DISK_FULL',
      SQLITE_IOERR_WRITE: 'DISK_FULL',
      SQLITE_BUSY: 'LEDGER_BUSY',
      SQLITE_LOCKED: 'LEDGER_BUSY',
      SQLITE_CORRUPT: 'LEDGER_CORRUPT',
      SQLITE_NOTADB: 'LEDGER_CORRUPT',
    };
    for (const [sqlite, code] of Object.entries(errors)) {
      const raw = new Database.SqliteError(`${sqlite} happened`, sqlite);
      expect(ledgerErrorOf(raw)?.code).toBe(code);
      const dispatch = createDispatcher(
        {
          'app:info': () => {
            throw raw;
          },
        } as never,
        silentLogger,
      );
      const result = await dispatch('app:info', undefined, { role: 'cashier' });
      expect(result).toMatchObject({ ok: false, error: { code } });
    }
    expect(ledgerErrorOf(new Error('plain'))).toBeUndefined();
  });

  it('a damaged ledger file is refused as LEDGER_CORRUPT', () => {
    const t = tempDir('corrupt-');
    try {
      const file = join(t.dir, 'ledger.sqlite');
      writeFileSync(file, Buffer.alloc(8192, 0x5a));
      expect(() => openLedger(file)).toThrow(expect.objectContaining({ code: 'LEDGER_CORRUPT' }));
    } finally {
      t.cleanup();
    }
  });
});

describe('a full disk (a real 2 MB tmpfs)', () => {
  const mountDir = join(tempDir('tmpfs-').dir, 'small');
  let mounted = false;
  let skipReason = '';
  beforeAll(() => {
    mkdirSync(mountDir, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountDir], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      skipReason = `mount -t tmpfs is not permitted here: ${error instanceof Error ? error.message : String(error)}`;
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  });

  it('a sale on a full disk fails with DISK_FULL before anything is sent; after space is freed it goes through', async (ctx) => {
    if (!mounted) {
      ctx.skip(skipReason);
      return;
    }
    const h = await startEngineHarness({});
    harnesses.push(h);
    const db = openLedger(join(mountDir, 'ledger.sqlite'));
    h.deps.db = db;
    const engine = h.restart();
    // Fill the disk to the last byte.
    const filler = join(mountDir, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(fd, chunk);
    } catch {
      // ENOSPC: full
    }
    try {
      for (;;) writeSync(fd, chunk, 0, 512);
    } catch {
      // ENOSPC
    }
    closeSync(fd);
    const dispatch = createDispatcher({ 'app:info': () => engine.createPayment({ amountFen: 100, operator: '001' }) } as never, silentLogger);
    let code = '';
    for (let i = 0; i < 20 && code !== 'DISK_FULL'; i++) {
      const result = await dispatch('app:info', undefined, { role: 'cashier' });
      if (!result.ok) code = result.error.code;
      else break;
    }
    expect(code).toBe('DISK_FULL');
    expect(h.sim.countRequests('F')).toBe(0);
    unlinkSync(filler);
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const p = await engine.createPayment({ amountFen: 100, operator: '001' });
    await vi.waitFor(() => expect(getPayment(db, p.id).status).toBe('paid'), { timeout: 3000, interval: 10 });
    engine.stop();
    db.close();
  });
});
