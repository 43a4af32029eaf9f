/**
 * The Yima (翼码) card gateway's settings, as stored in the ledger and written in the provisioning file's
 * `yima` section. The key is never part of them (write-only, encrypted in the core). Cross-field rules
 * (terminal_id XOR pos_sn, the split plan, signed answers with raw XML) are checked in the core with
 * errors naming the field or the split rule.
 */
import { z } from 'zod';

const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');

const code = (max: number): z.ZodString =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^[0-9A-Za-z_-]{1,${max}}$`), `letters and digits, 1–${max}`);
const optionalCode = (max: number): z.ZodString =>
  z
    .string()
    .trim()
    .regex(new RegExp(`^[0-9A-Za-z_-]{0,${max}}$`), `letters and digits, at most ${max}`);

export const YIMA_SIGN_RULE_NAMES = ['sorted_kv_key', 'sorted_kv_amp_key', 'json_key', 'key_body_key'] as const;
export const YIMA_PAID_AMOUNT_RULE_NAMES = ['if-reported', 'require'] as const;

export const YimaSplitPlanSchema = z
  .object({
    flag: z.enum(['N', 'R', 'D']),
    /** D only, yyyymmdd. */
    planSplitDate: z
      .string()
      .trim()
      .regex(/^(\d{8})?$/, 'yyyymmdd')
      .default(''),
    /** R only: split by percentage (净值分账) instead of by amount. */
    clean: z.boolean().default(false),
    keepPercentage: z.string().trim().max(6).default(''),
    receivers: z
      .array(
        z
          .object({
            merchantId: code(32),
            divAmtFen: z.number().int().positive().max(999_999_999).optional(),
            divPercentage: z.string().trim().max(6).optional(),
          })
          .strict(),
      )
      .max(20)
      .default([]),
  })
  .strict();

export const YimaSettingsSchema = z
  .object({
    /**
     * The gateway URL [guess: not in our material]. May stay empty while the counter trains on the built-in
     * Yima simulator; live card orders need it (NOT_CONFIGURED naming yima.url).
     */
    url: z.union([httpUrl, z.literal('')]).default(''),
    isspid: code(8),
    systemId: code(4),
    storeId: code(20),
    posId: code(20),
    /** Exactly one of terminalId / posSn (checked in the core). */
    terminalId: optionalCode(10).default(''),
    posSn: optionalCode(20).default(''),
    format: z.enum(['json', 'xml']).default('json'),
    /** [guess] raw GBK body, or a form `xml=&mac=` as on Yima's older platforms. */
    xmlTransport: z.enum(['raw', 'form']).default('raw'),
    /** [guess] the seed's chapter 2.1 is not in our material. */
    signRule: z.enum(YIMA_SIGN_RULE_NAMES).default('sorted_kv_key'),
    requireSignedResponses: z.boolean().default(false),
    /** Refuse answers echoing another pos_id (the seed's JSON sample does, so off by default). */
    bindPosId: z.boolean().default(false),
    /**
     * [guess] A result-query "paid" without an amount (the documented bcm_res_info names none):
     * `if-reported` takes it, checking the amount only when reported; `require` leaves it 状态未明 for the
     * supervisor's order-query re-check (which reports trade_amount).
     */
    paidAmount: z.enum(YIMA_PAID_AMOUNT_RULE_NAMES).default('if-reported'),
    /** Sent as notify_url; '' = no notifications (polling is the primary path). */
    notifyUrl: z.union([httpUrl, z.literal('')]).default(''),
    /**
     * Live mode: where this counter listens for Yima's notifications (notifyUrl must reach it, e.g.
     * through the shop's router). Port 0 = no listener (polling only). Read at start-up.
     */
    notifyHost: z.string().trim().min(1).max(255).default('0.0.0.0'),
    notifyPort: z.number().int().min(0).max(65_535).default(0),
    /** The counter's default split plan (e.g. a mall's concession share); null = none sent. */
    splitPlan: YimaSplitPlanSchema.nullable().default(null),
    connectMs: z.number().int().min(500).max(60_000).default(5000),
    responseMs: z.number().int().min(1000).max(120_000).default(15_000),
    /** After this long without a final answer the sale shows 状态未明 for a supervisor (still queried). */
    giveUpAfterMs: z.number().int().min(30_000).max(3_600_000).default(300_000),
    /** Show the one-time terminal binding action ([guess] body modelled on bind_pos_request). */
    bindingEnabled: z.boolean().default(false),
    /** Where card sales (F9 / 刷卡) go: the card terminal's serial link, or Yima's card POS push. */
    cardRoute: z.enum(['terminal', 'yima']).default('terminal'),
  })
  .strict();

export type YimaSettings = z.output<typeof YimaSettingsSchema>;
export type YimaSplitPlanSettings = z.output<typeof YimaSplitPlanSchema>;

/** Where 刷卡 (F9) goes: the serial terminal link, or Yima's platform. */
export const CardRouteSchema = z.enum(['terminal', 'yima']);
export type CardRoute = z.output<typeof CardRouteSchema>;

/** What "check a rule" answers (never the key). */
export const CheckRuleResultSchema = z.object({
  verdict: z.enum(['match', 'none', 'unsigned', 'unreadable']),
  rules: z.array(z.string()),
  format: z.string(),
  detail: z.string(),
});
export type CheckRuleResultView = z.output<typeof CheckRuleResultSchema>;

/**
 * The terminal binding's last outcome (Settings → Yima, a manager's one-time action; the body is a
 * [guess] modelled on bind_pos_request): bound (Yima accepted it), refused (Yima answered with a failure
 * id), unclear (no usable answer: it may or may not have taken effect — ask Yima before binding again).
 */
export const YimaBindingSchema = z.object({
  at: z.number().int(),
  by: z.string(),
  /** Training binds the simulator's training terminal; live the configured one. */
  mode: z.enum(['training', 'live']),
  posId: z.string(),
  storeId: z.string(),
  storeName: z.string(),
  posSeq: z.string(),
  verdict: z.enum(['bound', 'refused', 'unclear']),
  /** Yima's result id ('' without a usable answer). */
  code: z.string(),
  /** Yima's comment, or the host's English reason. */
  detail: z.string(),
});
export type YimaBinding = z.output<typeof YimaBindingSchema>;
