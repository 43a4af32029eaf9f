/**
 * Yima (翼码 ipos-sa) wire shapes. Authority: the seed (`bcm_ordercreate_request`, interface 4.15);
 * everything not in the seed is tagged [doc] (a public page of the same platform) or [guess] in
 * ../../../../shared/protocols/yima.md and kept behind settings.
 */

/** The three operations the counter uses, plus the terminal binding ([guess] body after `bind_pos_request`). */
export type YimaRequestType = 'bcm_ordercreate_request' | 'bcm_resultquery_request' | 'bcm_orderquery_request' | 'bind_pos_request';

export const YIMA_RESPONSE_TYPE: Record<YimaRequestType, string> = {
  bcm_ordercreate_request: 'bcm_ordercreate_response',
  bcm_resultquery_request: 'bcm_resultquery_response',
  bcm_orderquery_request: 'bcm_orderquery_response',
  bind_pos_request: 'bind_pos_response',
};

/** Body format: JSON (signed, top-level `sign`) or GBK XML `business_trans` (no sign in the seed's sample). */
export type YimaFormat = 'json' | 'xml';
export const YIMA_FORMATS: readonly YimaFormat[] = ['json', 'xml'];

/**
 * How XML travels [guess]: `raw` POSTs the GBK XML bytes as the body; `form` POSTs
 * `xml=<GBK XML>&mac=md5(key + xml + key)` as a form, as Yima's older platforms do.
 */
export type YimaXmlTransport = 'raw' | 'form';
export const YIMA_XML_TRANSPORTS: readonly YimaXmlTransport[] = ['raw', 'form'];

/** A JSON value as it appears in a Yima body. */
export type YimaValue = string | number | boolean | null | YimaValue[] | { [key: string]: YimaValue };

/** A whole message: flat header fields, the business object keyed by the request type, optional `sign`. */
export type YimaMessage = Record<string, YimaValue>;

/** `result` of every answer. */
export interface YimaResult {
  id: string;
  comment: string;
}

/** A tolerant reading of one answer or notification; every unknown node is kept in `fields`. */
export interface YimaResponse {
  /** The body's own format (sniffed, not assumed). */
  format: YimaFormat;
  /** `form` when it came as `xml=&mac=`. */
  transport: YimaXmlTransport | 'json';
  /** `response_type`, or a mislabelled `request_type` when that is all the answer has. */
  responseType: string;
  isspid: string;
  posId: string;
  posSeq: string;
  sysSeq: string;
  transTime: string;
  result: YimaResult | null;
  /** Every field as parsed (nested nodes as objects); includes the known ones. */
  fields: Record<string, YimaValue>;
  /** `sign` (JSON) or `mac` (form) as received, or null. */
  signature: string | null;
  /** The decoded text of the message (for form: the XML inside). */
  text: string;
}

/** Card details of a paid result query (`bcm_res_info`, [doc]); the card number is masked 6/4 here. */
export interface YimaPaidInfo {
  orderId: string;
  mid: string;
  tid: string;
  batchNo: string;
  traceNo: string;
  refNo: string;
  cardNoMasked: string;
  /** The amount the platform reports, when it reports one (fen), else null. */
  amountFen: number | null;
}

export type YimaTransportReason =
  'timeout' | 'connect' | 'reset' | 'too_large' | 'http_status' | 'not_parseable' | 'missing_result' | 'bad_signature' | 'mismatch';

/**
 * How one request ended, classified once at the edge (the mapping table is in result-map.ts):
 * - `pushed`: create accepted (9998), poll the result · `paid` · `waiting` (poll again)
 * - `failed`: a final answer with another id (show `result.comment`)
 * - `transport_unknown`: timeout, reset, HTTP error, garbage, bad/missing signature when required, an
 *   answer not bound to our question — may or may not have taken effect: resolved by querying, never by
 *   pushing the order again.
 */
export type YimaOutcome =
  | { kind: 'pushed'; response: YimaResponse }
  | { kind: 'paid'; response: YimaResponse; paid: YimaPaidInfo }
  | { kind: 'waiting'; response: YimaResponse }
  | { kind: 'failed'; response: YimaResponse; result: YimaResult }
  | { kind: 'unknown'; response: YimaResponse }
  | { kind: 'transport_unknown'; reason: YimaTransportReason; detail: string };
