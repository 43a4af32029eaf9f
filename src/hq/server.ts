/**
 * The headquarters HTTP service: counters push signed batches and pull snapshots; managers sign in
 * and read the dashboard. Stateless apart from PostgreSQL, so several instances can run behind a load
 * balancer (docs/hq.md).
 */
import ExcelJS from 'exceljs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import type { SecretCipher } from '../core/secrets/cipher';
import { COUNTER_HEADER, MAX_BATCH_BYTES, parseCounterLabel, SIGNATURE_HEADER, signBody, verifyBody } from '../core/sync/protocol';
import { readRequestBody } from '../core/net';
import { CSV_BOM, csvField } from '../core/reports/export';
import { latestSnapshot, sessionOperator, signIn, signOut } from './admin';
import { dayRows, EXPORT_HEADER, overview } from './dashboard';
import type { Pool } from './db';
import { counterKey, ingestBatch } from './ingest';

export interface HqServerOptions {
  pool: Pool;
  cipher: SecretCipher;
  host?: string;
  port?: number;
  /** The built dashboard (out/renderer): hq.html and its assets. */
  staticDir?: string;
  /** Serve HTTPS with this certificate (PEM) and key: counters and managers reach headquarters over TLS. */
  tls?: { certPem: string; keyPem: string };
  log?: (message: string, data?: unknown) => void;
}

export interface HqServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MODES = new Set(['live', 'training']);
const COOKIE = 'hq_session';

function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(value), headers);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return v.join('=');
  }
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') === true ? auth.slice(7) : undefined;
}

/**
 * No Origin header (not a browser), or one whose host is the host the request was sent to — as the
 * load balancer in front saw it (`x-forwarded-host`, which a page on another site cannot set without
 * a CORS preflight that headquarters never grants).
 */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const forwarded = req.headers['x-forwarded-host'];
  const hosts = [req.headers.host, ...(typeof forwarded === 'string' ? forwarded.split(',').map((h) => h.trim()) : [])];
  try {
    return hosts.includes(new URL(origin).host);
  } catch {
    return false;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function serveStatic(res: ServerResponse, root: string, path: string): boolean {
  const rel = path === '/' || path === '/index.html' ? '/hq.html' : path;
  if (!(rel === '/hq.html' || rel.startsWith('/assets/'))) return false;
  const file = normalize(join(root, rel));
  // Only a regular file inside the dashboard's directory (a directory would fail after the headers went).
  if (!file.startsWith(resolve(root)) || statSync(file, { throwIfNoEntry: false })?.isFile() !== true) return false;
  const hashed = rel.startsWith('/assets/');
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(rel === '/hq.html'
      ? { 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'" }
      : {}),
  });
  res.end(readFileSync(file));
  return true;
}

export async function startHqServer(options: HqServerOptions): Promise<HqServer> {
  const { pool, cipher } = options;
  const log = options.log ?? ((): void => undefined);

  // Over https the session cookie never travels over plain http (a stripped or mistyped link).
  const cookieFlags = `HttpOnly; SameSite=Strict; Path=/${options.tls === undefined ? '' : '; Secure'}`;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://hq.invalid');
    const path = url.pathname;
    if (req.method === 'POST' && path === '/api/ingest') {
      const { bytes: body, tooLarge } = await readRequestBody(req, MAX_BATCH_BYTES);
      if (tooLarge) return json(res, 413, { ok: false, hwm: 0, dayRowid: 0, code: 'TOO_LARGE', message: 'batch too large' });
      const headers: Record<string, string | undefined> = {
        [COUNTER_HEADER]: req.headers[COUNTER_HEADER] as string | undefined,
        [SIGNATURE_HEADER]: req.headers[SIGNATURE_HEADER] as string | undefined,
      };
      const answer = await ingestBatch(pool, cipher, headers, body);
      if (answer.status !== 200) log('ingest refused', { counter: headers[COUNTER_HEADER], status: answer.status, body: answer.body.slice(0, 200) });
      return send(res, answer.status, answer.body, answer.signature === undefined ? {} : { [SIGNATURE_HEADER]: answer.signature });
    }
    if (req.method === 'GET' && path === '/api/snapshot') {
      const id = parseCounterLabel(String(req.headers[COUNTER_HEADER] ?? ''));
      const found = id === undefined ? undefined : await counterKey(pool, cipher, id.store, id.lane);
      if (found === undefined || found.row.revoked_at !== null) return json(res, 403, { code: 'UNKNOWN_COUNTER' });
      const signedPath = `GET ${path}${url.search}`;
      const requestSignature = String(req.headers[SIGNATURE_HEADER] ?? '');
      const at = Number(url.searchParams.get('at'));
      if (!verifyBody(signedPath, found.key, requestSignature) || !Number.isFinite(at) || Math.abs(Date.now() - at) > 10 * 60_000) {
        return json(res, 401, { code: 'BAD_SIGNATURE' });
      }
      const snapshot = await latestSnapshot(pool, Number(url.searchParams.get('since') ?? 0) || 0);
      if (snapshot === undefined) {
        res.writeHead(204).end();
        return;
      }
      // `answers`: the pull's own signature, inside the signed body, so this answer counts for no other pull.
      const body = JSON.stringify({ ...snapshot, answers: requestSignature });
      return send(res, 200, body, { [SIGNATURE_HEADER]: signBody(body, found.key) });
    }
    // A browser names the page's origin on every POST: one from another site (login CSRF, a page
    // signing managers out or guessing PINs through their browsers) is refused. Counters send none.
    if (req.method === 'POST' && path !== '/api/ingest' && !sameOrigin(req)) return json(res, 403, { ok: false, code: 'CROSS_ORIGIN' });
    if (req.method === 'POST' && path === '/api/login') {
      let input: unknown;
      try {
        const { bytes, tooLarge } = await readRequestBody(req, 4096);
        if (tooLarge) return json(res, 413, { ok: false, code: 'BAD_INPUT' });
        input = JSON.parse(bytes.toString('utf8'));
      } catch {
        return json(res, 400, { ok: false, code: 'BAD_INPUT' });
      }
      // Any JSON may arrive (null, a number): only an object with two strings is a sign-in.
      const { code, pin } = typeof input === 'object' && input !== null ? (input as { code?: unknown; pin?: unknown }) : {};
      if (typeof code !== 'string' || typeof pin !== 'string') return json(res, 400, { ok: false, code: 'BAD_INPUT' });
      const result = await signIn(pool, code, pin);
      if (!result.ok) return json(res, result.code === 'LOCKED_OUT' ? 423 : 401, result);
      return json(res, 200, { ok: true, operator: result.operator }, { 'set-cookie': `${COOKIE}=${result.token}; ${cookieFlags}; Max-Age=43200` });
    }
    if (path.startsWith('/api/')) {
      const operator = await sessionOperator(pool, cookieToken(req));
      if (operator === undefined) return json(res, 401, { ok: false, code: 'SIGN_IN_REQUIRED' });
      if (req.method === 'POST' && path === '/api/logout') {
        await signOut(pool, cookieToken(req));
        return json(res, 200, { ok: true }, { 'set-cookie': `${COOKIE}=; ${cookieFlags}; Max-Age=0` });
      }
      if (req.method === 'GET' && path === '/api/me') return json(res, 200, { ok: true, operator });
      const day = url.searchParams.get('day') ?? '';
      const mode = url.searchParams.get('mode') ?? 'live';
      if (!DAY.test(day) || !MODES.has(mode)) return json(res, 400, { ok: false, code: 'BAD_INPUT', message: 'day=YYYY-MM-DD and mode=live|training' });
      if (req.method === 'GET' && path === '/api/overview') return json(res, 200, { ok: true, value: await overview(pool, day, mode) });
      if (req.method === 'GET' && path === '/api/export') {
        const rows = await dayRows(pool, day, mode);
        if (url.searchParams.get('format') === 'xlsx') {
          const workbook = new ExcelJS.Workbook();
          const sheet = workbook.addWorksheet(day);
          sheet.addRow(EXPORT_HEADER);
          for (const row of rows) sheet.addRow(row);
          const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
          return send(res, 200, bytes, {
            'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
            'content-disposition': `attachment; filename="hq-${mode}-${day}.xlsx"`,
          });
        }
        const csv = CSV_BOM + [EXPORT_HEADER, ...rows].map((r) => r.map((c) => csvField(String(c))).join(',')).join('\r\n') + '\r\n';
        return send(res, 200, csv, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="hq-${mode}-${day}.csv"` });
      }
      return json(res, 404, { ok: false, code: 'NOT_FOUND' });
    }
    if (req.method === 'GET' && options.staticDir !== undefined && serveStatic(res, options.staticDir, path)) return;
    json(res, 404, { ok: false, code: 'NOT_FOUND' });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      log('request failed', { error: error instanceof Error ? error.message : String(error), path: req.url });
      if (!res.headersSent)
        json(res, 503, { ok: false, hwm: 0, dayRowid: 0, code: 'HQ_UNAVAILABLE', message: 'headquarters could not process the request; retry later' });
      else res.destroy();
    });
  };
  const server: Server =
    options.tls === undefined
      ? createServer(onRequest)
      : createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem, minVersion: 'TLSv1.2' }, onRequest);
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
