/**
 * Stable error codes. They cross the bridge as data (`{ code, message }`); the UI translates the code,
 * tests assert on it, and nobody parses messages. Add codes, never rename them.
 */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'NOT_FOUND',
  'INTERNAL',
  'CONFIG_INVALID',
  'NOT_CONFIGURED',
  'GATEWAY_DOWN',
  'GATEWAY_REJECTED',
  'GATEWAY_BAD_RESPONSE',
  'BAD_SIGNATURE',
  'OUTCOME_UNKNOWN',
  'INVALID_STATE',
  'AMOUNT_INVALID',
  'AMOUNT_TOO_LARGE',
  'REFUND_EXCEEDS_PAID',
  'PIN_REQUIRED',
  'PIN_WRONG',
  'LOCKED_OUT',
  'ROLE_REQUIRED',
  'DAY_CLOSED',
  'UNRESOLVED_ITEMS',
  'DEVICE_NOT_FOUND',
  'DEVICE_BUSY',
  'DEVICE_DISCONNECTED',
  'DEVICE_TIMEOUT',
  'DEVICE_PROTOCOL',
  'LEDGER_TOO_NEW',
  /** The disk holding the ledger is full or failing (SQLITE_FULL / SQLITE_IOERR*): nothing was written. */
  'DISK_FULL',
  /** Another program holds the ledger's write lock (SQLITE_BUSY / SQLITE_LOCKED): retried, nothing lost. */
  'LEDGER_BUSY',
  /** The ledger file is damaged or not a ledger (SQLITE_CORRUPT / SQLITE_NOTADB). */
  'LEDGER_CORRUPT',
  /** A refund whose R left without an answer: it cannot be queried; a supervisor settles it. */
  'REFUND_NEEDS_SUPERVISOR',
  'INSECURE_TRANSPORT',
  'LEDGER_MISSING',
  'LEDGER_MISMATCH',
  'DEFAULT_PINS',
  'APPROVAL_INVALID',
  'PRINTER_NOT_READY',
  /** Cash tender: the amount tendered is less than the sale's amount. */
  'CASH_SHORT',
  /** The tender is switched off in Settings (cash tender on/off). */
  'TENDER_DISABLED',
  /** Too many requests unanswered on one connection (browser mode's socket): refused at once, nothing was done. */
  'BUSY',
  /** A card refund recorded at the desk whose terminal reference another refund holds: 状态未明 until a supervisor settles it. */
  'REFUND_REFERENCE_CONFLICT',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable detail, e.g. the offending field name. Never secrets, never stacks. */
  details?: Record<string, string | number | boolean | null>;
}

/** The one error class thrown by our own code when the failure is expected and has a stable code. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorInfo['details'];

  constructor(code: ErrorCode, message: string, details?: ErrorInfo['details']) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toInfo(): ErrorInfo {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Exhaustiveness guard for `switch` over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
