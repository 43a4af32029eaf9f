/**
 * Yima (翼码) card orders behind the gateway port: the create pushes the order to the card POS, the
 * result query (each with a fresh pos_seq reserved in the ledger first) follows it until paid or
 * declined. Cancel, void and refund happen on the terminal itself (no cashier-side interface is
 * known), so the adapter declares no close and no refund; an order whose push is unclear may still be
 * paid on the terminal, so it declares `payableWithoutAnswer` and the engine queries it.
 */
import type { GatewayDetail } from '../../../shared/domain';
import type { AppMode } from '../../../shared/ipc/contract';
import { YIMA_MAX_FEN } from '../../../shared/money';
import type { CreateOrderInput, GatewayAnswer, GatewayCapabilities, GatewayEntry, GatewayResult, OrderRef, PaymentGateway } from '../../payments/port';
import { adapterPerClient } from '../../payments/registry';
import { maskPansInText, maskPanText } from '../../util/logger';
import { yimaTimestamp, type YimaClient, type YimaClientResult, type YimaExchange } from './client';
import { extendParamsFor, type YimaSplitPlan } from './split';
import type { YimaPaidInfo, YimaResponse } from './wire';

export const YIMA_GATEWAY_ID = 'yima';

export const YIMA_CAPABILITIES: GatewayCapabilities = {
  canClose: false,
  canRefund: false,
  qrExpires: false,
  maxAmountFen: YIMA_MAX_FEN,
  payableWithoutAnswer: true,
};

export interface YimaAdapterDeps {
  /** A fresh pos_seq for one request about the payment `paymentRef` (reserved in the ledger before it leaves). */
  nextSerial: (purpose: 'resultquery', tradeNo: string) => string;
  /** The counter's split plan (Settings → Yima), sent as extend_params with every create; null = none. */
  splitPlan?: () => YimaSplitPlan | null;
  /** The clock for the order query's timestamp (default Date.now). */
  now?: () => number;
}

export class YimaGateway implements PaymentGateway {
  readonly capabilities = YIMA_CAPABILITIES;

  constructor(
    readonly client: YimaClient,
    private readonly deps: YimaAdapterDeps,
  ) {}

  async create(input: CreateOrderInput): Promise<GatewayResult> {
    // The split plan for this amount, checked against every split rule of the seed before anything
    // leaves (a refusal names the rule; the engine ends the sale as "nothing was sent").
    const extendParams = extendParamsFor(this.deps.splitPlan?.() ?? null, input.amountFen);
    // Our order number is the create's pos_seq: unique per merchant, 20 characters (13–32 allowed).
    const result = await this.client.createOrder({
      ...(extendParams === undefined ? {} : { extendParams }),
      posSeq: input.tradeNo,
      amountFen: input.amountFen,
      ...(input.tellerNo === undefined ? {} : { userId: input.tellerNo }),
      ...(input.notifyUrl === undefined ? {} : { notifyUrl: input.notifyUrl }),
    });
    return this.map(result, input.tradeNo);
  }

  async query(order: OrderRef): Promise<GatewayResult> {
    const posSeq = this.deps.nextSerial('resultquery', order.tradeNo);
    const result = await this.client.queryResult({ posSeq, orgPosSeq: order.tradeNo, amountFen: order.amountFen });
    return this.map(result, order.tradeNo);
  }

  /**
   * The supervisor's re-check: `bcm_orderquery_request` by Yima's order_id, bound to our order number,
   * amount and the time the sale was made (see YimaClient.queryOrder). No pos_seq of ours is used.
   */
  async recheck(order: OrderRef, orderId: string): Promise<GatewayResult> {
    const at = this.deps.now?.() ?? Date.now();
    const result = await this.client.queryOrder({
      orderId,
      timestamp: yimaTimestamp(at),
      amountFen: order.amountFen,
      orgPosSeq: order.tradeNo,
      ...(order.sentAt === undefined ? {} : { notBefore: order.sentAt }),
    });
    return this.map(result, order.tradeNo);
  }

  private map(result: YimaClientResult, tradeNo: string): GatewayResult {
    const exchange = { type: `yima.${result.exchange.op}`, at: result.exchange.startedAt, data: exchangeData(result.exchange) };
    /** The answer's result id and comment (or `message` when it has none), about our order number. */
    const answer = (response: YimaResponse, message: string, code = ''): GatewayAnswer => ({
      code: response.result?.id ?? code,
      message: response.result?.comment ?? message,
      reference: tradeNo,
    });
    switch (result.kind) {
      case 'transport_unknown':
        // Only a connection that was never made proves the request did not reach Yima.
        return { kind: 'transport_unknown', reason: result.reason, detail: result.detail, delivered: result.reason !== 'connect', exchange };
      case 'pushed':
        return { kind: 'waiting', answer: answer(result.response, 'order pushed to the card POS'), exchange };
      case 'waiting':
        return { kind: 'waiting', answer: answer(result.response, 'waiting for the card'), exchange };
      case 'unknown':
        return { kind: 'unknown', answer: answer(result.response, ''), exchange };
      case 'failed':
        return { kind: 'failed', answer: { code: result.result.id, message: result.result.comment }, exchange };
      case 'paid':
        return { kind: 'success', answer: { ...answer(result.response, 'paid on the card POS', '0000'), detail: paidDetail(result.paid) }, exchange };
    }
  }
}

/** The paid card transaction as the ledger keeps it (gateway_detail): card number masked. */
function paidDetail(paid: YimaPaidInfo): GatewayDetail {
  return {
    orderId: paid.orderId,
    mid: paid.mid,
    tid: paid.tid,
    batchNo: paid.batchNo,
    traceNo: paid.traceNo,
    refNo: paid.refNo,
    cardNo: maskPanText(paid.cardNoMasked),
    amountFen: paid.amountFen,
  };
}

/** Fields whose digits are our or Yima's numbers (order, serial, trace, reference, ids, amounts): kept exact. */
const NUMBER_FIELD = /(?:seq|_no|_id|^tid|^mid|_amt|_time|_date|isspid)$/;

/**
 * A wire text as the ledger may keep it: the `card_no` field (JSON or XML, CDATA too) reduced to first
 * 6 / last 4; a card-number-like digit run in any other free-text field (a comment quoting a card)
 * masked; order, serial, trace and reference numbers exact.
 */
export function maskCardNumbersInWireText(text: string): string {
  const value = (name: string, v: string): string => (name === 'card_no' ? maskPanText(v) : NUMBER_FIELD.test(name) ? v : maskPansInText(v));
  return text
    .replace(/"([A-Za-z_]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (_, name: string, colon: string, v: string) => `"${name}"${colon}"${value(name, v)}"`)
    .replace(
      /<([A-Za-z_]+)>(<!\[CDATA\[)?([^<\]]*)((?:\]\]>)?)<\/\1>/g,
      (_, name: string, open: string | undefined, v: string, close: string) => `<${name}>${open ?? ''}${value(name, v)}${close}</${name}>`,
    );
}

/** The exchange for the ledger's event: texts with card numbers masked; the raw bytes are not kept twice. */
function exchangeData(e: YimaExchange): Record<string, unknown> {
  return {
    op: e.op,
    posSeq: e.posSeq,
    request: maskCardNumbersInWireText(e.requestText),
    httpStatus: e.httpStatus,
    response: e.responseText === null ? null : maskCardNumbersInWireText(e.responseText),
    durationMs: e.durationMs,
    outcome: e.outcome,
  };
}

/** The registry entry: the training simulator's client or the live one (throws NOT_CONFIGURED without settings). */
export function yimaGatewayEntry(clientFor: (mode: AppMode) => YimaClient, deps: YimaAdapterDeps): GatewayEntry {
  const adapterOf = adapterPerClient((client: YimaClient) => new YimaGateway(client, deps));
  return { id: YIMA_GATEWAY_ID, tender: 'card', flow: 'polled', capabilities: YIMA_CAPABILITIES, forMode: (mode) => adapterOf(clientFor(mode)) };
}
