/**
 * Domain schemas shared by the contract, the core and the renderer. Money is integer fen.
 */
import { z } from 'zod';
import { MEMO_MAX, MER_ORDER_NO_CHARS_MESSAGE, MER_ORDER_NO_MAX, MER_ORDER_NO_PATTERN, TRAINING_SCRIPTS } from './sale-rules';

export const FenSchema = z.number().int().positive().max(999_999_999_999);

export const PaymentStatusSchema = z.enum(['created', 'qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown']);
export type PaymentStatus = z.output<typeof PaymentStatusSchema>;

export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = ['paid', 'failed', 'closed'];
export const OPEN_PAYMENT_STATUSES: readonly PaymentStatus[] = ['created', 'qr_issued', 'waiting', 'unknown'];

export const PayTypeSchema = z.enum(['ZFBA', 'WEIX', 'UPAY']);
export type PayType = z.output<typeof PayTypeSchema>;

export const TenderSchema = z.enum(['qr', 'card', 'cash']);
export type Tender = z.output<typeof TenderSchema>;

/** A cash sale's tendered amount and change (fen; change = tendered − amount, never negative). */
export const CashDetailSchema = z.object({ tenderedFen: z.number().int(), changeFen: z.number().int() });
export type CashDetail = z.output<typeof CashDetailSchema>;

/**
 * The gateway a payment went through: BPC (QR), the card terminal's serial link, Yima card orders.
 * 'cash' is the cash tender: no gateway call, final at once (src/core/payments/cash.ts).
 */
export const GatewayIdSchema = z.enum(['bpc', 'terminal', 'yima', 'cash']);
export type GatewayId = z.output<typeof GatewayIdSchema>;

/** A gateway's masked detail of a payment or refund (flat JSON; never a full card number). */
export const GatewayDetailSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type GatewayDetail = z.output<typeof GatewayDetailSchema>;

/** The merchant's own order number on a sale (optional); the checkout validates it as typed with this. */
export const MerOrderNoSchema = z.string().trim().max(MER_ORDER_NO_MAX).regex(MER_ORDER_NO_PATTERN, MER_ORDER_NO_CHARS_MESSAGE);
/** The memo on a sale (optional). */
export const MemoSchema = z.string().trim().max(MEMO_MAX);
export const ModeSchema = z.enum(['training', 'live']);

export const PaymentViewSchema = z.object({
  id: z.number().int(),
  tradeNo: z.string(),
  merOrderNo: z.string().nullable(),
  memo: z.string().nullable(),
  mode: ModeSchema,
  tender: TenderSchema,
  amountFen: z.number().int(),
  status: PaymentStatusSchema,
  payType: z.string().nullable(),
  sysTrace: z.string().nullable(),
  scanCode: z.string().nullable(),
  qrExpiresAt: z.number().nullable(),
  respCode: z.string().nullable(),
  respMsg: z.string().nullable(),
  operator: z.string().nullable(),
  businessDay: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  paidAt: z.number().nullable(),
  closeRequested: z.boolean(),
  queryCount: z.number().int(),
  resolution: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  /** The wallet's own transaction number (微信/支付宝/银联单号) from the bank's answer, when known. */
  walletTradeNo: z.string().nullable(),
  /** The gateway this sale went through (bpc, terminal, yima). */
  gateway: z.string(),
  /** The gateway's own reference (BPC sysTrace, terminal reference, Yima order reference); sysTrace is the same value. */
  gatewayRef: z.string().nullable(),
  /** The gateway's masked detail (e.g. the card terminal's batch, voucher and masked card number). */
  gatewayDetail: GatewayDetailSchema.nullable(),
  /** Cash sales: tendered and change (null for other tenders). */
  cash: CashDetailSchema.nullable(),
});
export type PaymentView = z.output<typeof PaymentViewSchema>;

export const RefundStatusSchema = z.enum(['created', 'pending', 'succeeded', 'failed', 'unknown']);
export type RefundStatus = z.output<typeof RefundStatusSchema>;
export const OPEN_REFUND_STATUSES: readonly RefundStatus[] = ['created', 'pending', 'unknown'];

export const RefundViewSchema = z.object({
  id: z.number().int(),
  refundNo: z.string(),
  paymentId: z.number().int(),
  mode: ModeSchema,
  amountFen: z.number().int(),
  status: RefundStatusSchema,
  sysTrace: z.string().nullable(),
  respCode: z.string().nullable(),
  respMsg: z.string().nullable(),
  reason: z.string(),
  operator: z.string().nullable(),
  approvedBy: z.string().nullable(),
  businessDay: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** When R was about to leave (committed before its first byte); null = R never left. */
  sentAt: z.number().nullable(),
  /** R left and its answer was lost: it cannot be queried (J needs its trace); a supervisor settles it. */
  needsSupervisor: z.boolean(),
  gateway: z.string(),
  gatewayRef: z.string().nullable(),
});
export type RefundView = z.output<typeof RefundViewSchema>;

/** What the trainer can make the next training payment do. */
export const TrainingScriptSchema = z.enum(TRAINING_SCRIPTS);
export type TrainingScript = z.output<typeof TrainingScriptSchema>;
