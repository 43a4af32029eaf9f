import { Agent, request } from 'undici';

/**
 * The one HTTP exchange the Yima client needs: bytes in, status + bytes out, with timeouts and a size
 * cap. Injectable so tests and a later shared transport (src/core/net, not in main yet) can replace it;
 * the default is undici directly.
 */
export interface YimaHttpRequest {
  url: string;
  body: Buffer;
  contentType: string;
  responseTimeoutMs: number;
  maxResponseBytes: number;
}

export interface YimaHttpResponse {
  status: number;
  body: Buffer;
}

export type YimaHttp = (req: YimaHttpRequest) => Promise<YimaHttpResponse>;

/** Thrown for an answer over the cap (the client classifies it as transport trouble). */
export class ResponseTooLargeError extends Error {
  readonly code = 'TOO_LARGE';
}

export interface UndiciYimaHttp {
  send: YimaHttp;
  close(): Promise<void>;
}

export function undiciYimaHttp(connectTimeoutMs: number): UndiciYimaHttp {
  const agent = new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 30_000, connections: 4, pipelining: 1 });
  const send: YimaHttp = async (req) => {
    const res = await request(req.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': req.contentType },
      body: req.body,
      headersTimeout: req.responseTimeoutMs,
      bodyTimeout: req.responseTimeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > req.maxResponseBytes) {
        res.body.destroy();
        throw new ResponseTooLargeError(`response larger than ${req.maxResponseBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return { status: res.statusCode, body: Buffer.concat(chunks) };
  };
  return { send, close: () => agent.close() };
}
