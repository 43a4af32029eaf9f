/**
 * Public types of the BPC training gateway. The simulator speaks the real wire protocol (seed §2–3), so
 * the app's real BPC client runs against it unchanged; everything here is how a trainer or a test steers it.
 */
import type { BpcPayType } from '../../gateways/bpc/wire';
import type { Logger } from '../../util/logger';

export type { BpcPayType };

export interface BpcSimulatorOptions {
  /** The shared MD5 signing key (seed §2.2). */
  key: string;
  /** Merchant number; requests with another `mid` are refused. */
  mid: string;
  /** TCP port on 127.0.0.1; 0 or absent = any free port. */
  port?: number;
  /** Refuse requests whose `sign` header does not verify (default true). */
  requireSignature?: boolean;
  /** Put a `sign` header on every answer, same rule as requests (default true). */
  signResponses?: boolean;
  /** Clock in epoch ms; drives traces, QR expiry and `pay_after_ms`. */
  now?: () => number;
  logger?: Logger;
  /** Behaviour for new orders when nothing is scripted (default: pays on the second query). */
  defaultScript?: PaymentScript;
  /**
   * When an F carries `retUrl` and no NotifyPlan was scripted, send one signed notification there when
   * the order becomes paid, as the seed describes (default true).
   */
  notifyRetUrl?: boolean;
  /**
   * Keep the simulated bank's orders in this JSON file (loaded at start, written after every change),
   * so training payments survive a restart of the app as they would at a real bank.
   */
  stateFile?: string;
  /**
   * Test rigs only (the chaos run): told when a request has reached the bank ('received', before it is
   * processed) and when it has been processed ('processed', before the answer leaves). Awaited, so a rig
   * can kill the app at exactly that moment. A throw is logged and ignored.
   */
  onRequest?: (entry: RecordedRequest, phase: 'received' | 'processed') => void | Promise<void>;
}

export type PaymentScript =
  /** G answers 88 `queries` times, then 00 (`queries` 0 = pays on the first G). */
  | { kind: 'pay_after_queries'; queries: number; payType?: BpcPayType | undefined }
  /** The simulated customer pays `ms` after F; G answers 88 before that. */
  | { kind: 'pay_after_ms'; ms: number; payType?: BpcPayType | undefined }
  /** Never paid: G answers 88 until the QR expires, then 77. */
  | { kind: 'waiting' }
  /** G answers 99 `queries` times, then 00 (`paid`) or 77 (`failed`). */
  | { kind: 'unknown_then'; queries: number; then: 'paid' | 'failed' }
  /** The payment fails: G answers 77. */
  | { kind: 'fail' }
  /** F itself fails with this code and creates no order. `respCode` must not be 00. */
  | { kind: 'reject_create'; respCode: string; respMsg: string }
  /** Stays 88 until `pay()` or `POST /sim/pay`. */
  | { kind: 'manual' };

/** How the next refund (R) ends. */
export type RefundScript =
  | { kind: 'success' }
  /** R answers 99; J answers 99 `queries` more times, then resolves. */
  | { kind: 'unknown_then'; queries: number; then: 'success' | 'failed' }
  /** R answers 77 退货失败 and nothing is refunded. */
  | { kind: 'fail' };

export type Fault =
  | { kind: 'delay'; ms: number }
  /** The TCP connection is destroyed without an answer. */
  | { kind: 'reset' }
  /** HTTP 200 with a proxy's HTML error page. */
  | { kind: 'html' }
  /** HTTP 200 with a truncated, non-JSON body. */
  | { kind: 'garbage' }
  /** A signed JSON answer without `respCode`. */
  | { kind: 'missing_resp_code' }
  | { kind: 'http_500' }
  /** The answer carries a `sign` header made with a wrong key. */
  | { kind: 'bad_sign' };

export type FaultTarget = 'F' | 'G' | 'R' | 'J' | 'S' | '*';

export interface FaultOptions {
  /** How many matching requests it hits (default 1). */
  count?: number | undefined;
  /**
   * true: the operation is applied (order created, refund done) and then the fault hits the answer —
   * "the request reached the bank, the answer was lost". false (default): the fault hits before
   * processing and nothing happens, except `delay`, which waits and then processes normally.
   */
  after?: boolean | undefined;
}

export interface NotifyPlan {
  /** Where the notification JSON is POSTed. */
  url: string;
  /** How many times it is sent (default 1; >1 = duplicates). */
  count?: number | undefined;
  /** Wait before each send, ms (default 0). */
  delayMs?: number | undefined;
  /** Put a `sign` header on it (default true). */
  signed?: boolean | undefined;
  /** Sign with a wrong key (implies a `sign` header). */
  forged?: boolean | undefined;
}

export interface NotifyResult {
  /** 1-based. */
  attempt: number;
  /** The receiver answered HTTP 200 with `respCode` 00. */
  ok: boolean;
  status: number | null;
  responseText: string | null;
  error: string | null;
}

export type SimOrderState = 'waiting' | 'paid' | 'failed' | 'closed' | 'expired';

export type SimRefundState = 'success' | 'pending' | 'failed';

export interface SimRefund {
  /** The refund's own trace (R's answer), the key for J. */
  sysTrace: string;
  /** The merchant's refund number (R's `tradeNo`). */
  tradeNo: string;
  amountFen: number;
  state: SimRefundState;
  at: number;
}

export interface SimOrder {
  sysTrace: string;
  scanCode: string;
  tradeNo: string;
  merOrderNo: string | null;
  posNo: string;
  tellerNo: string | null;
  amountFen: number;
  state: SimOrderState;
  scriptKind: PaymentScript['kind'];
  /** Set once paid. */
  payType: BpcPayType | null;
  createdAt: number;
  expiresAt: number;
  paidAt: number | null;
  /** Sum of successful refunds, fen. */
  refundedFen: number;
  /** Sum of refunds still unresolved (99), fen; they count against the cap. */
  pendingRefundFen: number;
  refunds: SimRefund[];
}

export interface RecordedRequest {
  /** 1-based arrival number. */
  seq: number;
  at: number;
  /** `tranType` as sent ('' when the body was not JSON or had none). */
  tranType: string;
  /** String fields of the JSON body; null when the body was not a JSON object. */
  body: Record<string, string> | null;
  /** The body text as received (cut at 16 KiB in the log). */
  rawBody: string;
  /** Whether the `sign` header verified (computed even when signatures are not required). */
  signOk: boolean;
  /** The respCode the simulator decided on; null when the request was not processed. */
  answeredCode: string | null;
  /** The fault that hit this request, if any (what the client actually saw). */
  fault: Fault['kind'] | null;
}

export interface BpcSimulator {
  /** POST endpoint, e.g. http://127.0.0.1:PORT/comlink/payApi */
  readonly url: string;
  readonly port: number;
  /** Base of the trainer API, e.g. http://127.0.0.1:PORT/sim */
  readonly trainerUrl: string;
  /** Queue a script (and optionally a notification) for the next F that passes validation. */
  scriptNext(script: PaymentScript, notify?: NotifyPlan): void;
  setDefaultScript(script: PaymentScript): void;
  /** Queue the outcome of the next accepted R (default: success). */
  scriptNextRefund(script: RefundScript): void;
  /** Faults for the next `count` requests of `tranType` ('*' = any). */
  injectFault(tranType: FaultTarget, fault: Fault, options?: FaultOptions): void;
  /** The simulated customer pays now. true when a waiting order became paid; false otherwise. */
  pay(sysTraceOrScanCode: string, payType?: BpcPayType): boolean;
  /** The next S for this order loses the race: the order becomes paid as the close arrives. */
  payOnClose(sysTrace: string): void;
  /** POST the seed's notification JSON for a paid order. Rejects with NOT_FOUND / INVALID_STATE. */
  notify(sysTrace: string, plan: NotifyPlan): Promise<NotifyResult[]>;
  /** A snapshot of one order, by sysTrace or scanCode. */
  order(sysTraceOrScanCode: string): SimOrder | undefined;
  /** Snapshots of all remembered orders, oldest first. */
  orders(): SimOrder[];
  /** Every request received on the BPC endpoint (last 10,000). */
  requests(): RecordedRequest[];
  countRequests(tranType: string, filter?: (body: Record<string, string>) => boolean): number;
  /** Forget scripts, refund scripts, faults and payOnClose marks; orders and the request log stay. */
  reset(): void;
  close(): Promise<void>;
}
