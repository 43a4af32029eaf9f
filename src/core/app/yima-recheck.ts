import { AppError } from '../../shared/errors';
import type { RecheckResult } from '../../shared/ipc/contract';
import type { Db } from '../ledger/db';
import { getPayment, toView } from '../ledger/payments';
import { requireRole, verifyPin } from '../operators/operators';
import type { PaymentEngine } from '../payments/engine';
import type { GatewayResult } from '../payments/port';

export interface RecheckDeps {
  db: Db;
  engine: PaymentEngine;
  now: () => number;
  /** The current mode: a sale of the other mode is not found, as everywhere at the desk. */
  mode: () => 'training' | 'live';
}

/** The sale (other than `id`) whose recorded Yima detail already carries this order_id, if any. */
function saleWithOrderId(db: Db, orderId: string, id: number): string | undefined {
  const row = db
    .prepare(
      "SELECT trade_no FROM payments WHERE gateway = 'yima' AND id <> ? AND json_valid(gateway_detail) AND json_extract(gateway_detail, '$.orderId') = ?",
    )
    .get(id, orderId) as { trade_no: string } | undefined;
  return row?.trade_no;
}

function verdictOf(result: GatewayResult): Pick<RecheckResult, 'verdict' | 'code' | 'detail'> {
  switch (result.kind) {
    case 'success':
      return { verdict: 'paid', code: result.answer.code, detail: result.answer.message };
    case 'waiting':
      return { verdict: 'not_paid', code: result.answer.code, detail: result.answer.message };
    case 'failed':
    case 'rejected':
    case 'unknown':
      return { verdict: 'not_found', code: result.answer.code, detail: result.answer.message };
    case 'transport_unknown':
      return { verdict: result.reason === 'mismatch' ? 'rejected' : 'unclear', code: '', detail: `${result.reason}: ${result.detail}` };
  }
}

/**
 * `payment:recheck`: a supervisor (code + PIN, bound to this sale and this order_id by the approval
 * nonce) asks Yima about a card sale left 状态未明 or abandoned, by Yima's order_id. The engine records
 * the answer as evidence and settles the sale only on a bound "paid". One terminal payment can settle
 * one sale only: an order_id already recorded on another sale, or being re-checked for one, is refused
 * before anything is sent.
 */
export function yimaRecheckHandler(deps: RecheckDeps) {
  // Order ids being asked about right now: a second re-check naming one waits for nothing — it is
  // refused, as it would be a moment later once the first has recorded the order_id on its sale.
  const asking = new Set<string>();
  return async ({ id, orderId, approval }: { id: number; orderId: string; approval: { code: string; pin: string } }): Promise<RecheckResult> => {
    const supervisor = await verifyPin(deps.db, approval.code, approval.pin, deps.now());
    requireRole(supervisor, 'supervisor');
    const payment = getPayment(deps.db, id);
    if (payment.mode !== deps.mode()) throw new AppError('NOT_FOUND', `payment ${id} belongs to ${payment.mode} mode`);
    if (payment.gateway !== 'yima') throw new AppError('INVALID_STATE', 'only a Yima card sale can be re-checked by its Yima order_id');
    const taken = saleWithOrderId(deps.db, orderId, id);
    if (taken !== undefined) throw new AppError('INVALID_STATE', `Yima order ${orderId} is already recorded on sale ${taken}`, { field: 'orderId' });
    if (asking.has(orderId))
      throw new AppError('INVALID_STATE', `Yima order ${orderId} is being re-checked right now; ask again once that answer is in`, { field: 'orderId' });
    asking.add(orderId);
    try {
      const { payment: after, result } = await deps.engine.recheckPayment(id, orderId, supervisor.code);
      const verdict = verdictOf(result);
      // The verdict says what happened to the sale, not only what Yima said: a "paid" the engine did not
      // take (the order_id was recorded on another sale while this question was on its way — one card
      // payment settles one sale) must not read as paid on the supervisor's screen.
      if (verdict.verdict === 'paid' && after.status !== 'paid') {
        const other = saleWithOrderId(deps.db, orderId, id);
        return {
          payment: toView(after),
          verdict: 'rejected',
          code: verdict.code,
          detail: `Yima reports order ${orderId} paid, but it is recorded on ${other === undefined ? 'another sale' : `sale ${other}`}: not taken for this one`,
        };
      }
      return { payment: toView(after), ...verdict };
    } finally {
      asking.delete(orderId);
    }
  };
}
