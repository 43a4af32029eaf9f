/**
 * The counter's lane code: a short identifier of this counter (收银台号) that is part of every order
 * number it makes (payments' tradeNo, refund numbers, request serials), so two counters on one
 * merchant number can never produce the same number, even in the same millisecond.
 *
 * Set once: by the provisioning file (`counter.lane`) or in Settings (a supervisor approves), and
 * only while the ledger has no live sale. Until one is set, a default is derived from the ledger's
 * identity and stored at first use, so it never changes under a running counter. After the first
 * live sale the lane is fixed: the bank (and headquarters) have seen numbers carrying it, and a
 * change could only make this counter reuse another counter's code.
 */
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { LaneCodeSchema, type LaneView } from '../../shared/settings';
import { stmt, type Db } from './db';
import { appendEvent } from './events';
import { IDENTITY_SETTING } from './identity';
import { readSetting, writeSetting } from './settings';

export const LANE_SETTING = 'counter.lane';

export type LaneSource = LaneView['source'];

interface StoredLane {
  code: string;
  source: LaneSource;
  setAt: number;
}

function parseStored(value: unknown): StoredLane | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, source, setAt } = value as Record<string, unknown>;
  if (!LaneCodeSchema.safeParse(code).success || typeof setAt !== 'number') return undefined;
  if (source !== 'derived' && source !== 'provisioning' && source !== 'settings') return undefined;
  return { code: code as string, source, setAt };
}

/** A two-digit default from the ledger's identity (stable for this ledger, spread across 00–99). */
export function deriveLane(identityId: string): string {
  const digest = createHash('sha256').update(`lane:${identityId}`).digest();
  return String(digest.readUInt32BE(0) % 100).padStart(2, '0');
}

function identityId(db: Db): string {
  const stored = readSetting(db, IDENTITY_SETTING);
  const id = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>).id : undefined;
  return typeof id === 'string' && id !== '' ? id : randomUUID();
}

/** The stored lane code, without deriving one (undefined before the first start stored it). */
export function storedLaneCode(db: Db): string | undefined {
  return parseStored(readSetting(db, LANE_SETTING))?.code;
}

/** True once the ledger holds a live sale: from then on the lane cannot change. */
export function laneLocked(db: Db): boolean {
  return stmt(db, "SELECT 1 FROM payments WHERE mode = 'live' LIMIT 1").get() !== undefined;
}

/** The lane as stored, deriving and storing the default the first time (inside the caller's transaction, if any). */
export function ensureLane(db: Db, now: number): StoredLane {
  const stored = parseStored(readSetting(db, LANE_SETTING));
  if (stored !== undefined) return stored;
  const lane: StoredLane = { code: deriveLane(identityId(db)), source: 'derived', setAt: now };
  db.transaction(() => {
    writeSetting(db, LANE_SETTING, lane, now);
    appendEvent(db, { at: now, entity: 'settings', type: 'lane_set', data: { code: lane.code, source: lane.source } });
  })();
  return lane;
}

const cache = new WeakMap<Db, string>();

/** The lane code for order numbers (cached per connection; `setLane` refreshes it). */
export function laneCode(db: Db, now: number): string {
  const cached = cache.get(db);
  if (cached !== undefined) return cached;
  const code = ensureLane(db, now).code;
  // Inside a transaction the derived default may still roll back: cache it only once it is committed.
  if (!db.inTransaction) cache.set(db, code);
  return code;
}

export function laneView(db: Db, now: number): LaneView {
  const lane = ensureLane(db, now);
  return { code: lane.code, source: lane.source, locked: laneLocked(db) };
}

/**
 * Sets the lane (provisioning file or Settings). Refuses BAD_INPUT for a malformed code and
 * INVALID_STATE once the ledger has a live sale (unless the code is unchanged: then nothing happens).
 * Returns whether it changed.
 */
export function setLane(db: Db, input: { code: string; source: Exclude<LaneSource, 'derived'>; actor: string | null; now: number }): boolean {
  const parsed = LaneCodeSchema.safeParse(input.code);
  if (!parsed.success) {
    throw new AppError('BAD_INPUT', `lane code "${input.code}": ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'lane' });
  }
  const code = parsed.data;
  return db
    .transaction((): boolean => {
      const current = parseStored(readSetting(db, LANE_SETTING));
      if (current?.code === code) return false;
      if (laneLocked(db)) {
        throw new AppError(
          'INVALID_STATE',
          `the lane code is ${current?.code ?? '(none)'} and cannot change after the first live sale: order numbers with it have reached the bank; keep it, or set up this counter with a new ledger`,
          {
            field: 'lane',
            lane: current?.code ?? null,
          },
        );
      }
      writeSetting(db, LANE_SETTING, { code, source: input.source, setAt: input.now } satisfies StoredLane, input.now);
      appendEvent(db, {
        at: input.now,
        entity: 'settings',
        type: 'lane_set',
        actor: input.actor,
        data: { code, source: input.source, was: current?.code ?? null },
      });
      cache.set(db, code);
      return true;
    })
    .immediate();
}
