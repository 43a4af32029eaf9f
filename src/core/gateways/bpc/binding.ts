import type { BpcOutcome, BpcRequestBody, BpcTranType } from './wire';

/**
 * What an answer must agree with besides what the request itself carries: for G/J the order the
 * query is about (its amount and order number, which the query does not send).
 */
export interface BpcExpected {
  amountFen?: number;
  tradeNo?: string;
}

/** Why an answer was not taken as the answer to our question (stored in the security event). */
export interface BpcBindingFailure {
  op: BpcTranType;
  field: 'mid' | 'orgSysTrace' | 'txnAmt' | 'tradeNo';
  expected: string;
  received: string;
}

/**
 * Checks that an answer is bound to the question that was asked (issue 8.6): a signed answer copied
 * from another order, or another merchant's, verifies its signature but is not our answer.
 * - `mid` must equal ours; a success without any `mid` is not bound either (the seed marks it M);
 * - G / J / S: `orgSysTrace`, when present, must equal the trace asked about;
 * - R: `orgSysTrace`, when present, must equal the payment's trace;
 * - an amount (`txnAmt`), when present, must equal ours (F/R: the request's, G/J: `expected`);
 * - an order number (`tradeNo`), when present, must equal ours.
 * Returns null when the answer is bound, else the first mismatch. Pure; no secret is ever in the result.
 */
export function checkBinding(op: BpcTranType, request: BpcRequestBody, outcome: BpcOutcome, expected: BpcExpected = {}): BpcBindingFailure | null {
  if (outcome.kind === 'transport_unknown') return null;
  const r = outcome.response;
  const fail = (field: BpcBindingFailure['field'], want: string, got: string): BpcBindingFailure => ({ op, field, expected: want, received: got.slice(0, 64) });
  const ours = request.mid ?? '';
  if (r.mid !== undefined ? r.mid !== ours : outcome.kind === 'success') return fail('mid', ours, r.mid ?? '(missing)');
  const askedTrace = request.orgSysTrace;
  if (askedTrace !== undefined && r.orgSysTrace !== undefined && r.orgSysTrace !== askedTrace) return fail('orgSysTrace', askedTrace, r.orgSysTrace);
  const wantAmount = request.txnAmt !== undefined ? parseFen(request.txnAmt) : expected.amountFen;
  const gotAmount = text(r.extra.txnAmt);
  if (wantAmount !== undefined && wantAmount !== null && gotAmount !== '') {
    if (parseFen(gotAmount) !== wantAmount) return fail('txnAmt', String(wantAmount), gotAmount);
  }
  const wantTradeNo = request.tradeNo ?? expected.tradeNo;
  const gotTradeNo = text(r.extra.tradeNo);
  if (wantTradeNo !== undefined && gotTradeNo !== '' && gotTradeNo !== wantTradeNo) return fail('tradeNo', wantTradeNo, gotTradeNo);
  return null;
}

/** A field as text: strings and numbers as they are, absent/null as '', anything else as its JSON. */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** "000000012850" or "12850" → 12850; anything but digits → null. */
function parseFen(text: string): number | null {
  if (!/^\d{1,15}$/.test(text)) return null;
  return Number(text);
}
