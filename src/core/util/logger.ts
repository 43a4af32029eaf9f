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

export function createConsoleLogger(scope = 'cashier', quiet = false): Logger {
  const write = (level: string, message: string, data?: unknown): void => {
    if (quiet && level !== 'error') return;
    const line = `${new Date().toISOString()} ${level} [${scope}] ${message}`;
    const rest = data === undefined ? '' : ` ${JSON.stringify(maskSecrets(data))}`;
    (level === 'error' ? process.stderr : process.stdout).write(`${line}${rest}\n`);
  };
  return {
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
