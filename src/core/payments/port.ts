/**
 * The gateway port: what the payment engine needs from any gateway (BPC QR, a card terminal link,
 * Yima card orders). Gateway-neutral: no wire format, no field spelling of any bank lives here.
 * Adapters (src/core/gateways/<name>/adapter.ts, src/core/devices/...) translate their wire into these
 * shapes; the engine (./engine.ts) talks to gateways only through them.
 */
import type { AppMode } from '../../shared/ipc/contract';
import type { GatewayDetail } from '../../shared/domain';
import type { Fen } from '../../shared/money';

/** What a gateway can do, declared by its adapter; the engine never guesses from the gateway's name. */
export interface GatewayCapabilities {
  /** Orders can be closed at the gateway (BPC's S); without it a cancel only queries. */
  canClose: boolean;
  /** Refunds go through this gateway (R / J). */
  canRefund: boolean;
  /** The customer is shown a QR that expires (the engine closes it when its time is up). */
  qrExpires: boolean;
  /** The largest amount this gateway accepts, in fen (the configured counter limit may be lower). */
  maxAmountFen: Fen;
  /**
   * The create pushes the order to a device the customer pays on (Yima's card POS), so a create whose
   * answer is lost may still be paid: it is queried, never failed unseen. Without it (BPC QR) an
   * unanswered create showed the customer nothing, and the sale ends as not charged.
   */
  payableWithoutAnswer?: boolean;
  /** A sale is cancelled on the device only (the card terminal link): the counter refuses to cancel it. */
  cancelOnDeviceOnly?: boolean;
}

/** The gateway's answer, in neutral terms. */
export interface GatewayAnswer {
  /** The gateway's own result code ('00', '77', …), as received. */
  code: string;
  message: string;
  /** The gateway's reference for the order or refund (BPC sysTrace), when the answer carries one. */
  reference?: string;
  /** What the customer scans (BPC scanCode), on a create answer. */
  qrCode?: string;
  /** The wallet that paid, when the answer names one the product knows. */
  payType?: string;
  /** The wallet's own transaction number, when the answer carries a well-formed one. */
  walletTradeNo?: string;
  /** What the ledger keeps of the answer beyond the reference (gateway_detail; card numbers masked by the adapter). */
  detail?: GatewayDetail;
}

/**
 * How one request ended, classified once by the adapter:
 * - `success` · `failed` (final, e.g. BPC 77) · `waiting` (the payer is at it, e.g. 88)
 * - `unknown` (the gateway does not know yet, e.g. 99) · `rejected` (any other code)
 * - `transport_unknown`: no usable answer (timeout, reset, garbage, bad signature, an answer not bound
 *   to the question). `delivered: false` only when the request provably never reached the gateway
 *   (no connection was made).
 */
export type GatewayOutcome =
  | { kind: 'success' | 'failed' | 'waiting' | 'unknown' | 'rejected'; answer: GatewayAnswer }
  | { kind: 'transport_unknown'; reason: string; detail: string; delivered: boolean };

/** The audit record of one exchange, ready for the ledger's events (secrets already masked by the adapter). */
export interface GatewayExchangeRecord {
  /** Event type, e.g. `bpc.F`. */
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export type GatewayResult = GatewayOutcome & { exchange: GatewayExchangeRecord };

export interface CreateOrderInput {
  tradeNo: string;
  amountFen: Fen;
  merOrderNo?: string | undefined;
  payType?: string;
  /** What the gateway is told about the QR's validity ('' = the gateway default). */
  qrValidTime?: string;
  /** Where the gateway sends its notification, when notifications are on. */
  notifyUrl?: string | undefined;
  tellerNo?: string | undefined;
}

/** The order (or refund) a query, close or refund is about, for binding the answer to the question. */
export interface OrderRef {
  reference: string;
  amountFen: Fen;
  tradeNo: string;
  /** When the create request left (ms), for gateways that match "not older than our request". */
  sentAt?: number;
}

export interface RefundOrderInput {
  refundNo: string;
  /** The paid order's gateway reference. */
  orgReference: string;
  amountFen: Fen;
  /** When the original payment was made (ms). */
  orgPaidAt: number;
  tellerNo?: string | undefined;
}

export interface PaymentGateway {
  readonly capabilities: GatewayCapabilities;
  /** Throws (e.g. DEVICE_BUSY) when the gateway cannot take a create now; called before the intent is written. */
  assertReady?(): void;
  /** Creates the order (BPC F). Throws only before anything leaves (no key, no gateway). */
  create(input: CreateOrderInput): Promise<GatewayResult>;
  /** Queries the order (BPC G). */
  query(order: OrderRef): Promise<GatewayResult>;
  /** Closes an unpaid order (BPC S); present when capabilities.canClose. */
  close?(order: OrderRef): Promise<GatewayResult>;
  /**
   * A supervisor's re-check of an unresolved order by the gateway's own order number (Yima's
   * bcm_orderquery_request by order_id, read off the terminal's slip or Yima's portal). Evidence only:
   * the adapter binds the answer to our merchant, order and amount; the engine records a paid answer
   * through the same path as a query's answer, and nothing else changes the sale.
   */
  recheck?(order: OrderRef, gatewayOrderId: string): Promise<GatewayResult>;
  /** Refunds part or all of a paid order (BPC R); the engine has checked the cap in the ledger. */
  refund?(input: RefundOrderInput): Promise<GatewayResult>;
  /** Queries a refund by the reference its refund answer gave (BPC J). */
  queryRefund?(refund: OrderRef): Promise<GatewayResult>;
}

/** One gateway known to the registry: its declared limits and the gateway to use per mode. */
export interface GatewayEntry {
  id: string;
  /** New sales of this tender may go to this gateway. */
  tender: 'qr' | 'card';
  /**
   * Who drives its payments: `polled` — the payment engine (create, then queries on its schedule;
   * BPC, Yima); `device` — a device link that answers a sale synchronously (the card terminal; see
   * card-sales.ts). Default `polled`.
   */
  flow?: 'polled' | 'device';
  /** Known without reaching the gateway (checked before the intent is written). */
  capabilities: GatewayCapabilities;
  /** The training simulator or the live gateway; may throw NOT_CONFIGURED / INSECURE_TRANSPORT. */
  forMode(mode: AppMode): PaymentGateway;
}
