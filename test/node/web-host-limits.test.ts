import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type Core } from '../../src/core/app/core';
import type { Dispatch } from '../../src/core/ipc/dispatcher';
import { EventBus } from '../../src/core/ipc/event-bus';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { MAX_IN_FLIGHT_PER_SOCKET, startWebHost, type WebHost } from '../../src/core/web/host';
import { isErrorCode } from '../../src/shared/errors';
import { tempDir } from '../support/temp';

interface Reply {
  id: number;
  result: { ok: boolean; error?: { code: string; message: string } };
}

/** A raw socket to the host, as the page opens it; `replies` collects the answers to requests. */
async function openSocket(pageUrl: string): Promise<{ ws: WebSocket; replies: Reply[]; send(id: number, channel: string, input?: unknown): void }> {
  const page = new URL(pageUrl);
  const ws = new WebSocket(`ws://${page.host}/ipc?token=${page.searchParams.get('token')}`, { origin: `http://${page.host}` });
  const replies: Reply[] = [];
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString('utf8')) as Partial<Reply>;
    if (typeof frame.id === 'number') replies.push(frame as Reply);
  });
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  return { ws, replies, send: (id, channel, input) => ws.send(JSON.stringify({ id, channel, input })) };
}

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('browser host: requests in flight per socket are bounded', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it(`beyond ${MAX_IN_FLIGHT_PER_SOCKET} unanswered requests each frame is answered BUSY at once and never executed; other sockets are unaffected`, async () => {
    const executed: unknown[] = [];
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const dispatch: Dispatch = async (_channel, input) => {
      executed.push(input);
      await gate;
      return { ok: true, value: input };
    };
    const dir = tempDir('web-limits-');
    closers.push(dir.cleanup);
    const host: WebHost = await startWebHost({ dispatch, bus: new EventBus(), logger: silentLogger, staticDir: dir.dir });
    closers.push(() => host.close());
    const a = await openSocket(host.url);
    closers.push(() => a.ws.terminate());

    const total = 200;
    for (let n = 1; n <= total; n++) a.send(n, 'app:info', { n });
    // The refused ones come back while every accepted one is still waiting.
    await until(() => a.replies.length === total - MAX_IN_FLIGHT_PER_SOCKET);
    expect(executed).toEqual(Array.from({ length: MAX_IN_FLIGHT_PER_SOCKET }, (_, i) => ({ n: i + 1 })));
    expect(a.replies.map((r) => r.id)).toEqual(Array.from({ length: total - MAX_IN_FLIGHT_PER_SOCKET }, (_, i) => MAX_IN_FLIGHT_PER_SOCKET + 1 + i));
    for (const reply of a.replies) {
      expect(reply.result.ok).toBe(false);
      expect(reply.result.error?.code).toBe('BUSY');
      expect(isErrorCode(reply.result.error?.code)).toBe(true);
    }

    // Another socket (the customer display, a second tab) still gets through.
    const b = await openSocket(host.displayUrl);
    closers.push(() => b.ws.terminate());
    b.send(1, 'app:info', { from: 'b' });
    await until(() => executed.length === MAX_IN_FLIGHT_PER_SOCKET + 1);
    expect(executed.at(-1)).toEqual({ from: 'b' });

    release();
    await until(() => a.replies.length === total && b.replies.length === 1);
    expect(a.replies.slice(-MAX_IN_FLIGHT_PER_SOCKET).every((r) => r.result.ok)).toBe(true);
    expect(b.replies[0]?.result.ok).toBe(true);
    // Answered, the slots are free again.
    a.send(total + 1, 'app:info', { n: 'after' });
    await until(() => a.replies.length === total + 1);
    expect(a.replies.at(-1)).toMatchObject({ id: total + 1, result: { ok: true } });
    expect(executed).toHaveLength(MAX_IN_FLIGHT_PER_SOCKET + 2);
  });

  it('a flood against the real core gets only typed answers, one per frame, and the socket keeps working', async () => {
    const t = tempDir('web-limits-core-');
    closers.push(t.cleanup);
    const core: Core = await startCore({ dataDir: t.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    closers.push(() => core.close());
    const host = await startWebHost({ dispatch: core.dispatch, bus: core.bus, logger: silentLogger, staticDir: t.dir });
    closers.push(() => host.close());
    const a = await openSocket(host.url);
    closers.push(() => a.ws.terminate());
    const total = 300;
    for (let n = 1; n <= total; n++) a.send(n, 'session:signIn', { code: '001', pin: '0000' });
    await until(() => a.replies.length === total, 120_000);
    expect(new Set(a.replies.map((r) => r.id)).size).toBe(total);
    const codes = new Set(a.replies.map((r) => r.result.error?.code));
    expect([...codes].every((c) => isErrorCode(c))).toBe(true);
    expect([...codes].sort()).toEqual(expect.arrayContaining(['BUSY', 'PIN_WRONG']));
    expect([...codes].every((c) => c === 'BUSY' || c === 'PIN_WRONG' || c === 'LOCKED_OUT')).toBe(true);
    a.send(total + 1, 'app:info');
    await until(() => a.replies.length === total + 1);
    expect(a.replies.at(-1)).toMatchObject({ id: total + 1, result: { ok: true } });
  }, 180_000);
});
