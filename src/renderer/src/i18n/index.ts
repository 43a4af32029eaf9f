import { useCallback } from 'react';
import { create } from 'zustand';
import { en } from './en';
import { zh, type MessageKey } from './zh';

export type Lang = 'zh' | 'en';
export type { MessageKey };

/** The core texts, then whatever a lazily loaded part has registered (./back-office.ts). */
const dictionaries: Record<Lang, Partial<Record<MessageKey, string>>> = { zh: { ...zh }, en: { ...en } };

/** Adds a part's texts (the same keys in both languages, checked by the part's own type). */
export function registerMessages(zhPart: Partial<Record<MessageKey, string>>, enPart: Partial<Record<MessageKey, string>>): void {
  Object.assign(dictionaries.zh, zhPart);
  Object.assign(dictionaries.en, enPart);
}

const STORAGE_KEY = 'cashier.lang';

function initialLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

interface LangState {
  lang: Lang;
  setLang: (lang: Lang) => void;
}

export const useLang = create<LangState>((set) => ({
  lang: initialLang(),
  setLang(lang) {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, lang);
    } catch {
      // Storage can be unavailable (private window); the switch still works for this session.
    }
    set({ lang });
  },
}));

/** Translates a key; `{name}` placeholders are filled from params. */
export function translate(lang: Lang, key: MessageKey, params?: Record<string, string | number>): string {
  // A key of a part not loaded yet shows as the key (never seen on a screen: each screen loads its part).
  const text = dictionaries[lang][key] ?? key;
  return params === undefined ? text : text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** Hook: the translate function for the current language. */
export function useT(): (key: MessageKey, params?: Record<string, string | number>) => string {
  const lang = useLang((s) => s.lang);
  // Stable per language, so effects and callbacks can list it as a dependency.
  return useCallback((key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params), [lang]);
}

export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(dictionaries.zh, key);
}
