import { useMemo } from 'react';
import { BridgeError } from '../bridge/client';
import { hasMessage, useLang, useT } from '../i18n';
import { formatFen } from './format';
import { badInputProblem, problemText } from './input-errors';

/** Codes whose translated text says it all; the host's English detail would only add noise. */
const NO_LABELS: Record<string, string> = {};

const SELF_EXPLANATORY = new Set(['PIN_WRONG', 'LOCKED_OUT', 'ROLE_REQUIRED', 'PIN_REQUIRED', 'DAY_CLOSED', 'AMOUNT_INVALID', 'FORBIDDEN']);

/**
 * Turns a bridge error into the user's language. BAD_INPUT becomes "<field label>：<rule>" (labels
 * from `labels`, keyed by field path), never the contract path or schema text. The host's English
 * detail is added only in English: a Chinese message never carries English host text.
 */
export function useErrorText(labels: Record<string, string> = NO_LABELS): (error: unknown) => string {
  const t = useT();
  const lang = useLang((s) => s.lang);
  // Stable while the language and the labels' content stay the same (callers pass an inline object),
  // so screens can list it as a dependency of their effects and callbacks.
  const labelsKey = JSON.stringify(labels);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `t` follows `lang`, `labels` is keyed by its content
  return useMemo(() => errorTextFor(t, lang, labels), [lang, labelsKey]);
}

function errorTextFor(t: ReturnType<typeof useT>, lang: string, labels: Record<string, string>): (error: unknown) => string {
  return (error) => {
    const problem = badInputProblem(t, error, labels);
    if (problem !== null) return problemText(t, problem);
    if (error instanceof BridgeError) {
      const key = `error.${error.info.code}`;
      const head = hasMessage(key) ? t(key) : error.info.code;
      const max = error.info.details?.maxFen;
      if (typeof max === 'number') return lang === 'en' ? `${head} (${formatFen(max)})` : `${head}（${formatFen(max)}）`;
      if (SELF_EXPLANATORY.has(error.info.code) || error.info.message === '') return head;
      // A Chinese message keeps a detail only when it is Chinese itself (a screen's own words), never the host's English.
      if (lang !== 'en') return /[\u4e00-\u9fff]/.test(error.info.message) ? `${head}：${error.info.message}` : head;
      return `${head}: ${error.info.message}`;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      const key = `error.${error.code}`;
      if (hasMessage(key)) return t(key);
    }
    return error instanceof Error ? error.message : String(error);
  };
}
