/**
 * BPC behind the gateway port: F / G / S / R / J of the BPC client, their outcomes mapped to the
 * port's neutral outcomes, and each exchange turned into its `bpc.<op>` ledger event.
 */
import { BPC_MAX_FEN } from '../../../shared/money';
import type { AppMode } from '../../../shared/ipc/contract';
import type {
  CreateOrderInput,
  GatewayAnswer,
  GatewayCapabilities,
  GatewayEntry,
  GatewayOutcome,
  GatewayResult,
  OrderRef,
  PaymentGateway,
  RefundOrderInput,
} from '../../payments/port';
import { adapterPerClient } from '../../payments/registry';
import { maskRawText } from '../../util/logger';
import type { BpcClient, BpcResult } from './client';
import type { BpcPayType } from './wire';

export const BPC_GATEWAY_ID = 'bpc';

/** What BPC declares before any client exists (S may still be disabled by the bank profile). */
export const BPC_CAPABILITIES: GatewayCapabilities = { canClose: true, canRefund: true, qrExpires: true, maxAmountFen: BPC_MAX_FEN };

export class BpcGateway implements PaymentGateway {
  constructor(readonly client: BpcClient) {}

  get capabilities(): GatewayCapabilities {
    return { ...BPC_CAPABILITIES, canClose: this.client.closeEnabled };
  }

  async create(input: CreateOrderInput): Promise<GatewayResult> {
    return toGatewayResult(
      await this.client.createQr({
        tradeNo: input.tradeNo,
        amountFen: input.amountFen,
        ...(input.merOrderNo === undefined ? {} : { merOrderNo: input.merOrderNo }),
        payType: (input.payType ?? '') as BpcPayType | '',
        ...(input.qrValidTime === undefined ? {} : { qrValidTime: input.qrValidTime }),
        ...(input.notifyUrl === undefined ? {} : { retUrl: input.notifyUrl }),
        ...(input.tellerNo === undefined ? {} : { tellerNo: input.tellerNo }),
      }),
    );
  }

  async query(order: OrderRef): Promise<GatewayResult> {
    return toGatewayResult(await this.client.queryPayment(order.reference, undefined, { amountFen: order.amountFen, tradeNo: order.tradeNo }));
  }

  async close(order: OrderRef): Promise<GatewayResult> {
    return toGatewayResult(await this.client.closeOrder(order.reference));
  }

  async refund(input: RefundOrderInput): Promise<GatewayResult> {
    return toGatewayResult(
      await this.client.refund({
        tradeNo: input.refundNo,
        orgSysTrace: input.orgReference,
        amountFen: input.amountFen,
        ...(input.tellerNo === undefined ? {} : { tellerNo: input.tellerNo }),
        orgTxnTime: formatTxnTime(input.orgPaidAt),
      }),
    );
  }

  async queryRefund(refund: OrderRef): Promise<GatewayResult> {
    return toGatewayResult(await this.client.queryRefund(refund.reference, undefined, { amountFen: refund.amountFen, tradeNo: refund.tradeNo }));
  }
}

/** The registry entry for BPC: `clientFor(mode)` gives the training or the live client (it may throw). */
export function bpcGatewayEntry(clientFor: (mode: AppMode) => BpcClient): GatewayEntry {
  // One adapter per client (the live client is replaced when Settings change).
  const adapterOf = adapterPerClient((client: BpcClient) => new BpcGateway(client));
  return { id: BPC_GATEWAY_ID, tender: 'qr', capabilities: BPC_CAPABILITIES, forMode: (mode) => adapterOf(clientFor(mode)) };
}

export function toGatewayResult(result: BpcResult): GatewayResult {
  const x = result.exchange;
  let request: unknown = x.requestText;
  try {
    request = JSON.parse(x.requestText) as unknown;
  } catch {
    // keep the text
  }
  const exchange = {
    type: `bpc.${x.op}`,
    at: x.startedAt,
    data: {
      request,
      httpStatus: x.httpStatus,
      // The raw answer, as received (masked only if it carries a secret-looking field).
      response: maskRawText(x.responseText),
      outcome: x.outcome,
      durationMs: x.durationMs,
      ...(result.kind === 'transport_unknown' ? { reason: result.reason, detail: result.detail } : {}),
    },
  };
  let outcome: GatewayOutcome;
  if (result.kind === 'transport_unknown') {
    // No connection was made: the request provably never reached the bank.
    outcome = { kind: 'transport_unknown', reason: result.reason, detail: result.detail, delivered: result.reason !== 'connect' };
  } else {
    const r = result.response;
    const answer: GatewayAnswer = { code: r.respCode, message: r.respMsg };
    if (r.sysTrace !== undefined) answer.reference = r.sysTrace;
    if (r.scanCode !== undefined) answer.qrCode = r.scanCode;
    const payType = payTypeOf(r.extra);
    if (payType !== undefined) answer.payType = payType;
    const wallet = walletTradeNoOf(r.extra);
    if (wallet !== undefined) answer.walletTradeNo = wallet;
    outcome = { kind: result.kind, answer };
  }
  return { ...outcome, exchange };
}

/** The wallet's own number from a G answer: oldTradeId (WeChat), oldTradeNo (Alipay), oldPayVounum (UnionPay). */
function walletTradeNoOf(extra: Record<string, unknown>): string | undefined {
  for (const field of ['oldTradeId', 'oldTradeNo', 'oldPayVounum']) {
    const v = extra[field];
    if (typeof v === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(v.trim())) return v.trim();
  }
  return undefined;
}

function payTypeOf(extra: Record<string, unknown>): string | undefined {
  for (const field of ['payType', 'oldPayType']) {
    const v = extra[field];
    if (v === 'ZFBA' || v === 'WEIX' || v === 'UPAY') return v;
  }
  return undefined;
}

/** R's orgTxnTime: `yyyy-MM-dd HH:mm:ss`, local time. */
function formatTxnTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
