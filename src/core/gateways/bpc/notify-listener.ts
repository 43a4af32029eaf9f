import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readRequestBody } from '../../net';
import type { Logger } from '../../util/logger';
import { verifyBpcSign } from './sign';
import type { BpcNotification } from './wire';

export interface NotifyListenerOptions {
  host: string;
  port: number;
  getKey: () => string;
  /** Refuse notifications without a valid `sign` header (the seed does not say whether they are signed). */
  requireSigned: boolean;
  /**
   * Called for each accepted notification (signature as required, a well-formed trace); must only
   * trigger a query, never change money state. Returns whether a trace named a sale of ours: the
   * listener counts the others instead of anyone storing each one (issue 8.10).
   */
  onNotification: (notification: BpcNotification, raw: string) => boolean | void;
  logger: Logger;
  /** Per source address: at most `burst` notifications, refilled at `perSecond` (default 20 / 2 per s). */
  rateLimit?: { burst: number; perSecond: number };
  /** Clock for the rate limit (ms). */
  now?: () => number;
}

/** What the listener refused or could not match, counted (never stored one row per request). */
export interface NotifyStats {
  accepted: number;
  /** Accepted (signature fine, trace well-formed) but naming no sale of ours. */
  unknownTrace: number;
  badSignature: number;
  malformed: number;
  rateLimited: number;
}

export interface NotifyListener {
  port: number;
  stats(): NotifyStats;
  close(): Promise<void>;
}

/**
 * A well-formed gateway trace: digits only, 12–40 long. [guess] The seed's samples are 27–28 digits
 * (posNo + yyyyMMddHHmmss + serial); anything else is not a trace this counter could have issued.
 */
export const TRACE_PATTERN = /^\d{12,40}$/;

/** The trace(s) a notification names (orgSysTrace, oldQrOrderNo), only when every one given is well-formed. */
export function notificationTraces(n: BpcNotification): string[] | null {
  const given = [n.orgSysTrace, n.oldQrOrderNo].filter((t): t is string => t !== undefined && t !== '');
  if (given.length === 0 || !given.every((t) => TRACE_PATTERN.test(t))) return null;
  return [...new Set(given)];
}

const MAX_SOURCES = 1024;

const MAX_BODY_BYTES = 16 * 1024;
const OK_ANSWER = JSON.stringify({ respCode: '00', respMsg: '成功' });

/**
 * Receives the gateway's payment-result notifications (seed §3.2.5). A notification is a hint: it
 * triggers an immediate G query and nothing else, so duplicates, late, forged or garbage bodies cannot
 * change money state. Accepted ones are answered `{"respCode":"00","respMsg":"成功"}`.
 */
export async function startNotifyListener(options: NotifyListenerOptions): Promise<NotifyListener> {
  const stats: NotifyStats = { accepted: 0, unknownTrace: 0, badSignature: 0, malformed: 0, rateLimited: 0 };
  const limit = options.rateLimit ?? { burst: 20, perSecond: 2 };
  const clock = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  /** Token bucket per source address; the map is bounded (oldest source forgotten first). */
  const allow = (source: string): boolean => {
    const t = clock();
    let b = buckets.get(source);
    if (b === undefined) {
      if (buckets.size >= MAX_SOURCES) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      b = { tokens: limit.burst, at: t };
    } else buckets.delete(source);
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
    buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
  let lastWarned = 0;
  const warnRarely = (message: string, data: Record<string, unknown>): void => {
    const t = clock();
    if (t - lastWarned < 10_000) return;
    lastWarned = t;
    options.logger.warn(message, { ...data, stats: { ...stats } });
  };
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(body);
    };
    if (!allow(req.socket.remoteAddress ?? '?')) {
      stats.rateLimited += 1;
      warnRarely('notifications rate-limited', { source: req.socket.remoteAddress });
      // Drain (bounded) so the sender reads the 429 instead of a stalled upload; nothing is kept.
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > MAX_BODY_BYTES) req.destroy();
      });
      req.on('error', () => undefined);
      res.writeHead(429, { 'content-type': 'application/json; charset=UTF-8', connection: 'close', 'retry-after': '5' });
      res.end(JSON.stringify({ respCode: '96', respMsg: 'too many requests' }));
      return;
    }
    if (req.method !== 'POST') {
      answer(405, JSON.stringify({ respCode: '96', respMsg: 'POST only' }));
      return;
    }
    readRequestBody(req, MAX_BODY_BYTES)
      .then(({ bytes, tooLarge }) => {
        const raw = bytes.toString('utf8');
        if (tooLarge) {
          answer(413, JSON.stringify({ respCode: '96', respMsg: 'body too large' }));
          return;
        }
        const sign = req.headers.sign;
        const signText = typeof sign === 'string' ? sign : undefined;
        if (signText !== undefined || options.requireSigned) {
          if (!verifyBpcSign(raw, options.getKey(), signText)) {
            stats.badSignature += 1;
            warnRarely('notification refused: bad or missing signature', { bytes: raw.length });
            answer(200, JSON.stringify({ respCode: 'A0', respMsg: '签名错误' }));
            return;
          }
        }
        const notification = parseNotification(raw);
        if (notification === null || notificationTraces(notification) === null) {
          stats.malformed += 1;
          warnRarely('notification refused: not a JSON object with a well-formed trace', { bytes: raw.length });
          answer(400, JSON.stringify({ respCode: '30', respMsg: '报文格式错误' }));
          return;
        }
        stats.accepted += 1;
        try {
          if (options.onNotification(notification, raw) === false) stats.unknownTrace += 1;
        } catch (error) {
          options.logger.error('notification handler failed', error);
        }
        answer(200, OK_ANSWER);
      })
      .catch((error: unknown) => {
        options.logger.warn('notification read failed', error);
        if (!res.headersSent) answer(400, JSON.stringify({ respCode: '30', respMsg: 'bad request' }));
      });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => ok());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Tolerant parse of the notification JSON; null when it is not a JSON object. */
export function parseNotification(raw: string): BpcNotification | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof obj[k] === 'string' ? obj[k] : undefined);
  const known = ['orgSysTrace', 'oldQrOrderNo', 'oldPayType', 'oldRespCode', 'oldRespMsg', 'respCode', 'respMsg'] as const;
  const extra: Record<string, unknown> = {};
  // A known field with a non-string value is not dropped: it is kept as received, in extra.
  for (const [k, v] of Object.entries(obj)) if (!(known as readonly string[]).includes(k) || typeof v !== 'string') extra[k] = v;
  const n: BpcNotification = { extra };
  for (const k of known) {
    const v = str(k);
    if (v !== undefined) n[k] = v;
  }
  return n;
}
