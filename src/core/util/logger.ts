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

/** Deep copy with secret-looking fields replaced by "***". */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) ? '***' : maskSecrets(v, depth + 1);
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
