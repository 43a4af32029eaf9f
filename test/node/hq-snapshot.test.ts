/**
 * What headquarters can push to a counter (the snapshot): an operator's PIN hash is checked before
 * anything is applied — a malformed hash, one whose scrypt costs are far above the counter's own
 * (one sign-in would take gigabytes and minutes), or a published training PIN's, refuses the whole snapshot; fields the snapshot
 * schema does not know (a merchant key, the mode) never reach the counter's settings.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { appendEvent } from '../../src/core/ledger/events';
import { DEFAULT_OPERATORS } from '../../src/core/operators/operators';
import { hashPin } from '../../src/core/operators/pin';
import { readSyncState, recordSyncAttempt } from '../../src/core/sync/outbox';
import { SIGNATURE_HEADER, signBody } from '../../src/core/sync/protocol';
import { SyncPusher, type SyncTransport } from '../../src/core/sync/pusher';
import { silentLogger } from '../../src/core/util/logger';
import { manualClock } from '../support/manual-clock';
import { tempDir } from '../support/temp';

const KEY = 'k'.repeat(32);
const counter = { store: 'S1', lane: 'L1' };
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function ledger(): Db {
  const t = tempDir('snapshot-');
  const db = openLedger(join(t.dir, 'ledger.sqlite'));
  cleanups.push(() => {
    db.close();
    t.cleanup();
  });
  appendEvent(db, { at: 1, entity: 'app', type: 'started' });
  const latest = (db.prepare('SELECT max(id) AS n FROM events').get() as { n: number }).n;
  recordSyncAttempt(db, 1, { ok: true, hwm: latest, dayRowid: 0 });
  return db;
}

/** A pusher whose headquarters acknowledges every batch and answers every snapshot pull with `snapshot`, signed with the counter's key (as headquarters signs). */
function pusherServing(db: Db, snapshot: () => unknown): SyncPusher {
  const clock = manualClock();
  const transport: SyncTransport = (input) => {
    // A batch (the counter's own events, e.g. an applied snapshot's) is acknowledged in full.
    const events = input.method === 'POST' ? (JSON.parse(input.body ?? '{}') as { events: { id: number }[] }).events : [];
    const body = JSON.stringify(
      input.method === 'POST'
        ? { ok: true, hwm: events.at(-1)?.id ?? 0, dayRowid: 0, batch: input.headers[SIGNATURE_HEADER] }
        : { ...(snapshot() as object), answers: input.headers[SIGNATURE_HEADER] },
    );
    return Promise.resolve({ status: 200, headers: { [SIGNATURE_HEADER]: signBody(body, KEY) }, body });
  };
  return new SyncPusher({
    db,
    connection: () => ({ url: 'http://127.0.0.1:9', counter, key: KEY }),
    transport,
    timers: clock.timers,
    now: clock.now,
    logger: silentLogger,
    snapshotIntervalMs: 0,
  });
}

const opRow = (db: Db, code: string): { pin_hash: string; role: string } | undefined =>
  db.prepare('SELECT pin_hash, role FROM operators WHERE code = ?').get(code) as { pin_hash: string; role: string } | undefined;

describe('headquarters snapshot', () => {
  it.each([
    ['a malformed hash', 'scrypt$not-a-hash'],
    ['scrypt costs of 4 GiB per sign-in (N 2^20, r 32, p 16)', `scrypt$1048576$32$16$${'A'.repeat(22)}==$${'B'.repeat(43)}=`],
    // The published training manager's hash (PIN 9999, in the source) under a new code: the default-PIN gate checks 001/800/900 only.
    ['the published training PIN hash of 900', DEFAULT_OPERATORS.find((o) => o.code === '900')!.pinHash],
  ])('an operator with %s refuses the whole snapshot: nothing applied, the version stays', async (_name, pinHash) => {
    const db = ledger();
    const good = await hashPin('246810');
    let version = 1;
    let operators = [{ code: '321', name: '王芳', role: 'cashier', pinHash: good, active: true }];
    const pusher = pusherServing(db, () => ({ version, shopName: `店${version}`, operators }));
    await pusher.syncNow();
    expect(readSyncState(db).snapshotVersion).toBe(1);
    expect(opRow(db, '321')?.pin_hash).toBe(good);

    version = 2;
    operators = [
      { code: '321', name: '王芳', role: 'manager', pinHash, active: true },
      { code: '322', name: '李雷', role: 'cashier', pinHash: good, active: true },
    ];
    await pusher.syncNow();
    expect(readSyncState(db).snapshotVersion).toBe(1);
    expect(opRow(db, '321')).toEqual({ pin_hash: good, role: 'cashier' });
    expect(opRow(db, '322')).toBeUndefined();
    expect(db.prepare("SELECT count(*) AS n FROM events WHERE type = 'hq_snapshot_applied'").get()).toEqual({ n: 1 });
  });

  it('fields the snapshot does not define (a merchant key, the mode, the HQ key) never reach the settings', async () => {
    const db = ledger();
    const before = db.prepare("SELECT key FROM settings WHERE key <> 'shop' ORDER BY key").all();
    const pusher = pusherServing(db, () => ({
      version: 3,
      shopName: '总部店',
      mode: 'live',
      bpc: { key: 'evil-key', mid: '999' },
      yima: { key: 'evil' },
      hq: { key: 'evil' },
      limits: { maxAmountFen: 1 },
    }));
    await pusher.syncNow();
    expect(readSyncState(db).snapshotVersion).toBe(3);
    expect(db.prepare("SELECT key FROM settings WHERE key <> 'shop' ORDER BY key").all()).toEqual(before);
    expect(JSON.stringify(db.prepare('SELECT value FROM settings').all())).not.toContain('evil');
  });
});
