import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../util/logger';
import { encodeLike, encodeRequest, parseYimaBody, signatureState, YIMA_CONTENT_TYPES } from './codec';
import type { YimaSignRule } from './sign';
import type { YimaMessage, YimaResponse, YimaValue } from './wire';

/**
 * Yima's asynchronous result (4.20, NOT in our material [guess]: a body mirroring
 * `bcm_resultquery_response`, in JSON, GBK XML or a form `xml=&mac=`). A notification is only a hint: it
 * triggers an immediate result query for the order it names and nothing else, so duplicates (Yima-family
 * platforms retry 3 times, 3 minutes apart), late, forged or garbage bodies cannot change money state.
 */
export interface YimaNotifyConfig {
  isspid: string;
  signRule: YimaSignRule;
  getKey: () => string;
  /** Refuse notifications without a valid sign/mac. */
  requireSigned: boolean;
}

export interface YimaNotification {
  /** The order (create pos_seq) it is about: org_pos_seq, else pos_seq. */
  orgPosSeq: string;
  response: YimaResponse;
}

export interface NotifyHandling {
  status: number;
  contentType: string;
  body: Buffer;
  notification: YimaNotification | null;
  /** Why it was refused (for the log), null when accepted. */
  refused: string | null;
}

export const YIMA_NOTIFY_MAX_BYTES = 32 * 1024;

const str = (v: YimaValue | undefined): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function orderOf(r: YimaResponse): string {
  const info = r.fields.bcm_res_info;
  const fromInfo = info !== null && typeof info === 'object' && !Array.isArray(info) ? str((info as Record<string, YimaValue>).org_pos_seq) : '';
  return str(r.fields.org_pos_seq) || fromInfo || r.posSeq;
}

/** Pure handling of one notification body: decide, and build the answer in the same envelope. Never throws. */
export function handleYimaNotification(bytes: Buffer, config: YimaNotifyConfig): NotifyHandling {
  const plain = (status: number, refused: string, id: string, comment: string): NotifyHandling => ({
    status,
    contentType: 'application/json; charset=UTF-8',
    body: Buffer.from(JSON.stringify({ result: { id, comment } }), 'utf8'),
    notification: null,
    refused,
  });
  if (bytes.length > YIMA_NOTIFY_MAX_BYTES) return plain(413, 'body too large', '9999', '报文过大');
  const parsed = parseYimaBody(bytes);
  if ('error' in parsed) return plain(400, `unreadable: ${parsed.error}`, '9999', '报文格式错误');
  const r = parsed.response;
  let key: string;
  try {
    key = config.getKey();
  } catch {
    return plain(503, 'key unavailable', '9999', '系统繁忙');
  }
  let sig: 'ok' | 'bad' | 'absent';
  try {
    sig = signatureState(parsed, config.signRule, key);
  } catch {
    sig = 'bad';
  }
  // The reply echoes the sender's envelope (its response_type and pos_seq). It is signed with our key
  // only when the notification itself verified as Yima's: signing an echo of whatever a stranger sent
  // would hand out our signature over their chosen type and pos_seq — a correctly signed
  // "bcm_resultquery_response … 0000" to play back as the answer to one of our own requests.
  const answer = (status: number, id: string, comment: string, notification: YimaNotification | null, refused: string | null): NotifyHandling => {
    const message: YimaMessage = { response_type: r.responseType || 'bcm_notify_response', isspid: config.isspid, pos_seq: r.posSeq, result: { id, comment } };
    if (sig !== 'ok') {
      const unsigned = r.format === 'json' ? null : encodeRequest(message, { format: 'xml', xmlTransport: 'raw', signRule: config.signRule }, key);
      return unsigned === null
        ? { status, contentType: YIMA_CONTENT_TYPES.json, body: Buffer.from(JSON.stringify(message), 'utf8'), notification, refused }
        : { status, contentType: unsigned.contentType, body: unsigned.body, notification, refused };
    }
    try {
      const encoded = encodeLike(r, message, config.signRule, key);
      return { status, contentType: encoded.contentType, body: encoded.body, notification, refused };
    } catch {
      const encoded = encodeRequest(message, { format: 'json', xmlTransport: 'raw', signRule: config.signRule }, key);
      return { status, contentType: encoded.contentType, body: encoded.body, notification, refused };
    }
  };
  if (sig === 'bad') return answer(200, '6100', '签名错误', null, 'bad signature');
  if (sig === 'absent' && config.requireSigned) return answer(200, '6100', '缺少签名', null, 'unsigned while signed answers are required');
  if (r.isspid !== config.isspid) return answer(200, '9999', '商户号不符', null, `for another merchant ${r.isspid.slice(0, 16)}`);
  const orgPosSeq = orderOf(r);
  if (!/^[0-9A-Za-z_-]{13,32}$/.test(orgPosSeq)) return answer(200, '9999', '缺少订单流水号', null, 'names no order');
  return answer(200, '0000', '成功', { orgPosSeq, response: r }, null);
}

export interface YimaNotifyListenerOptions extends YimaNotifyConfig {
  host: string;
  port: number;
  /** Called for each accepted notification: must only trigger a result query. */
  onNotification: (notification: YimaNotification) => void;
  logger: Logger;
}

export interface YimaNotifyListener {
  port: number;
  close(): Promise<void>;
}

export async function startYimaNotifyListener(options: YimaNotifyListenerOptions): Promise<YimaNotifyListener> {
  const server: Server = createServer((req, res) => {
    const reply = (h: Pick<NotifyHandling, 'status' | 'contentType' | 'body'>): void => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(h.status, { 'content-type': h.contentType, 'content-length': String(h.body.length) });
      res.end(h.body);
    };
    if (req.method !== 'POST') {
      reply({ status: 405, contentType: 'text/plain; charset=utf-8', body: Buffer.from('POST only') });
      return;
    }
    readBody(req, YIMA_NOTIFY_MAX_BYTES)
      .then((bytes) => {
        if (bytes === null) {
          options.logger.warn('yima notification refused: too large');
          reply({ status: 413, contentType: 'text/plain; charset=utf-8', body: Buffer.from('too large') });
          return;
        }
        const handled = handleYimaNotification(bytes, options);
        if (handled.notification !== null) {
          try {
            options.onNotification(handled.notification);
          } catch (error) {
            options.logger.error('yima notification handler failed', error);
          }
        } else {
          options.logger.warn('yima notification refused', { reason: handled.refused, bytes: bytes.length });
        }
        reply(handled);
      })
      .catch((error: unknown) => {
        options.logger.warn('yima notification read failed', error);
        reply({ status: 400, contentType: 'text/plain; charset=utf-8', body: Buffer.from('bad request') });
      });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => ok());
  });
  server.on('error', (err) => options.logger.error('yima notification listener error', err));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > 8 * limit) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
