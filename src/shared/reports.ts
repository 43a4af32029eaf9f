/**
 * Schemas of what the refund desk, transactions, reconciliation and operator screens receive. They
 * mirror src/core/reports and src/core/operators; the dispatcher validates every answer with them.
 */
import { z } from 'zod';
import { ModeSchema, PaymentStatusSchema, PaymentViewSchema, RefundStatusSchema, RefundViewSchema } from './domain';

export const RoleSchema = z.enum(['cashier', 'supervisor', 'manager']);
export type Role = z.output<typeof RoleSchema>;

export const OperatorViewSchema = z.object({
  id: z.number().int(),
  code: z.string(),
  name: z.string(),
  role: RoleSchema,
  active: z.boolean(),
  failedAttempts: z.number().int(),
  lockedUntil: z.number().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type OperatorViewData = z.output<typeof OperatorViewSchema>;

/** A supervisor (or manager) approving an action on the spot with their PIN. */
export const ApprovalEntrySchema = z.object({ code: z.string().trim().min(1).max(16), pin: z.string().regex(/^\d{4,8}$/, '4–8 digits') }).strict();
/**
 * An approval as it crosses the bridge: the entry plus the single-use nonce the core issued for this
 * action and these inputs (`approval:nonce`; see shared/ipc/approvals.ts). Optional here so the one
 * refusal is the core's APPROVAL_INVALID with its own message, not a schema error.
 */
export const ApprovalSchema = ApprovalEntrySchema.extend({
  nonce: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .optional(),
}).strict();

export const DaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

export const PayTypeBucketSchema = z.enum(['ZFBA', 'WEIX', 'UPAY', 'card', 'cash', 'other']);
export const GatewayBucketSchema = z.enum(['bpc', 'terminal', 'yima', 'cash', 'other']);

const TotalsShape = {
  paidCount: z.number().int(),
  paidFen: z.number().int(),
  refundCount: z.number().int(),
  refundFen: z.number().int(),
  netFen: z.number().int(),
};

export const ReportPaymentSchema = z.object({
  id: z.number().int(),
  tradeNo: z.string(),
  merOrderNo: z.string().nullable(),
  sysTrace: z.string().nullable(),
  tender: z.enum(['qr', 'card', 'cash']),
  payType: z.string().nullable(),
  bucket: PayTypeBucketSchema,
  /** Absent in reports frozen before gateways were reported. */
  gateway: GatewayBucketSchema.optional(),
  status: PaymentStatusSchema,
  amountFen: z.number().int(),
  refundedFen: z.number().int(),
  operator: z.string().nullable(),
  businessDay: z.string(),
  createdAt: z.number(),
  paidAt: z.number().nullable(),
  memo: z.string().nullable(),
  /** Settled by hand by this supervisor (absent in reports frozen by older versions). */
  settledBy: z.string().nullable().optional(),
});

export const ReportRefundSchema = z.object({
  id: z.number().int(),
  refundNo: z.string(),
  paymentId: z.number().int(),
  paymentTradeNo: z.string(),
  paymentSysTrace: z.string().nullable(),
  sysTrace: z.string().nullable(),
  bucket: PayTypeBucketSchema,
  gateway: GatewayBucketSchema.optional(),
  status: RefundStatusSchema,
  amountFen: z.number().int(),
  reason: z.string(),
  operator: z.string().nullable(),
  approvedBy: z.string().nullable(),
  businessDay: z.string(),
  createdAt: z.number(),
  finalAt: z.number().nullable(),
});

export const LateSettlementSchema = z.object({
  kind: z.enum(['payment', 'refund']),
  id: z.number().int(),
  orderNo: z.string(),
  paymentTradeNo: z.string().nullable(),
  sysTrace: z.string().nullable(),
  bucket: PayTypeBucketSchema,
  status: z.union([PaymentStatusSchema, RefundStatusSchema]),
  amountFen: z.number().int(),
  operator: z.string().nullable(),
  day: z.string(),
  dayClosedAt: z.number(),
  finalAt: z.number(),
  settledDay: z.string(),
});
export type LateSettlementData = z.output<typeof LateSettlementSchema>;

/** Items that became final after their day was closed, and their money (paid / succeeded only). */
export const LateSettlementsSchema = z.object({ items: z.array(LateSettlementSchema), totals: z.object(TotalsShape) });
export type LateSettlementsData = z.output<typeof LateSettlementsSchema>;

/** Notes and coins of the drawer count (fen value → how many), for the by-denomination count. */
export { DENOMINATIONS_FEN } from './drawer';

/** The drawer count at 交班: float + cash sales − cash refunds (expected) against what was counted. */
export const DrawerCountSchema = z.object({
  floatFen: z.number().int(),
  cashSalesFen: z.number().int(),
  cashRefundsFen: z.number().int(),
  expectedFen: z.number().int(),
  countedFen: z.number().int(),
  /** counted − expected: negative = short (短款), positive = over (长款). */
  differenceFen: z.number().int(),
  /** The count by denomination when the cashier counted that way. */
  denominations: z.array(z.object({ valueFen: z.number().int(), count: z.number().int() })).optional(),
  /** Loose coins counted as one amount with the denominations (硬币合计). */
  coinsFen: z.number().int().optional(),
});
export type DrawerCountData = z.output<typeof DrawerCountSchema>;

/** One shift's drawer in a day report: expected (float + cash sales − cash refunds) vs counted; null = not counted. */
export const ShiftDrawerSchema = z.object({
  shiftId: z.number().int(),
  operator: z.string(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  floatFen: z.number().int(),
  cashSalesFen: z.number().int(),
  cashRefundsFen: z.number().int(),
  expectedFen: z.number().int(),
  countedFen: z.number().int().nullable(),
  differenceFen: z.number().int().nullable(),
});
export type ShiftDrawerData = z.output<typeof ShiftDrawerSchema>;

export const SettlementReportSchema = z.object({
  version: z.literal(1),
  kind: z.enum(['day', 'shift']),
  mode: ModeSchema,
  day: z.string().nullable(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  operator: z.string().nullable(),
  timeZone: z.string(),
  byPayType: z.array(z.object({ payType: PayTypeBucketSchema, ...TotalsShape })),
  /** BPC / card terminal / Yima / other (absent in reports frozen by older versions). */
  byGateway: z.array(z.object({ gateway: GatewayBucketSchema, ...TotalsShape })).optional(),
  totals: z.object(TotalsShape),
  byOperator: z.array(z.object({ operator: z.string().nullable(), ...TotalsShape })),
  hourly: z.array(z.object({ hour: z.number().int(), paidCount: z.number().int(), paidFen: z.number().int() })),
  statusCounts: z.record(z.string(), z.number().int()),
  unresolved: z.object({ payments: z.array(ReportPaymentSchema), refunds: z.array(ReportRefundSchema) }),
  payments: z.array(ReportPaymentSchema),
  refunds: z.array(ReportRefundSchema),
  closed: z.object({ at: z.number(), by: z.string(), overrideBy: z.string().nullable(), overrideReason: z.string().nullable() }).nullable(),
  /** Day reports: late settlements of earlier closed days that landed on this day (absent in older frozen reports). */
  late: LateSettlementsSchema.optional(),
  supervisorSettled: z.object({ paidCount: z.number().int(), paidFen: z.number().int() }).optional(),
  /** Shift reports: the drawer count at 交班 (absent when no count was given, and in older reports). */
  drawer: DrawerCountSchema.optional(),
  /** Day reports: each shift's drawer of the day (absent in older frozen reports). */
  drawers: z.array(ShiftDrawerSchema).optional(),
});
export type SettlementReportData = z.output<typeof SettlementReportSchema>;

export const ClosedDaySchema = z.object({
  mode: ModeSchema,
  day: z.string(),
  closedAt: z.number(),
  closedBy: z.string(),
  overrideBy: z.string().nullable(),
  overrideReason: z.string().nullable(),
  report: SettlementReportSchema,
});

export const TransactionRowSchema = PaymentViewSchema.extend({ refundedFen: z.number().int() });
export type TransactionRowData = z.output<typeof TransactionRowSchema>;

export const LedgerEventSchema = z.object({
  id: z.number().int(),
  at: z.number(),
  entity: z.string(),
  entityId: z.number().nullable(),
  type: z.string(),
  actor: z.string().nullable(),
  data: z.unknown(),
});

export const PaymentDetailSchema = z.object({
  payment: TransactionRowSchema,
  refunds: z.array(RefundViewSchema),
  refundedFen: z.number().int(),
  inFlightFen: z.number().int(),
  remainingFen: z.number().int(),
  events: z.array(LedgerEventSchema),
});
export type PaymentDetailData = z.output<typeof PaymentDetailSchema>;

export const ShiftSchema = z.object({
  id: z.number().int(),
  operator: z.string(),
  mode: ModeSchema,
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** The opening float (备用金) set at sign-in, fen; null when none was recorded. */
  floatFen: z.number().int().nullable(),
  report: SettlementReportSchema.nullable(),
});

export const SessionSchema = z.object({
  operator: OperatorViewSchema.nullable(),
  shift: ShiftSchema.nullable(),
  /** Default operators still using their published training PIN (change before going live). */
  defaultPins: z.array(z.string()),
});
export type SessionData = z.output<typeof SessionSchema>;
