import { AppError } from '../../shared/errors';
import type { CheckRuleResultView, YimaBinding, YimaSettings } from '../../shared/yima-settings';
import { latestYimaBinding } from './yima-binding';
import { assertYimaSettings, readYimaSettings, YIMA_KEY, YIMA_SETTING } from '../config/yima-config';
import { checkSignRule } from '../gateways/yima/check-rule';
import type { Db } from '../ledger/db';
import { writeSetting } from '../ledger/settings';
import type { SecretStore } from '../secrets/store';

/** Largest body "check a rule" accepts (a Yima answer is a few hundred bytes). */
export const CHECK_RULE_MAX_CHARS = 64 * 1024;

/**
 * The Yima part of Settings: the section view, save with the cross-field rules, and "check a rule".
 * The key is read from the secret store (or typed once for the check) and never returned or logged.
 */
export function yimaSettingsView(
  db: Db,
  secrets: SecretStore,
): { settings: YimaSettings | null; key: ReturnType<SecretStore['summary']>; binding: YimaBinding | null } {
  return { settings: readYimaSettings(db), key: secrets.summary(YIMA_KEY), binding: latestYimaBinding(db) };
}

export function saveYimaSettings(db: Db, value: YimaSettings, now: number): void {
  assertYimaSettings(value);
  writeSetting(db, YIMA_SETTING, value, now);
}

export function checkYimaSignRule(secrets: SecretStore, body: string, typedKey: string | undefined): CheckRuleResultView {
  if (body.length > CHECK_RULE_MAX_CHARS) throw new AppError('BAD_INPUT', 'the pasted body is too large', { field: 'body' });
  const key = typedKey !== undefined && typedKey !== '' ? typedKey : (secrets.read(YIMA_KEY) ?? '');
  if (key === '') throw new AppError('NOT_CONFIGURED', 'type the Yima key or store it first', { field: 'key' });
  const out = checkSignRule(body, key);
  switch (out.verdict) {
    case 'match':
      return { verdict: 'match', rules: [...out.rules], format: out.format, detail: '' };
    case 'none':
      return { verdict: 'none', rules: [], format: out.format, detail: '' };
    case 'unsigned':
      return { verdict: 'unsigned', rules: [], format: out.format, detail: '' };
    case 'unreadable':
      return { verdict: 'unreadable', rules: [], format: '', detail: out.detail };
  }
}
