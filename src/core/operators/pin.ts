/**
 * PIN hashing. A 4–8 digit PIN has at most 10^8 values, so the hash must be slow (scrypt, ~32 MiB per
 * guess) and salted; it runs on libuv's thread pool so the event loop keeps serving the counter.
 * Stored form: `scrypt$N$r$p$saltB64$hashB64`. The parameters travel with the hash, so raising them
 * later still verifies old hashes.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppError } from '../../shared/errors';

export const PIN_SCRYPT = { N: 2 ** 15, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

const PIN_PATTERN = /^[0-9]{4,8}$/;

/** Whether `pin` has the accepted shape (4–8 ASCII digits). */
export function isPinFormat(pin: string): boolean {
  return PIN_PATTERN.test(pin);
}

/** Throws BAD_INPUT (field "pin") unless `pin` is 4–8 digits. The message never echoes the PIN. */
export function assertPinFormat(pin: string): void {
  if (!isPinFormat(pin)) throw new AppError('BAD_INPUT', 'a PIN is 4 to 8 digits', { field: 'pin' });
}

function scryptAsync(secret: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      scrypt(secret, salt, keyBytes, options, (error, key) => (error === null ? resolve(key) : reject(error)));
    } catch (error) {
      // Bad parameters throw synchronously.
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

function options(N: number, r: number, p: number): ScryptOptions {
  // OpenSSL needs about 128·r·(N + p + 2) bytes; Node's default 32 MiB cap is just short for N=2^15, r=8.
  return { N, r, p, maxmem: 256 * N * r * p + 1024 * 1024 };
}

/** Hashes a PIN with a fresh random salt. Throws BAD_INPUT for a malformed PIN. */
export async function hashPin(pin: string): Promise<string> {
  assertPinFormat(pin);
  const { N, r, p, saltBytes, keyBytes } = PIN_SCRYPT;
  const salt = randomBytes(saltBytes);
  const key = await scryptAsync(pin, salt, keyBytes, options(N, r, p));
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Parses a stored hash; undefined for anything malformed or with parameters out of a sane range. */
export function parsePinHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const powerOfTwo = Number.isSafeInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || !Number.isSafeInteger(r) || r < 1 || r > 32 || !Number.isSafeInteger(p) || p < 1 || p > 16) {
    return undefined;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/**
 * Whether a hash made elsewhere (a headquarters snapshot) may be stored: well-formed, and costing at most
 * four times the counter's own scrypt in memory and in work per sign-in — parsePinHash's outer bounds
 * alone still allow gigabytes and minutes for one PIN check.
 */
export function isStorablePinHash(stored: string): boolean {
  const parsed = parsePinHash(stored);
  if (parsed === undefined) return false;
  const ours = PIN_SCRYPT.N * PIN_SCRYPT.r;
  return parsed.N * parsed.r <= 4 * ours && parsed.N * parsed.r * parsed.p <= 4 * ours * PIN_SCRYPT.p;
}

/**
 * Whether `pin` matches `stored` (constant-time comparison). A malformed PIN or hash is simply false;
 * this never throws for bad input.
 */
export async function verifyPinHash(pin: string, stored: string): Promise<boolean> {
  const parsed = parsePinHash(stored);
  if (parsed === undefined || !isPinFormat(pin)) return false;
  const key = await scryptAsync(pin, parsed.salt, parsed.key.length, options(parsed.N, parsed.r, parsed.p));
  return timingSafeEqual(key, parsed.key);
}

/**
 * hashPin, blocking. Only for start-up (a provisioning file's PINs are hashed before anything else
 * runs); everywhere else use the async hashPin, which keeps the event loop free.
 */
export function hashPinSync(pin: string): string {
  assertPinFormat(pin);
  const { N, r, p, saltBytes, keyBytes } = PIN_SCRYPT;
  const salt = randomBytes(saltBytes);
  const key = scryptSync(pin, salt, keyBytes, options(N, r, p));
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** verifyPinHash, blocking (start-up only, like hashPinSync). */
export function verifyPinHashSync(pin: string, stored: string): boolean {
  const parsed = parsePinHash(stored);
  if (parsed === undefined || !isPinFormat(pin)) return false;
  return timingSafeEqual(scryptSync(pin, parsed.salt, parsed.key.length, options(parsed.N, parsed.r, parsed.p)), parsed.key);
}
