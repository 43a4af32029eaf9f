/**
 * Bad input in the user's words. The host reports a refused input as BAD_INPUT with the field's path
 * (`details.field`, e.g. `merOrderNo` or `value.limits.maxAmountFen`) and an English schema message;
 * a local `safeParse` gives zod issues. Neither is ever shown as it is: every screen turns it into
 * "<field label>：<rule>" with these helpers (the label comes from the screen, the rule from here).
 */
import { BridgeError } from '../bridge/client';
import { formatFen } from './format';
import type { MessageKey } from '../i18n';

type T = (key: MessageKey, params?: Record<string, string | number>) => string;

/** The rule of one field as the user reads it. */
export interface InputProblem {
  /** The field path without the `value.` settings envelope ('' when the host named none). */
  field: string;
  /** The screen's label for the field, or null when the screen did not name it. */
  label: string | null;
  /** The rule in the user's language ("只能是字母、数字、_ 和 -"), never schema text. */
  rule: string;
}

/** Known schema / host messages (English, from src/shared and src/core) and their rule text. */
const KNOWN_RULES: Record<string, MessageKey> = {
  'letters, digits, _ and - only': 'input.rule.orderNoChars',
  'letters and digits, 1–32': 'manage.v.alnum32',
  'letters and digits, 1–16': 'manage.v.alnum16',
  'must be an http:// or https:// URL': 'manage.v.url',
  '4–8 digits': 'manage.v.pin',
  'a PIN is 4 to 8 digits': 'manage.v.pin',
  'the custom protocol needs its templates': 'manage.v.customNeeded',
  'unknown time zone': 'manage.v.timeZone',
  'a reason is required': 'manage.v.required',
  'a new operator needs a PIN': 'manage.v.required',
  'a PEM certificate (-----BEGIN CERTIFICATE-----) is expected': 'manage.v.caPem',
};

/** Field names the host uses on its own (not from a schema) and their labels. */
const KNOWN_FIELDS: Record<string, MessageKey> = {
  merOrderNo: 'input.field.merOrderNo',
  memo: 'input.field.memo',
  amountFen: 'input.field.amount',
  reason: 'input.field.reason',
  pin: 'input.field.pin',
  code: 'input.field.code',
  name: 'input.field.name',
};

/** A field whose value is integer fen (by the naming rule of src/shared: `…Fen`): limits are shown in yuan. */
function isFenField(path: string): boolean {
  return /fen$/i.test(path.split('.').pop() ?? '');
}

/**
 * One schema message → the rule in the user's language. `path` tells whether the value is fen (its
 * limits are then shown as yuan) or a text (a minimum of 1 character means "required").
 */
export function ruleText(t: T, message: string, path = ''): string {
  const known = KNOWN_RULES[message];
  if (known !== undefined) return t(known);
  const expired = /^the CA certificate expired on (\d{4}-\d{2}-\d{2})$/.exec(message);
  if (expired !== null) return t('manage.v.caExpired', { date: expired[1] ?? '' });
  const fen = isFenField(path);
  const bound = /expected (number|string|array|bigint) to (?:be|have) ([<>]=?)\s*(-?[\d.]+)/.exec(message);
  if (bound !== null) {
    const [, kind, op = '', raw = '0'] = bound;
    const n = Number(raw);
    const lower = op.startsWith('>');
    const inclusive = op.endsWith('=');
    if (kind === 'string' || kind === 'array') {
      const count = inclusive ? n : lower ? n + 1 : n - 1;
      if (lower) return count <= 1 ? t('manage.v.required') : t('input.rule.minChars', { n: count });
      return t('input.rule.maxChars', { n: count });
    }
    if (fen) {
      // Whole fen: an exclusive bound is the next fen; shown in yuan like every amount.
      const limit = inclusive ? n : lower ? n + 1 : n - 1;
      if (lower) return limit <= 1 ? t('input.rule.positiveAmount') : t('manage.v.min', { min: formatFen(limit) });
      return t('manage.v.max', { max: formatFen(limit) });
    }
    if (lower) return inclusive ? t('manage.v.min', { min: String(n) }) : t('input.rule.gt', { n: String(n) });
    return inclusive ? t('manage.v.max', { max: String(n) }) : t('input.rule.lt', { n: String(n) });
  }
  if (/expected number, received/.test(message)) return t('manage.v.number');
  if (/expected int/.test(message)) return t('manage.v.int');
  if (/Invalid option/.test(message)) return t('manage.v.option');
  if (/Required|received undefined/.test(message)) return t('manage.v.required');
  if (/must match pattern|Invalid string/.test(message)) return t('input.rule.format');
  if (/already exists/.test(message)) return t('input.rule.taken');
  // Never the schema's own words: a generic rule that still says what to do.
  return t('input.rule.check');
}

/**
 * A host BAD_INPUT as a field problem, with the label the screen gives the field (`labels` keyed by
 * the field path; a few host-side names are known here). Returns null for any other error.
 */
export function badInputProblem(t: T, error: unknown, labels: Record<string, string> = {}): InputProblem | null {
  if (!(error instanceof BridgeError) || error.info.code !== 'BAD_INPUT') return null;
  const raw = typeof error.info.details?.field === 'string' ? error.info.details.field : '';
  const at = raw === '' ? -1 : error.info.message.indexOf(`${raw}: `);
  const message = at >= 0 ? error.info.message.slice(at + raw.length + 2) : error.info.message.replace(/^[\w:-]+:\s*/, '');
  const field = raw.startsWith('value.') ? raw.slice('value.'.length) : raw;
  const last = field.split('.').pop() ?? '';
  const known = KNOWN_FIELDS[field] ?? KNOWN_FIELDS[last];
  const label = labels[field] ?? labels[raw] ?? (known === undefined ? null : t(known));
  return { field, label, rule: ruleText(t, message, field) };
}

/** "订单号：只能是字母、数字、_ 和 -" — or the rule alone when the field has no label. */
export function problemText(t: T, problem: InputProblem): string {
  return problem.label === null ? t('input.unlabelled', { rule: problem.rule }) : t('input.labelled', { label: problem.label, rule: problem.rule });
}
