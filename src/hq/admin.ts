/**
 * Headquarters administration: counters (each with its own HMAC key, encrypted at rest with the HQ
 * master key), headquarters operators (scrypt PINs, as on the counters), sessions, and the snapshot
 * published to counters.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hashPin, verifyPinHash } from '../core/operators/pin';
import type { SecretCipher } from '../core/secrets/cipher';
import { HqSnapshotSchema, type HqSnapshot } from '../core/sync/protocol';
import type { Pool } from './db';

export async function addCounter(
  pool: Pool,
  cipher: SecretCipher,
  input: { store: string; lane: string; name?: string; key?: string },
): Promise<{ key: string }> {
  const key = input.key ?? randomBytes(32).toString('hex');
  if (key.length < 16) throw new Error('a counter key is at least 16 characters');
  await pool.query(
    `INSERT INTO counters (store, lane, name, key_cipher) VALUES ($1, $2, $3, $4)
     ON CONFLICT (store, lane) DO UPDATE SET key_cipher = excluded.key_cipher, name = excluded.name, revoked_at = NULL`,
    [input.store, input.lane, input.name ?? '', cipher.encrypt(key).toString('base64')],
  );
  return { key };
}

export async function revokeCounter(pool: Pool, store: string, lane: string): Promise<boolean> {
  const r = await pool.query('UPDATE counters SET revoked_at = now() WHERE store = $1 AND lane = $2 AND revoked_at IS NULL', [store, lane]);
  return (r.rowCount ?? 0) > 0;
}

export async function addOperator(pool: Pool, input: { code: string; name: string; pin: string }): Promise<void> {
  if (!/^[0-9A-Za-z]{1,16}$/.test(input.code)) throw new Error('operator code: letters and digits, 1–16');
  const pinHash = await hashPin(input.pin);
  await pool.query(
    `INSERT INTO hq_operators (code, name, pin_hash) VALUES ($1, $2, $3)
     ON CONFLICT (code) DO UPDATE SET name = excluded.name, pin_hash = excluded.pin_hash, failed_attempts = 0, locked_until = NULL, active = true`,
    [input.code, input.name, pinHash],
  );
  // A new PIN (a leaked one replaced) ends every session signed in with the old one.
  await pool.query('DELETE FROM hq_sessions WHERE operator = $1', [input.code]);
}

const SESSION_MS = 12 * 3_600_000;
const LOCK_AFTER = 5;
const LOCK_MS = 15 * 60_000;

const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export type SignInResult = { ok: true; token: string; operator: { code: string; name: string } } | { ok: false; code: 'PIN_WRONG' | 'LOCKED_OUT' };

/**
 * Verifies a manager's PIN; five wrong PINs lock the operator for 15 minutes (after that, each wrong
 * PIN locks again until a right one). The attempt is counted before the PIN is checked, in one
 * statement, so parallel guesses cannot all pass a lock check made before any of them had failed.
 */
export async function signIn(pool: Pool, code: string, pin: string, now = Date.now()): Promise<SignInResult> {
  const row = (
    await pool.query<{ code: string; name: string; pin_hash: string }>(
      `UPDATE hq_operators SET failed_attempts = failed_attempts + 1,
         locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN to_timestamp($3 / 1000.0) ELSE locked_until END
        WHERE code = $1 AND active AND (locked_until IS NULL OR locked_until <= to_timestamp($4 / 1000.0))
        RETURNING code, name, pin_hash`,
      [code, LOCK_AFTER, now + LOCK_MS, now],
    )
  ).rows[0];
  if (row === undefined) {
    const known = (await pool.query<{ active: boolean }>('SELECT active FROM hq_operators WHERE code = $1', [code])).rows[0];
    if (known?.active === true) return { ok: false, code: 'LOCKED_OUT' };
    // Same work whether or not the operator exists.
    await verifyPinHash(pin, 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    return { ok: false, code: 'PIN_WRONG' };
  }
  if (!(await verifyPinHash(pin, row.pin_hash))) return { ok: false, code: 'PIN_WRONG' };
  await pool.query('UPDATE hq_operators SET failed_attempts = 0, locked_until = NULL WHERE code = $1', [code]);
  await pool.query('DELETE FROM hq_sessions WHERE expires_at <= to_timestamp($1 / 1000.0)', [now]);
  const token = randomBytes(32).toString('base64url');
  await pool.query('INSERT INTO hq_sessions (token_hash, operator, expires_at) VALUES ($1, $2, to_timestamp($3 / 1000.0))', [
    tokenHash(token),
    code,
    now + SESSION_MS,
  ]);
  return { ok: true, token, operator: { code: row.code, name: row.name } };
}

export async function sessionOperator(pool: Pool, token: string | undefined, now = Date.now()): Promise<{ code: string; name: string } | undefined> {
  if (token === undefined || token.length < 20) return undefined;
  const row = (
    await pool.query<{ code: string; name: string }>(
      `SELECT o.code, o.name FROM hq_sessions s JOIN hq_operators o ON o.code = s.operator
        WHERE s.token_hash = $1 AND s.expires_at > to_timestamp($2 / 1000.0) AND o.active`,
      [tokenHash(token), now],
    )
  ).rows[0];
  return row;
}

export async function signOut(pool: Pool, token: string | undefined): Promise<void> {
  if (token !== undefined) await pool.query('DELETE FROM hq_sessions WHERE token_hash = $1', [tokenHash(token)]);
}

/** Input of a snapshot publication: operators may carry plain PINs, hashed here (never stored plain). */
export interface SnapshotInput {
  shopName?: string;
  receiptHeader?: string;
  receiptFooter?: string;
  maxAmountFen?: number;
  operators?: { code: string; name: string; role: 'cashier' | 'supervisor' | 'manager'; pin?: string; pinHash?: string; active?: boolean }[];
}

export async function publishSnapshot(pool: Pool, input: SnapshotInput): Promise<HqSnapshot> {
  const operators =
    input.operators === undefined
      ? undefined
      : await Promise.all(
          input.operators.map(async (o) => {
            const pinHash = o.pinHash ?? (o.pin === undefined ? undefined : await hashPin(o.pin));
            if (pinHash === undefined) throw new Error(`operator ${o.code}: a pin or pinHash is required`);
            return { code: o.code, name: o.name, role: o.role, pinHash, active: o.active ?? true };
          }),
        );
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const version = (await client.query<{ version: number }>("SELECT nextval(pg_get_serial_sequence('snapshots', 'version'))::int AS version")).rows[0]!
      .version;
    const snapshot = HqSnapshotSchema.parse({
      version,
      ...(input.shopName === undefined ? {} : { shopName: input.shopName }),
      ...(input.receiptHeader === undefined ? {} : { receiptHeader: input.receiptHeader }),
      ...(input.receiptFooter === undefined ? {} : { receiptFooter: input.receiptFooter }),
      ...(input.maxAmountFen === undefined ? {} : { maxAmountFen: input.maxAmountFen }),
      ...(operators === undefined ? {} : { operators }),
    });
    await client.query('INSERT INTO snapshots (version, body) VALUES ($1, $2)', [version, JSON.stringify(snapshot)]);
    await client.query('COMMIT');
    return snapshot;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function latestSnapshot(pool: Pool, since: number): Promise<HqSnapshot | undefined> {
  const row = (await pool.query<{ body: unknown }>('SELECT body FROM snapshots WHERE version > $1 ORDER BY version DESC LIMIT 1', [since])).rows[0];
  if (row === undefined) return undefined;
  const parsed = HqSnapshotSchema.safeParse(row.body);
  return parsed.success ? parsed.data : undefined;
}
