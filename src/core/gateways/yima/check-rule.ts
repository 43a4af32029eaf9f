import { parseYimaBody, toGbk } from './codec';
import { verifyFormMac, verifyYimaSign, YIMA_SIGN_RULES, type YimaSignRule } from './sign';

/** What "check a rule" found; it never contains the key. */
export type CheckRuleResult =
  | { verdict: 'match'; rules: YimaSignRule[]; format: 'json' }
  | { verdict: 'match'; rules: ['form_mac']; format: 'form' }
  | { verdict: 'none'; format: 'json' | 'form' }
  | { verdict: 'unsigned'; format: 'json' | 'xml' }
  | { verdict: 'unreadable'; detail: string };

/**
 * The Settings action "check a rule": given a known-good signed body from Yima and the key, which of the
 * candidate rules reproduces its signature — or none (a tampered body, a wrong key, or a rule we do not
 * have). The key is only used to compute digests; it is never logged or returned.
 */
export function checkSignRule(bodyText: string, key: string): CheckRuleResult {
  const trimmed = bodyText.trim();
  if (trimmed === '') return { verdict: 'unreadable', detail: 'empty body' };
  // Pasted text is Unicode; a form body pasted as text carries its XML percent-encoded, as on the wire.
  const bytes = /^xml=/.test(trimmed) ? Buffer.from(trimmed, 'latin1') : /^</.test(trimmed) ? safeGbk(trimmed) : Buffer.from(trimmed, 'utf8');
  if (bytes === null) return { verdict: 'unreadable', detail: 'XML contains characters GBK cannot carry' };
  const parsed = parseYimaBody(bytes);
  if ('error' in parsed) return { verdict: 'unreadable', detail: `${parsed.error}: ${parsed.detail}` };
  const r = parsed.response;
  if (r.signature === null) return { verdict: 'unsigned', format: r.format };
  if (parsed.macBytes !== null) {
    return verifyFormMac(parsed.macBytes, toGbk(key, 'key'), r.signature)
      ? { verdict: 'match', rules: ['form_mac'], format: 'form' }
      : { verdict: 'none', format: 'form' };
  }
  if (r.format !== 'json') return { verdict: 'unsigned', format: 'xml' };
  const rules = YIMA_SIGN_RULES.filter((rule) => verifyYimaSign(rule, r.fields, key, r.signature, r.text));
  return rules.length > 0 ? { verdict: 'match', rules, format: 'json' } : { verdict: 'none', format: 'json' };
}

function safeGbk(text: string): Buffer | null {
  try {
    return toGbk(text.replace(/encoding\s*=\s*["'][^"']*["']/, 'encoding="GBK"'), 'body');
  } catch {
    return null;
  }
}
