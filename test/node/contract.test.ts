import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { startWebHost, type WebHost } from '../../src/core/web/host';
import { createWsBridge } from '../../src/renderer/src/bridge/ws-client';
import type { WindowRole } from '../../src/shared/ipc/contract';
import type { PosBridge } from '../../src/shared/ipc/types';
import { tempDir } from '../support/temp';

/**
 * The contract suite: the same assertions over every transport. If a transport drops a field,
 * mangles an error or lets the customer display call a cashier channel, this fails.
 */
type Transport = { name: string; open(core: Core, role: WindowRole): Promise<{ bridge: PosBridge; close(): Promise<void> }> };

let host: WebHost | null = null;

const transports: Transport[] = [
  {
    name: 'in-memory pair',
    open: (core, role) => Promise.resolve({ bridge: createMemoryBridge(core.dispatch, core.bus, role), close: () => Promise.resolve() }),
  },
  {
    name: 'WebSocket (browser mode)',
    async open(core, role) {
      host ??= await startWebHost({ dispatch: core.dispatch, bus: core.bus, logger: silentLogger, staticDir: tempDir().dir });
      const page = new URL(role === 'cashier' ? host.url : host.displayUrl);
      const bridge = createWsBridge(`ws://${page.host}/ipc?token=${page.searchParams.get('token')}`);
      return { bridge, close: () => Promise.resolve(bridge.close()) };
    },
  },
];

describe.each(transports)('contract over $name', (transport) => {
  let core: Core;
  let cleanup: () => void;

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '9.9.9-test', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
  });

  afterEach(async () => {
    await host?.close();
    host = null;
    await core.close();
    cleanup();
  });

  it('app:info carries version, mode and data directory from the core', async () => {
    const { bridge, close } = await transport.open(core, 'cashier');
    const result = await bridge.invoke('app:info', undefined);
    await close();
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ version: '9.9.9-test', mode: 'training', dataDir: core.info().dataDir, platform: 'web' }),
    });
  });

  it('app:health reports the ledger that is really open and "not configured" for what is not', async () => {
    const { bridge, close } = await transport.open(core, 'cashier');
    const result = await bridge.invoke('app:health', undefined);
    await close();
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.ledger.status).toBe('ok');
    expect(result.value.ledger.path).toBe(core.ledgerPath);
    expect(result.value.ledger.schemaVersion).toBeGreaterThanOrEqual(1);
    // No pole display configured; in training mode the built-in simulated card terminal is connected.
    expect(result.value.devices.map((d) => [d.name, d.status])).toEqual([
      ['pole-display', 'not_configured'],
      ['card-terminal', 'ok'],
      ['receipt-printer', 'not_configured'],
    ]);
    expect(result.value.gateways[0]).toMatchObject({ name: 'bpc', status: 'ok' });
    expect(result.value.gateways[1]).toMatchObject({ name: 'yima', status: 'not_configured' });
  });

  it('bad input comes back as BAD_INPUT data, not an exception', async () => {
    const { bridge, close } = await transport.open(core, 'cashier');
    const result = await bridge.invoke('app:info', { surprise: true } as never);
    await close();
    expect(result).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('an unknown channel is refused with UNKNOWN_CHANNEL', async () => {
    const { bridge, close } = await transport.open(core, 'cashier');
    const result = await bridge.invoke('app:shutdown' as never, undefined as never);
    await close();
    expect(result).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('the customer display may read app:info but not call cashier channels', async () => {
    const { bridge, close } = await transport.open(core, 'display');
    const info = await bridge.invoke('app:info', undefined);
    const health = await bridge.invoke('app:health', undefined);
    await close();
    expect(info.ok).toBe(true);
    expect(health).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('events reach the window, parsed by the contract schema (extra fields stripped)', async () => {
    const { bridge, close } = await transport.open(core, 'cashier');
    const received = new Promise<unknown>((resolve) => bridge.on('app:mode', resolve));
    // Make sure the socket is open before the event is sent.
    await bridge.invoke('app:info', undefined);
    core.bus.emit('app:mode', { ...core.info(), secretKey: 'must-not-cross' } as never);
    const payload = await received;
    await close();
    expect(payload).toMatchObject({ mode: 'training', version: '9.9.9-test' });
    expect(JSON.stringify(payload)).not.toContain('must-not-cross');
  });
});
