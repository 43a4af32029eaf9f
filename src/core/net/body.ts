import type { IncomingMessage } from 'node:http';

/** Server side: what is read of a request body once the cap is passed. */
export interface BoundedBody {
  /** The body's bytes; empty when `tooLarge`. Decode them yourself (UTF-8 for BPC, GBK for Yima). */
  bytes: Buffer;
  tooLarge: boolean;
}

/** By default a body larger than this is not even drained: the connection is cut instead. */
export const MAX_DRAIN_BYTES = 1024 * 1024;

/**
 * Reads one request body with a byte cap: the one bounded reader every loopback server uses (the
 * notification listener, the simulators). Past `limit` nothing more is kept; the rest is drained (so
 * the client reads our 413 instead of a broken pipe) up to `drainBytes`, then the socket is cut.
 * Rejects when the request ends early (client gone) — the caller answers nothing then.
 */
export function readRequestBody(req: IncomingMessage, limit: number, drainBytes = MAX_DRAIN_BYTES): Promise<BoundedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge || size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > drainBytes) req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      done = true;
      resolve({ bytes: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    });
    req.on('error', (error) => {
      if (!done) reject(error);
    });
    req.on('close', () => {
      if (!done) reject(Object.assign(new Error('request closed before its end'), { code: 'ECONNRESET' }));
    });
  });
}

/** Client side: reads a response body, throwing a `TOO_LARGE` error past `limit` bytes (nothing more is buffered). */
export async function readBounded(body: AsyncIterable<Buffer | Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error(`response larger than ${limit} bytes`), { code: 'TOO_LARGE' });
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
