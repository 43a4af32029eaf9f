import { createContext, useContext, useMemo } from 'react';
import type { z } from 'zod';
import { BridgeError } from '../../bridge/client';
import { hasMessage, useLang, useT } from '../../i18n';
import { formatFen } from '../../lib/format';
import { useErrorText } from '../../lib/error-text';
import { ruleText } from '../../lib/input-errors';

type T = ReturnType<typeof useT>;

/**
 * Bridge errors in the user's language. Codes the shared dictionary lacks (UNRESOLVED_ITEMS,
 * DAY_CLOSED, device codes…) come from the manage dictionary; the host's message stays as detail.
 * `labels` name the form's fields for a BAD_INPUT (keyed by the field path the host reports).
 */
export function useManageErrorText(labels: Record<string, string> = NO_LABELS): (error: unknown) => string {
  const t = useT();
  const base = useErrorText(labels);
  // Stable as useErrorText is (`base` changes with the language and the labels; `t` follows the language).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => manageErrorText(t, base), [base]);
}

const NO_LABELS: Record<string, string> = {};

function manageErrorText(t: T, base: (error: unknown) => string): (error: unknown) => string {
  return (error) => {
    if (error instanceof BridgeError) {
      const required = error.info.details?.required;
      if (error.info.code === 'ROLE_REQUIRED' && (required === 'cashier' || required === 'supervisor' || required === 'manager')) {
        return t('manage.error.roleNeeded', { role: t(`manage.role.${required}`) });
      }
      const key = `manage.error.${error.info.code}`;
      // A Chinese message never carries the host's English detail.
      if (hasMessage(key))
        return useLang.getState().lang === 'en'
          ? `${t(key)}: ${error.info.message}`
          : /[\u4e00-\u9fff]/.test(error.info.message)
            ? `${t(key)}：${error.info.message}`
            : t(key);
    }
    return base(error);
  };
}

/** Today's business day `YYYY-MM-DD` in the given IANA zone (the browser's zone when absent). */
export function todayIn(timeZone?: string, now: number = Date.now()): string {
  try {
    // en-CA formats dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(now));
  } catch {
    const d = new Date(now);
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  }
}

/** ¥ and two decimals; fen in, text out. */
export function yuan(fen: number): string {
  return `¥${formatFen(fen)}`;
}

/** Errors of one form, keyed by the dotted field path the schema reports (e.g. `merchant.mid`). */
export type FieldErrors = Record<string, string>;

export const FieldErrorsContext = createContext<FieldErrors>({});

/**
 * Turns a schema message (from a local safeParse or the host's BAD_INPUT text) into the user's
 * language with the shared mapper (lib/input-errors); `path` tells it whether the value is fen.
 */
export function schemaMessageText(t: T, message: string, path = ''): string {
  return ruleText(t, message, path);
}

/** A local validation with the same schema the host uses; all problems at once, by field. */
export function validate<S extends z.ZodType>(
  t: T,
  schema: S,
  value: unknown,
  prefix = '',
): { ok: true; value: z.output<S> } | { ok: false; errors: FieldErrors } {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const path = prefix + issue.path.map(String).join('.');
    if (errors[path] === undefined) errors[path] = schemaMessageText(t, issue.message, path);
  }
  return { ok: false, errors };
}

/**
 * Reads a host BAD_INPUT ("settings:save: value.merchant.mid: letters and digits, 1–32", details.field
 * "value.merchant.mid") as a field error, with the `value.` prefix of the settings envelope removed.
 * Returns null for any other error.
 */
export function hostFieldError(t: T, error: unknown): FieldErrors | null {
  if (!(error instanceof BridgeError) || error.info.code !== 'BAD_INPUT') return null;
  const raw = error.info.details?.field;
  if (typeof raw !== 'string' || raw === '') return null;
  const at = error.info.message.indexOf(`${raw}: `);
  const text = at >= 0 ? error.info.message.slice(at + raw.length + 2) : error.info.message;
  const field = raw.startsWith('value.') ? raw.slice('value.'.length) : raw;
  return { [field]: schemaMessageText(t, text, field) };
}

/** A labelled input row; shows the error of its field path from the enclosing form. */
export function Field({
  label,
  path,
  hint,
  children,
  wide,
}: {
  label: string;
  path: string;
  hint?: string;
  children: React.ReactNode;
  wide?: boolean;
}): React.JSX.Element {
  const t = useT();
  const errors = useContext(FieldErrorsContext);
  const error = errors[path];
  return (
    <label className={`field${error === undefined ? '' : ' field-bad'}${wide === true ? ' field-wide' : ''}`} data-field={path}>
      <span className="field-label">{label}</span>
      {children}
      {hint !== undefined && <span className="field-hint">{hint}</span>}
      {error !== undefined && (
        <span className="field-error" role="alert" data-testid="field-error" data-field={path}>
          {t('input.labelled', { label, rule: error })}
        </span>
      )}
    </label>
  );
}

/** A checkbox with its label to the right. */
export function Check({
  label,
  checked,
  onChange,
  testId,
  hint,
}: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  testId: string;
  hint?: string;
}): React.JSX.Element {
  return (
    <label className="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} data-testid={testId} />
      <span>{label}</span>
      {hint !== undefined && <span className="field-hint">{hint}</span>}
    </label>
  );
}

/** Text of a number for an input; the form keeps text so a half-typed value is not lost. */
export function numText(value: number | undefined): string {
  return value === undefined ? '' : String(value);
}

/** Input text → number; empty or malformed text → NaN, which the schema reports as "enter a number". */
export function textNum(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? Number.NaN : Number(trimmed);
}
