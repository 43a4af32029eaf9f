import type { Handlers } from '../../../shared/ipc/types';
import { getPayment } from '../../ledger/payments';
import { getRefund } from '../../ledger/refunds';
import { findPayments, paymentDetail } from '../../reports/transactions';
import type { BackOfficeContext } from './context';

/** The refund desk: find the sale, see what is refundable, refund through the engine (supervisor's PIN). */
export function refundHandlers(
  ctx: BackOfficeContext,
): Pick<Handlers, 'refund:find' | 'refund:detail' | 'refund:create' | 'refund:requery' | 'refund:resolve'> {
  const { db, engine, state } = ctx.deps;
  return {
    'refund:find': ({ code, day, amountFen }) =>
      findPayments(db, {
        mode: state.mode(),
        ...(code === undefined ? {} : { code }),
        ...(day === undefined ? {} : { day }),
        ...(amountFen === undefined ? {} : { amountFen }),
      }),
    'refund:detail': ({ paymentId }) => {
      const detail = paymentDetail(db, paymentId);
      state.requireOwnMode(detail.payment.mode, `payment ${paymentId}`);
      return detail;
    },
    'refund:create': async ({ paymentId, amountFen, reason, approval }) => {
      // Training and live share the ledger: a refund in one mode never reaches a sale of the other (in
      // training the published training PINs are valid — they must not refund a live sale).
      state.requireOwnMode(getPayment(db, paymentId).mode, `payment ${paymentId}`);
      const supervisor = await ctx.approve(approval, 'supervisor');
      // After 日结 the refund is booked on the next open business day (the engine dates it).
      return engine.createRefund({ paymentId, amountFen, reason, operator: ctx.actor() ?? supervisor.code, approvedBy: supervisor.code });
    },
    'refund:requery': ({ id }) => engine.requeryRefund(id),
    'refund:resolve': async ({ id, outcome, reason, approval }) => {
      state.requireOwnMode(getRefund(db, id).mode, `refund ${id}`);
      const supervisor = await ctx.approve(approval, 'supervisor');
      return engine.resolveRefund(id, outcome, reason, supervisor.code);
    },
  };
}
