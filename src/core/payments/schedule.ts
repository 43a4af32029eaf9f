/**
 * The polling schedule (PRODUCT.md §1, a setting): first query 3 s after the QR is shown, then every
 * 2 s for 60 s, then every 5 s until the QR expires; after a close or an unclear answer, keep querying
 * with backoff. Pure: the engine asks "how long until the next query?" and this answers.
 */
export interface PollingSchedule {
  firstQueryMs: number;
  fastIntervalMs: number;
  fastPhaseMs: number;
  slowIntervalMs: number;
  /** Backoff for unresolved payments after the QR's life: start, factor, cap. */
  backoffStartMs: number;
  backoffFactor: number;
  backoffMaxMs: number;
  /** An unclear state (99 / transport) lasting this long shows 状态未明 to the cashier. */
  unknownAfterMs: number;
}

export const DEFAULT_SCHEDULE: PollingSchedule = {
  firstQueryMs: 3000,
  fastIntervalMs: 2000,
  fastPhaseMs: 60_000,
  slowIntervalMs: 5000,
  backoffStartMs: 5000,
  backoffFactor: 2,
  backoffMaxMs: 60_000,
  unknownAfterMs: 30_000,
};

/**
 * Delay before the next query of a payment whose QR is live.
 * `sinceShownMs`: time since the QR was issued; `queriesDone`: queries already made.
 */
export function nextLiveQueryDelay(schedule: PollingSchedule, sinceShownMs: number, queriesDone: number): number {
  if (queriesDone === 0) return Math.max(0, schedule.firstQueryMs - sinceShownMs);
  return sinceShownMs < schedule.fastPhaseMs ? schedule.fastIntervalMs : schedule.slowIntervalMs;
}

/** Delay before the n-th (0-based) query of a payment that is past its QR's life but still unresolved. */
export function backoffDelay(schedule: PollingSchedule, attempt: number): number {
  const delay = schedule.backoffStartMs * schedule.backoffFactor ** Math.max(0, attempt);
  return Math.min(schedule.backoffMaxMs, delay);
}

/** Validates a schedule coming from a config file or Settings; returns a list of problems. */
export function scheduleProblems(s: PollingSchedule): string[] {
  const problems: string[] = [];
  const positive = (name: keyof PollingSchedule, min: number): void => {
    if (!Number.isFinite(s[name]) || s[name] < min) problems.push(`${name} must be ≥ ${min}`);
  };
  positive('firstQueryMs', 0);
  positive('fastIntervalMs', 500);
  positive('fastPhaseMs', 0);
  positive('slowIntervalMs', 500);
  positive('backoffStartMs', 500);
  positive('backoffFactor', 1);
  positive('backoffMaxMs', 500);
  positive('unknownAfterMs', 0);
  return problems;
}

/** What a payment's next scheduled step waits for: the live QR cadence, or backoff once it is unresolved. */
export interface PaymentTiming {
  at: number;
  createdAt: number;
  qrExpiresAt: number | null;
  qrValidityMs: number;
  queryCount: number;
  closeRequested: boolean;
  unknown: boolean;
}

/**
 * Delay before a payment's next query, or 'backoff' once it is past the QR's life, closing, or
 * 状态未明. A live QR is queried on the live cadence, but never later than its expiry.
 */
export function nextPaymentDelay(schedule: PollingSchedule, t: PaymentTiming): number | 'backoff' {
  if (t.closeRequested || t.unknown || (t.qrExpiresAt !== null && t.at >= t.qrExpiresAt)) return 'backoff';
  const shownAt = t.qrExpiresAt !== null ? t.qrExpiresAt - t.qrValidityMs : t.createdAt;
  const delay = nextLiveQueryDelay(schedule, t.at - shownAt, t.queryCount);
  return t.qrExpiresAt === null ? delay : Math.min(delay, Math.max(0, t.qrExpiresAt - t.at));
}

/** Delay before the n-th (0-based) J of a refund: first query, then ten at the fast interval, then backoff. */
export function refundQueryDelay(schedule: PollingSchedule, attempt: number): number {
  if (attempt === 0) return schedule.firstQueryMs;
  return attempt < 10 ? schedule.fastIntervalMs : backoffDelay(schedule, attempt - 10);
}
