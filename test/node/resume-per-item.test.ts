/**
 * Start-up resumes every unfinished payment; one the ledger refuses to write about (a damaged page, a
 * failing disk, a trigger another tool left) must not stop the start, nor the others from resuming — and
 * it is not stranded either: its next step is scheduled like any step that threw. A real core on a real
 * SQLite file, the refusal made by a real trigger.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerRows, startCounter, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';

describe('start-up resume, item by item', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  it('a QR sale whose resume note the ledger refuses: the start goes on, the other items are resumed, and the refused one is still queried', async () => {
    const t = tempDir('resume-item-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    // A paid sale with a refund the bank has not settled yet (J keeps answering "processing")…
    const paid = await counter.sell(2_200);
    counter.core.trainingGateway.scriptNextRefund({ kind: 'unknown_then', queries: 1_000, then: 'success' });
    const refund = await counter.invoke('refund:create', { paymentId: paid.id, amountFen: 500, reason: '顾客退货', approval: SUPERVISOR });
    // …and an open QR sale.
    await counter.invoke('training:script', { script: 'manual' });
    const first = await counter.invoke('payment:create', { amountFen: 1_100 });
    expect(first.status).toBe('qr_issued');
    await counter.close();
    counter = null;

    const db = new Database(join(t.dir, 'ledger.sqlite'));
    db.exec(
      `CREATE TRIGGER refuse_resume BEFORE INSERT ON events WHEN NEW.entity = 'payment' AND NEW.entity_id = ${first.id} AND NEW.type = 'resumed'
       BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`,
    );
    db.close();
    const queriesBefore = ledgerRows<{ query_count: number }>(t.dir, 'SELECT query_count FROM payments WHERE id = ?', first.id)[0]!.query_count;

    counter = await startCounter(t.dir);
    const types = (id: number): string[] =>
      ledgerRows<{ type: string }>(t.dir, "SELECT type FROM events WHERE entity = 'payment' AND entity_id = ? ORDER BY id", id).map((e) => e.type);
    const refundTypes = ledgerRows<{ type: string }>(t.dir, "SELECT type FROM events WHERE entity = 'refund' AND entity_id = ? ORDER BY id", refund.id).map(
      (e) => e.type,
    );
    expect(refundTypes).toContain('resumed');
    expect(types(first.id)).not.toContain('resumed');
    // Not stranded: its scheduled step still queries it.
    await waitUntil(
      async () => ledgerRows<{ query_count: number }>(t.dir, 'SELECT query_count FROM payments WHERE id = ?', first.id)[0]!.query_count,
      (n: number) => n > queriesBefore,
      'the refused sale queried',
    );
  }, 30_000);
});
