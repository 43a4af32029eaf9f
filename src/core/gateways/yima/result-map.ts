import type { YimaOutcome, YimaPaidInfo, YimaResponse, YimaValue } from './wire';

/**
 * THE result mapping, in one table. Only "9998 on create = pushed, poll" is in the seed; the rest is a
 * [guess] from sibling interfaces (yima.md): which result-query field means "paid" is not in our material.
 *
 * | operation            | result.id                | outcome                                              |
 * |----------------------|--------------------------|------------------------------------------------------|
 * | create               | 9998                     | pushed → poll the result query            [seed]     |
 * | create               | 0000                     | pushed → poll (an answer about the push, not a payment) [guess] |
 * | create               | QUERY_NOT_ABOUT_PAYMENT  | unknown → poll (we cannot tell whether it was pushed)   |
 * | create               | any other                | failed: not pushed, show result.comment              |
 * | result query         | 0000 + bcm_res_info      | paid (keep order_id, mid, tid, batch/trace/ref no, card masked) |
 * | result query         | 0000 without bcm_res_info| unknown → keep querying                              |
 * | result query         | 9998                     | waiting → keep querying                              |
 * | result query         | QUERY_NOT_ABOUT_PAYMENT  | unknown → keep querying (the query failed, not the payment) |
 * | result / order query | QUERY_REQUEST_REFUSED    | unknown → keep querying (our poll was refused, not the card) [guess] |
 * | result query         | any other                | failed (declined), show result.comment               |
 * | order query          | 0000 + status_trans 1    | paid                                         [doc]   |
 * | order query          | 0000, other status_trans | waiting (the supervisor decides)                     |
 * | any                  | transport trouble        | transport_unknown → keep querying, never re-push     |
 */
export const YIMA_RESULT_IDS = { success: '0000', waiting: '9998' } as const;

/**
 * Answers that are about our request rather than about the payment [doc, sister platform]: 6100 sign/MAC
 * check failed, 6103 caller IP not authorised, 9999 system busy. On a query they do not mean "declined".
 * On a create they do not prove the order was not pushed either, so the sale is resolved by querying.
 * 7001 订单不存在 [guess, as our simulator answers]: an order the query cannot see may still be on the
 * card POS (pushed, answer lost, or the platform's index behind), so it is not taken as declined either:
 * the sale keeps being queried and shows 状态未明 for a supervisor after the give-up time.
 */
export const QUERY_NOT_ABOUT_PAYMENT: ReadonlySet<string> = new Set(['6100', '6103', '9999', '7001']);

/**
 * Refusals of the request itself [guess, the ids our simulator answers]: 4000 报文格式错误, 4001 商户号不存在,
 * 4002 pos_seq 重复 (a serial Yima saw before, e.g. after a ledger restore). On a create they mean the
 * order was not pushed (a failure); on a query they say nothing about the card payment, which may be
 * made — taken as "declined" they ended a paid sale failed. So a query keeps asking (状态未明 after the
 * give-up time, for the supervisor).
 */
export const QUERY_REQUEST_REFUSED: ReadonlySet<string> = new Set(['4000', '4001', '4002']);

const notAboutPayment = (id: string): boolean => QUERY_NOT_ABOUT_PAYMENT.has(id) || QUERY_REQUEST_REFUSED.has(id);

export type YimaOperation = 'create' | 'resultquery' | 'orderquery' | 'bind';

const str = (v: YimaValue | undefined): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** First 6 and last 4 digits kept, the rest starred; already-masked numbers keep their stars. */
export function maskCardNo(cardNo: string): string {
  const t = cardNo.replace(/\s+/g, '');
  if (t.length <= 10) return t.length <= 4 ? '*'.repeat(t.length) : `${'*'.repeat(t.length - 4)}${t.slice(-4)}`;
  return `${t.slice(0, 6)}${'*'.repeat(t.length - 10)}${t.slice(-4)}`;
}

function object(v: YimaValue | undefined): Record<string, YimaValue> | null {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : null;
}

/**
 * An amount the platform reports in `bcm_res_info` (field name unknown [guess]: tx_amt / trade_amount /
 * amount). One given twice (an XML answer's repeated element), not as digits, or differently under two
 * names is NaN — never equal to a sale — rather than "not reported", which would leave the answer unbound.
 */
function reportedAmount(info: Record<string, YimaValue>): number | null {
  const given = ['tx_amt', 'trade_amount', 'amount'].map((k) => info[k]).filter((v) => v !== undefined && v !== null && v !== '');
  if (given.length === 0) return null;
  const amounts = new Set(given.map((v) => (/^[0-9]{1,12}$/.test(str(v)) ? Number(str(v)) : Number.NaN)));
  const [only] = amounts;
  return amounts.size === 1 && only !== undefined ? only : Number.NaN;
}

export function paidInfo(info: Record<string, YimaValue>): YimaPaidInfo {
  return {
    orderId: str(info.order_id),
    mid: str(info.mid),
    tid: str(info.tid),
    batchNo: str(info.batch_no),
    traceNo: str(info.trace_no),
    refNo: str(info.ref_no),
    cardNoMasked: maskCardNo(str(info.card_no)),
    amountFen: reportedAmount(info),
  };
}

/** Maps a parsed, already-bound answer to an outcome per the table above. */
export function mapResult(op: YimaOperation, response: YimaResponse): YimaOutcome {
  const result = response.result;
  if (result === null) return { kind: 'transport_unknown', reason: 'missing_result', detail: 'answer has no result.id' };
  const id = result.id;
  if (op === 'create' || op === 'bind') {
    if (id === YIMA_RESULT_IDS.waiting || id === YIMA_RESULT_IDS.success) return { kind: 'pushed', response };
    if (QUERY_NOT_ABOUT_PAYMENT.has(id)) return { kind: 'unknown', response };
    return { kind: 'failed', response, result };
  }
  if (op === 'orderquery') {
    if (id !== YIMA_RESULT_IDS.success) return notAboutPayment(id) ? { kind: 'unknown', response } : { kind: 'failed', response, result };
    if (str(response.fields.status_trans) === '1') {
      const f = response.fields;
      return { kind: 'paid', response, paid: { ...paidInfo(f), amountFen: /^[0-9]{1,12}$/.test(str(f.trade_amount)) ? Number(str(f.trade_amount)) : null } };
    }
    return { kind: 'waiting', response };
  }
  if (id === YIMA_RESULT_IDS.success) {
    const info = object(response.fields.bcm_res_info);
    return info === null ? { kind: 'unknown', response } : { kind: 'paid', response, paid: paidInfo(info) };
  }
  if (id === YIMA_RESULT_IDS.waiting) return { kind: 'waiting', response };
  if (notAboutPayment(id)) return { kind: 'unknown', response };
  return { kind: 'failed', response, result };
}
