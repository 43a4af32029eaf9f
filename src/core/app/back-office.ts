/**
 * Handlers for everything after checkout: sign-in and shifts, the refund desk, transactions, end-of-day
 * reconciliation, operators, settings and devices — one module per domain under `handlers/`, sharing
 * the session and the approval rule built here. Every money action and every change records who did
 * it; sensitive ones need a supervisor's (or manager's) PIN typed on the spot.
 */
import type { SessionData } from '../../shared/reports';
import type { AppMode } from '../../shared/ipc/contract';
import { getShift } from '../operators/shifts';
import { operatorsWithDefaultPin, requireRole, verifyPin, type OperatorView, type Role } from '../operators/operators';
import { isDayClosed, recordLateSettlements } from '../reports/day-report';
import { listOpenItems } from '../reports/transactions';
import { settingsTimeZone } from '../reports/business-day';
import type { BackOfficeContext, BackOfficeDeps, Session } from './handlers/context';
import { sessionHandlers } from './handlers/session';
import { refundHandlers } from './handlers/refunds';
import { dayHandlers } from './handlers/day';
import { operatorHandlers } from './handlers/operators';
import { settingsHandlers, settingsView } from './handlers/settings';
import { deviceHandlers } from './handlers/devices';

export type { BackOfficeDeps, Session } from './handlers/context';
export { approverRoleFor } from './handlers/operators';

type BackOfficeHandlers = ReturnType<typeof sessionHandlers> &
  ReturnType<typeof refundHandlers> &
  ReturnType<typeof dayHandlers> &
  ReturnType<typeof operatorHandlers> &
  ReturnType<typeof settingsHandlers> &
  ReturnType<typeof deviceHandlers>;

export function createBackOffice(deps: BackOfficeDeps): {
  handlers: BackOfficeHandlers;
  session: Session;
  refreshDefaultPins: () => Promise<void>;
} {
  const { db, engine, state, now } = deps;
  const session: Session = { operator: null, shiftId: null };

  const sessionView = (): SessionData => ({
    operator: session.operator,
    shift: session.shiftId === null ? null : getShift(db, session.shiftId),
    defaultPins: [...state.defaultPins],
  });
  const zone = (): string | undefined => settingsTimeZone(state.config().businessDay) ?? deps.timeZone;
  const ctx: BackOfficeContext = {
    deps,
    session,
    approve: async (approval: { code: string; pin: string }, role: Role): Promise<OperatorView> => {
      const op = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(op, role);
      return op;
    },
    zone,
    tzOpt: () => {
      const z = zone();
      const startHour = state.config().businessDay.startHour;
      return z === undefined ? { startHour } : { timeZone: z, startHour };
    },
    actor: () => session.operator?.code ?? null,
    sessionView,
    changed: () => {
      const view = sessionView();
      deps.bus.emit('session:changed', view);
      return view;
    },
    refreshDefaultPins: async () => {
      state.setDefaultPins(await operatorsWithDefaultPin(db));
    },
    settingsView: () => settingsView({ deps }),
    requeryOpen: async (day) => {
      const open = listOpenItems(db, { mode: state.mode(), ...(day === undefined ? {} : { day }) });
      await Promise.allSettled([...open.payments.map((p) => engine.requeryPayment(p.id)), ...open.refunds.map((r) => engine.requeryRefund(r.id))]);
      return { payments: open.payments.length, refunds: open.refunds.length };
    },
  };

  // Anything that becomes final after its day was closed is recorded as that day's addendum.
  const lateCheck = (item: { mode: AppMode; businessDay: string; status: string }): void => {
    if (!['paid', 'failed', 'closed', 'succeeded'].includes(item.status)) return;
    try {
      if (isDayClosed(db, item.mode, item.businessDay)) recordLateSettlements(db, { mode: item.mode, day: item.businessDay, ...ctx.tzOpt() }, now());
    } catch {
      // Recorded again the next time the day's report is opened.
    }
  };
  deps.bus.on('payment:updated', lateCheck);
  deps.bus.on('refund:updated', lateCheck);

  const handlers: BackOfficeHandlers = {
    ...sessionHandlers(ctx),
    ...refundHandlers(ctx),
    ...dayHandlers(ctx),
    ...operatorHandlers(ctx),
    ...settingsHandlers(ctx),
    ...deviceHandlers(ctx),
  };
  return { handlers, session, refreshDefaultPins: ctx.refreshDefaultPins };
}
