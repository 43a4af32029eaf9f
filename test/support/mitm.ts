/**
 * A man in the middle on loopback: a real HTTP server between the BPC client and the simulator that
 * forwards every request byte for byte and may replace the answer (body and headers) — the attacker of
 * issue 8.6/8.7, who can replay an earlier signed answer or rewrite one.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface MitmExchange {
  requestText: string;
  request: Record<string, string>;
  status: number;
  answerText: string;
  sign: string | undefined;
}

export interface MitmAnswer {
  text: string;
  sign?: string;
}

/** Returns the answer to send instead of the upstream's, or null to pass the upstream's through. */
export type MitmRewrite = (exchange: MitmExchange) => MitmAnswer | null;

export interface Mitm {
  url: string;
  /** Every exchange as the upstream answered it (before any rewrite). */
  seen: MitmExchange[];
  rewrite: MitmRewrite | null;
  close(): Promise<void>;
}

/** `tls`: listen with HTTPS (a certificate from test/support/test-ca), as a bank's TLS front would. */
export async function startMitm(upstreamUrl: string, tls?: { key: string; cert: string }): Promise<Mitm> {
  const upstream = new URL(upstreamUrl);
  const mitm: Mitm = { url: '', seen: [], rewrite: null, close: async () => undefined };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = { 'content-type': String(req.headers['content-type'] ?? 'application/json') };
      if (typeof req.headers.sign === 'string') headers.sign = req.headers.sign;
      const out = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: upstream.pathname,
          method: 'POST',
          headers: { ...headers, 'content-length': String(body.length) },
        },
        (up) => {
          const answer: Buffer[] = [];
          up.on('data', (c: Buffer) => answer.push(c));
          up.on('end', () => {
            const requestText = body.toString('utf8');
            let request: Record<string, string> = {};
            try {
              request = JSON.parse(requestText) as Record<string, string>;
            } catch {
              // keep {}
            }
            const exchange: MitmExchange = {
              requestText,
              request,
              status: up.statusCode ?? 0,
              answerText: Buffer.concat(answer).toString('utf8'),
              sign: typeof up.headers.sign === 'string' ? up.headers.sign : undefined,
            };
            mitm.seen.push(exchange);
            const replaced = mitm.rewrite?.(exchange) ?? null;
            const text = replaced?.text ?? exchange.answerText;
            const sign = replaced === null ? exchange.sign : replaced.sign;
            const h: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) };
            if (sign !== undefined) h.sign = sign;
            res.writeHead(exchange.status, h);
            res.end(text);
          });
        },
      );
      out.on('error', () => res.destroy());
      out.end(body);
    });
  };
  const server = tls === undefined ? http.createServer(handler) : https.createServer({ key: tls.key, cert: tls.cert }, handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  mitm.url = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}${upstream.pathname}`;
  mitm.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return mitm;
}
