import { AppError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/ipc/types';
import { appendEvent } from '../../ledger/events';
import { verifyPin } from '../../operators/operators';
import { endShift, listHandovers, setShiftFloat, startShift } from '../../operators/shifts';
import { calendarBusinessDay } from '../../reports/business-day';
import type { BackOfficeContext } from './context';

/** Sign-in and sign-out at the counter, the shift it opens (with its float) and 交班. */
export function sessionHandlers(
  ctx: BackOfficeContext,
): Pick<Handlers, 'session:current' | 'session:signIn' | 'session:signOut' | 'shift:handover' | 'shift:list'> {
  const { deps, session } = ctx;
  const { db, now, state } = deps;
  return {
    'session:current': () => ctx.sessionView(),
    'session:signIn': async ({ code, pin, floatFen }) => {
      const op = await verifyPin(db, code, pin, now());
      session.operator = op;
      const at = now();
      const shift = startShift(db, op.code, state.mode(), at);
      session.shiftId = shift.id;
      // The opening float: set when this sign-in starts the shift (typed, else the default), or typed again later.
      if (floatFen !== undefined || (shift.floatFen === null && shift.startedAt === at)) {
        setShiftFloat(db, shift.id, floatFen ?? state.config().shop.defaultFloatFen, op.code, at);
      }
      appendEvent(db, { at: now(), entity: 'operator', entityId: op.id, type: 'signed_in', actor: op.code });
      return ctx.changed();
    },
    'session:signOut': () => {
      if (session.operator !== null)
        appendEvent(db, { at: now(), entity: 'operator', entityId: session.operator.id, type: 'signed_out', actor: session.operator.code });
      session.operator = null;
      session.shiftId = null;
      return ctx.changed();
    },
    'shift:handover': (input) => {
      if (session.operator === null || session.shiftId === null) throw new AppError('PIN_REQUIRED', 'sign in first');
      const zoneNow = ctx.zone();
      const count =
        input === undefined || (input.countedFen === undefined && input.denominations === undefined && input.coinsFen === undefined) ? undefined : input;
      const shift = endShift(db, session.shiftId, now(), { ...(zoneNow === undefined ? {} : { timeZone: zoneNow }), count });
      session.operator = null;
      session.shiftId = null;
      return { shift, session: ctx.changed() };
    },
    'shift:list': ({ day, operator }) =>
      listHandovers(db, {
        mode: state.mode(),
        day,
        ...(operator === undefined || operator === '' ? {} : { operator }),
        dayOf: (ms) => calendarBusinessDay(ms, state.config().businessDay),
      }),
  };
}
