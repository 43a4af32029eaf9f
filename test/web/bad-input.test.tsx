import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { translate, useLang, type Lang } from '../../src/renderer/src/i18n';
import { mountApp, paidTrainingSale, tick, type MountedApp } from './mount';

function setValue(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/** Values a person might type wrong: letters in a number, negative, a fen-sized number, empty. */
const BAD_VALUES = ['abc', '-1', '999999999999999', ''];

/** Things a user must never read: contract paths, schema words, field paths, raw fen-sized numbers. */
const CHANNEL = /\b(?:payment|refund|settings|operators?|day|shift|session|ledger|app|training|devices?|printer|receipts?|yima|bpc|diagnostics):[a-z]/i;
const SCHEMA_WORDS =
  /Too (?:big|small)|expected (?:number|string|int|array|boolean)|Invalid (?:input|option|string)|\bRequired\b|received|NaN|undefined|must match pattern/;
/** In a Chinese message no English rule words at all. */
const ENGLISH_RULE_WORDS = /\b(?:required|characters|letters|digits|must|expected|invalid|only)\b/i;
const FIELD_PATH = /\b(?:value|approval|manager|override|merchant|limits|polling|qr|notifications|shop|businessDay|devices|receiptPrinter)\.[A-Za-z]/;
const RAW_NUMBER = /\d{12,}/;

function problems(messages: string[], lang: Lang): string[] {
  return messages.filter((m) => {
    // A label may name the gateway's own field in brackets (终端号 (posNo)): that is the label, not schema text.
    const text = m.replace(/\((?:[a-z]+[A-Z]\w*|[a-z_]+)\)/g, '');
    const english = lang === 'en' && /[：，（）。]/.test(text);
    return (
      english ||
      CHANNEL.test(text) ||
      SCHEMA_WORDS.test(text) ||
      FIELD_PATH.test(text) ||
      RAW_NUMBER.test(text) ||
      (lang === 'zh' && (/\b[a-z]+[A-Z][A-Za-z]*\b/.test(text) || ENGLISH_RULE_WORDS.test(text) || /[A-Za-z]+ [A-Za-z]+ [A-Za-z]+/.test(text)))
    );
  });
}

/**
 * 9.1: every form, walked with bad values, in zh and en. Each refused entry must read as
 * "<field label>：<rule>" (or a screen's own sentence), never the contract path, schema text,
 * a field path or a raw fen number.
 */
describe('bad input on every form reads as a field label and a human rule (9.1)', () => {
  let app: MountedApp;
  let container: HTMLElement;
  const q = (id: string): HTMLElement | null => app.q(id);

  /** Every error text on screen now. */
  const errorTexts = (): string[] =>
    [...container.querySelectorAll('[role="alert"], .error, .field-error, [data-testid="field-error"]')]
      .map((e) => (e.textContent ?? '').trim())
      .filter((s) => s !== '');

  async function press(key: string): Promise<void> {
    await act(async () => {
      window.dispatchEvent(new KeyboardEvent('keydown', { key, code: key, bubbles: true, cancelable: true }));
    });
  }

  /** Fills every text field of the form with `value` (approval fields with `approval` when given), submits, returns the errors. */
  async function submitWith(form: HTMLFormElement, value: string, approval?: { code: string; pin: string }): Promise<string[]> {
    await act(async () => {
      for (const el of form.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')) {
        if (el instanceof HTMLInputElement && ['checkbox', 'radio', 'hidden', 'file', 'date'].includes(el.type)) continue;
        if (el.readOnly || el.disabled) continue;
        const id = el.getAttribute('data-testid') ?? '';
        const isApproval = /-(?:approval|manager|supervisor)-(?:code|pin)$|^diagnostics-(?:code|pin)$/.test(id);
        setValue(el, isApproval && approval !== undefined ? (id.endsWith('-pin') ? approval.pin : approval.code) : value);
      }
    });
    await act(async () => form.requestSubmit());
    await tick(150);
    return errorTexts();
  }

  async function walkForm(find: () => HTMLFormElement | null, lang: Lang, label: string): Promise<{ seen: number; bad: string[] }> {
    let seen = 0;
    const bad: string[] = [];
    for (const value of BAD_VALUES) {
      for (const approval of [undefined, { code: '900', pin: '9999' }]) {
        const form = find();
        if (form === null) continue;
        const messages = await submitWith(form, value, approval);
        seen += messages.length;
        for (const m of problems(messages, lang)) bad.push(`${label} [${value}]: ${m}`);
      }
    }
    return { seen, bad };
  }

  beforeEach(async () => {
    app = await mountApp({ code: '900', pin: '9999' });
    container = app.container;
  }, 60_000);

  afterEach(async () => {
    await app.close();
  }, 60_000);

  for (const lang of ['zh', 'en'] as const) {
    it(`settings: every section and the operator form (${lang})`, async () => {
      await act(async () => useLang.getState().setLang(lang));
      await press('F10');
      for (let i = 0; i < 100 && q('settings-nav-bpc') === null; i++) await tick(50);
      const sections = [...container.querySelectorAll('[data-testid^="settings-nav-"]')].map((b) =>
        (b.getAttribute('data-testid') ?? '').slice('settings-nav-'.length),
      );
      expect(sections.length).toBeGreaterThan(8);
      let seen = 0;
      const bad: string[] = [];
      // The mode switch too: live is refused until the merchant is set up (the host's reason is English).
      for (const section of sections.filter((s) => s !== 'operators')) {
        await act(async () => (q(`settings-nav-${section}`) as HTMLButtonElement).click());
        await tick(100);
        const r = await walkForm(() => container.querySelector<HTMLFormElement>(`form[data-testid="section-${section}"]`), lang, section);
        seen += r.seen;
        bad.push(...r.bad);
      }
      await act(async () => (q('settings-nav-operators') as HTMLButtonElement).click());
      for (let i = 0; i < 50 && q('op-add') === null; i++) await tick(50);
      await act(async () => (q('op-add') as HTMLButtonElement).click());
      await tick(50);
      const r = await walkForm(() => container.querySelector<HTMLFormElement>('form[data-testid="section-operator"]'), lang, 'operator');
      seen += r.seen;
      bad.push(...r.bad);
      expect(seen).toBeGreaterThan(20);
      expect(bad).toEqual([]);
    }, 240_000);

    it(`refund desk, close day, diagnostics (${lang})`, async () => {
      await act(async () => useLang.getState().setLang(lang));
      // A paid sale to refund.
      const trace = (await paidTrainingSale(1500)).sysTrace;
      await press('F3');
      for (let i = 0; i < 100 && q('desk-search') === null; i++) await tick(50);
      await act(async () => setValue(q('desk-search') as HTMLInputElement, trace));
      await act(async () => (q('desk-search') as HTMLInputElement).form?.requestSubmit());
      for (let i = 0; i < 100 && q('refund-form') === null; i++) await tick(50);
      const bad: string[] = [];
      let seen = 0;
      const refund = await walkForm(() => q('refund-form') as HTMLFormElement | null, lang, 'refund');
      seen += refund.seen;
      bad.push(...refund.bad);
      // The day search with a bad amount.
      const day = await walkForm(() => (q('desk-amount') as HTMLInputElement | null)?.form ?? null, lang, 'desk day search');
      seen += day.seen;
      bad.push(...day.bad);

      await press('F6');
      for (let i = 0; i < 100 && q('report') === null; i++) await tick(50);
      await press('F9');
      for (let i = 0; i < 50 && q('close-form') === null; i++) await tick(50);
      for (const value of BAD_VALUES) {
        const form = q('close-form') as HTMLFormElement | null;
        if (form === null) break;
        const messages = await submitWith(form, value);
        seen += messages.length;
        for (const m of problems(messages, lang)) bad.push(`close day [${value}]: ${m}`);
        // The refused field is named as the form labels it (the manager's code, not a generic "operator no.").
        if (value === '') expect(messages.join(' | ')).toContain(translate(lang, 'manage.close.managerCode'));
      }

      await press('F11');
      for (let i = 0; i < 100 && q('diagnostics') === null; i++) await tick(50);
      const diag = await walkForm(() => q('diagnostics') as HTMLFormElement | null, lang, 'diagnostics');
      seen += diag.seen;
      bad.push(...diag.bad);
      expect(seen).toBeGreaterThan(10);
      expect(bad).toEqual([]);
    }, 240_000);
  }
});
