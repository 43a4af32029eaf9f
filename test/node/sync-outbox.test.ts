/** The counter's outbox: its migration, and what a batch carries. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger, schemaVersion } from '../../src/core/ledger/db';
import { appendEvent } from '../../src/core/ledger/events';
import { MIGRATIONS } from '../../src/core/ledger/migrations';
import { readBatch, readSyncState, recordSyncAttempt, rewindSyncState } from '../../src/core/sync/outbox';
import { SyncPusher } from '../../src/core/sync/pusher';
import { signBody, verifyBody } from '../../src/core/sync/protocol';
import { silentLogger } from '../../src/core/util/logger';
import { manualClock } from '../support/manual-clock';
import { tempDir } from '../support/temp';

const dirs: (() => void)[] = [];
afterEach(() => dirs.splice(0).forEach((c) => c()));
function ledgerFile(): string {
  const t = tempDir('outbox-');
  dirs.push(t.cleanup);
  return join(t.dir, 'ledger.sqlite');
}

const SYNC_MIGRATION = MIGRATIONS.find((m) => m.name === 'sync state for headquarters')!;
const counter = { store: 'S1', lane: 'L1' };

describe('sync outbox', () => {
  it('its migration adds sync_state to a populated ledger of the version before, events untouched', () => {
    const file = ledgerFile();
    const before = openLedger(file, { targetVersion: SYNC_MIGRATION.version - 1 });
    appendEvent(before, { at: 1, entity: 'app', type: 'started' });
    before.close();
    const db = openLedger(file, { targetVersion: SYNC_MIGRATION.version });
    expect(schemaVersion(db)).toBe(SYNC_MIGRATION.version);
    expect(readSyncState(db)).toMatchObject({ ackedEventId: 0, ackedDayRowid: 0, snapshotVersion: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 1 });
    db.close();
  });

  it('a batch is the contiguous run of events after the mark, with the touched rows, and the marks only move forward', () => {
    const db = openLedger(ledgerFile());
    for (let i = 0; i < 7; i += 1) appendEvent(db, { at: 1000 + i, entity: 'app', type: 'tick', data: { i, key: 'secret-value' } });
    const first = readBatch(db, counter, readSyncState(db), 5, 3)!;
    expect(first.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(first.backlog).toBe(4);
    expect(first.asOf).toBe(7);
    // Secrets were masked when the events were written; the batch carries the masked form.
    expect(JSON.stringify(first)).not.toContain('secret-value');
    recordSyncAttempt(db, 10, { ok: true, hwm: 3, dayRowid: 0 });
    expect(readBatch(db, counter, readSyncState(db), 5, 3)!.events.map((e) => e.id)).toEqual([4, 5, 6]);
    // A stale acknowledgement (a lower mark) never moves the mark back...
    recordSyncAttempt(db, 11, { ok: true, hwm: 1, dayRowid: 0 });
    expect(readSyncState(db).ackedEventId).toBe(3);
    // ...only headquarters' explicit gap answer does.
    rewindSyncState(db, 1, 0);
    expect(readSyncState(db).ackedEventId).toBe(1);
    recordSyncAttempt(db, 12, { ok: true, hwm: 7, dayRowid: 0 });
    expect(readBatch(db, counter, readSyncState(db), 5)).toBeUndefined();
    db.close();
  });

  it('batch signatures: HMAC-SHA256 over the exact bytes, checked in constant time, any change refused', () => {
    const body = JSON.stringify({ a: 1, 名: '值' });
    const sig = signBody(body, 'k'.repeat(32));
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyBody(body, 'k'.repeat(32), sig)).toBe(true);
    expect(verifyBody(`${body} `, 'k'.repeat(32), sig)).toBe(false);
    expect(verifyBody(body, 'j'.repeat(32), sig)).toBe(false);
    expect(verifyBody(body, 'k'.repeat(32), sig.toUpperCase())).toBe(false);
    expect(verifyBody(body, 'k'.repeat(32), '')).toBe(false);
  });
});

describe('sync pusher schedule', () => {
  it('reads the caught-up interval every round: a new interval (Settings → 总部) applies without a restart', async () => {
    const db = openLedger(ledgerFile());
    try {
      appendEvent(db, { at: 1, entity: 'app', type: 'started' });
      const latest = (db.prepare('SELECT max(id) AS n FROM events').get() as { n: number }).n;
      recordSyncAttempt(db, 1, { ok: true, hwm: latest, dayRowid: 0 });
      const clock = manualClock();
      let intervalMs = 5000;
      const pusher = new SyncPusher({
        db,
        connection: () => ({ url: 'http://127.0.0.1:9', counter, key: 'k'.repeat(32) }),
        // Caught up: no batch is sent; the snapshot pull fails and is only logged.
        transport: () => Promise.reject(new Error('not reachable')),
        timers: clock.timers,
        now: clock.now,
        logger: silentLogger,
        intervalMs: () => intervalMs,
      });
      const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
      pusher.start();
      clock.advance(0);
      await settle();
      expect(clock.nextIn()).toBe(5000);
      intervalMs = 30_000;
      clock.advance(5000);
      await settle();
      expect(clock.nextIn()).toBe(30_000);
      await pusher.stop();
    } finally {
      db.close();
    }
  });
});

describe('provisioning file: hq section', () => {
  it('stores the connection as a setting and the key encrypted, removes the key from the file, and refuses a section without any key', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const { applyProvisioningFile, HQ_KEY } = await import('../../src/core/config/provisioning');
    const { SecretStore } = await import('../../src/core/secrets/store');
    const { createFileKeyCipher } = await import('../../src/core/secrets/cipher');
    const { readSetting } = await import('../../src/core/ledger/settings');
    const t = tempDir('prov-hq-');
    dirs.push(t.cleanup);
    const db = openLedger(join(t.dir, 'ledger.sqlite'));
    const secrets = new SecretStore(db, createFileKeyCipher(t.dir));
    const file = join(t.dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ hq: { url: 'https://hq.example.cn', store: 'SH01', lane: '2' } }));
    expect(() => applyProvisioningFile(file, db, secrets, 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'hq.key' } }));
    const key = 'k3y-of-this-counter-0123456789';
    writeFileSync(file, JSON.stringify({ hq: { url: 'https://hq.example.cn', store: 'SH01', lane: '2', key } }));
    applyProvisioningFile(file, db, secrets, 2);
    expect(readSetting(db, 'hq')).toEqual({ url: 'https://hq.example.cn', store: 'SH01', lane: '2', intervalMs: 5000, ca: '' });
    expect(secrets.read(HQ_KEY)).toBe(key);
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    expect(JSON.stringify(db.prepare('SELECT * FROM events').all())).not.toContain(key);
    db.close();
  });
});
