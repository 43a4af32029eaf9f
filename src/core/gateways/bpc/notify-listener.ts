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
  /** Called for each accepted notification; must only trigger a query, never change money state. */
  onNotification: (notification: BpcNotification, raw: string) => void;
  logger: Logger;
}

export interface NotifyListener {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
const OK_ANSWER = JSON.stringify({ respCode: '00', respMsg: '成功' });

/**
 * Receives the gateway's payment-result notifications (seed §3.2.5). A notification is a hint: it
 * triggers an immediate G query and nothing else, so duplicates, late, forged or garbage bodies cannot
 * change money state. Accepted ones are answered `{"respCode":"00","respMsg":"成功"}`.
 */
export async function startNotifyListener(options: NotifyListenerOptions): Promise<NotifyListener> {
  const server: Server = createServer((req, res) => {
    const answer = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(body);
    };
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
            options.logger.warn('notification refused: bad or missing signature', { bytes: raw.length });
            answer(200, JSON.stringify({ respCode: 'A0', respMsg: '签名错误' }));
            return;
          }
        }
        const notification = parseNotification(raw);
        if (notification === null) {
          options.logger.warn('notification refused: not a JSON object', { bytes: raw.length });
          answer(400, JSON.stringify({ respCode: '30', respMsg: '报文格式错误' }));
          return;
        }
        try {
          options.onNotification(notification, raw);
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
