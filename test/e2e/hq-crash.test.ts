/**
 * Headquarters crash test: the counter (the built headless core, a real child process) is SIGKILLed
 * after headquarters committed a batch and before the counter recorded the acknowledgement. On restart
 * it sends the batch again; headquarters' state does not change (no event, payment or total doubled).
 */
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { addCounter } from '../../src/hq/admin';
import { createPool, migrateHq, type Pool } from '../../src/hq/db';
import { startHqServer, type HqServer } from '../../src/hq/server';
import { startHeadless } from '../support/headless';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { tempDir } from '../support/temp';

describe('headquarters sync survives a SIGKILL between HQ commit and the counter acknowledgement', () => {
  let pg: TestPostgres;
  let pool: Pool;
  let server: HqServer;
  const hqData = tempDir('e2e-hqcrash-hq-');
  const counterData = tempDir('e2e-hqcrash-counter-');

  beforeAll(async () => {
    pg = await startTestPostgres();
    pool = createPool(pg.url);
    await migrateHq(pool);
    server = await startHqServer({ pool, cipher: createFileKeyCipher(hqData.dir) });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await pool?.end();
    await pg?.stop();
    hqData.cleanup();
    counterData.cleanup();
  });

  const hqState = async (): Promise<{ events: number; maxId: number; payments: { local_id: number; status: string; amount_fen: number }[] }> => {
    const e = (await pool.query<{ n: number; max: number | null }>('SELECT count(*)::bigint AS n, max(event_id) AS max FROM events')).rows[0]!;
    const payments = (
      await pool.query<{ local_id: number; status: string; amount_fen: number }>('SELECT local_id, status, amount_fen FROM payments ORDER BY local_id')
    ).rows;
    return { events: e.n, maxId: e.max ?? 0, payments };
  };

  it('the resent batch changes nothing at headquarters, and the counter then catches up', async () => {
    const { key } = await addCounter(pool, createFileKeyCipher(hqData.dir), { store: 'K1', lane: '7' });
    // 1. A day of selling before headquarters is configured: one training sale, paid.
    const first = startHeadless(['--data', counterData.dir]);
    await first.next((l) => l.ready === true, 30_000);
    first.send({ op: 'create', amountFen: 4321 });
    const created = await first.next((l) => l.reply !== undefined);
    await first.next((l) => l.update?.id === created.reply.id && l.update.status === 'paid', 30_000);
    first.send({ op: 'exit' });
    expect((await first.exited).code).toBe(0);

    // 2. Headquarters configured by a provisioning file; the counter dies right after HQ answered.
    const config = join(counterData.dir, 'provisioning.json');
    writeFileSync(config, JSON.stringify({ hq: { url: server.url, store: 'K1', lane: '7', key, intervalMs: 500 } }));
    const killed = startHeadless(['--data', counterData.dir, '--config', config], { CASHIER_SYNC_FAULT: 'after-answer' });
    expect((await killed.exited).signal).toBe('SIGKILL');
    const afterKill = await hqState();
    expect(afterKill.events).toBeGreaterThan(0);
    expect(afterKill.payments).toEqual([{ local_id: created.reply.id, status: 'paid', amount_fen: 4321 }]);
    const ledger = new Database(join(counterData.dir, 'ledger.sqlite'), { readonly: true });
    const acked = ledger.prepare("SELECT acked_event_id FROM sync_state WHERE target = 'hq'").get() as { acked_event_id: number } | undefined;
    expect(acked?.acked_event_id ?? 0).toBe(0);
    ledger.close();
    // The key left the provisioning file for encrypted storage.
    expect(JSON.stringify(JSON.parse(readFileSync(config, 'utf8')))).not.toContain(key);

    // 3. Restarted normally: the same events are sent again, then whatever the restart added.
    const again = startHeadless(['--data', counterData.dir, '--config', config]);
    await again.next((l) => l.ready === true, 30_000);
    const until = Date.now() + 30_000;
    for (;;) {
      const db = new Database(join(counterData.dir, 'ledger.sqlite'), { readonly: true });
      const { acked } = db.prepare("SELECT coalesce((SELECT acked_event_id FROM sync_state WHERE target = 'hq'), 0) AS acked").get() as { acked: number };
      const { latest } = db.prepare('SELECT max(id) AS latest FROM events').get() as { latest: number };
      db.close();
      if (acked === latest && acked > afterKill.maxId) break;
      if (Date.now() > until) throw new Error(`counter did not catch up: acked ${acked}, latest ${latest}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    again.send({ op: 'exit' });
    await again.exited;
    const final = await hqState();
    // Nothing the first batch carried was stored twice or changed...
    const firstIds = (await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM events WHERE event_id <= $1', [afterKill.maxId])).rows[0]!.n;
    expect(firstIds).toBe(afterKill.events);
    expect(final.payments).toEqual(afterKill.payments);
    // ...and headquarters holds exactly the counter's event log.
    const db = new Database(join(counterData.dir, 'ledger.sqlite'), { readonly: true });
    const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    db.close();
    expect(final.events).toBe(n);
  });
});
