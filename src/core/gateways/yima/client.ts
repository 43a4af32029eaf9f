import { AppError } from '../../../shared/errors';
import { type Fen } from '../../../shared/money';
import { encodeRequest, parseYimaBody, signatureState } from './codec';
import { undiciYimaHttp, type YimaHttp } from './http';
import {
  bindPosMessage,
  createOrderMessage,
  orderQueryMessage,
  resultQueryMessage,
  assertMerchant,
  type CreateOrderInput,
  type YimaMerchant,
} from './messages';
import { mapResult, type YimaOperation } from './result-map';
import type { YimaSignRule } from './sign';
import {
  YIMA_RESPONSE_TYPE,
  type YimaFormat,
  type YimaMessage,
  type YimaOutcome,
  type YimaRequestType,
  type YimaTransportReason,
  type YimaValue,
  type YimaXmlTransport,
} from './wire';

/** What differs between Yima set-ups or is not in our material (each a [guess] with a setting). */
export interface YimaProfile {
  format: YimaFormat;
  xmlTransport: YimaXmlTransport;
  signRule: YimaSignRule;
  /** Refuse answers without a valid sign (JSON) / mac (form). Raw XML cannot carry one (refused as a setting). */
  requireSignedResponses: boolean;
  /** Refuse answers whose pos_id echo is not ours (the seed's JSON sample echoes another pos_id, so off by default). */
  bindPosId: boolean;
  /**
   * [guess] A result-query "paid" that reports no amount: the documented bcm_res_info names none, so
   * `if-reported` (default) takes it when every other binding holds and checks the amount only when one
   * is reported; `require` leaves it unbound (not paid, still queried, 状态未明 for the supervisor, whose
   * bcm_orderquery re-check reports trade_amount).
   */
  paidAmount: YimaPaidAmountRule;
}

export type YimaPaidAmountRule = 'if-reported' | 'require';
export const YIMA_PAID_AMOUNT_RULES: readonly YimaPaidAmountRule[] = ['if-reported', 'require'];

export const DEFAULT_YIMA_PROFILE: YimaProfile = {
  format: 'json',
  xmlTransport: 'raw',
  signRule: 'sorted_kv_key',
  requireSignedResponses: false,
  bindPosId: false,
  paidAmount: 'if-reported',
};

export interface YimaTimeouts {
  connectMs: number;
  responseMs: number;
}

export interface YimaClientOptions {
  merchant: YimaMerchant;
  profile?: Partial<YimaProfile>;
  timeouts?: Partial<YimaTimeouts>;
  /** Read at each request so a key change applies at once; never logged, never in an exchange. */
  getKey: () => string;
  /** Injectable transport (default: undici). */
  http?: YimaHttp;
}

/** One request/answer as it went over the wire, key-free (the request text carries only the sign). */
export interface YimaExchange {
  op: YimaOperation;
  posSeq: string;
  requestText: string;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  /** The answer decoded to text (GBK XML decoded), as received; null when none arrived. */
  responseText: string | null;
  /** The answer's bytes as received, base64 (GBK stays byte-exact). */
  responseBase64: string | null;
  outcome: YimaOutcome['kind'];
}

export type YimaClientResult = YimaOutcome & { exchange: YimaExchange };

export const YIMA_MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * The Yima client. Each message is validated (every rule of the seed) before anything is sent, encoded
 * once, sent once; the answer is classified once, bound to the question (our isspid, this request's
 * pos_seq, the org_pos_seq and amount asked about) or else `transport_unknown`. It never retries: an
 * unclear create is resolved by result queries, never by pushing the order again.
 */
export class YimaClient {
  readonly profile: YimaProfile;
  private readonly timeouts: YimaTimeouts;
  private readonly http: YimaHttp;
  private readonly closeHttp: () => Promise<void>;

  constructor(private readonly options: YimaClientOptions) {
    this.profile = { ...DEFAULT_YIMA_PROFILE, ...options.profile };
    assertYimaProfile(this.profile);
    assertMerchant(options.merchant);
    this.timeouts = { connectMs: 5000, responseMs: 15000, ...options.timeouts };
    if (options.http !== undefined) {
      this.http = options.http;
      this.closeHttp = () => Promise.resolve();
    } else {
      const h = undiciYimaHttp(this.timeouts.connectMs);
      this.http = h.send;
      this.closeHttp = () => h.close();
    }
  }

  get merchant(): YimaMerchant {
    return this.options.merchant;
  }

  /** The message a create would send (validated); for previews and the ledger's intent. */
  createMessage(input: CreateOrderInput): YimaMessage {
    return createOrderMessage(this.options.merchant, input);
  }

  /** Push the order to the card POS. Throws (nothing sent) on any rule violation. */
  async createOrder(input: CreateOrderInput): Promise<YimaClientResult> {
    const message = createOrderMessage(this.options.merchant, input);
    return await this.send('create', 'bcm_ordercreate_request', message, input.posSeq, (r) => this.bindAmount(r, input.amountFen));
  }

  /** Poll the result of the order `orgPosSeq` with a fresh `posSeq` of its own. */
  async queryResult(input: { posSeq: string; orgPosSeq: string; amountFen: Fen; userId?: string }): Promise<YimaClientResult> {
    const message = resultQueryMessage(this.options.merchant, input.posSeq, input.orgPosSeq, input.userId);
    return await this.send('resultquery', 'bcm_resultquery_request', message, input.posSeq, (r) => {
      const org = orgPosSeqOf(r);
      if (org !== null && org !== input.orgPosSeq) return { reason: 'mismatch', detail: `answer is about order ${org}, we asked about ${input.orgPosSeq}` };
      // A pos_seq inside bcm_res_info may be this poll's serial or our order number; any other is another request's.
      const infoSeq = r.kind === 'transport_unknown' ? null : named(r.response.fields, 'pos_seq', 'info');
      if (infoSeq !== null && infoSeq !== input.posSeq && infoSeq !== input.orgPosSeq)
        return { reason: 'mismatch', detail: `answer's bcm_res_info names pos_seq ${infoSeq.slice(0, 40)}, neither this poll nor order ${input.orgPosSeq}` };
      // Yima's order_id (documented in bcm_res_info) ties a "paid" to one card payment: without it the
      // engine cannot tell it from another sale's payment and the supervisor cannot re-check it.
      if (r.kind === 'paid' && r.paid.orderId.trim() === '') return { reason: 'mismatch', detail: "paid answer does not name Yima's order_id" };
      if (r.kind === 'paid' && r.paid.amountFen === null && this.profile.paidAmount === 'require')
        return { reason: 'mismatch', detail: 'answer does not report the amount paid (settings: a paid result must report its amount)' };
      return this.bindAmount(r, input.amountFen);
    });
  }

  /**
   * A supervisor's re-check by Yima's order_id [doc]. The answer is evidence only, so it is bound tighter
   * than a poll: our isspid (as every answer), the order_id asked about (it must be echoed), our order
   * number when the answer names one (`org_pos_seq` / `pos_seq`, top level or in `bcm_res_info`), and —
   * for "paid" — the amount, which must be reported and equal, and a trade time not before the sale was
   * made (`notBefore`, minus 10 minutes of clock skew). Anything else is `transport_unknown` / mismatch.
   */
  async queryOrder(input: {
    orderId: string;
    timestamp: string;
    amountFen: Fen;
    userId?: string;
    /** Our order number (the create's pos_seq): an answer naming another order is refused. */
    orgPosSeq?: string;
    /** When our sale was made (ms): a "paid" whose trade time is earlier is another sale. */
    notBefore?: number;
  }): Promise<YimaClientResult> {
    const message = orderQueryMessage(this.options.merchant, input);
    return await this.send('orderquery', 'bcm_orderquery_request', message, null, (r) => {
      if (r.kind === 'transport_unknown') return null;
      const fields = r.response.fields;
      const id = typeof fields.order_id === 'string' || typeof fields.order_id === 'number' ? String(fields.order_id) : '';
      // An error answer (no such order) may name none; a "paid" must name ours.
      if (id !== input.orderId && (id !== '' || r.kind === 'paid'))
        return { reason: 'mismatch', detail: id === '' ? 'answer does not name the order_id' : `answer is about order_id ${id.slice(0, 40)}` };
      const org = orgPosSeqOf(r);
      if (input.orgPosSeq !== undefined && org !== null && org !== input.orgPosSeq)
        return { reason: 'mismatch', detail: `answer is about order ${org.slice(0, 40)}, this sale is ${input.orgPosSeq}` };
      // The order query carries no pos_seq of its own: an answer echoing one is about another request,
      // unless it is our order number.
      const echoed = r.response.posSeq;
      if (input.orgPosSeq !== undefined && echoed !== '' && echoed !== input.orgPosSeq)
        return { reason: 'mismatch', detail: `answer echoes pos_seq ${echoed.slice(0, 40)}, which this order query did not send` };
      if (r.kind !== 'paid') return null;
      if (r.paid.amountFen === null) return { reason: 'mismatch', detail: 'answer does not report the amount paid' };
      const amount = this.bindAmount(r, input.amountFen);
      if (amount !== null) return amount;
      const traded = yimaTime(fields.trade_time);
      // Evidence for one sale must say when it was paid: without a readable trade_time an old payment of
      // the same amount (a slip from another day) could settle this sale. The supervisor still has F8.
      if (input.notBefore !== undefined && traded === null) return { reason: 'mismatch', detail: 'answer does not report when it was paid (trade_time)' };
      if (input.notBefore !== undefined && traded !== null && traded < input.notBefore - 10 * 60_000)
        return { reason: 'mismatch', detail: `answer reports a payment at ${new Date(traded).toISOString()}, before this sale was made` };
      return null;
    });
  }

  /** One-time terminal binding [guess body]. */
  async bindPos(input: { posSeq: string; storeName: string; userId?: string }): Promise<YimaClientResult> {
    return await this.send(
      'bind',
      'bind_pos_request',
      bindPosMessage(this.options.merchant, input.posSeq, input.storeName, input.userId),
      input.posSeq,
      () => null,
    );
  }

  async destroy(): Promise<void> {
    await this.closeHttp();
  }

  private bindAmount(outcome: YimaOutcome, amountFen: Fen): { reason: YimaTransportReason; detail: string } | null {
    if (outcome.kind !== 'paid') return null;
    const reported = outcome.paid.amountFen;
    if (reported !== null && reported !== amountFen)
      return { reason: 'mismatch', detail: `answer reports ${String(reported)} fen, the sale is ${amountFen} fen` };
    return null;
  }

  private async send(
    op: YimaOperation,
    requestType: YimaRequestType,
    message: YimaMessage,
    posSeq: string | null,
    bind: (outcome: YimaOutcome) => { reason: YimaTransportReason; detail: string } | null,
  ): Promise<YimaClientResult> {
    const key = this.options.getKey();
    if (key === '' && (this.profile.format === 'json' || this.profile.xmlTransport === 'form')) {
      throw new AppError('NOT_CONFIGURED', 'the Yima key is not set', { field: 'yima.key' });
    }
    const encoded = encodeRequest(message, this.profile, key);
    const startedAt = Date.now();
    let httpStatus: number | null = null;
    let responseBytes: Buffer | null = null;
    let responseText: string | null = null;
    const finish = (outcome: YimaOutcome): YimaClientResult => ({
      ...outcome,
      exchange: {
        op,
        posSeq: posSeq ?? '',
        requestText: encoded.text,
        startedAt,
        durationMs: Date.now() - startedAt,
        httpStatus,
        responseText,
        responseBase64: responseBytes === null ? null : responseBytes.toString('base64'),
        outcome: outcome.kind,
      },
    });
    try {
      const res = await this.http({
        url: this.options.merchant.url,
        body: encoded.body,
        contentType: encoded.contentType,
        responseTimeoutMs: this.timeouts.responseMs,
        maxResponseBytes: YIMA_MAX_RESPONSE_BYTES,
      });
      httpStatus = res.status;
      responseBytes = res.body;
    } catch (error) {
      return finish({ kind: 'transport_unknown', ...transportReason(error) });
    }
    let outcome: { outcome: YimaOutcome; text?: string };
    try {
      outcome = classifyYimaAnswer({
        op,
        requestType,
        httpStatus,
        body: responseBytes,
        key,
        profile: this.profile,
        merchant: this.options.merchant,
        posSeq,
      });
    } catch (error) {
      // The request left: whatever the answer broke, it is unclear, never "nothing was sent".
      outcome = {
        outcome: { kind: 'transport_unknown', reason: 'not_parseable', detail: error instanceof Error ? error.message.slice(0, 200) : 'unreadable answer' },
      };
    }
    responseText = outcome.text ?? responseBytes.toString('latin1').slice(0, 4096);
    const final = outcome.outcome;
    if (final.kind === 'transport_unknown') return finish(final);
    const broken = bind(final);
    return finish(broken === null ? final : { kind: 'transport_unknown', ...broken });
  }
}

export function assertYimaProfile(p: YimaProfile): void {
  if (p.format !== 'json' && p.format !== 'xml') throw new AppError('CONFIG_INVALID', 'Yima format must be json or xml', { field: 'yima.format' });
  if (p.xmlTransport !== 'raw' && p.xmlTransport !== 'form')
    throw new AppError('CONFIG_INVALID', 'Yima XML transport must be raw or form', { field: 'yima.xmlTransport' });
  if (!YIMA_PAID_AMOUNT_RULES.includes(p.paidAmount))
    throw new AppError('CONFIG_INVALID', 'Yima paid-amount rule must be if-reported or require', { field: 'yima.paidAmount' });
  if (p.requireSignedResponses && p.format === 'xml' && p.xmlTransport === 'raw') {
    throw new AppError('CONFIG_INVALID', 'raw XML answers carry no signature: use JSON or the form transport, or turn off "require signed answers"', {
      field: 'yima.requireSignedResponses',
    });
  }
}

/** A Yima time (yyyyMMddHHmmss or yyyy-MM-dd HH:mm:ss, Beijing time) in ms; null when absent or unreadable. */
export function yimaTime(v: YimaValue | undefined): number | null {
  const m = typeof v === 'string' ? /^(\d{4})-?(\d{2})-?(\d{2}) ?(\d{2}):?(\d{2}):?(\d{2})$/.exec(v.trim()) : null;
  if (m === null) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h - 8, mi, se);
  return Number.isFinite(ms) ? ms : null;
}

/** A Yima timestamp (yyyy-MM-dd HH:mm:ss, Beijing time) for `ms`. */
export function yimaTimestamp(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * What an answer names under `key` — at the top level, in `bcm_res_info`, or both (`where`) — null when
 * it names nothing there. A value given twice (an XML answer's repeated element), in a form that is not
 * text, or differently in the two places is returned as what it is, so it never equals ours: an answer
 * we cannot read one way is not taken as naming nothing.
 */
function named(f: Record<string, YimaValue>, key: string, where: 'both' | 'info' = 'both'): string | null {
  const info = f.bcm_res_info;
  const fromInfo = info !== null && typeof info === 'object' && !Array.isArray(info) ? (info as Record<string, YimaValue>)[key] : undefined;
  const given = where === 'info' ? [fromInfo] : [f[key], fromInfo];
  const values = given.filter((v): v is YimaValue => v !== undefined && v !== null && v !== '');
  if (values.length === 0) return null;
  const texts = [...new Set(values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))];
  const [only] = texts;
  return texts.length === 1 && only !== undefined && values.every((v) => typeof v === 'string') ? only : texts.join(' / ').slice(0, 80);
}

/** The order number an answer names (`org_pos_seq`, top level and in `bcm_res_info`), null when it names none. */
function orgPosSeqOf(outcome: YimaOutcome): string | null {
  return outcome.kind === 'transport_unknown' ? null : named(outcome.response.fields, 'org_pos_seq');
}

export interface ClassifyInput {
  op: YimaOperation;
  requestType: YimaRequestType;
  httpStatus: number;
  body: Buffer;
  key: string;
  profile: Pick<YimaProfile, 'signRule' | 'requireSignedResponses' | 'bindPosId'>;
  merchant: Pick<YimaMerchant, 'isspid' | 'posId' | 'systemId'>;
  /** The pos_seq this request carried (the answer must echo it); null for the order query (it has none). */
  posSeq: string | null;
}

/**
 * Classifies one HTTP answer: status, parse, signature, binding to the question (response type, our
 * isspid, this request's pos_seq, optionally pos_id), then the result table. Pure and total.
 */
export function classifyYimaAnswer(input: ClassifyInput): { outcome: YimaOutcome; text?: string } {
  const unknown = (reason: YimaTransportReason, detail: string, text?: string): { outcome: YimaOutcome; text?: string } =>
    text === undefined ? { outcome: { kind: 'transport_unknown', reason, detail } } : { outcome: { kind: 'transport_unknown', reason, detail }, text };
  if (input.httpStatus < 200 || input.httpStatus > 299) return unknown('http_status', `HTTP ${input.httpStatus}`);
  const parsed = parseYimaBody(input.body);
  if ('error' in parsed) return unknown('not_parseable', `${parsed.error}: ${parsed.detail}`);
  const r = parsed.response;
  const text = r.text;
  const sig = signatureState(parsed, input.profile.signRule, input.key);
  if (sig === 'bad') return unknown('bad_signature', 'answer signature does not verify with the selected rule', text);
  if (sig === 'absent' && input.profile.requireSignedResponses) return unknown('bad_signature', 'answer is not signed', text);
  const expected = YIMA_RESPONSE_TYPE[input.requestType];
  if (r.responseType !== expected && r.responseType !== input.requestType) {
    return unknown('mismatch', `answer type ${r.responseType.slice(0, 40) || '(none)'} is not ${expected}`, text);
  }
  if (r.isspid !== input.merchant.isspid) return unknown('mismatch', `answer is for merchant ${r.isspid.slice(0, 16) || '(none)'}`, text);
  // Our merchant and platform wherever the answer names them (bcm_res_info too); system_id is not in the
  // documented answers, so an answer naming none is not refused for it.
  const isspid = named(r.fields, 'isspid');
  if (isspid !== input.merchant.isspid) return unknown('mismatch', `answer names merchant ${(isspid ?? '(none)').slice(0, 40)}`, text);
  const systemId = named(r.fields, 'system_id');
  if (systemId !== null && systemId !== input.merchant.systemId)
    return unknown('mismatch', `answer is for platform (system_id) ${systemId.slice(0, 20)}, ours is ${input.merchant.systemId}`, text);
  if (input.posSeq !== null && r.posSeq !== input.posSeq)
    return unknown('mismatch', `answer echoes pos_seq ${r.posSeq.slice(0, 40) || '(none)'}, we sent ${input.posSeq}`, text);
  if (input.profile.bindPosId && r.posId !== '' && r.posId !== input.merchant.posId)
    return unknown('mismatch', `answer is for pos_id ${r.posId.slice(0, 20)}`, text);
  return { outcome: mapResult(input.op, r), text };
}

function transportReason(error: unknown): { reason: YimaTransportReason; detail: string } {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EAI_AGAIN':
      return { reason: 'connect', detail: `${code}: ${message}` };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { reason: 'timeout', detail: `${code}: ${message}` };
    case 'TOO_LARGE':
      return { reason: 'too_large', detail: message };
    default:
      return { reason: 'reset', detail: `${typeof code === 'string' ? code : 'error'}: ${message}` };
  }
}
