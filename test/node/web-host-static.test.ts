import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebHost, type WebHost } from '../../src/core/web/host';
import { EventBus } from '../../src/core/ipc/event-bus';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

function fetchRaw(url: string, acceptEncoding?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((ok, fail) => {
    get(url, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', fail);
  });
}

describe('browser mode serves the renderer compressed and cacheable (issue 9 item 17)', () => {
  const dir = tempDir('web-static-');
  let host: WebHost;
  let base: string;
  const script = `console.log(${JSON.stringify('收款'.repeat(2000))});`;

  beforeAll(async () => {
    mkdirSync(join(dir.dir, 'assets'));
    writeFileSync(join(dir.dir, 'index.html'), '<!doctype html><title>收银</title><script type="module" src="./assets/index-CVyhfdOQ.js"></script>');
    writeFileSync(join(dir.dir, 'assets', 'index-CVyhfdOQ.js'), script);
    writeFileSync(join(dir.dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    host = await startWebHost({ dispatch: async () => ({ ok: true, value: null }), bus: new EventBus(), logger: silentLogger, staticDir: dir.dir });
    base = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.close();
    dir.cleanup();
  });

  it('brotli when accepted, gzip otherwise, identity when neither; the bytes are the file', async () => {
    const br = await fetchRaw(`${base}/assets/index-CVyhfdOQ.js`, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(script);
    expect(br.body.length).toBeLessThan(Buffer.byteLength(script) / 5);
    const gz = await fetchRaw(`${base}/assets/index-CVyhfdOQ.js`, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(script);
    const plain = await fetchRaw(`${base}/assets/index-CVyhfdOQ.js`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
    expect(gz.headers.vary).toBe('Accept-Encoding');
  });

  it('hashed assets are immutable for a year; the page is re-checked; there is a favicon', async () => {
    expect((await fetchRaw(`${base}/assets/index-CVyhfdOQ.js`, 'gzip')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const page = await fetchRaw(`${base}/`, 'gzip');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(gunzipSync(page.body).toString()).toContain('收银');
    const icon = await fetchRaw(`${base}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });
});
