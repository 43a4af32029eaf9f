import type { BpcClient } from '../src/core/gateways/bpc/client';
import { bpcGatewayEntry } from '../src/core/gateways/bpc/adapter';
import type { Db } from '../src/core/ledger/db';
import { PaymentEngine, type EngineDeps } from '../src/core/payments/engine';
import { GatewayRegistry } from '../src/core/payments/registry';
import { DEFAULT_SCHEDULE } from '../src/core/payments/schedule';
import { silentLogger } from '../src/core/util/logger';
import { realTimers } from '../src/core/util/time';

/**
 * The payment engine as the benches drive it: live mode, BPC through `client`, the default polling
 * schedule and real timers on a real ledger file. `overrides` replaces any dependency (a bench's own
 * onPayment, a notification URL).
 */
export function liveBpcEngine(db: Db, client: BpcClient, overrides: Partial<EngineDeps> = {}): PaymentEngine {
  return new PaymentEngine({
    db,
    gateways: new GatewayRegistry([bpcGatewayEntry(() => client)]),
    mode: () => 'live',
    now: Date.now,
    timers: realTimers,
    schedule: () => DEFAULT_SCHEDULE,
    qrValiditySec: () => 600,
    qrValidTimeField: () => '',
    maxAmountFen: () => 5_000_000,
    retUrl: () => undefined,
    onPayment: () => undefined,
    onRefund: () => undefined,
    logger: silentLogger,
    ...overrides,
  });
}
