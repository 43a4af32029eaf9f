import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, press, tick, type MountedApp } from './mount';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Types into the focused field, then Enter (as a cashier counting notes does). */
async function typeAndEnter(value: string): Promise<void> {
  const field = document.activeElement as HTMLInputElement;
  await act(async () => setInput(field, value));
  await press('Enter', 'Enter', field);
  await tick(20);
}

/** 交班 drawer count by denomination (issue 12.5), in the real renderer over a real core. */
describe('handover: the drawer counted by denomination', () => {
  let app: MountedApp;
  afterEach(async () => app.close());

  async function openHandover(): Promise<void> {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 10_000 });
    });
    await press('F12', 'F12', window);
    await tick(50);
    expect(app.q('handover-counted')).not.toBeNull();
  }

  it('F2 counts notes and coins: Enter goes to the next field, the sum is shown in fen-exact yuan, the last Enter ends the shift; the report keeps the breakdown', async () => {
    await openHandover();
    await press('F2');
    await tick(30);
    expect(app.q('handover-denoms')).not.toBeNull();
    expect(app.q('handover-counted')).toBeNull();
    const labels = [...(app.q('handover-denoms')?.querySelectorAll('label span') ?? [])].map((s) => s.textContent);
    expect(labels).toEqual(['¥100', '¥50', '¥20', '¥10', '¥5', '¥1', '5角', '1角', '硬币合计（元）']);
    expect(document.activeElement).toBe(app.q('handover-denom-10000'));
    // ¥100 ×0, ¥50 (empty), ¥20 ×1, ¥10 ×1, ¥5 ×1, ¥1 ×2, 5角 ×1, 1角 ×2, loose coins ¥0.08 = ¥37.78.
    await typeAndEnter('0');
    expect(document.activeElement).toBe(app.q('handover-denom-5000'));
    expect(app.q('handover-report')).toBeNull();
    await typeAndEnter('');
    await typeAndEnter('1');
    await typeAndEnter('1');
    await typeAndEnter('1');
    await typeAndEnter('2');
    await typeAndEnter('1');
    await act(async () => setInput(document.activeElement as HTMLInputElement, '2'));
    expect(app.q('handover-sum')?.textContent).toBe('合计 ¥37.70');
    await press('Enter');
    await tick(20);
    expect(document.activeElement).toBe(app.q('handover-coins'));
    await act(async () => setInput(app.q('handover-coins') as HTMLInputElement, '0.08'));
    expect(app.q('handover-sum')?.textContent).toBe('合计 ¥37.78');
    expect(app.q('handover-report')).toBeNull();
    await press('Enter', 'Enter', app.q('handover-coins') as HTMLElement);
    for (let i = 0; i < 40 && app.q('handover-drawer') === null; i++) await tick(50);

    expect(app.q('handover-expected')?.textContent).toBe('¥37.80');
    expect(app.q('handover-counted-cash')?.textContent).toBe('¥37.78');
    expect(app.q('handover-difference')?.textContent).toBe('短款 ¥0.02');
    const rows = [...(app.q('handover-breakdown')?.querySelectorAll('tr') ?? [])].map((r) => r.textContent);
    expect(rows).toEqual(['¥20 × 1¥20.00', '¥10 × 1¥10.00', '¥5 × 1¥5.00', '¥1 × 2¥2.00', '5角 × 1¥0.50', '1角 × 2¥0.20', '硬币合计¥0.08']);

    let shift: Awaited<ReturnType<typeof call<'shift:list'>>>[number] | undefined;
    let printed: string[] = [];
    await act(async () => {
      await call('session:signIn', { code: '800', pin: '8888' });
      shift = (await call('shift:list', { day: (await call('day:current', undefined)).day }))[0];
      printed = (await call('receipt:text', { kind: 'shift', id: shift?.id ?? 0 })).lines.map((l) => l.text);
    });
    expect(shift?.report?.drawer).toEqual({
      floatFen: 0,
      cashSalesFen: 3_780,
      cashRefundsFen: 0,
      expectedFen: 3_780,
      countedFen: 3_778,
      differenceFen: -2,
      denominations: [
        { valueFen: 2_000, count: 1 },
        { valueFen: 1_000, count: 1 },
        { valueFen: 500, count: 1 },
        { valueFen: 100, count: 2 },
        { valueFen: 50, count: 1 },
        { valueFen: 10, count: 2 },
      ],
      coinsFen: 8,
    });
    // The thermal handover report carries the same breakdown.
    expect(printed.some((l) => /^ {2}￥20 × 1 +￥20\.00$/.test(l))).toBe(true);
    expect(printed.some((l) => /^ {2}硬币合计 +￥0\.08$/.test(l))).toBe(true);
    expect(printed.some((l) => /^实点现金 +￥37\.78$/.test(l))).toBe(true);
  }, 60_000);

  it('a count that is not a whole number is refused on its field in words; nothing ends until it is fixed; F2 goes back to a total', async () => {
    await openHandover();
    await press('F2');
    await tick(30);
    await act(async () => setInput(app.q('handover-denom-2000') as HTMLInputElement, '1.5'));
    await act(async () => setInput(app.q('handover-coins') as HTMLInputElement, '0.08'));
    await press('Enter', 'Enter', app.q('handover-coins') as HTMLElement);
    await tick(200);
    expect(app.q('handover-report')).toBeNull();
    expect(app.q('handover-error')?.textContent).toBe('¥20：请填写张数（整数，0 或以上）');
    expect(document.activeElement).toBe(app.q('handover-denom-2000'));
    expect(app.q('handover-sum')?.textContent).toBe('合计 —');
    let open = false;
    await act(async () => {
      open = (await call('session:current', undefined)).shift !== null;
    });
    expect(open).toBe(true);
    // Back to a total: the typed notes are dropped, the total field has the focus.
    await press('F2');
    await tick(30);
    expect(app.q('handover-denoms')).toBeNull();
    expect(document.activeElement).toBe(app.q('handover-counted'));
    await act(async () => setInput(app.q('handover-counted') as HTMLInputElement, '37.8'));
    await press('Enter', 'Enter', app.q('handover-counted') as HTMLElement);
    for (let i = 0; i < 40 && app.q('handover-drawer') === null; i++) await tick(50);
    expect(app.q('handover-difference')?.textContent).toBe('相符');
    expect(app.q('handover-breakdown')).toBeNull();
  }, 60_000);
});
