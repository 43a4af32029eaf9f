/**
 * The IPC contract, written once. Every channel the renderer may call and every event the host may
 * push is declared here with its schemas; the preload API, the main/web handlers and the renderer
 * client are all derived from it (see ./types.ts). A channel without a handler does not compile.
 *
 * `access` says which windows may call a channel: the cashier window may call everything it lists,
 * the customer display only the read-only channels marked `display`.
 */
import { z } from 'zod';
import { APPROVED_CHANNELS } from './approvals';
import { DevicesConfigSchema, DeviceStatusSchema, PortListSchema } from '../devices';
import { AutoPrintSchema, PrintJobViewSchema, PrintResultSchema, ReceiptTextSchema } from '../printer';
import {
  FenSchema,
  MemoSchema,
  MerOrderNoSchema,
  PaymentStatusSchema,
  PaymentViewSchema,
  PayTypeSchema,
  RefundViewSchema,
  TenderSchema,
  TrainingScriptSchema,
} from '../domain';
import {
  ApprovalSchema,
  ClosedDaySchema,
  LateSettlementsSchema,
  DaySchema,
  OperatorViewSchema,
  PaymentDetailSchema,
  ReportRefundSchema,
  RoleSchema,
  SessionSchema,
  SettlementReportSchema,
  ShiftSchema,
  TransactionRowSchema,
} from '../reports';
import {
  BpcMerchantSchema,
  BpcProfileSchema,
  LimitsSchema,
  NotificationsSchema,
  PollingSchema,
  QrSchema,
  ShopSchema,
  BusinessDaySchema,
  TimeoutsSchema,
  LaneCodeSchema,
  LaneViewSchema,
  HqSettingsSchema,
} from '../settings';
import { CardRouteSchema, CheckRuleResultSchema, YimaBindingSchema, YimaSettingsSchema, YimaSplitPlanSchema } from '../yima-settings';

export type WindowRole = 'cashier' | 'display';

/**
 * A supervisor's re-check (`payment:recheck`): paid (the sale is now paid), not_paid (Yima says the order
 * is not paid), not_found (Yima answered with an error id, e.g. no such order), rejected (an answer not
 * about this sale: another merchant, order or amount — not used), unclear (no usable answer).
 */
export const RecheckResultSchema = z.object({
  payment: PaymentViewSchema,
  verdict: z.enum(['paid', 'not_paid', 'not_found', 'rejected', 'unclear']),
  /** Yima's result id ('' when there was no usable answer). */
  code: z.string(),
  /** Yima's comment / status message, or the host's English reason. */
  detail: z.string(),
});
export type RecheckResult = z.output<typeof RecheckResultSchema>;

export interface ChannelSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly access: readonly WindowRole[];
  /**
   * What the customer display gets back (a display-safe subset of `output`, parsed after it and so
   * stripping every other field). A channel that lists `display` in `access` without one is refused
   * to the display by the dispatcher.
   */
  readonly displayOutput?: z.ZodType;
  /** Reads and exports of the shop's records: refused (PIN_REQUIRED) unless an operator is signed in. */
  readonly signedIn?: true;
  readonly summary: string;
}

function channel<I extends z.ZodType, O extends z.ZodType>(spec: ChannelSpec<I, O>): ChannelSpec<I, O> {
  return spec;
}

const NoInput = z.undefined();

export const AppModeSchema = z.enum(['training', 'live']);

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  mode: AppModeSchema,
  /** Where the ledger and settings live. */
  dataDir: z.string(),
  /** `electron` for the desktop app, `web` for browser mode. */
  platform: z.enum(['electron', 'web']),
  /** Why the app is in training mode, when it is (e.g. no merchant configured). */
  modeReason: z.string(),
  /** The last provisioning/config error, if the file could not be applied (the app kept its mode). */
  configError: z.string().nullable(),
  /** The shop's name for the customer display ('' when not set). */
  shopName: z.string(),
  /** What the checkout needs from the settings: tender after a sale, voice prompt, the sale limit. */
  counter: z.object({
    defaultTender: TenderSchema,
    keepLastTender: z.boolean(),
    /** The cash tender is offered at checkout. */
    cashTender: z.boolean(),
    voice: z.boolean(),
    voiceVolume: z.number().int(),
    maxAmountFen: z.number().int(),
    /** Where 刷卡 (F9) goes, and the Yima terminal (terminal_id or pos_sn) a pushed order goes to ('' otherwise). */
    cardRoute: CardRouteSchema,
    yimaTerminal: z.string(),
    /** The counter's Yima split plan, for the preview at checkout (null = none). */
    yimaSplit: YimaSplitPlanSchema.nullable(),
    /**
     * The receipt after a paid sale (null: no receipt printer): `after` is the auto print setting; `dialog`
     * means receipts go through the page's print dialog (a system printer in browser mode).
     */
    receipt: z.object({ after: AutoPrintSchema, dialog: z.boolean() }).nullable(),
  }),
});

/**
 * What the customer may see of the app: its name, the training flag and the shop's name. Never the
 * data directory, the mode reason or a configuration error (which can quote a file).
 */
export const DisplayAppInfoSchema = AppInfoSchema.pick({ name: true, mode: true, shopName: true });

/**
 * What the customer may see of a payment: amount, status, the QR and its expiry (the countdown), the
 * wallet and the training flag. Never the memo, the order number, the operator, the bank's messages,
 * the trace or a supervisor's resolution.
 */
export const DisplayPaymentSchema = PaymentViewSchema.pick({
  id: true,
  mode: true,
  tender: true,
  amountFen: true,
  status: true,
  payType: true,
  scanCode: true,
  qrExpiresAt: true,
  createdAt: true,
  updatedAt: true,
  paidAt: true,
  cash: true,
});

export const HealthStatusSchema = z.enum(['ok', 'error', 'unreachable', 'not_configured', 'disconnected']);

export const HealthItemSchema = z.object({
  name: z.string(),
  status: HealthStatusSchema,
  detail: z.string(),
  latencyMs: z.number().int().nonnegative().optional(),
});

/**
 * Headquarters sync progress (docs/hq.md): the last event headquarters acknowledged, how many are
 * waiting, when it last answered. Headquarters down never stops a sale: the status light shows it as a
 * notice, not as a problem.
 */
export const SyncProgressSchema = z.object({
  ackedEventId: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
  lastContactAt: z.number().int().nullable(),
});
export type SyncProgress = z.output<typeof SyncProgressSchema>;

export const HealthSchema = z.object({
  checkedAt: z.string(),
  ledger: z.object({
    status: HealthStatusSchema,
    detail: z.string(),
    path: z.string(),
    schemaVersion: z.number().int(),
  }),
  gateways: z.array(HealthItemSchema),
  devices: z.array(HealthItemSchema),
  /** Headquarters sync (chains): events waiting, last error. */
  sync: HealthItemSchema.extend({ sync: SyncProgressSchema.optional() }).optional(),
});

/** One line of the checkout's status light. `detail` is the host's English detail (for the tooltip). */
export const StatusItemSchema = z.object({
  name: z.string(),
  kind: z.enum(['gateway', 'ledger', 'device', 'notifications', 'sync']),
  status: HealthStatusSchema,
  detail: z.string(),
  /** kind 'sync' only. */
  sync: SyncProgressSchema.optional(),
});

/**
 * The status light: green when every configured item is ok, otherwise red with each failing item.
 * `ok` counts only what selling depends on: headquarters sync (kind 'sync') not ok is a notice (amber).
 */
export const StatusReportSchema = z.object({ checkedAt: z.string(), ok: z.boolean(), items: z.array(StatusItemSchema) });

export const SecretSummarySchema = z.object({ hasValue: z.boolean(), suffix: z.string(), cipher: z.enum(['safeStorage', 'file-key']).nullable() });

export const SettingsViewSchema = z.object({
  mode: AppModeSchema,
  modeReason: z.string(),
  /** Where secrets are encrypted: the OS keychain (desktop) or the labelled file-key fallback (browser mode). */
  cipher: z.enum(['safeStorage', 'file-key']),
  bpc: z.object({ merchant: BpcMerchantSchema.nullable(), key: SecretSummarySchema, profile: BpcProfileSchema, timeouts: TimeoutsSchema }),
  /** The Yima card gateway (null settings = not configured); the key as hasValue + suffix only. */
  yima: z.object({ settings: YimaSettingsSchema.nullable(), key: SecretSummarySchema, binding: YimaBindingSchema.nullable() }),
  qr: QrSchema,
  polling: PollingSchema,
  notifications: NotificationsSchema,
  limits: LimitsSchema,
  shop: ShopSchema,
  businessDay: BusinessDaySchema,
  devices: DevicesConfigSchema,
  /** The lane code in every order number; read-only (`locked`) once the ledger has a live sale. */
  lane: LaneViewSchema,
  /** Headquarters sync (chains; null settings = not configured). The key is write-only: only whether one is set. */
  hq: z.object({ settings: HqSettingsSchema.nullable(), keySet: z.boolean() }),
});
export type SettingsView = z.output<typeof SettingsViewSchema>;

export const channels = {
  'app:info': channel({
    input: NoInput,
    output: AppInfoSchema,
    access: ['cashier', 'display'],
    displayOutput: DisplayAppInfoSchema,
    summary: 'Name, version, mode and data directory, from the core (the display: name, mode and shop name only).',
  }),
  'app:health': channel({
    input: NoInput,
    output: HealthSchema,
    access: ['cashier'],
    summary: 'Ledger, gateways and devices as they really are; "not_configured" where nothing is.',
  }),
  'app:diagnostics': channel({
    input: z.object({ approval: ApprovalSchema }).strict(),
    output: z.object({ fileName: z.string(), mime: z.string(), base64: z.string() }),
    access: ['cashier'],
    summary:
      'Diagnostics zip for the installer (supervisor PIN): last logs, health, versions, settings without secrets, ledger integrity check and counts — never the ledger or a key.',
  }),
  'approval:nonce': channel({
    input: z.object({ action: z.enum(APPROVED_CHANNELS), input: z.unknown() }).strict(),
    output: z.object({ nonce: z.string(), expiresAt: z.number() }),
    access: ['cashier'],
    summary: 'A single-use nonce for one approval of exactly this action with exactly these inputs (approvals left out); expires after 2 minutes.',
  }),
  'app:status': channel({
    input: NoInput,
    output: StatusReportSchema,
    access: ['cashier'],
    summary: 'The checkout status light: each configured gateway, the ledger, devices, notifications (probed every 30 s and on change).',
  }),
  'payment:create': channel({
    input: z
      .object({
        amountFen: FenSchema,
        merOrderNo: MerOrderNoSchema.optional(),
        memo: MemoSchema.optional(),
        payType: PayTypeSchema.optional(),
        /** qr (default): BPC dynamic QR; card: the card terminal on the serial link; cash: notes in the drawer. */
        tender: TenderSchema.optional(),
        /** Cash: what the customer handed over (fen, ≥ the amount); the change is computed by the core. */
        tenderedFen: FenSchema.optional(),
      })
      .strict()
      .refine((v) => (v.tender === 'cash') === (v.tenderedFen !== undefined), {
        message: 'the amount tendered goes with the cash tender only',
        path: ['tenderedFen'],
      }),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Start a sale: QR (intent written, F sent, QR returned) or card (intent written, sale sent to the terminal; outcome as updates).',
  }),
  'payment:cancel': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Close the order at the gateway (S) and query once more; may end paid if the payment landed.',
  }),
  'payment:get': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'One payment as the ledger has it.',
  }),
  'payment:current': channel({
    input: NoInput,
    output: z.object({ payment: PaymentViewSchema.nullable(), now: z.number() }),
    access: ['cashier', 'display'],
    displayOutput: z.object({ payment: DisplayPaymentSchema.nullable(), now: z.number() }),
    summary:
      'The newest payment of the current mode (what the checkout and the customer display show after a reload; the display gets display-safe fields only).',
  }),
  'payment:requery': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Query the gateway now for an unfinished payment.',
  }),
  'payment:resolve': channel({
    input: z
      .object({
        id: z.number().int().positive(),
        outcome: z.enum(['paid', 'failed']),
        reason: z.string().trim().min(2).max(200),
        /** Settled as paid (QR): the wallet the customer paid with, as the supervisor verified it. */
        payType: PayTypeSchema.optional(),
        supervisor: ApprovalSchema,
      })
      .strict(),
    output: PaymentViewSchema,
    access: ['cashier'],
    summary: 'Supervisor settles a payment left 状态未明, with a reason (recorded).',
  }),
  'payment:recheck': channel({
    input: z
      .object({
        id: z.number().int().positive(),
        /** Yima's order_id as the terminal's slip or Yima's portal shows it (13–31 letters or digits). */
        orderId: z
          .string()
          .trim()
          .regex(/^[0-9A-Za-z_-]{13,31}$/),
        approval: ApprovalSchema,
      })
      .strict(),
    output: RecheckResultSchema,
    access: ['cashier'],
    summary:
      "Supervisor's re-check of a Yima card sale left 状态未明 or abandoned: bcm_orderquery_request by order_id; a bound 'paid' settles it as a query would, anything else is recorded as evidence only.",
  }),
  'training:state': channel({
    input: NoInput,
    output: z.object({ active: z.boolean(), nextScript: TrainingScriptSchema, simulatorUrl: z.string().nullable() }),
    access: ['cashier'],
    summary: 'The trainer control: what the next training payment will do.',
  }),
  'training:script': channel({
    input: z.object({ script: TrainingScriptSchema }).strict(),
    output: z.object({ active: z.boolean(), nextScript: TrainingScriptSchema, simulatorUrl: z.string().nullable() }),
    access: ['cashier'],
    summary: 'Choose what the next training payment does (succeed, fail, hang, go unknown, duplicate notifications…).',
  }),
  'training:pay': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: z.object({ paid: z.boolean() }),
    access: ['cashier'],
    summary: 'Training only: the simulated customer pays this payment now (at the simulated bank; the app still learns it by querying).',
  }),
  'session:current': channel({
    input: NoInput,
    output: SessionSchema,
    access: ['cashier'],
    summary: 'Who is signed in at this counter, their open shift, and default PINs still in use.',
  }),
  'session:signIn': channel({
    input: z
      .object({
        code: z.string().trim().min(1).max(16),
        pin: z.string().regex(/^\d{4,8}$/, '4–8 digits'),
        /** The opening float (备用金) in the drawer, fen, when this sign-in starts a shift (else the default float). */
        floatFen: z.number().int().min(0).max(100_000_000).optional(),
      })
      .strict(),
    output: SessionSchema,
    access: ['cashier'],
    summary: 'Sign in (or switch operator) at the counter with code and PIN; opens or resumes the shift.',
  }),
  'session:signOut': channel({
    input: NoInput,
    output: SessionSchema,
    access: ['cashier'],
    summary: 'Sign out without ending the shift (a break).',
  }),
  'shift:handover': channel({
    /** The drawer count (the cash counted: a total, or notes and coins by denomination); none when the counter takes no cash. */
    input: z
      .object({
        countedFen: z.number().int().min(0).max(999_999_999_999).optional(),
        denominations: z
          .array(z.object({ valueFen: z.number().int().positive(), count: z.number().int().min(0).max(100_000) }).strict())
          .max(20)
          .optional(),
        /** Loose coins as one amount (硬币合计), counted with the denominations. */
        coinsFen: z.number().int().min(0).max(999_999_999_999).optional(),
      })
      .strict()
      .optional(),
    output: z.object({ shift: SessionSchema.shape.shift, session: SessionSchema }),
    access: ['cashier'],
    summary: "交班: end the signed-in operator's shift, store and return its handover report, sign out.",
  }),
  'shift:list': channel({
    input: z.object({ day: DaySchema, operator: z.string().trim().max(16).optional() }).strict(),
    output: z.array(ShiftSchema),
    signedIn: true,
    access: ['cashier'],
    summary: 'Past handovers (交班) that ended on a business day, optionally of one operator, with their stored reports (reopen, reprint).',
  }),
  'refund:find': channel({
    input: z
      .object({
        code: z.string().trim().min(1).max(64).optional(),
        day: DaySchema.optional(),
        amountFen: FenSchema.optional(),
      })
      .strict()
      .refine((q) => q.code !== undefined || q.day !== undefined, 'give a code (trace / order number) or a day'),
    output: z.array(TransactionRowSchema),
    signedIn: true,
    access: ['cashier'],
    summary: 'Refund desk: find payments by sysTrace, order number or a scanned code, or by day (+ amount).',
  }),
  'refund:detail': channel({
    input: z.object({ paymentId: z.number().int().positive() }).strict(),
    output: PaymentDetailSchema,
    signedIn: true,
    access: ['cashier'],
    summary: 'Paid, refunded, in flight, remaining, each refund and the full event history of one payment.',
  }),
  'refund:create': channel({
    input: z
      .object({
        paymentId: z.number().int().positive(),
        amountFen: FenSchema,
        reason: z.string().trim().min(2).max(200),
        approval: ApprovalSchema,
      })
      .strict(),
    output: RefundViewSchema,
    access: ['cashier'],
    summary: 'Refund part or all of a paid payment with a supervisor PIN; capped in the engine, R once, then J until final.',
  }),
  'refund:record': channel({
    input: z
      .object({
        paymentId: z.number().int().positive(),
        amountFen: FenSchema,
        reason: z.string().trim().min(2).max(200),
        /** Card sales: the terminal's reference of the refund done on it. */
        reference: z.string().trim().max(40).optional(),
        approval: ApprovalSchema,
      })
      .strict(),
    output: RefundViewSchema,
    access: ['cashier'],
    summary:
      'Record a refund with no gateway call, supervisor-approved and capped like the others: cash paid back from the drawer (it opens) or a card refund done on the terminal (its reference).',
  }),
  'drawer:open': channel({
    input: z.object({ reason: z.string().trim().min(2).max(200), approval: ApprovalSchema }).strict(),
    output: z.object({ opened: z.boolean() }),
    access: ['cashier'],
    summary: 'No-sale drawer open (开钱箱) with a supervisor PIN; recorded in the event log.',
  }),
  'refund:requery': channel({
    input: z.object({ id: z.number().int().positive() }).strict(),
    output: RefundViewSchema,
    access: ['cashier'],
    summary: 'Query an unfinished refund now (J).',
  }),
  'refund:resolve': channel({
    input: z
      .object({
        id: z.number().int().positive(),
        outcome: z.enum(['succeeded', 'failed']),
        reason: z.string().trim().min(2).max(200),
        approval: ApprovalSchema,
      })
      .strict(),
    output: RefundViewSchema,
    access: ['cashier'],
    summary: 'Supervisor settles a refund left 状态未明 after checking with the bank (recorded).',
  }),
  'ledger:list': channel({
    input: z
      .object({
        day: DaySchema,
        status: z.array(PaymentStatusSchema).max(7).optional(),
        payType: z.enum(['ZFBA', 'WEIX', 'UPAY']).optional(),
        tender: TenderSchema.optional(),
        operator: z.string().trim().max(16).optional(),
        search: z.string().trim().max(64).optional(),
        cursor: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({ rows: z.array(TransactionRowSchema), nextCursor: z.number().int().nullable() }),
    signedIn: true,
    access: ['cashier'],
    summary: "One page of a day's transactions (keyset paging), with filters and search.",
  }),
  'ledger:refunds': channel({
    input: z.object({ day: DaySchema }).strict(),
    output: z.array(ReportRefundSchema),
    signedIn: true,
    access: ['cashier'],
    summary: 'The refunds booked on a day (newest first), with the trace and order number of their payment.',
  }),
  'ledger:requeryOpen': channel({
    input: z.object({ day: DaySchema.optional() }).strict(),
    output: z.object({ payments: z.number().int(), refunds: z.number().int() }),
    access: ['cashier'],
    summary: 'Re-query every unfinished payment and refund (of a day, or all).',
  }),
  'day:report': channel({
    input: z.object({ day: DaySchema, operator: z.string().trim().max(16).optional() }).strict(),
    output: z.object({ report: SettlementReportSchema, closed: ClosedDaySchema.nullable(), addendum: LateSettlementsSchema.nullable() }),
    signedIn: true,
    access: ['cashier'],
    summary: 'End-of-day reconciliation: live report, or the frozen one once the day is closed (with its addendum: items that settled after the close).',
  }),
  'day:current': channel({
    input: NoInput,
    output: z.object({ day: DaySchema, calendarDay: DaySchema, timeZone: z.string(), startHour: z.number().int() }),
    access: ['cashier'],
    summary: "The business day sales and refunds are booked on now (the next open one once today is closed), and the clock's own business day.",
  }),
  'day:close': channel({
    input: z
      .object({
        day: DaySchema,
        manager: ApprovalSchema,
        override: z
          .object({ approval: ApprovalSchema, reason: z.string().trim().min(2).max(500) })
          .strict()
          .optional(),
      })
      .strict(),
    output: ClosedDaySchema,
    access: ['cashier'],
    summary: 'Re-query the unfinished items, then freeze the day report (unresolved items need a recorded supervisor override).',
  }),
  'day:export': channel({
    input: z.object({ day: DaySchema, format: z.enum(['csv', 'xlsx']), lang: z.enum(['zh', 'en']).optional() }).strict(),
    output: z.object({ fileName: z.string(), mime: z.string(), base64: z.string() }),
    signedIn: true,
    access: ['cashier'],
    summary: 'The day report as CSV or XLSX (the frozen report for a closed day).',
  }),
  'operators:list': channel({
    input: NoInput,
    output: z.array(OperatorViewSchema),
    signedIn: true,
    access: ['cashier'],
    summary: 'Operators (never their PIN hashes).',
  }),
  'operators:save': channel({
    input: z
      .object({
        code: z
          .string()
          .trim()
          .regex(/^[0-9A-Za-z]{1,16}$/, 'letters and digits, 1–16'),
        name: z.string().trim().min(1).max(40),
        role: RoleSchema,
        pin: z
          .string()
          .regex(/^\d{4,8}$/, '4–8 digits')
          .optional(),
        active: z.boolean().optional(),
        approval: ApprovalSchema,
      })
      .strict(),
    output: OperatorViewSchema,
    access: ['cashier'],
    summary: 'Create or change an operator (a supervisor or manager approves; roles above the approver need a manager).',
  }),
  'settings:get': channel({
    input: NoInput,
    output: SettingsViewSchema,
    signedIn: true,
    access: ['cashier'],
    summary: 'Everything configurable, with secrets as hasValue + masked suffix only.',
  }),
  'settings:save': channel({
    input: z.discriminatedUnion('section', [
      z
        .object({
          section: z.literal('bpc'),
          value: z.object({ merchant: BpcMerchantSchema, profile: BpcProfileSchema, timeouts: TimeoutsSchema }).strict(),
          approval: ApprovalSchema,
        })
        .strict(),
      z.object({ section: z.literal('qr'), value: QrSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('polling'), value: PollingSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('notifications'), value: NotificationsSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('limits'), value: LimitsSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('shop'), value: ShopSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('businessDay'), value: BusinessDaySchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('devices'), value: DevicesConfigSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('yima'), value: YimaSettingsSchema, approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('lane'), value: z.object({ code: LaneCodeSchema }).strict(), approval: ApprovalSchema }).strict(),
      z.object({ section: z.literal('hq'), value: HqSettingsSchema, approval: ApprovalSchema }).strict(),
    ]),
    output: SettingsViewSchema,
    access: ['cashier'],
    summary: 'Save one settings section (validated; a supervisor approves).',
  }),
  'settings:setKey': channel({
    input: z.object({ gateway: z.enum(['bpc', 'yima', 'hq']), key: z.string().min(8).max(256), approval: ApprovalSchema }).strict(),
    output: SettingsViewSchema,
    access: ['cashier'],
    summary: 'Write-only: store a gateway key (or the headquarters key, hq) encrypted; it is never returned.',
  }),
  'settings:setMode': channel({
    input: z.object({ mode: AppModeSchema, approval: ApprovalSchema }).strict(),
    output: AppInfoSchema,
    access: ['cashier'],
    summary: 'Switch between live and training (a supervisor approves; live needs a configured merchant).',
  }),
  'settings:testConnection': channel({
    input: z.object({ gateway: z.enum(['bpc', 'yima']) }).strict(),
    output: z.object({ ok: z.boolean(), latencyMs: z.number().int(), detail: z.string() }),
    access: ['cashier'],
    summary: 'Really talk to the gateway: a signed query for a non-existent order (BPC G, Yima bcm_resultquery), answer classified.',
  }),
  'settings:checkSignRule': channel({
    input: z.object({ body: z.string().min(1).max(65_536), key: z.string().min(1).max(256).optional() }).strict(),
    output: CheckRuleResultSchema,
    access: ['cashier'],
    summary: 'Yima "check a rule": which candidate signing rule reproduces a pasted signed body (the key typed once or the stored one; never returned).',
  }),
  'settings:yimaBind': channel({
    input: z.object({ storeName: z.string().trim().min(1).max(32), approval: ApprovalSchema }).strict(),
    output: z.object({ binding: YimaBindingSchema, latencyMs: z.number().int() }),
    access: ['cashier'],
    summary:
      'Yima terminal binding, once per pos_id + store_id (a manager approves; shown only with bindingEnabled; the body is a guess modelled on bind_pos_request); recorded in the event log.',
  }),
  'devices:listPorts': channel({
    input: NoInput,
    output: PortListSchema,
    access: ['cashier'],
    summary: 'Serial ports (OS list, guarded when udevadm is missing, plus configured paths).',
  }),
  'devices:status': channel({
    input: NoInput,
    output: z.array(DeviceStatusSchema),
    access: ['cashier'],
    summary: 'Pole display and card terminal status.',
  }),
  'devices:testDisplay': channel({
    input: NoInput,
    output: z.object({ ok: z.literal(true) }),
    access: ['cashier'],
    summary: 'Show 12345.67 on the pole display.',
  }),
  'receipt:print': channel({
    input: z
      .object({
        kind: z.enum(['payment', 'refund', 'shift', 'day']),
        id: z.number().int().positive().optional(),
        day: DaySchema.optional(),
        reprint: z.boolean().optional(),
      })
      .strict()
      .refine((q) => (q.kind === 'day' ? q.day !== undefined : q.id !== undefined), 'a day report needs the day, the others their id'),
    output: PrintResultSchema,
    access: ['cashier'],
    summary: 'Print (or reprint, marked 重印) a sale / refund receipt, a shift handover or a day report; a failure is queued, never thrown.',
  }),
  'receipt:text': channel({
    input: z
      .object({
        kind: z.enum(['payment', 'refund', 'shift', 'day', 'test']),
        id: z.number().int().positive().optional(),
        day: DaySchema.optional(),
        reprint: z.boolean().optional(),
      })
      .strict()
      .refine(
        (q) => q.kind === 'test' || (q.kind === 'day' ? q.day !== undefined : q.id !== undefined),
        'a day report needs the day, the others (but the test page) their id',
      ),
    output: ReceiptTextSchema,
    access: ['cashier'],
    summary: 'The receipt (or the test page) as lines + its code, for the browser print dialog.',
  }),
  'receipt:queue': channel({
    input: NoInput,
    output: z.array(PrintJobViewSchema),
    access: ['cashier'],
    summary: 'Prints that failed and wait to be offered again.',
  }),
  'receipt:retry': channel({
    input: z.object({ jobId: z.number().int().positive().optional() }).strict(),
    output: z.array(PrintResultSchema),
    access: ['cashier'],
    summary: 'Print one queued job again, or all of them (stops at the first that still fails).',
  }),
  'receipt:discard': channel({
    input: z.object({ jobId: z.number().int().positive() }).strict(),
    output: z.array(PrintJobViewSchema),
    access: ['cashier'],
    summary: 'Give up on a queued print (recorded).',
  }),
  'printer:test': channel({
    input: NoInput,
    output: PrintResultSchema,
    access: ['cashier'],
    summary: 'Print a test receipt (width, Chinese text, QR, barcode, cut) on the configured printer.',
  }),
  'printer:systemList': channel({
    input: NoInput,
    output: z.object({ available: z.boolean(), printers: z.array(z.object({ name: z.string(), displayName: z.string() })) }),
    access: ['cashier'],
    summary: 'The installed system (spooler) printers, for a system printer in the desktop app; browser mode has none (available: false).',
  }),
} as const;

export const events = {
  'app:mode': AppInfoSchema,
  'payment:updated': PaymentViewSchema,
  'refund:updated': RefundViewSchema,
  'device:status': DeviceStatusSchema,
  'session:changed': SessionSchema,
  'app:status': StatusReportSchema,
  'receipt:queue': z.array(PrintJobViewSchema),
} as const;

/**
 * Who hears which event, and what of it: per event, per window role, the schema its payload is parsed
 * with before it crosses (so every field not in it is stripped), or no entry when that window must
 * not hear the event at all. Every event needs an entry (the type demands one); the customer display
 * hears only what a customer may see. Applied by the event bus for every transport.
 */
export type EventAccess = { readonly [R in WindowRole]?: z.ZodType };

export const eventAccess: { readonly [E in keyof typeof events]: EventAccess } = {
  'app:mode': { cashier: AppInfoSchema, display: DisplayAppInfoSchema },
  'payment:updated': { cashier: PaymentViewSchema, display: DisplayPaymentSchema },
  'refund:updated': { cashier: RefundViewSchema },
  'device:status': { cashier: DeviceStatusSchema },
  'session:changed': { cashier: SessionSchema },
  'app:status': { cashier: StatusReportSchema },
  'receipt:queue': { cashier: z.array(PrintJobViewSchema) },
};

export type Channels = typeof channels;
export type ChannelName = keyof Channels;
export type Events = typeof events;
export type EventName = keyof Events;

export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.hasOwn(channels, value);
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

export type AppInfo = z.output<typeof AppInfoSchema>;
export type Health = z.output<typeof HealthSchema>;
export type HealthItem = z.output<typeof HealthItemSchema>;
export type StatusItem = z.output<typeof StatusItemSchema>;
export type StatusReport = z.output<typeof StatusReportSchema>;
export type AppMode = z.output<typeof AppModeSchema>;
