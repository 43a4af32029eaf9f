import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useLang } from '../../src/renderer/src/i18n';
import { hostDetail } from '../../src/renderer/src/lib/host-detail';
import { mountApp, tick, type MountedApp } from './mount';

/** English words left in a text once addresses, paths and protocol names are taken out. */
function englishWords(text: string): string[] {
  const neutral = text.replace(/[a-z]+:\/\/\S+|[\w.-]+:\d{1,5}|\/[\w./-]+|\bhttps?\b|\bHTTP\b|\bms\b|\bBPC\b|\bPIN\b/g, '');
  return neutral.match(/[A-Za-z]{2,}/g) ?? [];
}

describe('host details never reach a Chinese screen in English (9.15)', () => {
  it('says the host phrases in Chinese, keeps addresses, drops the rest; English unchanged', () => {
    const bpc = '127.0.0.1:4455 reachable · http · unsigned answers accepted · live payments refused (use https or require signed answers)';
    expect(hostDetail('zh', bpc)).toBe('127.0.0.1:4455 可连接 · http · 接受未签名的应答 · 拒绝正式收款（请改用 https 或要求应答签名）');
    expect(hostDetail('zh', 'training gateway 127.0.0.1:50123 reachable')).toBe('培训网关 127.0.0.1:50123 可连接');
    expect(hostDetail('zh', 'no pole display configured')).toBe('未配置客显屏');
    expect(hostDetail('zh', 'listening on 127.0.0.1:8099')).toBe('正在监听 127.0.0.1:8099');
    // Unknown English: only what needs no language, else nothing.
    expect(hostDetail('zh', 'something odd happened on /dev/ttyUSB0')).toBe('/dev/ttyUSB0');
    expect(hostDetail('zh', 'socket hang up')).toBe('');
    expect(hostDetail('en', bpc)).toBe(bpc);
    // The connection test: the bank's own (Chinese) message stays, an English one goes, the reason code stays.
    expect(hostDetail('zh', 'bank https://pay.example.cn/gw answered 25 交易不存在')).toBe('银行 https://pay.example.cn/gw 应答 25 交易不存在');
    expect(hostDetail('zh', 'bank http://127.0.0.1:4001/gw answered 25 order not found')).toBe('银行 http://127.0.0.1:4001/gw 应答 25');
    expect(hostDetail('zh', 'training gateway answered 25 订单不存在')).toBe('培训网关应答 25 订单不存在');
    for (const phrase of [
      'no merchant configured',
      'no Yima merchant configured',
      'no headquarters configured',
      'no card terminal configured',
      'no receipt printer configured',
      'not checked yet',
      'reachable; no status answer',
      'connect timeout',
      'open',
    ]) {
      expect(englishWords(hostDetail('zh', phrase)), phrase).toEqual([]);
    }
  });

  describe('status screen', () => {
    let app: MountedApp;
    let container: HTMLElement;

    beforeEach(async () => {
      app = await mountApp({ code: '800', pin: '8888' });
      container = app.container;
    }, 60_000);

    afterEach(async () => {
      await app.close();
    }, 60_000);

    it('in zh every health line is Chinese (addresses and paths aside); in en the host detail is there', async () => {
      await act(async () => useLang.getState().setLang('zh'));
      await act(async () => {
        window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F11', bubbles: true, cancelable: true }));
      });
      for (let i = 0; i < 100 && container.querySelector('[data-testid="health-bpc"]') === null; i++) await tick(50);
      const lines = (): HTMLElement[] => [...container.querySelectorAll<HTMLElement>('.health dd')];
      expect(lines().length).toBeGreaterThan(3);
      for (const dd of lines()) {
        const text = [...dd.childNodes]
          .filter((n) => n.nodeName !== 'CODE')
          .map((n) => n.textContent ?? '')
          .join('');
        expect(englishWords(text), text).toEqual([]);
      }
      expect(container.querySelector('[data-testid="health-bpc"]')?.textContent).toContain('培训网关');
      await act(async () => useLang.getState().setLang('en'));
      expect(container.querySelector('[data-testid="health-bpc"]')?.textContent).toContain('training gateway');
      expect(container.querySelector('[data-testid="health-pole-display"]')?.textContent).toContain('no pole display configured');
    }, 60_000);
  });
});
