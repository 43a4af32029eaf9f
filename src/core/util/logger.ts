/**
 * A small logger that masks secrets before anything is written. Keys and PINs are never passed to it
 * on purpose; the masking is the second line of defence for raw gateway messages.
 */
export interface Logger {
  info(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
  error(message: string, data?: unknown): void;
}

const SECRET_KEYS = /^(key|signkey|secret|password|pin|pinhash|token|sign|privatekey|mchkey)$/i;
/** Fields that hold a card number: kept as first 6 / last 4 at most. */
const PAN_KEYS = /^(cardno|card_no|cardnumber|card_number|pan|acctno|accno|priacctno)$/i;

/**
 * A card number reduced to what may be stored or shown (PCI DSS): at most the first 6 and the last 4
 * digits, every other character `*`. Short values keep only their last 4 (or nothing); a value the
 * terminal already masked stays masked. Spaces and dashes are dropped first.
 */
export function maskPanText(value: string): string {
  const pan = value.replace(/[\s-]/g, '');
  const n = pan.length;
  if (n === 0) return '';
  const head = n >= 13 ? 6 : 0;
  const tail = n > 4 ? 4 : 0;
  return [...pan].map((c, i) => (i < head || i >= n - tail ? c : '*')).join('');
}

/**
 * Any 13–19 digit run in free text that passes the Luhn check is treated as a card number and masked
 * (a log line or an error message that quotes one). Used for messages, not for structured ledger
 * data, where trace and order numbers must stay exact.
 */
export function maskPansInText(text: string): string {
  return text.replace(/(?<![0-9])[0-9]{13,19}(?![0-9])/g, (digits) => (luhn(digits) ? maskPanText(digits) : digits));
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Deep copy with secret-looking fields replaced by "***". */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) ? '***' : PAN_KEYS.test(k) && typeof v === 'string' ? maskPanText(v) : maskSecrets(v, depth + 1);
  }
  return out;
}

/**
 * A raw message body as it may be stored: unchanged, unless it is JSON carrying a secret-looking field,
 * in which case the masked JSON is stored instead (then no longer byte-exact, which is the point).
 */
export function maskRawText(text: string | null): string | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const masked = maskSecrets(parsed);
  return JSON.stringify(masked) === JSON.stringify(parsed) ? text : JSON.stringify(masked);
}

/** One log line: what the log file stores as JSON (and the console prints as text). */
export interface LogRecord {
  time: string;
  level: 'info' | 'warn' | 'error';
  module: string;
  message: string;
  data?: unknown;
}

/** Where log records go: the console, the rotating file, a test's array. */
export interface LogSink {
  write(record: LogRecord): void;
}

/**
 * Secret values the process knows (gateway keys as the secret store reads or writes them): any log
 * text containing one has it replaced, whatever field or message it hides in.
 */
const knownSecrets = new Set<string>();

export function registerSecret(value: string): void {
  if (value.length >= 6) knownSecrets.add(value);
}

const QUERY_SECRET = /\b(key|sign|signkey|pin|password|secret|token)=([^&\s"]*)/gi;

/** Everything a log line says, after redaction: known secrets, key=… pairs, card numbers. */
export function redactText(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join('***');
  out = out.replace(QUERY_SECRET, (_m, k: string) => `${k}=***`);
  return maskPansInText(out);
}

/** Structured data for a log line: secret fields masked, raw JSON bodies masked, card numbers cut. */
function redactData(value: unknown): unknown {
  const masked = maskSecrets(value);
  return JSON.parse(redactText(JSON.stringify(masked, (_k, v: unknown) => (typeof v === 'string' ? (maskRawText(v) ?? v) : v)) ?? 'null')) as unknown;
}

/**
 * The logger the app uses: one module name, any number of sinks, the same redaction for all of them
 * (the event log's key masking plus known secrets, card numbers and raw bodies). A sink that throws
 * (disk full) never takes the caller down.
 */
export function createLogger(module: string, sinks: readonly LogSink[]): Logger {
  const write = (level: LogRecord['level'], message: string, data?: unknown): void => {
    let record: LogRecord;
    try {
      record = { time: new Date().toISOString(), level, module, message: redactText(message) };
      if (data !== undefined) record.data = redactData(data);
    } catch {
      record = { time: new Date().toISOString(), level, module, message: '(log record could not be redacted; dropped its data)' };
    }
    for (const sink of sinks) {
      try {
        sink.write(record);
      } catch {
        // Logging must never break a payment.
      }
    }
  };
  return {
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  };
}

/** stdout / stderr, one line per record; `quiet` prints errors only. */
export function consoleSink(quiet = false): LogSink {
  return {
    write(record) {
      if (quiet && record.level !== 'error') return;
      const rest = record.data === undefined ? '' : ` ${JSON.stringify(record.data)}`;
      (record.level === 'error' ? process.stderr : process.stdout).write(`${record.time} ${record.level} [${record.module}] ${record.message}${rest}\n`);
    },
  };
}

export function createConsoleLogger(scope = 'cashier', quiet = false): Logger {
  return createLogger(scope, [consoleSink(quiet)]);
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
