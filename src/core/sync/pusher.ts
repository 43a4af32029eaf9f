/**
 * The counter's sync pusher: sends the outbox to headquarters in order, batch after batch, and
 * records headquarters' acknowledged high-water mark. Selling never waits for it: it runs on timers,
 * reads a few hundred rows per batch, and a headquarters that is down only means retries with backoff.
 *
 * Guarantees: at-least-once delivery (a batch is resent until acknowledged; the mark only moves on an
 * acknowledgement headquarters signed with our key), exactly-once effect (headquarters keys events by
 * (counter, event id) and keeps the newest row state by `asOf`). Every tick ends with the next tick
 * scheduled, whatever throws.
 */
import { AppError } from '../../shared/errors';
import { createHttpTransport, TransportError, type HttpTransport } from '../net';
import { DEFAULT_OPERATORS } from '../operators/operators';
import { isStorablePinHash } from '../operators/pin';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { stmt } from '../ledger/db';
import { settingsChanged } from '../ledger/settings';
import type { Logger } from '../util/logger';
import type { Timers } from '../util/time';
import { latestEventId, readBatch, readSyncState, recordSyncAttempt, rewindSyncState, SYNC_TARGET } from './outbox';
import {
  COUNTER_HEADER,
  counterLabel,
  HqSnapshotSchema,
  MAX_BATCH_BYTES,
  SIGNATURE_HEADER,
  signBody,
  SyncAckSchema,
  verifyBody,
  type CounterId,
  type HqSnapshot,
} from './protocol';

export interface HqConnection {
  url: string;
  counter: CounterId;
  key: string;
  /** The CA certificate(s) that signed headquarters' certificate (PEM text), when it is a private one. */
  ca?: string;
}

export interface SyncTransportResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Sends one request to headquarters. Injected: tests use the real HTTP path to a real HQ service. */
export type SyncTransport = (input: {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Trust headquarters' certificate only when this CA (PEM text) signed it, instead of the public CAs. */
  caPem?: string;
}) => Promise<SyncTransportResponse>;

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The real HTTP(S) path to headquarters: the project's one HTTP transport (src/core/net: keep-alive,
 * size cap, stable failure reasons). Certificate checks are never turned off. A private CA given as
 * `caPem` is trusted *instead of* the public CAs, not besides them: headquarters is the chain's own
 * service, so once the chain runs its own CA no public CA should be able to speak for it; a
 * headquarters with a public certificate (e.g. TLS ended at the load balancer) leaves the CA empty and
 * gets the public CAs. A changed CA makes a new connection pool at once (no restart).
 *
 * The error texts feed `syncHealthStatus`: a setup problem (certificate not trusted) starts with a code
 * and shows red; headquarters out of reach shows amber and heals by itself.
 */
export function createUndiciSyncTransport(): { transport: SyncTransport; close(): Promise<void> } {
  let current: { caPem: string; http: HttpTransport } | undefined;
  const transportFor = (caPem: string): HttpTransport => {
    if (current?.caPem === caPem) return current.http;
    void current?.http.close().catch(() => undefined);
    const http = createHttpTransport({ connections: 2, maxResponseBytes: MAX_RESPONSE_BYTES, ...(caPem === '' ? {} : { caPem, caOnly: true }) });
    current = { caPem, http };
    return http;
  };
  const transport: SyncTransport = async ({ method, url, headers, body, timeoutMs, caPem }) => {
    const http = transportFor(caPem ?? '');
    try {
      const response = await http.send({ url, method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, headers: response.headers, body: response.body.toString('utf8') };
    } catch (error) {
      if (error instanceof TransportError && error.reason === 'tls') {
        throw new Error(
          `TLS_UNTRUSTED: headquarters' certificate is not trusted (${error.code}); if headquarters uses a private CA, enter its CA certificate in Settings → 总部`,
        );
      }
      const reason = error instanceof TransportError ? error.reason : 'error';
      throw new Error(`headquarters not reached (${reason}): ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return { transport, close: async () => void (await current?.http.close().catch(() => undefined)) };
}

export interface SyncStatus {
  configured: boolean;
  target: string | null;
  counter: string | null;
  ackedEventId: number;
  latestEventId: number;
  /** Events not yet acknowledged by headquarters. */
  lagEvents: number;
  lastOkAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
  snapshotVersion: number;
}

/**
 * Health of the sync from the last recorded error: headquarters answered and refused (a signed refusal
 * "CODE: …", or an unsigned 4xx — unknown or revoked counter, wrong key) is a setup `error`; anything
 * else (no answer, 5xx, timeout) is `unreachable` and heals by itself. Neither stops a sale.
 */
export function syncHealthStatus(lastError: string | null): 'ok' | 'error' | 'unreachable' {
  if (lastError === null) return 'ok';
  if (/^(?!GAP:)[A-Z_]+: /.test(lastError) || /answered HTTP 4\d\d\b/.test(lastError)) return 'error';
  return 'unreachable';
}

export interface SyncPusherOptions {
  db: Db;
  /** The headquarters connection, read when needed (null: not configured, the pusher idles). */
  connection: () => HqConnection | null;
  transport: SyncTransport;
  timers: Timers;
  now: () => number;
  logger: Logger;
  /** Caught-up polling interval (ms); a function is read every round, so a change in Settings applies at once. */
  intervalMs?: number | (() => number);
  snapshotIntervalMs?: number;
  timeoutMs?: number;
  /**
   * Called before each round with the connection; throws (an AppError) when it may not be used now
   * (live mode refuses plain http to another machine): nothing is sent, the refusal is the sync error.
   */
  refuse?: (connection: HqConnection) => void;
  /** Told after a newer snapshot from headquarters was applied (the composition root re-reads config). */
  onSnapshotApplied?: (snapshot: HqSnapshot) => void;
  /** Told after each recorded attempt, with the failure's text (the status light refreshes when the kind of outcome changes). */
  onAttempt?: (ok: boolean, error?: string) => void;
  /** Crash tests: called when headquarters' answer to a batch arrived, before it is recorded. */
  faultPoint?: (name: 'sync-after-answer') => void;
}

export class SyncPusher {
  private timer: unknown;
  private running = false;
  private failures = 0;
  private lastSnapshotCheck = 0;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly options: SyncPusherOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  status(): SyncStatus {
    const connection = this.options.connection();
    const state = readSyncState(this.options.db);
    const latest = latestEventId(this.options.db);
    return {
      configured: connection !== null,
      target: connection === null ? null : new URL(connection.url).origin,
      counter: connection === null ? null : counterLabel(connection.counter),
      ackedEventId: state.ackedEventId,
      latestEventId: latest,
      lagEvents: Math.max(0, latest - state.ackedEventId),
      lastOkAt: state.lastOkAt,
      lastAttemptAt: state.lastAttemptAt,
      lastError: state.lastError,
      snapshotVersion: state.snapshotVersion,
    };
  }

  /** One round now (tests, "sync now"): pushes everything that is waiting, then checks for a snapshot. */
  async syncNow(): Promise<SyncStatus> {
    await this.inFlight;
    const run = this.round();
    this.inFlight = run.then(
      () => undefined,
      () => undefined,
    );
    await this.inFlight;
    return this.status();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = undefined;
      const run = this.round();
      this.inFlight = run.then(
        (next) => this.schedule(next),
        (error: unknown) => {
          this.options.logger.error('sync: round failed', { error: error instanceof Error ? error.message : String(error) });
          this.schedule(this.backoffMs());
        },
      );
    }, ms);
  }

  private backoffMs(): number {
    return Math.min(60_000, 1000 * 2 ** Math.min(6, this.failures));
  }

  /** One round: as many batches as are waiting (bounded), then maybe a snapshot pull. Returns the delay to the next round. */
  private async round(): Promise<number> {
    const configured = this.options.intervalMs ?? 5000;
    const interval = typeof configured === 'function' ? configured() : configured;
    const connection = this.options.connection();
    if (connection === null) return 30_000;
    try {
      this.options.refuse?.(connection);
    } catch (error) {
      this.failed(this.options.now(), error instanceof AppError ? `${error.code}: ${error.message}` : String(error));
      return this.backoffMs();
    }
    for (let i = 0; i < 20; i += 1) {
      const outcome = await this.pushOnce(connection);
      if (outcome === 'failed') return this.backoffMs();
      if (outcome === 'idle') break;
    }
    const now = this.options.now();
    if (now - this.lastSnapshotCheck >= (this.options.snapshotIntervalMs ?? 60_000)) {
      this.lastSnapshotCheck = now;
      await this.pullSnapshot(connection).catch((error: unknown) => {
        this.options.logger.warn('sync: snapshot pull failed', { error: error instanceof Error ? error.message : String(error) });
      });
    }
    return interval;
  }

  private async pushOnce(connection: HqConnection): Promise<'sent' | 'idle' | 'failed'> {
    const { db, now } = this.options;
    const state = readSyncState(db);
    let batch = readBatch(db, connection.counter, state, now());
    if (batch === undefined) return 'idle';
    let body = JSON.stringify(batch);
    // Headquarters refuses a body over MAX_BATCH_BYTES (and may reset the connection before its 413
    // is read): fewer events until it fits, so large events never block the outbox.
    while (Buffer.byteLength(body) > MAX_BATCH_BYTES && batch.events.length > 1) {
      batch = readBatch(db, connection.counter, state, now(), Math.floor(batch.events.length / 2))!;
      body = JSON.stringify(batch);
    }
    if (Buffer.byteLength(body) > MAX_BATCH_BYTES) {
      this.failed(now(), `BATCH_TOO_LARGE: event ${batch.events[0]?.id ?? '-'} with its rows is over the ${MAX_BATCH_BYTES} bytes headquarters accepts`);
      return 'failed';
    }
    const signature = signBody(body, connection.key);
    const at = now();
    try {
      const response = await this.options.transport({
        method: 'POST',
        url: new URL('/api/ingest', connection.url).toString(),
        headers: {
          'content-type': 'application/json',
          [COUNTER_HEADER]: counterLabel(connection.counter),
          [SIGNATURE_HEADER]: signature,
        },
        body,
        timeoutMs: this.options.timeoutMs ?? 15_000,
        ...(connection.ca === undefined || connection.ca === '' ? {} : { caPem: connection.ca }),
      });
      this.options.faultPoint?.('sync-after-answer');
      const ack = this.verifiedAck(response, connection.key);
      if (ack === undefined) throw new Error(`headquarters answered HTTP ${response.status} without a valid signed acknowledgement`);
      if (ack.batch !== signature) throw new Error(`headquarters' signed answer (HTTP ${response.status}) answers another batch; ignored`);
      // Headquarters can only acknowledge what it was sent, and a gap only ever rewinds: a mark beyond
      // that (the mark of a ledger this counter replaced, a replayed answer) must never skip unsent events.
      const last = batch.events.at(-1)?.id ?? state.ackedEventId;
      const lastDay = Math.max(state.ackedDayRowid, ...batch.dayReports.map((d) => d.rowid));
      if (ack.hwm > last) this.options.logger.warn('sync: headquarters acknowledged more than was sent; keeping our own mark', { hwm: ack.hwm, sent: last });
      if (!ack.ok) {
        // A gap (headquarters lost events we thought acknowledged): rewind to its mark and resend.
        if (ack.code === 'GAP') {
          // A gap that rewinds nothing (headquarters names a mark at or above ours) would resend the same batch at once, forever.
          if (ack.hwm >= state.ackedEventId) throw new Error(`GAP: headquarters holds events up to ${ack.hwm} yet refused ours from ${state.ackedEventId + 1}`);
          rewindSyncState(db, ack.hwm, Math.min(ack.dayRowid, state.ackedDayRowid));
          recordSyncAttempt(db, at, { ok: false, error: `GAP: headquarters holds events up to ${ack.hwm}; resending` });
          return 'sent';
        }
        throw new Error(`${ack.code ?? 'REFUSED'}: ${ack.message ?? 'refused by headquarters'}`);
      }
      const hwm = Math.min(ack.hwm, last);
      recordSyncAttempt(db, at, { ok: true, hwm, dayRowid: Math.min(ack.dayRowid, lastDay) });
      this.failures = 0;
      this.options.onAttempt?.(true);
      return hwm >= last && batch.backlog === 0 && batch.dayReports.length === 0 ? 'idle' : 'sent';
    } catch (error) {
      this.failed(at, error instanceof Error ? error.message : String(error));
      return 'failed';
    }
  }

  /** A failed attempt: recorded (best effort), logged, told; the next round backs off. */
  private failed(at: number, message: string): void {
    this.failures += 1;
    try {
      recordSyncAttempt(this.options.db, at, { ok: false, error: message });
    } catch (writeError) {
      this.options.logger.warn('sync: could not record the failed attempt', { error: writeError instanceof Error ? writeError.message : String(writeError) });
    }
    this.options.logger.warn('sync: push failed; will retry', { error: message, failures: this.failures });
    this.options.onAttempt?.(false, message);
  }

  /** Headquarters signs its answers with the counter's key: a forged acknowledgement cannot move the mark. */
  private verifiedAck(response: SyncTransportResponse, key: string): ReturnType<typeof SyncAckSchema.parse> | undefined {
    const signature = response.headers[SIGNATURE_HEADER] ?? '';
    if (!verifyBody(response.body, key, signature)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      return undefined;
    }
    const parsed = SyncAckSchema.safeParse(json);
    return parsed.success ? parsed.data : undefined;
  }

  private async pullSnapshot(connection: HqConnection): Promise<void> {
    const { db, now } = this.options;
    const state = readSyncState(db);
    const path = `/api/snapshot?since=${state.snapshotVersion}&at=${now()}`;
    const signature = signBody(`GET ${path}`, connection.key);
    const response = await this.options.transport({
      method: 'GET',
      url: new URL(path, connection.url).toString(),
      headers: { [COUNTER_HEADER]: counterLabel(connection.counter), [SIGNATURE_HEADER]: signature },
      timeoutMs: this.options.timeoutMs ?? 15_000,
      ...(connection.ca === undefined || connection.ca === '' ? {} : { caPem: connection.ca }),
    });
    if (response.status === 204) return;
    if (!verifyBody(response.body, connection.key, response.headers[SIGNATURE_HEADER] ?? ''))
      throw new Error(`snapshot answer HTTP ${response.status} not signed by headquarters`);
    const json = JSON.parse(response.body) as unknown;
    // Headquarters names the pull it answers (its signature): a recorded answer replayed to another pull counts for nothing.
    if ((json as { answers?: unknown } | null)?.answers !== signature)
      throw new Error(`snapshot answer HTTP ${response.status} answers another request; ignored`);
    const parsed = HqSnapshotSchema.safeParse(json);
    if (!parsed.success) throw new Error('snapshot answer malformed');
    if (parsed.data.version <= state.snapshotVersion) return;
    applySnapshot(db, parsed.data, now());
    this.options.onSnapshotApplied?.(parsed.data);
  }
}

/** Where a snapshot's receipt header / footer are kept (the receipt service prints them). */
export const HQ_RECEIPT_SETTING = 'hq.receipt';

/**
 * Applies a headquarters snapshot in one transaction and records it. Only fields the snapshot carries
 * change; an operator the snapshot lists is created or updated (PIN hash included), others are kept.
 */
export function applySnapshot(db: Db, snapshot: HqSnapshot, at: number, target = SYNC_TARGET): void {
  // Checked before anything is written: one bad operator refuses the whole snapshot (it is pulled again).
  // A published training PIN's hash (in the source for everyone to read) is refused under any code: the
  // default-PIN gate of live mode only looks at the training operators' own codes.
  for (const op of snapshot.operators ?? []) {
    if (DEFAULT_OPERATORS.some((d) => d.pinHash === op.pinHash)) {
      throw new AppError('BAD_INPUT', `snapshot ${snapshot.version}: operator ${op.code} has a published training PIN; nothing applied`, {
        field: 'operators',
      });
    }
    if (!isStorablePinHash(op.pinHash)) {
      throw new AppError('BAD_INPUT', `snapshot ${snapshot.version}: operator ${op.code}'s PIN hash is malformed or too costly to check; nothing applied`, {
        field: 'operators',
      });
    }
  }
  db.transaction(() => {
    const readJson = (key: string): Record<string, unknown> => {
      const row = stmt(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
      try {
        const value = row === undefined ? {} : (JSON.parse(row.value) as unknown);
        return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    };
    const writeJson = (key: string, value: unknown): void => {
      stmt(
        db,
        'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ).run(key, JSON.stringify(value), at);
      settingsChanged(db);
    };
    if (snapshot.shopName !== undefined) writeJson('shop', { ...readJson('shop'), name: snapshot.shopName });
    if (snapshot.maxAmountFen !== undefined) writeJson('limits', { ...readJson('limits'), maxAmountFen: snapshot.maxAmountFen });
    if (snapshot.receiptHeader !== undefined || snapshot.receiptFooter !== undefined) {
      writeJson(HQ_RECEIPT_SETTING, { header: snapshot.receiptHeader ?? null, footer: snapshot.receiptFooter ?? null });
    }
    for (const op of snapshot.operators ?? []) {
      stmt(
        db,
        `INSERT INTO operators (code, name, role, pin_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, role = excluded.role, pin_hash = excluded.pin_hash,
           active = excluded.active, updated_at = excluded.updated_at`,
      ).run(op.code, op.name, op.role, op.pinHash, op.active ? 1 : 0, at, at);
    }
    stmt(db, 'INSERT INTO sync_state (target) VALUES (?) ON CONFLICT (target) DO NOTHING').run(target);
    stmt(db, 'UPDATE sync_state SET snapshot_version = ?, snapshot_applied_at = ? WHERE target = ?').run(snapshot.version, at, target);
    appendEvent(db, {
      at,
      entity: 'settings',
      type: 'hq_snapshot_applied',
      actor: 'hq',
      data: { version: snapshot.version, operators: (snapshot.operators ?? []).map((o) => o.code), shopName: snapshot.shopName ?? null },
    });
  })();
}
