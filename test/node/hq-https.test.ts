/**
 * Headquarters over HTTPS, end to end on loopback (issue 14): the real HQ service (node:https, a
 * throw-away CA and server certificate made with openssl in a temp dir) on a real PostgreSQL, real
 * counter cores pushing through the real undici transport. Trust comes only from the CA the counter
 * was given (Settings → 总部 or the provisioning file) — a counter with another CA or none is refused,
 * so these tests fail if certificate verification were ever switched off. Also: live mode refuses plain
 * http to another machine, and `npm run hq` refuses half a TLS configuration before it starts anything.
 */
import { createServer, type Socket } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCore } from '../../src/core/app/core';
import { checkHqCa, readHqSettings } from '../../src/core/config/hq-config';
import { HQ_KEY, parseProvisioning } from '../../src/core/config/provisioning';
import { readSetting, writeSetting } from '../../src/core/ledger/settings';
import { createFileKeyCipher, type SecretCipher } from '../../src/core/secrets/cipher';
import { createUndiciSyncTransport, type SyncTransport } from '../../src/core/sync/pusher';
import { silentLogger } from '../../src/core/util/logger';
import { addCounter, publishSnapshot } from '../../src/hq/admin';
import type { Pool } from '../../src/hq/db';
import { runHqCli } from '../../src/hq/run';
import { startHqServer, type HqServer } from '../../src/hq/server';
import { startCounter, startProvisionedCore, SUPERVISOR, type TestCounter } from '../support/counter';
import { startTestHq, type TestHq } from '../support/hq';
import { tempDir } from '../support/temp';
import { makeTestCa, type TestCa } from '../support/test-ca';

let hqdb: TestHq;
let pool: Pool;
let cipher: SecretCipher;
/** The CA that signed headquarters' certificate, and an unrelated one (another chain's, an attacker's). */
let hqCa: TestCa;
let otherCa: TestCa;
let caDir: { dir: string; cleanup(): void };
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  hqdb = await startTestHq();
  ({ pool, cipher } = hqdb);
  caDir = tempDir('hq-https-ca-');
  mkdirSync(join(caDir.dir, 'hq'));
  mkdirSync(join(caDir.dir, 'other'));
  hqCa = makeTestCa(join(caDir.dir, 'hq'));
  otherCa = makeTestCa(join(caDir.dir, 'other'));
}, 60_000);
afterAll(async () => {
  await hqdb.stop();
  caDir.cleanup();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tlsHq(): Promise<HqServer> {
  const server = await startHqServer({ pool, cipher, port: 0, tls: { certPem: hqCa.certPem, keyPem: hqCa.keyPem } });
  cleanups.push(() => server.close());
  return server;
}

/** A training counter registered at headquarters; its hq section saved through Settings (approved, CA checked). */
async function counter(store: string, url: string, ca: string): Promise<TestCounter> {
  const { key } = await addCounter(pool, cipher, { store, lane: 'L1' });
  const t = tempDir('hq-https-counter-');
  const c = await startCounter(t.dir, { syncIntervalMs: 3_600_000 });
  await c.core.sync.stop();
  await saveHq(c, { url, store, lane: 'L1', intervalMs: 600_000, ca });
  c.core.secrets.write(HQ_KEY, key);
  cleanups.push(async () => {
    await c.close();
    t.cleanup();
  });
  return c;
}

const saveHq = (c: TestCounter, value: Record<string, unknown>): Promise<unknown> => c.invoke('settings:save', { section: 'hq', value, approval: SUPERVISOR });

async function hqCount(table: 'events' | 'payments', store: string): Promise<number> {
  const r = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} t JOIN counters c ON c.id = t.counter_id WHERE c.store = $1`, [store]);
  return Number(r.rows[0]!.n);
}

const ledgerEvents = (c: TestCounter): number => (c.core.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
const syncHealth = async (c: TestCounter): Promise<{ status: string; detail: string }> => (await c.core.health()).sync as { status: string; detail: string };

describe('headquarters over HTTPS', () => {
  it("a counter trusting headquarters' CA pushes its sales over https and each arrives once; the snapshot is pulled over https too", async () => {
    const server = await tlsHq();
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const c = await counter('TLS1', server.url, hqCa.caPem);
    await c.sell(4_321);
    await c.sell(1_000);
    const snapshot = await publishSnapshot(pool, { shopName: '总部 HTTPS 门店' });

    const up = await c.core.sync.syncNow();
    expect(up.lastError).toBeNull();
    expect(up.snapshotVersion).toBe(snapshot.version);
    expect((readSetting(c.core.db, 'shop') as { name?: string }).name).toBe('总部 HTTPS 门店');
    expect(await hqCount('payments', 'TLS1')).toBe(2);
    // Again: only the snapshot's own ledger event is new; nothing is counted twice.
    const again = await c.core.sync.syncNow();
    expect(again.lagEvents).toBe(0);
    expect(await hqCount('events', 'TLS1')).toBe(ledgerEvents(c));
    expect(await hqCount('payments', 'TLS1')).toBe(2);
    expect(await syncHealth(c)).toMatchObject({ status: 'ok' });
  });

  it('another CA or none is refused (TLS_UNTRUSTED on the sync state and health), nothing is sent or lost, and all of it is delivered once the CA is fixed', async () => {
    const server = await tlsHq();
    const c = await counter('TLS2', server.url, otherCa.caPem);
    const sale = await c.sell(2_500);
    const eventsBefore = ledgerEvents(c);

    const wrong = await c.core.sync.syncNow();
    expect(wrong.lastError).toMatch(/^TLS_UNTRUSTED: /);
    expect(wrong.ackedEventId).toBe(0);
    expect(wrong.lagEvents).toBe(eventsBefore);
    expect(await syncHealth(c)).toMatchObject({ status: 'error', detail: expect.stringContaining('TLS_UNTRUSTED') });

    // No CA at all: the public roots do not know the chain's private CA either.
    await saveHq(c, { url: server.url, store: 'TLS2', lane: 'L1', intervalMs: 600_000, ca: '' });
    expect((await c.core.sync.syncNow()).lastError).toMatch(/^TLS_UNTRUSTED: /);
    expect(await hqCount('events', 'TLS2')).toBe(0);

    // Selling went on meanwhile; the counter kept everything.
    await c.sell(700);
    expect((await c.invoke('payment:get', { id: sale.id })).status).toBe('paid');
    expect(ledgerEvents(c)).toBeGreaterThan(eventsBefore);

    await saveHq(c, { url: server.url, store: 'TLS2', lane: 'L1', intervalMs: 600_000, ca: hqCa.caPem });
    const fixed = await c.core.sync.syncNow();
    expect(fixed.lastError).toBeNull();
    // (A snapshot published by another test may have been applied: its ledger event goes next round.)
    expect((await c.core.sync.syncNow()).lagEvents).toBe(0);
    expect(await hqCount('events', 'TLS2')).toBe(ledgerEvents(c));
    expect(await hqCount('payments', 'TLS2')).toBe(2);
    expect(await syncHealth(c)).toMatchObject({ status: 'ok' });
  });

  it('a plain-http request to the https port gets no acknowledgement: the mark stays', async () => {
    const server = await tlsHq();
    const c = await counter('TLS3', server.url.replace(/^https:/, 'http:'), '');
    await c.sell(100);
    const status = await c.core.sync.syncNow();
    expect(status.lastError).not.toBeNull();
    expect(status.ackedEventId).toBe(0);
    expect(await hqCount('events', 'TLS3')).toBe(0);
  });
});

describe("headquarters' CA in Settings and the provisioning file", () => {
  it('Settings refuses text that is not a PEM certificate (a private key, a cut-off certificate) as BAD_INPUT on the CA field; nothing saved', async () => {
    const c = await counter('CA1', 'https://hq.example.cn', '');
    const truncated = hqCa.caPem.replace(/\n[A-Za-z0-9+/=]{20,}\n/, '\n');
    for (const ca of [hqCa.keyPem, truncated, 'hello']) {
      const error = await saveHq(c, { url: 'https://hq.example.cn', store: 'CA1', lane: 'L1', intervalMs: 600_000, ca }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'BAD_INPUT', details: { field: 'value.ca' } });
      expect((error as Error).message).toMatch(/value\.ca: a PEM certificate \(-----BEGIN CERTIFICATE-----\) is expected/);
    }
    expect(readSetting(c.core.db, 'hq')).toMatchObject({ ca: '' });
    // The settings view shows the CA (not a secret) as saved.
    await saveHq(c, { url: 'https://hq.example.cn', store: 'CA1', lane: 'L1', intervalMs: 600_000, ca: hqCa.caPem });
    expect((await c.invoke('settings:get', undefined)).hq.settings.ca).toBe(hqCa.caPem.trim());
  });

  it('a stored setting from the first https version (a caFile path) still configures the sync; the path is dropped', async () => {
    const c = await counter('CA4', 'https://hq.example.cn', '');
    writeSetting(
      c.core.db,
      'hq',
      { url: 'https://hq.example.cn', store: 'CA4', lane: 'L1', intervalMs: 600_000, caFile: '/etc/cashier/hq-ca.pem' },
      Date.now(),
    );
    expect(readHqSettings(c.core.db)).toEqual({ url: 'https://hq.example.cn', store: 'CA4', lane: 'L1', intervalMs: 600_000, ca: '' });
    expect(c.core.sync.status()).toMatchObject({ configured: true, target: 'https://hq.example.cn' });
  });

  it('an expired CA is refused naming the field', () => {
    const later = Date.now() + 10 * 86_400_000; // the test CA lives two days
    expect(() => checkHqCa(hqCa.caPem, 'hq.ca', 'CONFIG_INVALID', later)).toThrow(/^hq\.ca: the CA certificate expired on \d{4}-\d{2}-\d{2}$/);
    expect(checkHqCa(`\n${hqCa.caPem}\n\n`, 'hq.ca', 'CONFIG_INVALID')).toBe(hqCa.caPem.trim() + '\n');
  });

  async function provisioned(
    hq: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<{ core: Awaited<ReturnType<typeof startCore>>; dir: string }> {
    const t = tempDir('hq-https-prov-');
    const file = join(t.dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ hq: { lane: 'L1', intervalMs: 600_000, ...hq }, ...extra }));
    const core = await startCore({
      dataDir: t.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      provisioningFile: file,
      syncIntervalMs: 3_600_000,
      schedule: { firstQueryMs: 600_000 },
    });
    await core.sync.stop();
    cleanups.push(async () => {
      await core.close();
      t.cleanup();
    });
    return { core, dir: t.dir };
  }

  it('hq.caFile is read when the file is applied and stored as text: the counter pushes over https after the CA file is gone', async () => {
    const server = await tlsHq();
    const { key } = await addCounter(pool, cipher, { store: 'CA2', lane: 'L1' });
    const caCopy = join(caDir.dir, 'ca-copy.pem');
    writeFileSync(caCopy, hqCa.caPem);
    const { core, dir } = await provisioned({ url: server.url, store: 'CA2', key, caFile: caCopy });
    expect(core.info().configError).toBeNull();
    rmSync(caCopy);
    // The file is applied at every start: it now carries the CA as text, not the path of a file that is gone.
    const rewritten = JSON.parse(readFileSync(join(dir, 'provisioning.json'), 'utf8')) as { hq: Record<string, unknown> };
    expect(rewritten.hq).not.toHaveProperty('caFile');
    expect(rewritten.hq.ca).toBe(hqCa.caPem.trim() + '\n');
    expect(parseProvisioning(JSON.stringify(rewritten)).hq?.ca).toBe(hqCa.caPem.trim());
    expect(readSetting(core.db, 'hq')).toMatchObject({ ca: hqCa.caPem.trim() + '\n' });
    expect(readSetting(core.db, 'hq')).not.toHaveProperty('caFile');
    const up = await core.sync.syncNow();
    expect(up.lastError).toBeNull();
    expect(await hqCount('events', 'CA2')).toBe(up.ackedEventId);
    expect(up.ackedEventId).toBeGreaterThan(0);
  });

  it.each([
    ['hq.caFile naming a private key', (dir: string) => ({ caFile: write(dir, 'key.pem', hqCa.keyPem) }), /hq\.caFile: a PEM certificate/],
    ['hq.caFile naming an empty file', (dir: string) => ({ caFile: write(dir, 'empty.pem', '') }), /hq\.caFile: a PEM certificate/],
    [
      'hq.caFile that does not exist',
      () => ({ caFile: '/nonexistent/hq-ca.pem' }),
      /hq\.caFile: the CA file cannot be read: \/nonexistent\/hq-ca\.pem \(ENOENT\)/,
    ],
    ['hq.ca that is not PEM', () => ({ ca: 'not a certificate' }), /hq\.ca: a PEM certificate/],
    [
      'hq.ca and hq.caFile both',
      (dir: string) => ({ ca: hqCa.caPem, caFile: write(dir, 'ca.pem', hqCa.caPem) }),
      /hq\.caFile: give hq\.ca or hq\.caFile, not both/,
    ],
  ])('the provisioning file is refused (CONFIG_INVALID naming the field) for %s; nothing of it is applied', async (_name, hq, message) => {
    const dir = tempDir('hq-https-bad-');
    cleanups.push(dir.cleanup);
    const { core } = await provisioned({ url: 'https://hq.example.cn', store: 'CA3', key: 'k'.repeat(24), ...hq(dir.dir) }, { shop: { name: '不应写入' } });
    expect(core.info().configError).toMatch(message);
    expect(readSetting(core.db, 'hq')).toBeUndefined();
    expect(readSetting(core.db, 'shop')).not.toMatchObject({ name: '不应写入' });
  });
});

function write(dir: string, name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

describe('live mode and plain http to headquarters', () => {
  /** A live counter (merchant, key, operators off the training PINs) from a provisioning file with this hq section. */
  async function liveCounter(store: string, url: string, transport: SyncTransport): Promise<Awaited<ReturnType<typeof startCore>>> {
    const { key } = await addCounter(pool, cipher, { store, lane: 'L1' });
    const t = tempDir('hq-live-');
    const core = await startProvisionedCore(
      t.dir,
      {
        bpc: { url: 'https://bank.invalid/gateway', mid: '104320170118888', posNo: '37381542', tellerNo: '001', key: '01AC$@!BGT98aw#C' },
        hq: { url, store, lane: 'L1', key, intervalMs: 600_000 },
      },
      { syncTransport: transport, syncIntervalMs: 3_600_000, schedule: { firstQueryMs: 600_000 } },
    );
    await core.sync.stop();
    cleanups.push(async () => {
      await core.close();
      t.cleanup();
    });
    expect(core.info()).toMatchObject({ mode: 'live', configError: null });
    return core;
  }

  function countingTransport(): { transport: SyncTransport; calls: string[] } {
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    const calls: string[] = [];
    return {
      calls,
      transport: (input) => {
        calls.push(input.url);
        return real.transport(input);
      },
    };
  }

  it('plain http to another machine: refused before anything is sent (INSECURE_TRANSPORT on the sync state and health)', async () => {
    const { transport, calls } = countingTransport();
    const core = await liveCounter('LIVE1', 'http://192.0.2.10:8088', transport);
    const status = await core.sync.syncNow();
    expect(status.lastError).toMatch(/^INSECURE_TRANSPORT: live sync refused: the headquarters URL is plain http to another machine/);
    expect(calls).toEqual([]);
    expect(status.lagEvents).toBeGreaterThan(0);
    expect((await core.health()).sync).toMatchObject({ name: 'hq', status: 'error', detail: expect.stringContaining('INSECURE_TRANSPORT') });
  });

  it('plain http to this machine and https to another are used in live mode', async () => {
    const plain = await startHqServer({ pool, cipher, port: 0 });
    cleanups.push(() => plain.close());
    const { transport, calls } = countingTransport();
    const core = await liveCounter('LIVE2', plain.url, transport);
    const status = await core.sync.syncNow();
    expect(status.lastError).toBeNull();
    expect(calls.length).toBeGreaterThan(0);
    expect(await hqCount('events', 'LIVE2')).toBe(status.ackedEventId);

    // https to a host that does not answer: tried (not refused as insecure), fails as unreachable.
    const other = countingTransport();
    const remote = await liveCounter('LIVE3', 'https://192.0.2.10:1', other.transport);
    const unreachable = await remote.sync.syncNow();
    expect(other.calls.length).toBeGreaterThan(0);
    expect(unreachable.lastError).not.toMatch(/INSECURE_TRANSPORT/);
  });

  it('training mode keeps plain http to another machine (the Settings form warns); it is tried', async () => {
    const { transport, calls } = countingTransport();
    const { key } = await addCounter(pool, cipher, { store: 'TRN1', lane: 'L1' });
    const t = tempDir('hq-training-');
    const c = await startCounter(t.dir, { syncIntervalMs: 3_600_000, syncTransport: transport });
    cleanups.push(async () => {
      await c.close();
      t.cleanup();
    });
    await c.core.sync.stop();
    await saveHq(c, { url: 'http://192.0.2.10:1', store: 'TRN1', lane: 'L1', intervalMs: 600_000, ca: '' });
    c.core.secrets.write(HQ_KEY, key);
    const status = await c.core.sync.syncNow();
    expect(calls.length).toBeGreaterThan(0);
    expect(status.lastError).not.toMatch(/INSECURE_TRANSPORT/);
  });
});

describe('npm run hq -- --tls-cert/--tls-key', () => {
  /** A TCP listener standing in for PostgreSQL: counts connections, so "nothing started" is measured. */
  async function trapPg(): Promise<{ url: string; connections: () => number }> {
    let n = 0;
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      n += 1;
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
    );
    return { url: `postgres://postgres@127.0.0.1:${port}/hq`, connections: () => n };
  }

  function capture(): { io: { out(t: string): void; err(t: string): void; staticDir?: string }; stderr: () => string; stdout: () => string } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t) => out.push(t), err: (t) => err.push(t) }, stdout: () => out.join(''), stderr: () => err.join('') };
  }

  it.each([
    ['--tls-cert alone', () => ['--tls-cert', join(caDir.dir, 'hq', 'server.pem')], /--tls-cert FILE and --tls-key FILE go together/],
    ['--tls-key alone', () => ['--tls-key', join(caDir.dir, 'hq', 'server.key')], /--tls-cert FILE and --tls-key FILE go together/],
    [
      'a missing certificate file',
      () => ['--tls-cert', '/nonexistent/hq.pem', '--tls-key', join(caDir.dir, 'hq', 'server.key')],
      /--tls-cert \/nonexistent\/hq\.pem: cannot be read \(ENOENT\)/,
    ],
    [
      "a certificate with another certificate's key",
      () => ['--tls-cert', join(caDir.dir, 'hq', 'server.pem'), '--tls-key', join(caDir.dir, 'other', 'server.key')],
      /--tls-cert \/ --tls-key: not a PEM certificate chain and its private key/,
    ],
  ])('%s: a clear error, exit code 2, and PostgreSQL never contacted', async (_name, args, message) => {
    const pg = await trapPg();
    const data = tempDir('hq-cli-data-');
    cleanups.push(data.cleanup);
    const { io: sink, stderr } = capture();
    const result = await runHqCli(['serve', '--pg', pg.url, '--port', '0', '--data', data.dir, ...args()], sink);
    expect(result).toBe(2);
    expect(stderr()).toMatch(message);
    await new Promise((r) => setTimeout(r, 50));
    expect(pg.connections()).toBe(0);
  });

  it('with both: the ingest, the snapshot and the dashboard are served over https only', async () => {
    const data = tempDir('hq-cli-data-');
    cleanups.push(data.cleanup);
    writeFileSync(join(data.dir, 'hq.html'), '<!doctype html><title>总部</title>');
    const { io: sink, stdout } = capture();
    const result = await runHqCli(
      [
        'serve',
        '--pg',
        hqdb.pgdb.url,
        '--port',
        '0',
        '--data',
        data.dir,
        '--tls-cert',
        join(caDir.dir, 'hq', 'server.pem'),
        '--tls-key',
        join(caDir.dir, 'hq', 'server.key'),
      ],
      { ...sink, staticDir: data.dir },
    );
    if (typeof result === 'number') throw new Error(`exit ${result}`);
    cleanups.push(() => result.stop());
    expect(result.server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout()).toContain(`headquarters listening on ${result.server.url}`);

    const agent = new Agent({ connect: { ca: [readFileSync(join(caDir.dir, 'hq', 'ca.pem'), 'utf8')] } });
    cleanups.push(() => agent.close());
    const get = async (path: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; text: string }> => {
      const r = await request(`${result.server.url}${path}`, { method, dispatcher: agent, ...(method === 'POST' ? { body: '{}' } : {}) });
      return { status: r.statusCode, text: await r.body.text() };
    };
    expect(await get('/')).toMatchObject({ status: 200, text: expect.stringContaining('总部') });
    expect(await get('/api/snapshot')).toMatchObject({ status: 403, text: expect.stringContaining('UNKNOWN_COUNTER') });
    expect((await get('/api/ingest', 'POST')).status).toBeGreaterThanOrEqual(400);
    // The same port in clear text gets no HTTP answer.
    const plain = await request(result.server.url.replace(/^https:/, 'http:'), { dispatcher: agent }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(plain).toBe('refused');
    // A client without the CA is refused by its own verification.
    const untrusted = await request(`${result.server.url}/`).then(
      () => 'answered',
      (e: unknown) => String((e as { code?: string }).code ?? e),
    );
    expect(untrusted).not.toBe('answered');
  });
});
