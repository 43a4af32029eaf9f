/** The shared HTTP transport and bounded body reader (issue 10.6), over real sockets on loopback. */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, readRequestBody, TransportError, type HttpTransport } from '../../src/core/net';
import { makeTestCa } from '../support/test-ca';
import { tempDir } from '../support/temp';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: http.Server | https.Server): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  cleanups.push(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function transport(options: Parameters<typeof createHttpTransport>[0] = {}): HttpTransport {
  const t = createHttpTransport({ connectMs: 1000, responseMs: 1000, ...options });
  cleanups.push(() => t.close());
  return t;
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    return (error as TransportError).reason;
  }
  throw new Error('expected a TransportError');
}

describe('HttpTransport', () => {
  it('sends and returns bytes unchanged (GBK text for Yima), with lower-case headers', async () => {
    let got: Buffer = Buffer.alloc(0);
    const port = await listen(
      http.createServer((req, res) => {
        readRequestBody(req, 4096).then(
          ({ bytes }) => {
            got = bytes;
            res.writeHead(200, { 'Content-Type': 'text/plain; charset=GBK', Sign: 'abc' });
            res.end(iconv.encode('应答=成功', 'gbk'));
          },
          () => res.destroy(),
        );
      }),
    );
    const body = iconv.encode('商户=测试&金额=1', 'gbk');
    const res = await transport().send({
      url: `http://127.0.0.1:${port}/x`,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=GBK' },
      body,
    });
    expect(got.equals(body)).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.sign).toBe('abc');
    expect(iconv.decode(res.body, 'gbk')).toBe('应答=成功');
  });

  it('caps the answer size, times out a silent server, and tells a refused connect apart', async () => {
    const big = await listen(http.createServer((_req, res) => res.end(Buffer.alloc(70_000, 0x41))));
    expect(await reason(transport({ maxResponseBytes: 64 * 1024 }).send({ url: `http://127.0.0.1:${big}/` }))).toBe('too_large');
    const silent = await listen(http.createServer(() => undefined));
    expect(await reason(transport({ responseMs: 200 }).send({ url: `http://127.0.0.1:${silent}/`, body: '{}' }))).toBe('timeout');
    const gone = http.createServer();
    const free = await listen(gone);
    await new Promise<void>((ok) => gone.close(() => ok()));
    expect(await reason(transport().send({ url: `http://127.0.0.1:${free}/`, body: '{}' }))).toBe('connect');
    const rst = await listen(http.createServer((req) => req.socket.destroy()));
    expect(await reason(transport().send({ url: `http://127.0.0.1:${rst}/`, body: '{}' }))).toBe('reset');
  });

  it('keeps connections alive across requests', async () => {
    const sockets = new Set<Socket>();
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    server.on('connection', (s: Socket) => sockets.add(s));
    const port = await listen(server);
    const t = transport();
    for (let i = 0; i < 6; i += 1) expect((await t.send({ url: `http://127.0.0.1:${port}/`, body: 'x' })).body.toString()).toBe('ok');
    expect(sockets.size).toBeLessThan(6);
  });

  it('HTTPS: trusts a private CA given as PEM, refuses the same server without it (verification never off)', async () => {
    const { dir, cleanup } = tempDir('cashier-ca-');
    cleanups.push(cleanup);
    const ca = makeTestCa(dir);
    const port = await listen(https.createServer({ key: ca.keyPem, cert: ca.certPem }, (_req, res) => res.end('{"respCode":"00"}')));
    const url = `https://127.0.0.1:${port}/pay`;
    expect((await transport({ caPem: ca.caPem }).send({ url, body: '{}' })).body.toString()).toBe('{"respCode":"00"}');
    expect(await reason(transport().send({ url, body: '{}' }))).toBe('tls');
  });
});

describe('readRequestBody', () => {
  it('returns the bytes under the cap and flags a larger body without keeping it', async () => {
    const seen: { size: number; tooLarge: boolean }[] = [];
    const port = await listen(
      http.createServer((req, res) => {
        readRequestBody(req, 1024).then(
          ({ bytes, tooLarge }) => {
            seen.push({ size: bytes.length, tooLarge });
            res.writeHead(tooLarge ? 413 : 200);
            res.end();
          },
          () => res.destroy(),
        );
      }),
    );
    const t = transport();
    expect((await t.send({ url: `http://127.0.0.1:${port}/`, body: Buffer.alloc(1024, 1) })).status).toBe(200);
    expect((await t.send({ url: `http://127.0.0.1:${port}/`, body: Buffer.alloc(5000, 1) })).status).toBe(413);
    expect(seen).toEqual([
      { size: 1024, tooLarge: false },
      { size: 0, tooLarge: true },
    ]);
  });
});
