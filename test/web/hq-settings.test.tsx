/**
 * Settings → 总部 (issue 14): headquarters URL, store code, the lane headquarters registered and the
 * order-number lane shown; the key write-only (never echoed, not even a suffix); every save approved
 * by a supervisor. The same fields come from the provisioning file's `hq` section. A real core over the
 * in-memory bridge.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core, type CoreOptions } from '../../src/core/app/core';
import { HQ_KEY } from '../../src/core/config/provisioning';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import type { SettingsView } from '../../src/shared/ipc/contract';
import { BridgeError, call, setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import '../../src/renderer/src/i18n/back-office';
import { HqSection } from '../../src/renderer/src/screens/manage/HqSection';
import { tempDir } from '../support/temp';
import { makeTestCa } from '../support/test-ca';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function setInput(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, 'value')?.set;
  setter?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const tick = (ms = 30): Promise<void> => act(() => new Promise<void>((r) => setTimeout(r, ms)));
const KEY = 'k3Y-of-counter-SH01-2-abcdef0123456789';

/** Every 8-character window of the key: none may come back from the core. */
function leaks(text: string, key = KEY): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= key.length; i++) if (text.includes(key.slice(i, i + 8))) out.push(key.slice(i, i + 8));
  return out;
}

describe('Settings: headquarters', () => {
  let core: Core;
  let dir: string;
  let cleanup: () => void;
  let root: Root;
  let container: HTMLElement;

  async function start(extra: Partial<CoreOptions> = {}): Promise<void> {
    core = await startCore({
      dataDir: dir,
      version: '1',
      platform: 'web',
      cipher: createFileKeyCipher(dir),
      logger: silentLogger,
      syncIntervalMs: 3_600_000,
      ...extra,
    });
    await core.sync.stop();
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    useLang.getState().setLang('zh');
    const signIn = await core.dispatch('session:signIn', { code: '001', pin: '1111' }, { role: 'cashier' });
    expect(signIn.ok).toBe(true);
  }

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('hq-settings-'));
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });
  afterEach(async () => {
    act(() => root.unmount());
    container.remove();
    setBridge(null);
    await core.close();
    cleanup();
  });

  async function view(): Promise<SettingsView> {
    const r = await core.dispatch('settings:get', undefined, { role: 'cashier' });
    if (!r.ok) throw new Error(r.error.message);
    return r.value as SettingsView;
  }

  function Harness({ initial }: { initial: SettingsView }): React.JSX.Element {
    const [v, setV] = useState(initial);
    return <HqSection view={v} onSaved={setV} />;
  }

  const q = <T extends Element>(id: string): T => {
    const el = container.querySelector<T>(`[data-testid="${id}"]`);
    if (el === null) throw new Error(`no ${id}`);
    return el;
  };
  const saveSection = async (pin: string): Promise<void> => {
    setInput(q<HTMLInputElement>('hq-approval-code'), '800');
    setInput(q<HTMLInputElement>('hq-approval-pin'), pin);
    await act(async () => q<HTMLButtonElement>('hq-save').click());
    await tick(150);
  };
  const saveKey = async (key: string, pin: string): Promise<void> => {
    q<HTMLInputElement>('hq-key-input').value = key;
    setInput(q<HTMLInputElement>('hq-key-approval-code'), '800');
    setInput(q<HTMLInputElement>('hq-key-approval-pin'), pin);
    await act(async () => q<HTMLButtonElement>('hq-key-save').click());
    await tick(150);
  };

  it('sets URL, store and lane with a supervisor; refuses bad input and a wrong PIN; the key is write-only and never echoed', async () => {
    const ca = makeTestCa(dir);
    await start();
    const first = await view();
    expect(first.hq).toEqual({ settings: null, keySet: false });
    await act(async () => root.render(<Harness initial={first} />));
    // The order-number lane is shown next to the headquarters fields.
    expect(q('hq-order-lane').textContent).toContain(`订单号中的台号：${first.lane.code}`);
    expect(q('hq-key-status').textContent).toBe('未设置');

    // Bad input: a field error in zh, nothing saved, no schema text.
    setInput(q<HTMLInputElement>('hq-url'), 'ftp://hq.example');
    setInput(q<HTMLInputElement>('hq-store'), 'SH 01');
    setInput(q<HTMLInputElement>('hq-lane'), '2');
    await saveSection('8888');
    expect(container.querySelector('[data-testid="field-error"][data-field="url"]')).not.toBeNull();
    expect(container.querySelector('[data-testid="field-error"][data-field="store"]')).not.toBeNull();
    expect(container.textContent).not.toMatch(/ZodError|invalid_string|"code":/);
    expect((await view()).hq.settings).toBeNull();

    // Plain http off this machine: said in the form (signed, but readable on the network).
    setInput(q<HTMLInputElement>('hq-url'), 'http://10.0.0.5:8088');
    await tick();
    expect(q('hq-plain-http').textContent).toContain('未加密的 http');
    // The CA of a private headquarters certificate is asked for https only.
    expect(container.querySelector('[data-testid="hq-ca"]')).toBeNull();
    // A wrong PIN: refused, nothing saved.
    setInput(q<HTMLInputElement>('hq-url'), 'https://hq.example.cn');
    await tick();
    expect(container.querySelector('[data-testid="hq-plain-http"]')).toBeNull();
    setInput(q<HTMLInputElement>('hq-store'), 'SH01');
    setInput(q<HTMLInputElement>('hq-interval'), '10');
    // Not a certificate (a private key pasted by mistake): the field says so in zh, nothing saved.
    setInput(q<HTMLTextAreaElement>('hq-ca'), ca.keyPem);
    await saveSection('8888');
    expect(container.querySelector('[data-testid="field-error"][data-field="ca"]')?.textContent).toContain('必须是 PEM 格式的证书');
    expect((await view()).hq.settings).toBeNull();
    // Shaped like a certificate but cut short: the core's X.509 check refuses it on the same field.
    setInput(q<HTMLTextAreaElement>('hq-ca'), ca.caPem.replace(/\n[A-Za-z0-9+/=]{20,}\n/, '\n'));
    await saveSection('8888');
    expect(container.querySelector('[data-testid="field-error"][data-field="ca"]')?.textContent).toContain('必须是 PEM 格式的证书');
    expect((await view()).hq.settings).toBeNull();
    setInput(q<HTMLTextAreaElement>('hq-ca'), `  ${ca.caPem}  `);
    await saveSection('0000');
    expect((await view()).hq.settings).toBeNull();

    // Approved: saved, recorded with the approver.
    await saveSection('8888');
    for (let i = 0; i < 50 && (await view()).hq.settings === null; i++) await tick(20);
    expect((await view()).hq.settings).toEqual({
      url: 'https://hq.example.cn',
      store: 'SH01',
      lane: '2',
      intervalMs: 10_000,
      ca: ca.caPem.trim(),
    });
    const saved = core.db.prepare("SELECT actor, data FROM events WHERE entity = 'settings' AND type = 'saved' ORDER BY id DESC LIMIT 1").get() as {
      actor: string;
      data: string;
    };
    expect(saved.actor).toBe('800');
    expect(JSON.parse(saved.data)).toMatchObject({ section: 'hq' });
    // Without a key the counter does not push yet.
    expect(core.sync.status().configured).toBe(false);

    // The key: too short is refused in the form (and by the core, whatever the form does).
    await saveKey('short-key-123', '8888');
    expect(q('hq-key-message').textContent).toBe('总部密钥至少 16 个字符。');
    const direct = await call('settings:setKey', { gateway: 'hq', key: 'only-12-char', approval: { code: '800', pin: '8888' } }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(BridgeError);
    expect((direct as BridgeError).info).toMatchObject({ code: 'BAD_INPUT', details: { field: 'key' } });
    expect(core.secrets.read(HQ_KEY)).toBeUndefined();

    // Stored with approval: the field is emptied, only "set" comes back — not even a suffix.
    await saveKey(KEY, '8888');
    for (let i = 0; i < 50 && !(await view()).hq.keySet; i++) await tick(20);
    expect(core.secrets.read(HQ_KEY)).toBe(KEY);
    expect(q<HTMLInputElement>('hq-key-input').value).toBe('');
    expect(q('hq-key-status').textContent).toBe('已设置');
    expect(leaks(container.innerHTML)).toEqual([]);
    expect(leaks(JSON.stringify(await view()))).toEqual([]);
    const events = (core.db.prepare('SELECT data FROM events').all() as { data: string }[]).map((e) => e.data).join('\n');
    expect(leaks(events)).toEqual([]);
    // Now the pusher has a connection: this counter reports to headquarters.
    expect(core.sync.status()).toMatchObject({ configured: true, target: 'https://hq.example.cn', counter: 'SH01/2' });

    await act(async () => useLang.getState().setLang('en'));
    expect(q('hq-key-status').textContent).toBe('Set');
    expect(container.textContent).toContain('Headquarters sync');
  }, 60_000);

  it("the provisioning file's hq section fills the same fields; its key is moved out of the file and shows only as set", async () => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ counter: { lane: '07' }, hq: { url: 'http://127.0.0.1:8088', store: 'BJ02', lane: 'c3', key: KEY } }));
    await start({ provisioningFile: file, provisioningRequired: true });
    expect(leaks(readFileSync(file, 'utf8'))).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ hq: { url: 'http://127.0.0.1:8088', store: 'BJ02', lane: 'c3' } });
    expect(core.secrets.read(HQ_KEY)).toBe(KEY);
    const v = await view();
    expect(v.hq).toEqual({ settings: { url: 'http://127.0.0.1:8088', store: 'BJ02', lane: 'c3', intervalMs: 5000, ca: '' }, keySet: true });
    await act(async () => root.render(<Harness initial={v} />));
    expect(q<HTMLInputElement>('hq-url').value).toBe('http://127.0.0.1:8088');
    expect(q<HTMLInputElement>('hq-store').value).toBe('BJ02');
    expect(q<HTMLInputElement>('hq-lane').value).toBe('c3');
    expect(q('hq-order-lane').textContent).toContain('07');
    // Loopback http is this machine: no warning.
    expect(container.querySelector('[data-testid="hq-plain-http"]')).toBeNull();
    expect(q('hq-key-status').textContent).toBe('已设置');
    expect(leaks(container.innerHTML)).toEqual([]);
  }, 60_000);
});
