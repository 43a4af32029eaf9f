/**
 * Operators (cashier numbers), their roles and PINs. PINs are only ever stored as scrypt hashes
 * (./pin.ts); no view, event or error carries a PIN or a hash. Who may change operators is the
 * caller's decision (requireRole); these functions record who did it as the event actor.
 */
import { createHash, randomInt } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { readSetting, writeSetting } from '../ledger/settings';
import { assertPinFormat, hashPin, verifyPinHash, verifyPinHashSync } from './pin';

export type Role = 'cashier' | 'supervisor' | 'manager';
export const ROLES: readonly Role[] = ['cashier', 'supervisor', 'manager'];
const RANK: Record<Role, number> = { cashier: 1, supervisor: 2, manager: 3 };

/** What callers see of an operator: never the PIN hash. */
export interface OperatorView {
  id: number;
  code: string;
  name: string;
  role: Role;
  active: boolean;
  /** Wrong PINs since the last success or lock. */
  failedAttempts: number;
  /** Epoch ms until which PIN entry is refused; null when not locked (a past value means unlocked). */
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface LockoutOptions {
  /** Wrong PINs in a row that lock the operator (default 5). */
  maxAttempts?: number;
  /** How long the first lock lasts, ms (default 5 minutes). */
  lockMs?: number;
  /**
   * Lock lengths for the 1st, 2nd, 3rd (and every later) lock in a row, ms (default 5 → 15 → 60
   * minutes; with only `lockMs` given: lockMs, 3×, 12×). The escalation restarts after a correct PIN,
   * a supervisor's unlock or a change of the operator.
   */
  lockStepsMs?: readonly number[];
}

export const DEFAULT_LOCKOUT: Required<LockoutOptions> = { maxAttempts: 5, lockMs: 5 * 60_000, lockStepsMs: [5 * 60_000, 15 * 60_000, 60 * 60_000] };

/** Locks of this operator since its last correct PIN, unlock or change (from the event log). */
function locksInARow(db: Db, operatorId: number): number {
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM events WHERE entity = 'operator' AND entity_id = @id AND type = 'locked_out'
         AND id > COALESCE((SELECT MAX(id) FROM events WHERE entity = 'operator' AND entity_id = @id
                             AND type IN ('attempts_reset', 'unlocked', 'updated', 'signed_in')), 0)`,
    )
    .get({ id: operatorId }) as { n: number };
  return row.n;
}

/**
 * Operators created on a fresh ledger so training works out of the box. The app shows these PINs as
 * training defaults and asks the merchant to change them.
 */
export const DEFAULT_OPERATORS: readonly { code: string; name: string; role: Role; pin: string; pinHash: string }[] = [
  // The published PINs' hashes are computed once and written here (PIN_SCRYPT parameters, a fixed salt
  // per operator): a salt protects a secret PIN, and these are public. So the first start does not
  // spend three scrypts, and checking a still-published PIN is a string comparison (a test proves
  // each hash is its PIN's). A PIN set later gets a fresh random salt as always.
  {
    code: '001',
    name: '收银员',
    role: 'cashier',
    pin: '1111',
    pinHash: 'scrypt$32768$8$1$rS+SmYpSthskk0HH8Atl+w==$lKub5reubox5Vsxr6/LfEIH1TNFuvz8puEmMBmpLOG8=',
  },
  {
    code: '800',
    name: '主管',
    role: 'supervisor',
    pin: '8888',
    pinHash: 'scrypt$32768$8$1$Vg7kfmRpXQVh1DNjymINKQ==$DvmdQyObYhZIAhyn6RYAKoklktTMRbUUmQL73jdQRt8=',
  },
  {
    code: '900',
    name: '店长',
    role: 'manager',
    pin: '9999',
    pinHash: 'scrypt$32768$8$1$Hnj5xVhK2bcglbuthEMBoA==$yX+yybTs01KkjVJGAr1VX5EJ7OXA4GwMfFNjyaHYNSA=',
  },
];

/** The published PIN a stored hash is the precomputed hash of, if it is one of them. */
function publishedPinOf(hash: string): string | undefined {
  return DEFAULT_OPERATORS.find((def) => def.pinHash === hash)?.pin;
}

const CODE_PATTERN = /^[0-9A-Za-z]{1,16}$/;
const MAX_NAME_LENGTH = 40;
const SYSTEM_ACTOR = 'system';

interface OperatorDbRow {
  id: number;
  code: string;
  name: string;
  role: Role;
  pin_hash: string;
  failed_attempts: number;
  locked_until: number | null;
  active: number;
  created_at: number;
  updated_at: number;
}

function toView(row: OperatorDbRow): OperatorView {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    role: row.role,
    active: row.active === 1,
    failedAttempts: row.failed_attempts,
    lockedUntil: row.locked_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function rowByCode(db: Db, code: string): OperatorDbRow | undefined {
  return db.prepare('SELECT * FROM operators WHERE code = ?').get(code) as OperatorDbRow | undefined;
}

function assertCode(code: string): string {
  if (!CODE_PATTERN.test(code)) throw new AppError('BAD_INPUT', 'an operator number is 1–16 letters or digits', { field: 'code' });
  return code;
}

function assertName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH) {
    throw new AppError('BAD_INPUT', `a name is 1–${MAX_NAME_LENGTH} characters`, { field: 'name' });
  }
  return trimmed;
}

function assertRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new AppError('BAD_INPUT', `unknown role "${role}"`, { field: 'role' });
  return role as Role;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed: operators\.code/.test(error.message);
}

/** Whether `op` has at least `role` (manager ⊇ supervisor ⊇ cashier) and is active. */
export function hasRole(op: { role: Role; active?: boolean }, role: Role): boolean {
  return op.active !== false && RANK[op.role] >= RANK[role];
}

/** Throws ROLE_REQUIRED unless `op` is active and has at least `role`. */
export function requireRole(op: { role: Role; active?: boolean }, role: Role): void {
  if (!hasRole(op, role)) {
    throw new AppError('ROLE_REQUIRED', `this needs a ${role}`, { required: role, actual: op.role });
  }
}

/** One operator by code (inactive ones included), or undefined. */
export function getOperator(db: Db, code: string): OperatorView | undefined {
  const row = rowByCode(db, code);
  return row === undefined ? undefined : toView(row);
}

/** Every operator, active or not, ordered by code. Never includes hashes. */
export function listOperators(db: Db): OperatorView[] {
  return (db.prepare('SELECT * FROM operators ORDER BY code').all() as OperatorDbRow[]).map(toView);
}

export interface NewOperator {
  code: string;
  name: string;
  role: Role;
  /** 4–8 digits; only its hash is stored. */
  pin: string;
  /** Default true; false creates the operator already deactivated (e.g. prepared for a later start). */
  active?: boolean;
}

/**
 * Creates an operator. `actor` (operator code of whoever did it) is recorded in the event.
 * Throws BAD_INPUT for a malformed code/name/role/PIN or a code already in use.
 */
export async function createOperator(db: Db, input: NewOperator, now: number, actor: string | null = null): Promise<OperatorView> {
  const code = assertCode(input.code);
  const name = assertName(input.name);
  const role = assertRole(input.role);
  assertPinFormat(input.pin);
  const active = input.active ?? true;
  if (rowByCode(db, code) !== undefined) throw new AppError('BAD_INPUT', `operator ${code} already exists`, { field: 'code' });
  const pinHash = await hashPin(input.pin);
  rememberHashOf(pinHash, input.pin);
  try {
    return db
      .transaction((): OperatorView => {
        const info = db
          .prepare('INSERT INTO operators (code, name, role, pin_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(code, name, role, pinHash, active ? 1 : 0, now, now);
        const id = Number(info.lastInsertRowid);
        appendEvent(db, { at: now, entity: 'operator', entityId: id, type: 'created', actor, data: { code, name, role, active } });
        return toView(db.prepare('SELECT * FROM operators WHERE id = ?').get(id) as OperatorDbRow);
      })
      .immediate();
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('BAD_INPUT', `operator ${code} already exists`, { field: 'code' });
    throw error;
  }
}

export interface OperatorChanges {
  name?: string;
  role?: Role;
  /** A new PIN; setting one also clears a lockout. */
  pin?: string;
  active?: boolean;
}

/**
 * Changes an operator. A new PIN resets the failed-attempt counter and any lock. Refuses (INVALID_STATE)
 * a change that would leave no active manager. Throws NOT_FOUND, BAD_INPUT.
 */
export async function updateOperator(db: Db, code: string, changes: OperatorChanges, now: number, actor: string | null = null): Promise<OperatorView> {
  if (rowByCode(db, code) === undefined) throw new AppError('NOT_FOUND', `operator ${code} not found`, { field: 'code' });
  const name = changes.name === undefined ? undefined : assertName(changes.name);
  const role = changes.role === undefined ? undefined : assertRole(changes.role);
  if (changes.pin !== undefined) assertPinFormat(changes.pin);
  const pinHash = changes.pin === undefined ? undefined : await hashPin(changes.pin);
  if (pinHash !== undefined && changes.pin !== undefined) rememberHashOf(pinHash, changes.pin);
  return db
    .transaction((): OperatorView => {
      const current = rowByCode(db, code);
      if (current === undefined) throw new AppError('NOT_FOUND', `operator ${code} not found`, { field: 'code' });
      const next = {
        name: name ?? current.name,
        role: role ?? current.role,
        active: changes.active === undefined ? current.active === 1 : changes.active,
      };
      const wasManager = current.role === 'manager' && current.active === 1;
      if (wasManager && (next.role !== 'manager' || !next.active)) {
        const others = db.prepare("SELECT COUNT(*) AS n FROM operators WHERE role = 'manager' AND active = 1 AND id <> ?").get(current.id) as { n: number };
        if (others.n === 0) throw new AppError('INVALID_STATE', 'at least one active manager must remain', { field: 'role' });
      }
      db.prepare(
        `UPDATE operators SET name = ?, role = ?, active = ?, updated_at = ?${
          pinHash === undefined ? '' : ', pin_hash = ?, failed_attempts = 0, locked_until = NULL'
        } WHERE id = ?`,
      ).run(...[next.name, next.role, next.active ? 1 : 0, now, ...(pinHash === undefined ? [] : [pinHash]), current.id]);
      const changed: Record<string, string | boolean> = {};
      if (next.name !== current.name) changed.name = next.name;
      if (next.role !== current.role) changed.role = next.role;
      if (next.active !== (current.active === 1)) changed.active = next.active;
      if (pinHash !== undefined) changed.pinChanged = true;
      appendEvent(db, { at: now, entity: 'operator', entityId: current.id, type: 'updated', actor, data: { code, changes: changed } });
      return toView(db.prepare('SELECT * FROM operators WHERE id = ?').get(current.id) as OperatorDbRow);
    })
    .immediate();
}

/** Lifts a lockout and clears the failed-attempt counter (a supervisor's action). Throws NOT_FOUND. */
export function unlockOperator(db: Db, code: string, now: number, actor: string | null = null): OperatorView {
  return db
    .transaction((): OperatorView => {
      const current = rowByCode(db, code);
      if (current === undefined) throw new AppError('NOT_FOUND', `operator ${code} not found`, { field: 'code' });
      db.prepare('UPDATE operators SET failed_attempts = 0, locked_until = NULL, updated_at = ? WHERE id = ?').run(now, current.id);
      appendEvent(db, { at: now, entity: 'operator', entityId: current.id, type: 'unlocked', actor, data: { code } });
      return toView(db.prepare('SELECT * FROM operators WHERE id = ?').get(current.id) as OperatorDbRow);
    })
    .immediate();
}

let dummyHash: Promise<string> | undefined;

/** A hash nobody knows the PIN of: unknown operators cost the same scrypt as known ones. */
function timingDummy(): Promise<string> {
  dummyHash ??= hashPin(String(randomInt(10_000_000, 100_000_000)));
  return dummyHash;
}

/**
 * Checks an operator's PIN. Resolves with the operator on success (and resets the counter).
 * Rejects with PIN_WRONG for a wrong PIN and equally for an unknown or inactive operator (the answer
 * does not reveal which codes exist); with LOCKED_OUT (details.lockedUntil, epoch ms) once
 * `maxAttempts` wrong PINs in a row have locked the operator — from that attempt on, even the right
 * PIN is refused until `lockMs` has passed. `now` is epoch ms.
 */
export async function verifyPin(db: Db, code: string, pin: string, now: number, opts: LockoutOptions = {}): Promise<OperatorView> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_LOCKOUT.maxAttempts;
  const steps = opts.lockStepsMs ?? (opts.lockMs === undefined ? DEFAULT_LOCKOUT.lockStepsMs : [opts.lockMs, opts.lockMs * 3, opts.lockMs * 12]);
  const wrong = (): AppError => new AppError('PIN_WRONG', 'operator number or PIN is wrong');
  const locked = (until: number): AppError => new AppError('LOCKED_OUT', 'too many wrong PINs; try again later or ask a supervisor', { lockedUntil: until });

  const before = rowByCode(db, code);
  if (before === undefined || before.active !== 1) {
    await verifyPinHash(pin, await timingDummy());
    throw wrong();
  }
  if (before.locked_until !== null && before.locked_until > now) throw locked(before.locked_until);
  const published = publishedPinOf(before.pin_hash);
  const matches = published !== undefined ? pin === published : await verifyPinHash(pin, before.pin_hash);

  // The hash ran outside the transaction (it is async); re-read and decide on the current row. The
  // outcome is thrown only after commit, so a failed attempt is really counted.
  const outcome = db
    .transaction((): { ok: OperatorView } | { error: AppError } => {
      const row = rowByCode(db, code);
      if (row === undefined || row.active !== 1 || row.pin_hash !== before.pin_hash) return { error: wrong() };
      if (row.locked_until !== null && row.locked_until > now) return { error: locked(row.locked_until) };
      if (matches) {
        if (row.failed_attempts !== 0 || row.locked_until !== null) {
          db.prepare('UPDATE operators SET failed_attempts = 0, locked_until = NULL WHERE id = ?').run(row.id);
          appendEvent(db, {
            at: now,
            entity: 'operator',
            entityId: row.id,
            type: 'attempts_reset',
            actor: code,
            data: { code, failedAttempts: row.failed_attempts, lockExpired: row.locked_until !== null },
          });
        }
        return { ok: toView(rowByCode(db, code) as OperatorDbRow) };
      }
      const attempts = row.failed_attempts + 1;
      if (attempts >= maxAttempts) {
        // 5 → 15 → 60 minutes: each further lock in a row lasts longer.
        const level = Math.min(locksInARow(db, row.id), steps.length - 1);
        const lockMs = steps[level] ?? DEFAULT_LOCKOUT.lockMs;
        const until = now + lockMs;
        // The counter starts afresh once the lock has run out.
        db.prepare('UPDATE operators SET failed_attempts = 0, locked_until = ? WHERE id = ?').run(until, row.id);
        appendEvent(db, {
          at: now,
          entity: 'operator',
          entityId: row.id,
          type: 'locked_out',
          actor: code,
          data: { code, attempts, lockedUntil: until, lockMinutes: Math.round(lockMs / 60_000), lockNumber: level + 1 },
        });
        return { error: locked(until) };
      }
      db.prepare('UPDATE operators SET failed_attempts = ? WHERE id = ?').run(attempts, row.id);
      appendEvent(db, { at: now, entity: 'operator', entityId: row.id, type: 'pin_wrong', actor: code, data: { code, attempts } });
      return { error: wrong() };
    })
    .immediate();
  if ('error' in outcome) throw outcome.error;
  return outcome.ok;
}

/**
 * On a ledger with no operators at all, creates DEFAULT_OPERATORS (manager 900, supervisor 800,
 * cashier 001) and resolves true; otherwise does nothing and resolves false.
 */
export function ensureDefaultOperators(db: Db, now: number): Promise<boolean> {
  const count = (): number => (db.prepare('SELECT COUNT(*) AS n FROM operators').get() as { n: number }).n;
  if (count() > 0) return Promise.resolve(false);
  const hashes = DEFAULT_OPERATORS.map((op) => op.pinHash);
  const created = db
    .transaction((): boolean => {
      if (count() > 0) return false;
      DEFAULT_OPERATORS.forEach((op, i) => {
        const info = db
          .prepare('INSERT INTO operators (code, name, role, pin_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(op.code, op.name, op.role, hashes[i], now, now);
        appendEvent(db, {
          at: now,
          entity: 'operator',
          entityId: Number(info.lastInsertRowid),
          type: 'created',
          actor: SYSTEM_ACTOR,
          data: { code: op.code, name: op.name, role: op.role, trainingDefault: true },
        });
      });
      return true;
    })
    .immediate();
  return Promise.resolve(created);
}

/**
 * Whether a stored hash is known to be (true) or not to be (false) the hash of a published training PIN.
 * The answer depends on the hash string alone (its salt and key), so it can be remembered: a PIN set
 * through this process is recorded at hashing time, any other hash after its first check. Bounded; a
 * forgotten entry only costs the scrypts again.
 */
const publishedByHash = new Map<string, boolean>();
const MAX_REMEMBERED = 4096;

function remember(hash: string, published: boolean): void {
  if (publishedByHash.size >= MAX_REMEMBERED) publishedByHash.clear();
  publishedByHash.set(hash, published);
}

/** Records what a freshly made hash is the hash of (the plain PIN is at hand only then). */
function rememberHashOf(hash: string, pin: string): void {
  remember(hash, isDefaultPin(pin));
}

/** For tests measuring the cold cost: forgets what this process remembered (the ledger's list stays). */
export function forgetPublishedPinChecks(): void {
  publishedByHash.clear();
}

/**
 * Setting: SHA-256 digests of the active operators' stored hashes already found NOT to be a published PIN,
 * so a start does not spend up to three scrypts per operator again. A digest reveals nothing of the PIN
 * (the hash itself stays in the operators table); any hash written afterwards (Settings, provisioning, a
 * headquarters snapshot) has another digest and is checked afresh. Rewritten by every check, with only
 * the current operators' digests.
 */
export const PIN_CHECKED_SETTING = 'operators.pinChecked';

function digestOf(hash: string): string {
  return createHash('sha256').update(hash).digest('hex');
}

function checkedDigests(db: Db): Set<string> {
  const value = readSetting(db, PIN_CHECKED_SETTING);
  return new Set(Array.isArray(value) ? value.filter((d): d is string => typeof d === 'string') : []);
}

/** Stores the digests of `notPublished` when they differ from what the ledger holds. */
function storeChecked(db: Db, before: Set<string>, notPublished: readonly OperatorDbRow[]): void {
  const digests = [...new Set(notPublished.map((row) => digestOf(row.pin_hash)))].sort();
  if (digests.length === before.size && digests.every((d) => before.has(d))) return;
  writeSetting(db, PIN_CHECKED_SETTING, digests, Date.now());
}

/** Without scrypt: a still-published precomputed hash, a remembered or stored answer; undefined when unknown. */
function knownPublished(hash: string, checked: Set<string>): boolean | undefined {
  if (DEFAULT_OPERATORS.some((def) => def.pinHash === hash)) return true;
  return publishedByHash.get(hash) ?? (checked.has(digestOf(hash)) ? false : undefined);
}

function activeOperatorRows(db: Db): OperatorDbRow[] {
  return db.prepare('SELECT * FROM operators WHERE active = 1 ORDER BY code').all() as OperatorDbRow[];
}

/** Scrypts running at once for one check: the counter has 2–4 cores and the thread pool serves file I/O too. */
const CHECK_CONCURRENCY = 2;

/**
 * Codes (ordered) of active operators — any code, not only DEFAULT_OPERATORS' — whose PIN is one of the
 * published training PINs (a trainee 002 given 8888 in training, 800 re-set to 001's 1111), so the app
 * can insist they be changed before live use. A still-published precomputed hash is a string comparison;
 * a hash made by this process or already checked (PIN_CHECKED_SETTING) costs nothing; any other costs up
 * to one scrypt per published PIN (a PIN re-set to a published one gets a fresh salt), two at a time.
 */
export async function operatorsWithDefaultPin(db: Db): Promise<string[]> {
  const checked = checkedDigests(db);
  const rows = activeOperatorRows(db);
  const published = new Map<OperatorDbRow, boolean>();
  const unknown: OperatorDbRow[] = [];
  for (const row of rows) {
    const known = knownPublished(row.pin_hash, checked);
    if (known === undefined) unknown.push(row);
    else published.set(row, known);
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let row = unknown[next++]; row !== undefined; row = unknown[next++]) {
      let found = false;
      for (const def of DEFAULT_OPERATORS) {
        if (await verifyPinHash(def.pin, row.pin_hash)) {
          found = true;
          break;
        }
      }
      remember(row.pin_hash, found);
      published.set(row, found);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, unknown.length) }, worker));
  // The scrypts ran outside any transaction: store only digests of hashes still in place now.
  const current = new Set(activeOperatorRows(db).map((row) => row.pin_hash));
  storeChecked(
    db,
    checked,
    rows.filter((row) => published.get(row) === false && current.has(row.pin_hash)),
  );
  return rows.filter((row) => published.get(row) === true).map((row) => row.code);
}

/**
 * operatorsWithDefaultPin, blocking (start-up only: provisioning decides inside one transaction); the
 * operators in `skip` are left out (the caller checks their new PINs in plain text).
 */
export function operatorsWithDefaultPinSync(db: Db, skip: readonly string[] = []): string[] {
  const checked = checkedDigests(db);
  const rows = activeOperatorRows(db).filter((row) => !skip.includes(row.code));
  const flagged = rows.filter((row) => {
    const known = knownPublished(row.pin_hash, checked);
    if (known !== undefined) return known;
    const found = DEFAULT_OPERATORS.some((def) => verifyPinHashSync(def.pin, row.pin_hash));
    remember(row.pin_hash, found);
    return found;
  });
  return flagged.map((row) => row.code);
}

/**
 * Whether `pin` is one of the published training PINs — under any operator code: a new operator 002 with
 * PIN 8888 is as guessable as supervisor 800 with it (the HQ snapshot refuses such a hash the same way).
 */
export function isDefaultPin(pin: string): boolean {
  return DEFAULT_OPERATORS.some((def) => def.pin === pin);
}

/** The error for "live mode while these operators still have the published training PINs". */
export function defaultPinsError(codes: readonly string[]): AppError {
  return new AppError(
    'DEFAULT_PINS',
    `operators ${codes.join(', ')} still have the published training PINs; give them new PINs (Settings → Operators, or "operators" in the provisioning file) before going live`,
    { operators: codes.join(',') },
  );
}

export interface ProvisionedOperator {
  code: string;
  name?: string | undefined;
  role?: Role | undefined;
  active?: boolean | undefined;
  /** Already hashed (hashPinSync); the plain PIN never reaches the ledger. */
  pinHash?: string | undefined;
}

/**
 * Creates or changes an operator from the provisioning file (inside the caller's transaction). A new
 * operator needs a name, a role and a PIN. A new PIN clears a lockout. Throws CONFIG_INVALID naming
 * `operators.<index>.<field>`; refuses (INVALID_STATE) to leave no active manager.
 */
export function provisionOperator(db: Db, op: ProvisionedOperator, index: number, now: number, actor: string): void {
  const field = (name: string): string => `operators.${index}.${name}`;
  const current = rowByCode(db, op.code);
  if (current === undefined) {
    if (op.name === undefined || op.role === undefined || op.pinHash === undefined) {
      throw new AppError('CONFIG_INVALID', `provisioning file: ${field('pin')}: a new operator ${op.code} needs name, role and pin`, {
        field: field(op.pinHash === undefined ? 'pin' : op.name === undefined ? 'name' : 'role'),
      });
    }
    const active = op.active ?? true;
    const info = db
      .prepare('INSERT INTO operators (code, name, role, pin_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(op.code, op.name, op.role, op.pinHash, active ? 1 : 0, now, now);
    appendEvent(db, {
      at: now,
      entity: 'operator',
      entityId: Number(info.lastInsertRowid),
      type: 'created',
      actor,
      data: { code: op.code, name: op.name, role: op.role, active },
    });
    return;
  }
  const next = { name: op.name ?? current.name, role: op.role ?? current.role, active: op.active ?? current.active === 1 };
  const changed: Record<string, string | boolean> = {};
  if (next.name !== current.name) changed.name = next.name;
  if (next.role !== current.role) changed.role = next.role;
  if (next.active !== (current.active === 1)) changed.active = next.active;
  if (op.pinHash !== undefined) changed.pinChanged = true;
  if (Object.keys(changed).length === 0) return;
  if (current.role === 'manager' && current.active === 1 && (next.role !== 'manager' || !next.active)) {
    const others = db.prepare("SELECT COUNT(*) AS n FROM operators WHERE role = 'manager' AND active = 1 AND id <> ?").get(current.id) as { n: number };
    if (others.n === 0)
      throw new AppError('INVALID_STATE', `provisioning file: ${field('role')}: at least one active manager must remain`, { field: field('role') });
  }
  db.prepare(
    `UPDATE operators SET name = ?, role = ?, active = ?, updated_at = ?${op.pinHash === undefined ? '' : ', pin_hash = ?, failed_attempts = 0, locked_until = NULL'} WHERE id = ?`,
  ).run(...[next.name, next.role, next.active ? 1 : 0, now, ...(op.pinHash === undefined ? [] : [op.pinHash]), current.id]);
  appendEvent(db, { at: now, entity: 'operator', entityId: current.id, type: 'updated', actor, data: { code: op.code, changes: changed } });
}
