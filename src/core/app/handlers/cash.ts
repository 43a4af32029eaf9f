import type { Handlers } from '../../../shared/ipc/types';
import type { Db } from '../../ledger/db';
import { getPayment } from '../../ledger/payments';
import { requireRole, verifyPin } from '../../operators/operators';
import type { CashDesk } from '../../payments/cash';
import type { CounterState } from '../state';

/** Refunds recorded at the desk (cash paid back, card refunds done on the terminal) and the no-sale drawer open. */
export function cashHandlers(deps: {
  db: Db;
  state: CounterState;
  now: () => number;
  cash: CashDesk;
  actor: () => string | null;
}): Pick<Handlers, 'refund:record' | 'drawer:open'> {
  const { db, now, cash } = deps;
  return {
    'refund:record': async ({ paymentId, amountFen, reason, reference, approval }) => {
      const supervisor = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(supervisor, 'supervisor');
      const payment = getPayment(db, paymentId);
      deps.state.requireOwnMode(payment.mode, `payment ${paymentId}`);
      return cash.refund({ paymentId, amountFen, reason, reference, operator: deps.actor() ?? supervisor.code, approvedBy: supervisor.code });
    },
    'drawer:open': async ({ reason, approval }) => {
      const supervisor = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(supervisor, 'supervisor');
      await cash.noSale({ operator: deps.actor(), approvedBy: supervisor.code, reason });
      return { opened: true };
    },
  };
}
