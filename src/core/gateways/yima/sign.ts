import { createHash, timingSafeEqual } from 'node:crypto';
import type { YimaMessage, YimaValue } from './wire';

/**
 * Yima's signing algorithm ("chapter 2.1" of the seed) is NOT in our material. These are the candidate
 * rules [guess], selectable in Settings; "check a rule" (checkSignRule) tells an installer which one
 * reproduces a known-good signed body from Yima.
 *
 * - `sorted_kv_key` (a): drop `sign`, sort top-level keys by ASCII, `k=v` joined by `&` (nested values as
 *   compact JSON, empty values included), the key appended directly; MD5 over UTF-8; upper case.
 * - `sorted_kv_amp_key`: as (a) but `&key=<key>` appended.
 * - `json_key` (b): MD5(compact JSON without `sign` + key); upper case.
 * - `key_body_key` (c): MD5(key + compact JSON without `sign` + key); upper case — the rule of Yima's older
 *   platforms, whose form transport also uses it as `mac` (lower case there).
 */
export type YimaSignRule = 'sorted_kv_key' | 'sorted_kv_amp_key' | 'json_key' | 'key_body_key';
export const YIMA_SIGN_RULES: readonly YimaSignRule[] = ['sorted_kv_key', 'sorted_kv_amp_key', 'json_key', 'key_body_key'];

export function isYimaSignRule(value: unknown): value is YimaSignRule {
  return typeof value === 'string' && (YIMA_SIGN_RULES as readonly string[]).includes(value);
}

const md5 = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

function withoutSign(message: YimaMessage): YimaMessage {
  const { sign: _sign, ...rest } = message;
  return rest;
}

function kvValue(value: YimaValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The `k=v&k=v` string of rule (a), without the key. */
export function sortedKvString(message: YimaMessage): string {
  const rest = withoutSign(message);
  return Object.keys(rest)
    .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    .map((k) => `${k}=${kvValue(rest[k] as YimaValue)}`)
    .join('&');
}

/**
 * The texts a rule may have signed. For our own requests it is one text; when verifying a received
 * body, the raw text with its `sign` member cut out is tried as well (the sender's serialiser may
 * escape or space differently than ours).
 */
function signedTexts(rule: YimaSignRule, message: YimaMessage, rawText: string | undefined, key: string): string[] {
  switch (rule) {
    case 'sorted_kv_key':
      return [`${sortedKvString(message)}${key}`];
    case 'sorted_kv_amp_key':
      return [`${sortedKvString(message)}&key=${key}`];
    case 'json_key':
    case 'key_body_key': {
      const bodies = [JSON.stringify(withoutSign(message))];
      const cut = rawText === undefined ? null : cutSignMember(rawText);
      if (cut !== null && !bodies.includes(cut)) bodies.push(cut);
      return bodies.map((b) => (rule === 'json_key' ? `${b}${key}` : `${key}${b}${key}`));
    }
  }
}

/** The raw JSON text with its top-level `"sign":"…"` member removed, or null when there is none. */
export function cutSignMember(rawText: string): string | null {
  const trailing = /,\s*"sign"\s*:\s*"[^"]*"/;
  const leading = /"sign"\s*:\s*"[^"]*"\s*,?/;
  if (trailing.test(rawText)) return rawText.replace(trailing, '');
  if (leading.test(rawText)) return rawText.replace(leading, '');
  return null;
}

/** The upper-case MD5 sign of a message we send (its `sign`, if any, is ignored). */
export function signYimaMessage(rule: YimaSignRule, message: YimaMessage, key: string): string {
  const [text] = signedTexts(rule, message, undefined, key);
  return md5(Buffer.from(text ?? '', 'utf8')).toUpperCase();
}

/** Constant-time, case-insensitive check of a received `sign` against the rule. */
export function verifyYimaSign(rule: YimaSignRule, message: YimaMessage, key: string, given: unknown, rawText?: string): boolean {
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  const givenBytes = Buffer.from(given.toLowerCase(), 'hex');
  let ok = false;
  for (const text of signedTexts(rule, message, rawText, key)) {
    const expected = Buffer.from(md5(Buffer.from(text, 'utf8')), 'hex');
    if (timingSafeEqual(expected, givenBytes)) ok = true;
  }
  return ok;
}

/** The form transport's `mac` [guess, Yima's older platforms]: lower-case MD5(key + xml + key) over the GBK bytes sent. */
export function formMac(xmlBytes: Buffer, keyBytes: Buffer): string {
  return md5(Buffer.concat([keyBytes, xmlBytes, keyBytes]));
}

export function verifyFormMac(xmlBytes: Buffer, keyBytes: Buffer, given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-fA-F]{32}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(formMac(xmlBytes, keyBytes), 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
}
