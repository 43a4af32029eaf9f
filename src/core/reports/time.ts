/**
 * Wall-clock helpers for reports. A report's hours and dates are those of the shop's time zone (an IANA
 * name, injected; the process time zone by default), never UTC, so the hourly chart matches the counter.
 */
import { AppError } from '../../shared/errors';

export interface LocalClock {
  /** The IANA zone actually used. */
  readonly timeZone: string;
  /** Local hour 0–23 of an epoch-ms instant. */
  hourOf(ms: number): number;
  /** Local calendar date `YYYY-MM-DD` of an epoch-ms instant. */
  dateOf(ms: number): string;
  /** Local `YYYY-MM-DD HH:mm:ss` of an epoch-ms instant. */
  dateTimeOf(ms: number): string;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The process time zone as Intl resolves it (honours the TZ environment variable). */
export function processTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Builds a clock for `timeZone` (default: the process zone). Throws BAD_INPUT for a zone Intl does not
 * know.
 */
export function localClock(timeZone?: string): LocalClock {
  const zone = timeZone ?? processTimeZone();
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    throw new AppError('BAD_INPUT', `unknown time zone "${zone}"`, { field: 'timeZone' });
  }
  const parts = (ms: number): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const part of format.formatToParts(ms)) out[part.type] = part.value;
    return out;
  };
  return {
    timeZone: format.resolvedOptions().timeZone,
    // Some ICU versions print midnight as "24" even with h23; the modulo folds it back.
    hourOf: (ms) => Number(parts(ms).hour) % 24,
    dateOf: (ms) => {
      const p = parts(ms);
      return `${p.year}-${p.month}-${p.day}`;
    },
    dateTimeOf: (ms) => {
      const p = parts(ms);
      return `${p.year}-${p.month}-${p.day} ${String(Number(p.hour) % 24).padStart(2, '0')}:${p.minute}:${p.second}`;
    },
  };
}

/** Throws BAD_INPUT unless `day` is a real calendar date written `YYYY-MM-DD`. */
export function assertBusinessDay(day: string): string {
  const match = DAY_PATTERN.exec(day);
  if (match !== null) {
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    if (date.toISOString().slice(0, 10) === day) return day;
  }
  throw new AppError('BAD_INPUT', `not a business day (YYYY-MM-DD): "${day}"`, { field: 'day' });
}

/** Calendar arithmetic on `YYYY-MM-DD` (no time zone involved): addDays('2024-02-28', 2) → '2024-03-01'. */
export function addDays(day: string, days: number): string {
  assertBusinessDay(day);
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}
