import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * BPC's signature (seed §2.2): lowercase hex MD5 of the UTF-8 bytes of `<exact JSON body text>&<signKey>`.
 * It covers the exact text that goes on the wire: serialise once, sign that string, send that string.
 */
export function signBpcBody(bodyText: string, signKey: string): string {
  return createHash('md5').update(`${bodyText}&${signKey}`, 'utf8').digest('hex');
}

/** Constant-time check of a received `sign` header (case-insensitive hex) against the body text. */
export function verifyBpcSign(bodyText: string, signKey: string, given: string | undefined | null): boolean {
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  const expected = Buffer.from(signBpcBody(bodyText, signKey), 'hex');
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase(), 'hex'));
}
