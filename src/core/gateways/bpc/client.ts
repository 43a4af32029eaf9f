import { AppError } from '../../../shared/errors';
import { assertFen, BPC_MAX_FEN, type Fen } from '../../../shared/money';
import { createHttpTransport, toTransportError, type HttpTransport } from '../../net';
import { checkBinding, type BpcBindingFailure, type BpcExpected } from './binding';
import { signBpcBody, verifyBpcSign } from './sign';
import type { BpcOutcome, BpcPayType, BpcRequestBody, BpcResponse, BpcTranType, BpcTransportReason } from './wire';

/** The merchant's identity at the gateway (from provisioning or Settings). */
export interface BpcMerchant {
  url: string;
  mid: string;
  posNo: string;
  tellerNo: string;
}

/**
 * Bank-profile options: what differs between banks running this gateway, or what the seed leaves open.
 * Defaults follow the seed's samples.
 */
export interface BpcProfile {
  /** F's txnAmt: the seed's sample sends 12 digits zero-padded. */
  createAmountFormat: 'padded12' | 'plain';
  /** R's txnAmt: the seed's sample sends it unpadded. */
  refundAmountFormat: 'padded12' | 'plain';
  /** S (close order) exists in the seed's appendix without a body; ours is a guess by analogy with G. */
  closeEnabled: boolean;
  /** Refuse answers that carry no `sign` header (the seed does not say whether responses are signed). */
  requireSignedResponses: boolean;
  /** Some banks want the original payment time on R ([code] in public clients). */
  sendOrgTxnTime: boolean;
}

export const DEFAULT_BPC_PROFILE: BpcProfile = {
  createAmountFormat: 'padded12',
  refundAmountFormat: 'plain',
  closeEnabled: true,
  requireSignedResponses: false,
  sendOrgTxnTime: false,
};

export interface BpcTimeouts {
  connectMs: number;
  responseMs: number;
}

export interface BpcClientOptions {
  merchant: BpcMerchant;
  profile?: Partial<BpcProfile>;
  timeouts?: Partial<BpcTimeouts>;
  /** Read at each request, so a key change in Settings applies at once; never logged. */
  getKey: () => string;
  /** The HTTP path (default: a keep-alive undici transport with `timeouts` and `caPem`); injectable for tests. */
  transport?: HttpTransport;
  /** Extra CA certificate(s), PEM, trusted for an https URL in addition to the system roots (a bank's private CA). */
  caPem?: string;
  /**
   * Told of every answer refused because it is not bound to our question (foreign mid, another order's
   * trace/amount/number): the composition root records it as a `security` event. Carries no secret.
   */
  onSecurityEvent?: (event: BpcSecurityEvent) => void;
}

export interface BpcSecurityEvent extends BpcBindingFailure {
  reason: 'unbound';
  /** The trace asked about (G/J/S/R), when there is one. */
  orgSysTrace?: string;
  tradeNo?: string;
}

/** One request/response pair as it went over the wire (request text without the key; the sign is masked). */
export interface BpcExchange {
  op: BpcTranType;
  requestText: string;
  startedAt: number;
  durationMs: number;
  httpStatus: number | null;
  responseText: string | null;
  outcome: BpcOutcome['kind'];
}

export type BpcResult = BpcOutcome & { exchange: BpcExchange };

export interface CreateQrInput {
  tradeNo: string;
  amountFen: Fen;
  merOrderNo?: string;
  payType?: BpcPayType | '';
  /** Passed through as the seed's qrValidTime; empty = gateway default (10 minutes). */
  qrValidTime?: string;
  retUrl?: string;
  tellerNo?: string;
}

export interface RefundInput {
  tradeNo: string;
  orgSysTrace: string;
  amountFen: Fen;
  tellerNo?: string;
  retUrl?: string;
  /** Original payment time `yyyy-MM-dd HH:mm:ss`, sent only when the profile asks for it. */
  orgTxnTime?: string;
}

const MAX_RESPONSE_BYTES = 256 * 1024;

/** Whether the connection to the bank is encrypted (shown in Settings and health). */
export type BpcTransportKind = 'https' | 'http';

/**
 * The BPC client. Serialises each body once, signs those exact bytes, sends them, and classifies the
 * answer once into a `BpcOutcome`. It never retries an operation: an unclear outcome is returned as
 * `transport_unknown` / `unknown` and the engine resolves it by querying.
 */
export class BpcClient {
  private readonly transport: HttpTransport;
  /** https or http, from the URL. */
  readonly transportKind: BpcTransportKind;
  private readonly profile: BpcProfile;
  private readonly timeouts: BpcTimeouts;

  constructor(private readonly options: BpcClientOptions) {
    this.profile = { ...DEFAULT_BPC_PROFILE, ...options.profile };
    this.timeouts = { connectMs: 5000, responseMs: 15000, ...options.timeouts };
    let url: URL;
    try {
      url = new URL(options.merchant.url);
    } catch {
      throw new AppError('CONFIG_INVALID', `BPC URL is not a URL: ${options.merchant.url}`, { field: 'bpc.url' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AppError('CONFIG_INVALID', 'BPC URL must be http or https', { field: 'bpc.url' });
    }
    this.transportKind = url.protocol === 'https:' ? 'https' : 'http';
    this.transport =
      options.transport ??
      createHttpTransport({
        connectMs: this.timeouts.connectMs,
        responseMs: this.timeouts.responseMs,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      });
  }

  get merchant(): BpcMerchant {
    return this.options.merchant;
  }

  /** Whether this bank profile lets us close orders (S); when false, closeOrder throws NOT_CONFIGURED. */
  get closeEnabled(): boolean {
    return this.profile.closeEnabled;
  }

  /** F: create a dynamic QR. Fails fast with AMOUNT_* before anything is sent. */
  createQr(input: CreateQrInput): Promise<BpcResult> {
    assertFen(input.amountFen, BPC_MAX_FEN);
    const m = this.options.merchant;
    const body: BpcRequestBody = {
      tranType: 'F',
      posNo: m.posNo,
      mid: m.mid,
      txnAmt: formatAmount(input.amountFen, this.profile.createAmountFormat),
      tradeNo: input.tradeNo,
      qrValidTime: input.qrValidTime ?? '',
      payType: input.payType ?? '',
      tellerNo: input.tellerNo ?? m.tellerNo,
    };
    if (input.merOrderNo !== undefined && input.merOrderNo !== '') body.merOrderNo = input.merOrderNo;
    if (input.retUrl !== undefined && input.retUrl !== '') body.retUrl = input.retUrl;
    return this.send('F', body);
  }

  /**
   * G: payment result query for the sysTrace F returned. `expected` (the payment's amount and order
   * number) binds the answer: a paid answer naming another amount or order is unclear, not paid.
   */
  queryPayment(orgSysTrace: string, tellerNo?: string, expected?: BpcExpected): Promise<BpcResult> {
    return this.send('G', this.traceBody('G', orgSysTrace, tellerNo), expected);
  }

  /** R: refund part or all of a paid payment. The caller has already checked the cap in the ledger. */
  refund(input: RefundInput): Promise<BpcResult> {
    assertFen(input.amountFen, BPC_MAX_FEN);
    const m = this.options.merchant;
    const body: BpcRequestBody = {
      tranType: 'R',
      posNo: m.posNo,
      mid: m.mid,
      txnAmt: formatAmount(input.amountFen, this.profile.refundAmountFormat),
      orgSysTrace: input.orgSysTrace,
      tradeNo: input.tradeNo,
      tellerNo: input.tellerNo ?? m.tellerNo,
    };
    if (input.retUrl !== undefined && input.retUrl !== '') body.retUrl = input.retUrl;
    if (this.profile.sendOrgTxnTime && input.orgTxnTime !== undefined) body.orgTxnTime = input.orgTxnTime;
    return this.send('R', body);
  }

  /** J: refund result query for the sysTrace R returned; `expected` = the refund's amount and number. */
  queryRefund(orgSysTrace: string, tellerNo?: string, expected?: BpcExpected): Promise<BpcResult> {
    return this.send('J', this.traceBody('J', orgSysTrace, tellerNo), expected);
  }

  /** S: close an unpaid order ([guess] body, see BpcProfile.closeEnabled). */
  closeOrder(orgSysTrace: string, tellerNo?: string): Promise<BpcResult> {
    if (!this.profile.closeEnabled) {
      throw new AppError('NOT_CONFIGURED', 'closing orders (S) is disabled in this bank profile');
    }
    return this.send('S', this.traceBody('S', orgSysTrace, tellerNo));
  }

  /** Whether answers without a valid `sign` are refused (the profile's requireSignedResponses). */
  get requiresSignedAnswers(): boolean {
    return this.profile.requireSignedResponses;
  }

  /** Releases the keep-alive connections. */
  async destroy(): Promise<void> {
    await this.transport.close();
  }

  /** An answer that is not about our question becomes `transport_unknown`/`unbound` (query again) and is reported. */
  private bind(op: BpcTranType, body: BpcRequestBody, outcome: BpcOutcome, expected: BpcExpected | undefined): BpcOutcome {
    const failure = checkBinding(op, body, outcome, expected);
    if (failure === null) return outcome;
    const event: BpcSecurityEvent = { ...failure, reason: 'unbound' };
    if (body.orgSysTrace !== undefined) event.orgSysTrace = body.orgSysTrace;
    const tradeNo = body.tradeNo ?? expected?.tradeNo;
    if (tradeNo !== undefined) event.tradeNo = tradeNo;
    try {
      this.options.onSecurityEvent?.(event);
    } catch {
      // Reporting must never turn a refused answer into a thrown request.
    }
    return {
      kind: 'transport_unknown',
      reason: 'unbound',
      detail: `answer not bound to this ${op}: ${failure.field} is ${failure.received}, expected ${failure.expected}`,
      raw: outcome.raw,
    };
  }

  private traceBody(tranType: 'G' | 'J' | 'S', orgSysTrace: string, tellerNo?: string): BpcRequestBody {
    if (orgSysTrace === '') throw new AppError('BAD_INPUT', `${tranType} needs the original sysTrace`);
    const m = this.options.merchant;
    return { tranType, posNo: m.posNo, mid: m.mid, orgSysTrace, tellerNo: tellerNo ?? m.tellerNo };
  }

  private async send(op: BpcTranType, body: BpcRequestBody, expected?: BpcExpected): Promise<BpcResult> {
    const key = this.options.getKey();
    // Serialise once; the signature covers exactly these bytes, and exactly these bytes are sent.
    const requestText = JSON.stringify(body);
    const sign = signBpcBody(requestText, key);
    const startedAt = Date.now();
    let httpStatus: number | null = null;
    let responseText: string | null = null;
    const finish = (outcome: BpcOutcome): BpcResult => ({
      ...outcome,
      exchange: { op, requestText, startedAt, durationMs: Date.now() - startedAt, httpStatus, responseText, outcome: outcome.kind },
    });
    try {
      const res = await this.transport.send({
        url: this.options.merchant.url,
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8', sign },
        body: requestText,
      });
      httpStatus = res.status;
      responseText = res.body.toString('utf8');
      const outcome = classifyResponse(httpStatus, responseText, res.headers.sign, key, this.profile);
      return finish(this.bind(op, body, outcome, expected));
    } catch (error) {
      const { reason, detail } = transportReason(error);
      return finish({ kind: 'transport_unknown', reason, detail, raw: responseText, ...(httpStatus === null ? {} : { httpStatus }) });
    }
  }
}

/** Formats fen for txnAmt: `padded12` → "000000012850", `plain` → "12850". */
export function formatAmount(amountFen: Fen, format: 'padded12' | 'plain'): string {
  const text = String(amountFen);
  return format === 'padded12' ? text.padStart(12, '0') : text;
}

/**
 * Classifies one HTTP answer. Pure, so every code path is unit-tested without a network.
 * Anything we cannot trust (non-2xx, non-JSON, no respCode, bad signature) is `transport_unknown`.
 */
export function classifyResponse(
  httpStatus: number,
  text: string,
  signHeader: string | undefined,
  key: string,
  profile: Pick<BpcProfile, 'requireSignedResponses'>,
): BpcOutcome {
  if (httpStatus < 200 || httpStatus > 299) {
    return { kind: 'transport_unknown', reason: 'http_status', detail: `HTTP ${httpStatus}`, raw: text, httpStatus };
  }
  if (signHeader !== undefined && signHeader !== '') {
    if (!verifyBpcSign(text, key, signHeader)) {
      return { kind: 'transport_unknown', reason: 'bad_signature', detail: 'response signature does not verify', raw: text, httpStatus };
    }
  } else if (profile.requireSignedResponses) {
    return { kind: 'transport_unknown', reason: 'bad_signature', detail: 'response is not signed', raw: text, httpStatus };
  }
  const response = parseBpcResponse(text);
  if (response === 'not_json') return { kind: 'transport_unknown', reason: 'not_json', detail: 'response is not a JSON object', raw: text, httpStatus };
  if (response === 'missing_resp_code') {
    return { kind: 'transport_unknown', reason: 'missing_resp_code', detail: 'response has no respCode', raw: text, httpStatus };
  }
  switch (response.respCode) {
    case '00':
      return { kind: 'success', response, raw: text };
    case '77':
      return { kind: 'failed', response, raw: text };
    case '88':
      return { kind: 'waiting', response, raw: text };
    case '99':
      return { kind: 'unknown', response, raw: text };
    default:
      return { kind: 'rejected', response, raw: text };
  }
}

const KNOWN_FIELDS = new Set(['respCode', 'respMsg', 'mid', 'sysTrace', 'orgSysTrace', 'scanCode']);

/** Tolerant parse: known fields read as strings, everything else kept in `extra`. */
export function parseBpcResponse(text: string): BpcResponse | 'not_json' | 'missing_resp_code' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not_json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not_json';
  const obj = value as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = obj[k];
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const respCode = str('respCode');
  if (respCode === undefined || respCode === '') return 'missing_resp_code';
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!KNOWN_FIELDS.has(k)) extra[k] = v;
  const response: BpcResponse = { respCode, respMsg: str('respMsg') ?? '', extra };
  const mid = str('mid');
  const sysTrace = str('sysTrace');
  const orgSysTrace = str('orgSysTrace');
  const scanCode = str('scanCode');
  if (mid !== undefined) response.mid = mid;
  if (sysTrace !== undefined) response.sysTrace = sysTrace;
  if (orgSysTrace !== undefined) response.orgSysTrace = orgSysTrace;
  if (scanCode !== undefined) response.scanCode = scanCode;
  return response;
}

function transportReason(error: unknown): { reason: BpcTransportReason; detail: string } {
  const e = toTransportError(error);
  return { reason: e.reason, detail: e.message };
}
