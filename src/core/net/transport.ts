import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { readBounded } from './body';

/**
 * The one HTTP client path for gateways (BPC, Yima, …) and the simulators' notifications.
 *
 * Bytes in, bytes out: the caller serialises and encodes its body (UTF-8 JSON for BPC, GBK form text
 * for Yima) and signs exactly those bytes; the transport sends them unchanged and returns the answer's
 * raw bytes and headers. It never retries (a retried charge could charge twice) and never follows
 * redirects. Every failure is a `TransportError` with a stable `reason`, so a gateway can say whether
 * the request may have reached the bank:
 * - `connect`: no connection was made (refused, DNS, unreachable, connect timeout) — nothing left;
 * - `tls`: the TLS handshake failed (certificate not trusted, wrong host name) — nothing left;
 * - `timeout`: sent, no (complete) answer in time — unknown;
 * - `reset`: the connection broke after sending — unknown;
 * - `too_large`: the answer exceeded `maxResponseBytes` — unknown.
 * HTTPS verifies certificates always; a private CA is *added* through `caPem` (never by turning
 * verification off), or with `caOnly` trusted *instead of* the bundled public roots.
 */
export interface HttpTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the keep-alive connections. */
  close(): Promise<void>;
}

export interface TransportRequest {
  url: string;
  method?: 'POST' | 'GET';
  headers?: Record<string, string>;
  /** Sent as is (a string is sent as UTF-8). */
  body?: Uint8Array | string;
  /** Aborts the request (e.g. the owner is closing); the error is then `reset`. */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface TransportOptions {
  /** TCP + TLS connect timeout (default 5 s). */
  connectMs?: number;
  /** Time to the answer's headers and between body chunks (default 15 s). */
  responseMs?: number;
  /** Answers larger than this fail with `too_large` (default 256 KiB). */
  maxResponseBytes?: number;
  /** Extra CA certificate(s), PEM, trusted in addition to the system's roots (a bank's private CA, a test CA). */
  caPem?: string;
  /**
   * Trust `caPem` only, not the bundled public roots (headquarters' private CA: no public CA can then
   * speak for it). Ignored without `caPem`.
   */
  caOnly?: boolean;
  /** Keep-alive sockets per origin (default 4). */
  connections?: number;
}

export type TransportReason = 'connect' | 'tls' | 'timeout' | 'reset' | 'too_large';

export class TransportError extends Error {
  constructor(
    readonly reason: TransportReason,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/** A real transport: undici with keep-alive, one per gateway client. */
export function createHttpTransport(options: TransportOptions = {}): HttpTransport {
  const connectMs = options.connectMs ?? 5000;
  const responseMs = options.responseMs ?? 15_000;
  const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connect: {
      timeout: connectMs,
      ...(options.caPem === undefined || options.caPem === '' ? {} : { ca: options.caOnly === true ? [options.caPem] : [...rootCertificates, options.caPem] }),
    },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: options.connections ?? 4,
    pipelining: 1,
  });
  return {
    async send(req: TransportRequest): Promise<TransportResponse> {
      try {
        const res = await request(req.url, {
          method: req.method ?? 'POST',
          dispatcher: agent,
          headers: req.headers ?? {},
          ...(req.body === undefined ? {} : { body: req.body }),
          headersTimeout: responseMs,
          bodyTimeout: responseMs,
          ...(req.signal === undefined ? {} : { signal: req.signal }),
        });
        const body = await readBounded(res.body, limit).catch((error: unknown) => {
          res.body.destroy();
          throw error;
        });
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        return { status: res.statusCode, headers, body };
      } catch (error) {
        throw toTransportError(error);
      }
    },
    close: () => agent.close(),
  };
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Maps undici / node errors to a stable reason (see HttpTransport). */
export function toTransportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const own = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  const code = typeof own === 'string' ? own : typeof cause === 'string' ? cause : 'error';
  const message = error instanceof Error ? error.message : String(error);
  const text = `${code}: ${message}`;
  if (code === 'TOO_LARGE') return new TransportError('too_large', code, text);
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) return new TransportError('tls', code, text);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return new TransportError('connect', code, text);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new TransportError('timeout', code, text);
    default:
      return new TransportError('reset', code, text);
  }
}
