import { AppError } from '../../shared/errors';
import { YimaSettingsSchema, type YimaSettings } from '../../shared/yima-settings';
import { assertYimaProfile, type YimaClientOptions } from '../gateways/yima/client';
import { assertMerchant, type YimaMerchant } from '../gateways/yima/messages';
import { validateSplitPlan, type YimaSplitPlan } from '../gateways/yima/split';
import type { Db } from '../ledger/db';
import { readSetting } from '../ledger/settings';

/** Ledger settings key of the Yima section, and the secret store name of its key. */
export const YIMA_SETTING = 'yima';
export const YIMA_KEY = 'yima.key';

/** The stored Yima settings, or null when none are (or they no longer parse: shown as not configured). */
export function readYimaSettings(db: Db): YimaSettings | null {
  const raw = readSetting(db, YIMA_SETTING);
  if (raw === undefined || raw === null) return null;
  const parsed = YimaSettingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export function yimaMerchant(s: YimaSettings): YimaMerchant {
  return { url: s.url, isspid: s.isspid, systemId: s.systemId, storeId: s.storeId, posId: s.posId, terminalId: s.terminalId, posSn: s.posSn };
}

export function yimaSplitPlan(s: YimaSettings): YimaSplitPlan | null {
  const p = s.splitPlan;
  if (p === null) return null;
  const plan: YimaSplitPlan = { flag: p.flag, clean: p.clean, receivers: p.receivers.map((r) => ({ ...r })) };
  if (p.planSplitDate !== '') plan.planSplitDate = p.planSplitDate;
  if (p.keepPercentage !== '') plan.keepPercentage = p.keepPercentage;
  return plan;
}

/**
 * The cross-field rules a schema cannot say: exactly one of terminal_id / pos_sn, signed answers need a
 * signable format, and the split plan obeys every rule of the seed (the error names the rule). Field
 * names are prefixed `yima.` so Settings puts the message on the field.
 */
export function assertYimaSettings(s: YimaSettings): void {
  // An empty URL is allowed while training (the built-in simulator is used); the live client refuses it.
  assertMerchant(s.url === '' ? { ...yimaMerchant(s), url: 'https://yima.invalid/' } : yimaMerchant(s));
  assertYimaProfile({
    format: s.format,
    xmlTransport: s.xmlTransport,
    signRule: s.signRule,
    requireSignedResponses: s.requireSignedResponses,
    bindPosId: s.bindPosId,
    paidAmount: s.paidAmount,
  });
  try {
    validateSplitPlan(yimaSplitPlan(s));
  } catch (err) {
    if (err instanceof AppError) {
      throw new AppError('BAD_INPUT', err.message, { ...err.details, field: 'yima.splitPlan' });
    }
    throw err;
  }
}

/** Client options from the settings; the key is read from the secret store at each request. */
export function yimaClientOptions(s: YimaSettings, getKey: () => string): YimaClientOptions {
  return {
    merchant: yimaMerchant(s),
    profile: {
      format: s.format,
      xmlTransport: s.xmlTransport,
      signRule: s.signRule,
      requireSignedResponses: s.requireSignedResponses,
      bindPosId: s.bindPosId,
      paidAmount: s.paidAmount,
    },
    timeouts: { connectMs: s.connectMs, responseMs: s.responseMs },
    getKey,
  };
}
