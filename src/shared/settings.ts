/**
 * The counter's configuration, as stored in the ledger's settings table and as written in the
 * provisioning file. Secrets (gateway keys) are never part of these objects: they go to the secret
 * store and the renderer only ever sees `hasKey` and a masked suffix.
 */
import { z } from 'zod';
import { ReceiptPrinterConfigSchema } from './printer';
import { YimaSettingsSchema } from './yima-settings';

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

export const BpcMerchantSchema = z.object({
  url: httpUrl,
  mid: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{1,32}$/, 'letters and digits, 1–32'),
  posNo: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z]{1,32}$/, 'letters and digits, 1–32'),
  tellerNo: z.string().trim().max(32).default('001'),
  /** A PEM file with the bank's private CA, trusted for an https URL beside the system roots ('' = none). */
  caFile: z.string().trim().max(1024).optional(),
});

export const BpcProfileSchema = z.object({
  createAmountFormat: z.enum(['padded12', 'plain']).default('padded12'),
  refundAmountFormat: z.enum(['padded12', 'plain']).default('plain'),
  closeEnabled: z.boolean().default(true),
  requireSignedResponses: z.boolean().default(false),
  sendOrgTxnTime: z.boolean().default(false),
});

export const TimeoutsSchema = z.object({
  connectMs: z.number().int().min(500).max(60_000).default(5000),
  responseMs: z.number().int().min(1000).max(120_000).default(15_000),
});

export const QrSchema = z.object({
  /** How long the QR is shown (seconds). */
  validitySec: z.number().int().min(30).max(86_400).default(600),
  /**
   * Whether to send qrValidTime in F. The seed does not give its format, so by default we send ''
   * (= the gateway's 10 minutes) and keep our own countdown at validitySec. [guess]
   */
  sendValidTime: z.boolean().default(false),
  defaultPayType: z.enum(['', 'ZFBA', 'WEIX', 'UPAY']).default(''),
});

export const PollingSchema = z.object({
  firstQueryMs: z.number().int().min(0).max(60_000).default(3000),
  fastIntervalMs: z.number().int().min(500).max(60_000).default(2000),
  fastPhaseMs: z.number().int().min(0).max(600_000).default(60_000),
  slowIntervalMs: z.number().int().min(500).max(120_000).default(5000),
  backoffStartMs: z.number().int().min(500).max(600_000).default(5000),
  backoffFactor: z.number().min(1).max(10).default(2),
  backoffMaxMs: z.number().int().min(500).max(3_600_000).default(60_000),
  unknownAfterMs: z.number().int().min(0).max(3_600_000).default(30_000),
});

export const NotificationsSchema = z.object({
  enabled: z.boolean().default(false),
  /** Loopback by default: the installer opens it to the network (0.0.0.0 or one address) on purpose. */
  host: z.string().trim().default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535).default(8099),
  /** The URL the bank can reach, sent as retUrl. */
  publicUrl: z.union([httpUrl, z.literal('')]).default(''),
  requireSigned: z.boolean().default(false),
});

export const LimitsSchema = z.object({
  /** The configured maximum for one sale, in fen (the gateway's own limit still applies). */
  maxAmountFen: z.number().int().positive().max(999_999_999_999).default(5_000_000),
});

export const ShopSchema = z.object({
  /** Shown on the customer display (and the second screen's welcome page). */
  name: z.string().trim().max(40).default(''),
  /** The tender a new sale starts with. */
  defaultTender: z.enum(['qr', 'card', 'cash']).default('qr'),
  /** The cash tender (现金) at checkout; the drawer opens through the receipt printer. */
  cashTender: z.boolean().default(true),
  /** The opening float (备用金) a shift starts with in the drawer, fen, unless the cashier types another. */
  defaultFloatFen: z.number().int().min(0).max(100_000_000).default(0),
  /** Keep the last sale's tender for the next sale instead of returning to the default. */
  keepLastTender: z.boolean().default(false),
  /** 语音播报: "收款成功，12.34 元" on payment, a short tone on failure. */
  voice: z.boolean().default(true),
  /** Voice prompt volume, 0–100. */
  voiceVolume: z.number().int().min(0).max(100).default(80),
});

/** A time zone Intl knows (IANA name such as Asia/Shanghai); '' = the computer's own zone. */
function knownTimeZone(zone: string): boolean {
  if (zone === '') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * When a business day (营业日) begins. A bar that closes at 02:00 sets startHour 4 (or 3, …): a sale
 * at 01:30 then belongs to the evening before. A closed day is closed for booking, not the counter:
 * later sales and refunds go to the next open business day.
 */
export const BusinessDaySchema = z.object({
  timeZone: z.string().trim().max(64).refine(knownTimeZone, 'unknown time zone').default(''),
  startHour: z.number().int().min(0).max(23).default(0),
});

export type ShopSettings = z.output<typeof ShopSchema>;
export type BusinessDaySettings = z.output<typeof BusinessDaySchema>;
export type BpcMerchantSettings = z.output<typeof BpcMerchantSchema>;
export type BpcProfileSettings = z.output<typeof BpcProfileSchema>;
export type TimeoutsSettings = z.output<typeof TimeoutsSchema>;
export type QrSettings = z.output<typeof QrSchema>;
export type PollingSettings = z.output<typeof PollingSchema>;
export type NotificationsSettings = z.output<typeof NotificationsSchema>;
export type LimitsSettings = z.output<typeof LimitsSchema>;

/**
 * The counter's lane code (收银台号), part of every order number it makes: two digits. Digits keep
 * the order number all digits after its letter (20 characters, as before lanes), which is what fits
 * the receipt's CODE128 barcode at a scannable width on 58 mm paper and what every wallet behind BPC
 * accepts.
 */
export const LaneCodeSchema = z
  .string()
  .trim()
  .regex(/^\d{2}$/, 'two digits, 00–99');

/** The lane as Settings shows it: `locked` once the ledger has a live sale (then it is read-only). */
export const LaneViewSchema = z.object({
  code: LaneCodeSchema,
  source: z.enum(['derived', 'provisioning', 'settings']),
  locked: z.boolean(),
});
export type LaneView = z.output<typeof LaneViewSchema>;

/** One or more PEM certificates, by shape (the core parses each as X.509); a private key never matches. */
export const PEM_CERTIFICATES = /^(?:-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/;
/** The rule's text (English; the renderer shows its zh/en rule, src/renderer/src/lib/input-errors.ts). */
export const CA_PEM_RULE = 'a PEM certificate (-----BEGIN CERTIFICATE-----) is expected';

/**
 * Headquarters sync (docs/hq.md): where this counter reports and who it is. The counter's HMAC key is
 * a secret (`hq.key`), never part of this setting.
 */
export const HqSettingsSchema = z
  .object({
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), 'http:// or https:// only'),
    store: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'letters, digits, _ and - (1–16)'),
    lane: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'letters, digits, _ and - (1–16)'),
    /** How often the pusher looks for new events when it is caught up (ms). */
    intervalMs: z.number().int().min(500).max(600_000).default(5000),
    /**
     * The CA certificate(s) that signed headquarters' https certificate, PEM text, when it is a private
     * one: then trusted instead of the public CAs ('' = the public CAs). Not a secret; the core also
     * parses every certificate (src/core/config/hq-config.ts).
     */
    ca: z
      .string()
      .trim()
      .max(65_536)
      .refine((v) => v === '' || PEM_CERTIFICATES.test(v), CA_PEM_RULE)
      .default(''),
  })
  .strict();
export type HqSettings = z.output<typeof HqSettingsSchema>;

/** Automatic ledger backups (README: "Backups"). */
export const BackupsSchema = z.object({
  /** Backups older than this are deleted (the newest is always kept). */
  keepDays: z.number().int().min(1).max(3650).default(30),
  /** Hours between automatic backups (besides the one at each day close). */
  intervalHours: z.number().int().min(1).max(168).default(24),
});
export type BackupsSettings = z.output<typeof BackupsSchema>;

/** An operator set up by the installer; `pin` is hashed on load and removed from the file. */
export const ProvisionedOperatorSchema = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^[0-9A-Za-z]{1,16}$/, 'letters and digits, 1–16'),
    name: z.string().trim().min(1).max(40).optional(),
    role: z.enum(['cashier', 'supervisor', 'manager']).optional(),
    pin: z
      .string()
      .regex(/^\d{4,8}$/, '4–8 digits')
      .optional(),
    active: z.boolean().optional(),
  })
  .strict();

/** The provisioning file (docs/provisioning.md). `bpc.key` and `hq.key` are moved to encrypted storage on load. */
export const ProvisioningSchema = z
  .object({
    /** Absent: the file only tunes counter settings and the counter stays in training mode. */
    bpc: BpcMerchantSchema.extend({
      key: z.string().min(8, 'the key must be at least 8 characters').optional(),
      profile: BpcProfileSchema.optional(),
      timeouts: TimeoutsSchema.optional(),
    })
      .strict()
      .optional(),
    qr: QrSchema.partial().strict().optional(),
    polling: PollingSchema.partial().strict().optional(),
    notifications: NotificationsSchema.partial().strict().optional(),
    limits: LimitsSchema.partial().strict().optional(),
    shop: ShopSchema.partial().strict().optional(),
    /** This counter: its lane code in every order number (fixed after the first live sale). */
    counter: z.object({ lane: LaneCodeSchema }).strict().optional(),
    hq: HqSettingsSchema.extend({
      key: z.string().min(16, 'the headquarters key must be at least 16 characters').optional(),
      /** A PEM file with headquarters' CA, read when the file is applied and stored as `ca` (not with `ca`). */
      caFile: z.string().trim().min(1).max(500).optional(),
    })
      .strict()
      .optional(),
    backups: BackupsSchema.partial().strict().optional(),
    /** Operators to create or re-PIN; live mode is refused while any still has a training PIN. */
    operators: z.array(ProvisionedOperatorSchema).max(500).optional(),
    businessDay: BusinessDaySchema.partial().strict().optional(),
    /** The receipt printer (null removes it); the pole display and card terminal are kept. */
    receiptPrinter: ReceiptPrinterConfigSchema.nullable().optional(),
    /** The Yima card gateway (docs/provisioning.md); `yima.key` is moved to encrypted storage on load. */
    yima: YimaSettingsSchema.extend({ key: z.string().min(8, 'the key must be at least 8 characters').optional() })
      .strict()
      .optional(),
  })
  .strict();
export type Provisioning = z.output<typeof ProvisioningSchema>;
