import { AppError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/ipc/types';
import { YIMA_GATEWAY_ID } from '../../gateways/yima/adapter';
import type { Db } from '../../ledger/db';
import { getPayment, latestPayment, toView } from '../../ledger/payments';
import { requireRole, verifyPin } from '../../operators/operators';
import type { CardSales } from '../../payments/card-sales';
import type { CashDesk } from '../../payments/cash';
import type { PaymentEngine } from '../../payments/engine';
import type { CounterState } from '../state';
import type { Training } from '../training';

export interface PaymentHandlerDeps {
  db: Db;
  state: CounterState;
  now: () => number;
  engine: PaymentEngine;
  cardSales: CardSales;
  cash: CashDesk;
  training: Training;
  /** The signed-in operator's code (PIN_REQUIRED when nobody is signed in). */
  operatorCode: () => string;
  /** The signed-in operator's code, if any. */
  actor: () => string | null;
}

/**
 * The checkout's money channels. Which rail a sale takes is decided here once — cash (the cash desk),
 * card (Yima or the serial terminal, by the card route setting) or QR (BPC) — and every rail but cash
 * goes through the one engine.
 */
export function paymentHandlers(
  deps: PaymentHandlerDeps,
): Pick<Handlers, 'payment:create' | 'payment:cancel' | 'payment:get' | 'payment:current' | 'payment:requery' | 'payment:resolve'> {
  const { db, state, now, engine, training } = deps;
  return {
    'payment:create': async ({ tender, ...input }) => {
      const operator = deps.operatorCode();
      if (tender === 'cash') return toView(deps.cash.sale({ ...input, tenderedFen: input.tenderedFen ?? 0, operator }));
      if (tender === 'card' && (state.yima()?.cardRoute ?? 'terminal') === 'yima') {
        training.scriptYima();
        return toView(await engine.createPayment({ ...input, operator, gateway: YIMA_GATEWAY_ID }));
      }
      if (tender === 'card') {
        training.scriptCard();
        return toView(deps.cardSales.create({ ...input, operator }));
      }
      // The configured default pay type applies when the cashier did not pick one.
      const defaultPayType = state.config().qr.defaultPayType;
      const payType = input.payType ?? (defaultPayType === '' ? undefined : defaultPayType);
      return toView(await engine.createPayment({ ...input, payType, operator }));
    },
    'payment:cancel': async ({ id }) => {
      state.requireOwnMode(getPayment(db, id).mode, `payment ${id}`);
      return toView(await engine.cancelPayment(id, deps.actor()));
    },
    'payment:get': ({ id }) => toView(getPayment(db, id)),
    'payment:current': () => {
      const latest = latestPayment(db, state.mode());
      return { payment: latest === undefined ? null : toView(latest), now: now() };
    },
    'payment:requery': async ({ id }) => toView(await engine.requeryPayment(id)),
    'payment:resolve': async ({ id, outcome, reason, payType, supervisor }) => {
      // In training the published training PINs are valid: they must not settle a live sale.
      state.requireOwnMode(getPayment(db, id).mode, `payment ${id}`);
      const op = await verifyPin(db, supervisor.code, supervisor.pin, now());
      requireRole(op, 'supervisor');
      // A QR sale settled as paid by hand: the supervisor says which wallet it was (else it lands in 其他).
      const known = getPayment(db, id);
      const wallet = payType ?? (known.payType === 'ZFBA' || known.payType === 'WEIX' || known.payType === 'UPAY' ? known.payType : undefined);
      if (outcome === 'paid' && known.tender === 'qr' && wallet === undefined) {
        throw new AppError('BAD_INPUT', 'choose how the customer paid (Alipay, WeChat Pay or UnionPay)', { field: 'payType' });
      }
      return toView(engine.resolvePayment(id, outcome, reason, op.code, outcome === 'paid' && known.tender === 'qr' ? wallet : undefined));
    },
  };
}
