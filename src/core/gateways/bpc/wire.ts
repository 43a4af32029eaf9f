/**
 * BPC wire messages as the seed defines them. Every value on the wire is a string. Field names are the
 * seed's lowercase spelling (revision 1.7). Unknown response fields are kept (`extra`) and the raw
 * body text is always stored by the caller.
 */

/** F create QR · G payment query · R refund · J refund query · S close order ([guess] body). */
export type BpcTranType = 'F' | 'G' | 'R' | 'J' | 'S';

export type BpcPayType = 'ZFBA' | 'WEIX' | 'UPAY';

export const BPC_RESP = {
  success: '00',
  failed: '77',
  waiting: '88',
  unknown: '99',
} as const;

/** A request body: string values only, in the order they are serialised. */
export type BpcRequestBody = Record<string, string>;

export interface BpcResponse {
  respCode: string;
  respMsg: string;
  mid?: string;
  sysTrace?: string;
  orgSysTrace?: string;
  scanCode?: string;
  /** Every other field the bank sent, as received. */
  extra: Record<string, unknown>;
}

/**
 * How one request ended, classified once at the edge:
 * - `success` 00 · `failed` 77 (final, stop querying) · `waiting` 88 (query again)
 * - `unknown` 99 (query again; never a failure)
 * - `rejected` any other code (final failure, show respMsg)
 * - `transport_unknown`: timeout, reset, HTTP error, non-JSON, missing respCode, bad signature when
 *   required, an answer not bound to our question (`unbound`) — the request may or may not have taken effect, so it is resolved by querying, never by
 *   sending it again.
 */
export type BpcOutcome =
  | { kind: 'success'; response: BpcResponse; raw: string }
  | { kind: 'failed'; response: BpcResponse; raw: string }
  | { kind: 'waiting'; response: BpcResponse; raw: string }
  | { kind: 'unknown'; response: BpcResponse; raw: string }
  | { kind: 'rejected'; response: BpcResponse; raw: string }
  | { kind: 'transport_unknown'; reason: BpcTransportReason; detail: string; raw: string | null; httpStatus?: number };

/** `unbound`: a well-formed (even validly signed) answer that is not about our question — another merchant's `mid`,
 * another order's trace, amount or number (issue 8.6). It is unclear, never success: the engine queries again. */
export type BpcTransportReason =
  'timeout' | 'connect' | 'tls' | 'reset' | 'too_large' | 'http_status' | 'not_json' | 'missing_resp_code' | 'bad_signature' | 'unbound';

/** The payment-result notification (seed §3.2.5), tolerant: every field optional, unknown fields kept. */
export interface BpcNotification {
  orgSysTrace?: string;
  oldQrOrderNo?: string;
  oldPayType?: string;
  oldRespCode?: string;
  oldRespMsg?: string;
  respCode?: string;
  respMsg?: string;
  extra: Record<string, unknown>;
}
