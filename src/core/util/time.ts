/**
 * The business day a moment belongs to, as `YYYY-MM-DD` in the shop's time zone (default: the
 * machine's). A shop that trades past midnight sets `dayStartHour` so that sales at 01:30 count for
 * the previous day.
 */
export function businessDay(ms: number, timeZone?: string, dayStartHour = 0): string {
  const shifted = new Date(ms - dayStartHour * 3_600_000);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(shifted);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Injected timers, so tests can drive time and the engine never owns the global clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
