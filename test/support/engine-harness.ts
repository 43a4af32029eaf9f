/**
 * A real payment engine for tests: a ledger file in a temp dir, a BPC simulator on loopback, the real
 * BPC client pointed at it with the same key and mid, and real timers with a fast polling schedule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaymentEngine, type EngineDeps } from '../../src/core/payments/engine';
import { DEFAULT_SCHEDULE, type PollingSchedule } from '../../src/core/payments/schedule';
import { bpcGatewayEntry } from '../../src/core/gateways/bpc/adapter';
import { BpcClient, type BpcProfile, type BpcTimeouts } from '../../src/core/gateways/bpc/client';
import { GatewayRegistry } from '../../src/core/payments/registry';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { listEvents, type LedgerEvent } from '../../src/core/ledger/events';
import type { PaymentRecord } from '../../src/core/ledger/payments';
import type { RefundRecord } from '../../src/core/ledger/refunds';
import { startBpcSimulator, type BpcSimulator, type BpcSimulatorOptions } from '../../src/core/simulators/bpc/index';
import { silentLogger } from '../../src/core/util/logger';
import { realTimers } from '../../src/core/util/time';

/** The seed's signing key (§2.2) and sample merchant; a key with `$@!#` catches any escaping slip. */
export const HARNESS_KEY = '01AC$@!BGT98aw#C';
export const HARNESS_MID = '104320170118888';
export const HARNESS_POS = '37381542';

/** Milliseconds instead of seconds, same shape as the product default. */
export const FAST_SCHEDULE: PollingSchedule = {
  ...DEFAULT_SCHEDULE,
  firstQueryMs: 20,
  fastIntervalMs: 20,
  fastPhaseMs: 400,
  slowIntervalMs: 40,
  backoffStartMs: 20,
  backoffFactor: 2,
  backoffMaxMs: 50,
  unknownAfterMs: 200,
};

export interface HarnessOptions {
  schedule?: Partial<PollingSchedule>;
  qrValiditySec?: number;
  qrValidTimeField?: string;
  retUrl?: string;
  sim?: Partial<BpcSimulatorOptions>;
  profile?: Partial<BpcProfile>;
  timeouts?: Partial<BpcTimeouts>;
  /** The client's key source (default: the simulator's key). */
  getKey?: () => string;
}

export interface EngineHarness {
  dir: string;
  dbFile: string;
  db: Db;
  sim: BpcSimulator;
  client: BpcClient;
  engine: PaymentEngine;
  /** Every onPayment / onRefund callback, in order (all engines built by this harness). */
  paymentUpdates: PaymentRecord[];
  refundUpdates: RefundRecord[];
  /** The dependencies the engine was built with (a fresh engine over the same ledger uses them too). */
  deps: EngineDeps;
  /** A second engine over the same ledger and gateway, as after a restart (the first is stopped). */
  restart(): PaymentEngine;
  events(entity: 'payment' | 'refund', id: number): LedgerEvent[];
  close(): Promise<void>;
}

/** A registry with one BPC gateway: `client` for both modes. */
export function bpcGateways(client: BpcClient): GatewayRegistry {
  return new GatewayRegistry([bpcGatewayEntry(() => client)]);
}

/** Starts everything; `close()` stops the engines, the simulator, the client, and deletes the temp dir. */
export async function startEngineHarness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'cashier-engine-'));
  const dbFile = join(dir, 'ledger.sqlite');
  const db = openLedger(dbFile);
  const sim = await startBpcSimulator({ key: HARNESS_KEY, mid: HARNESS_MID, ...options.sim });
  const client = new BpcClient({
    merchant: { url: sim.url, mid: HARNESS_MID, posNo: HARNESS_POS, tellerNo: '001' },
    getKey: options.getKey ?? (() => HARNESS_KEY),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    timeouts: { connectMs: 2000, responseMs: 3000, ...options.timeouts },
  });
  const paymentUpdates: PaymentRecord[] = [];
  const refundUpdates: RefundRecord[] = [];
  const schedule: PollingSchedule = { ...FAST_SCHEDULE, ...options.schedule };
  const deps: EngineDeps = {
    db,
    gateways: bpcGateways(client),
    mode: () => 'training',
    now: Date.now,
    timers: realTimers,
    schedule: () => schedule,
    qrValiditySec: () => options.qrValiditySec ?? 600,
    qrValidTimeField: () => options.qrValidTimeField ?? '',
    maxAmountFen: () => 5_000_000,
    retUrl: () => options.retUrl,
    onPayment: (p) => paymentUpdates.push(p),
    onRefund: (r) => refundUpdates.push(r),
    logger: silentLogger,
  };
  const engines: PaymentEngine[] = [new PaymentEngine(deps)];
  let closed = false;
  const harness: EngineHarness = {
    dir,
    dbFile,
    db,
    sim,
    client,
    get engine(): PaymentEngine {
      const last = engines[engines.length - 1];
      if (last === undefined) throw new Error('no engine');
      return last;
    },
    paymentUpdates,
    refundUpdates,
    deps,
    restart() {
      for (const e of engines) e.stop();
      const fresh = new PaymentEngine(deps);
      engines.push(fresh);
      return fresh;
    },
    events: (entity, id) => listEvents(db, entity, id),
    async close() {
      if (closed) return;
      closed = true;
      for (const e of engines) e.stop();
      await sim.close();
      await client.destroy();
      // In-flight engine work may still touch the ledger for a moment after its answer arrives.
      await new Promise((r) => setTimeout(r, 30));
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}
