/**
 * A real counter core (training mode, its own data directory and SQLite ledger) driven through the
 * dispatcher as a window drives it: sign in, sell (the training bank pays on cue), refund.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCore, type Core, type CoreOptions } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { withNonces } from './approvals';

export interface TestCounter {
  core: Core;
  invoke(channel: string, input: unknown): Promise<any>;
  /** A training QR sale the (simulated) customer pays; resolves once the ledger says paid. */
  sell(amountFen: number): Promise<any>;
  refund(paymentId: number, amountFen: number): Promise<any>;
  close(): Promise<void>;
}

export const SUPERVISOR = { code: '800', pin: '8888' };

/** Operators off the published training PINs: what a provisioning file needs for a counter to start live. */
export const LIVE_OPERATORS = [
  { code: '001', pin: '246801' },
  { code: '800', pin: '813579' },
  { code: '900', pin: '902468' },
] as const;

/**
 * A core started from a provisioning file written into `dataDir` — the given sections plus
 * LIVE_OPERATORS — that must apply (`provisioningRequired`): with a merchant in it, the counter is live.
 * `options` override the core's options (schedule, sync transport, …).
 */
export async function startProvisionedCore(dataDir: string, sections: Record<string, unknown>, options: Partial<CoreOptions> = {}): Promise<Core> {
  const file = join(dataDir, 'provisioning.json');
  writeFileSync(file, JSON.stringify({ ...sections, operators: LIVE_OPERATORS }));
  return startCore({
    dataDir,
    version: '0',
    platform: 'web',
    cipher: createFileKeyCipher(dataDir),
    logger: silentLogger,
    provisioningFile: file,
    provisioningRequired: true,
    ...options,
  });
}

/** Reads until `done` says so (every 20 ms, at most `ms`); the timeout names what it waited for and the last value. */
export async function waitUntil(read: () => Promise<any>, done: (v: any) => boolean, what: string, ms = 10_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Rows of a query on a counter's ledger file, opened read-only beside the running core. */
export function ledgerRows<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(dataDir, 'ledger.sqlite'), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
export const MANAGER = { code: '900', pin: '9999' };

export async function startCounter(dataDir: string, options: Partial<CoreOptions> = {}): Promise<TestCounter> {
  const core = await startCore({
    dataDir,
    version: '0',
    platform: 'web',
    cipher: createFileKeyCipher(dataDir),
    logger: silentLogger,
    schedule: { firstQueryMs: 20, fastIntervalMs: 20, slowIntervalMs: 20, backoffStartMs: 20, backoffMaxMs: 100 },
    ...options,
  });
  const invoke = async (channel: string, input: unknown): Promise<any> => {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(`${channel}: ${result.error.code} ${result.error.message}`), result.error);
    return result.value;
  };
  await invoke('session:signIn', { code: '001', pin: '1111' });
  return {
    core,
    invoke,
    async sell(amountFen) {
      await invoke('training:script', { script: 'manual' });
      const payment = await invoke('payment:create', { amountFen });
      await waitUntil(
        () => invoke('payment:get', { id: payment.id }),
        (p) => p.status === 'waiting' || p.status === 'qr_issued',
        'the QR',
      );
      await invoke('training:pay', { id: payment.id });
      return waitUntil(
        () => invoke('payment:get', { id: payment.id }),
        (p) => p.status === 'paid',
        `payment ${payment.id} paid`,
      );
    },
    async refund(paymentId, amountFen) {
      const refund = await invoke('refund:create', { paymentId, amountFen, reason: 'customer returned goods', approval: SUPERVISOR });
      return waitUntil(
        () => invoke('refund:detail', { paymentId }).then((d) => d.refunds.find((r: any) => r.id === refund.id)),
        (r) => r?.status === 'succeeded',
        `refund ${refund.id}`,
      );
    },
    close: () => core.close(),
  };
}
