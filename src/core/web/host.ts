import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WindowRole } from '../../shared/ipc/contract';
import type { WsClientFrame, WsServerFrame } from '../../shared/ipc/types';
import type { Dispatch } from '../ipc/dispatcher';
import type { EventBus } from '../ipc/event-bus';
import type { Logger } from '../util/logger';

export interface WebHostOptions {
  dispatch: Dispatch;
  bus: EventBus;
  logger: Logger;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Always loopback; a different value is refused. */
  host?: '127.0.0.1';
}

export interface WebHost {
  url: string;
  displayUrl: string;
  port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const MAX_FRAME_BYTES = 256 * 1024;

/**
 * Requests one socket may have unanswered at once. The page waits for most answers and has a handful
 * outstanding at most; beyond this bound each frame is answered BUSY at once and never dispatched, so
 * one socket cannot queue thousands of PIN checks or ledger writes. Other sockets have their own bound.
 */
export const MAX_IN_FLIGHT_PER_SOCKET = 32;

/**
 * Browser mode's host: serves the built renderer and carries the contract over a WebSocket on
 * 127.0.0.1. Each run has two random tokens — one for the cashier page, one for the customer display
 * (which may only call the `display` channels). The socket also checks Host and Origin, so another web
 * page in the same browser cannot drive the cashier.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const tokens: Record<WindowRole, Buffer> = { cashier: randomBytes(24), display: randomBytes(24) };
  const staticRoot = resolve(options.staticDir);
  const server = createServer((req, res) => {
    serveStatic(staticRoot, req, res).catch((error: unknown) => {
      options.logger.error('static file error', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const sockets = new Set<WebSocket>();

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const role = url.pathname === '/ipc' ? roleForToken(tokens, url.searchParams.get('token')) : null;
    const origin = req.headers.origin;
    const originOk = origin === undefined || allowedHosts.has(origin.replace(/^http:\/\//, ''));
    if (role === null || !allowedHosts.has(req.headers.host ?? '') || !originOk) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, role));
  });

  const attach = (ws: WebSocket, role: WindowRole): void => {
    sockets.add(ws);
    const send = (frame: WsServerFrame): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    // Only the events this role may hear, with only the fields it may see (the contract's eventAccess).
    const off = options.bus.forRole(role, (event, payload) => send({ event, payload }));
    let inFlight = 0;
    let refused = 0;
    ws.on('message', (data: Buffer) => {
      let frame: WsClientFrame;
      try {
        frame = parseFrame(data.toString('utf8'));
      } catch {
        send({ id: -1, result: { ok: false, error: { code: 'BAD_INPUT', message: 'malformed frame' } } });
        return;
      }
      if (inFlight >= MAX_IN_FLIGHT_PER_SOCKET) {
        // Logged once per burst (the first refusal after the socket had room), not once per frame.
        if (refused++ === 0) options.logger.warn('socket over its in-flight bound: requests refused', { role, limit: MAX_IN_FLIGHT_PER_SOCKET });
        send({
          id: frame.id,
          result: {
            ok: false,
            error: { code: 'BUSY', message: `too many requests in flight on this connection (${MAX_IN_FLIGHT_PER_SOCKET}); nothing was done, try again` },
          },
        });
        return;
      }
      inFlight += 1;
      refused = 0;
      Promise.resolve()
        .then(() => options.dispatch(frame.channel, frame.input, { role }))
        .then((result) => send({ id: frame.id, result }))
        .catch((error: unknown) => {
          options.logger.error('dispatch failed', error);
          send({ id: frame.id, result: { ok: false, error: { code: 'INTERNAL', message: 'internal error' } } });
        })
        .finally(() => {
          inFlight -= 1;
        });
    });
    ws.on('close', () => {
      off();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  };

  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    url: `${base}/?token=${tokens.cashier.toString('hex')}`,
    displayUrl: `${base}/customer.html?token=${tokens.display.toString('hex')}`,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

function roleForToken(tokens: Record<WindowRole, Buffer>, given: string | null): WindowRole | null {
  if (given === null || !/^[0-9a-f]{48}$/.test(given)) return null;
  const buf = Buffer.from(given, 'hex');
  for (const role of ['cashier', 'display'] as const) {
    if (timingSafeEqual(buf, tokens[role])) return role;
  }
  return null;
}

function parseFrame(text: string): WsClientFrame {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  const { id, channel, input } = value as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || typeof channel !== 'string') throw new Error('bad frame');
  return { id, channel, input };
}

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
  const relative = pathname === '/' ? 'index.html' : pathname.replace(/^\/+/, '');
  const file = normalize(join(root, relative));
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const encoding = COMPRESSIBLE.has(extname(file)) ? pickEncoding(req.headers['accept-encoding']) : null;
  const body = await compressed(file, info.mtimeMs, encoding);
  res.writeHead(200, {
    'content-type': type,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    // Hashed build assets never change under their name; the pages themselves are always re-checked.
    'cache-control': HASHED_ASSET.test(basename(file)) && relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'Accept-Encoding',
    'content-length': String(body.length),
    ...(encoding === null ? {} : { 'content-encoding': encoding }),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** `index-CVyhfdOQ.js`: the build's content hash in the name. */
const HASHED_ASSET = /-[A-Za-z0-9_-]{8,}\.(?:js|css|svg|png|woff2)$/;
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json']);

function pickEncoding(header: string | string[] | undefined): 'br' | 'gzip' | null {
  const accepted = (Array.isArray(header) ? header.join(',') : (header ?? '')).toLowerCase();
  const has = (name: string): boolean => accepted.split(',').some((part) => part.trim().split(';')[0] === name && !/;\s*q=0(?:\.0*)?\s*$/.test(part.trim()));
  if (has('br')) return 'br';
  if (has('gzip')) return 'gzip';
  return null;
}

/** Each file is compressed once per build (keyed by path, mtime and encoding), then served from memory. */
const compressedCache = new Map<string, Buffer>();
async function compressed(file: string, mtimeMs: number, encoding: 'br' | 'gzip' | null): Promise<Buffer> {
  const key = `${file}|${mtimeMs}|${encoding ?? 'identity'}`;
  const hit = compressedCache.get(key);
  if (hit !== undefined) return hit;
  const raw = await readFile(file);
  const body =
    encoding === 'br'
      ? brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 9 } })
      : encoding === 'gzip'
        ? gzipSync(raw, { level: 9 })
        : raw;
  if (compressedCache.size > 200) compressedCache.clear();
  compressedCache.set(key, body);
  return body;
}
