import { AppError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/ipc/types';
import { bookingDay, calendarBusinessDay } from '../../reports/business-day';
import { buildDayReport, closeDay, dayAddendum, getClosedDay, listDayRefunds, recordLateSettlements } from '../../reports/day-report';
import { dayReportCsv, dayReportXlsx } from '../../reports/export';
import { processTimeZone } from '../../reports/time';
import { listTransactions } from '../../reports/transactions';
import type { BackOfficeContext } from './context';

/** Transactions and the end of day: lists, the day report, 日结 (manager), exports. */
export function dayHandlers(
  ctx: BackOfficeContext,
): Pick<Handlers, 'ledger:list' | 'ledger:refunds' | 'ledger:requeryOpen' | 'day:report' | 'day:current' | 'day:close' | 'day:export'> {
  const { db, now, state } = ctx.deps;
  return {
    'ledger:list': ({ day, status, payType, tender, operator, search, cursor, limit }) =>
      listTransactions(db, {
        mode: state.mode(),
        day,
        ...(status === undefined || status.length === 0 ? {} : { status }),
        ...(payType === undefined ? {} : { payType }),
        ...(tender === undefined ? {} : { tender }),
        ...(operator === undefined || operator === '' ? {} : { operator }),
        ...(search === undefined || search === '' ? {} : { search }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: limit ?? 50,
      }),
    'ledger:refunds': ({ day }) => listDayRefunds(db, state.mode(), day),
    'ledger:requeryOpen': async ({ day }) => ctx.requeryOpen(day),

    'day:report': ({ day, operator }) => {
      const mode = state.mode();
      const closed = getClosedDay(db, mode, day);
      // The frozen report covers everyone; one operator's view of a closed day is built from the rows.
      const report =
        (operator === undefined ? closed?.report : undefined) ??
        buildDayReport(db, { mode, day, ...(operator === undefined ? {} : { operator }), ...ctx.tzOpt() });
      if (closed !== null) recordLateSettlements(db, { mode, day, ...ctx.tzOpt() }, now());
      const addendum = closed === null ? null : dayAddendum(db, { mode, day, ...ctx.tzOpt() });
      return { report, closed, addendum };
    },
    'day:current': () => {
      const settings = state.config().businessDay;
      const at = now();
      return {
        day: bookingDay(db, state.mode(), at, settings),
        calendarDay: calendarBusinessDay(at, settings),
        timeZone: ctx.zone() ?? processTimeZone(),
        startHour: settings.startHour,
      };
    },
    'day:close': async ({ day, manager, override }) => {
      const closer = await ctx.approve(manager, 'manager');
      const current = calendarBusinessDay(now(), state.config().businessDay);
      // Closing ahead of time would silently move today's sales to a later day.
      if (day > current) throw new AppError('BAD_INPUT', `${day} has not begun yet (the business day now is ${current})`, { field: 'day' });
      const overrider = override === undefined ? undefined : await ctx.approve(override.approval, 'supervisor');
      // "Close the day" first asks the gateway about everything still open, then freezes.
      await ctx.requeryOpen(day);
      const closed = closeDay(
        db,
        {
          mode: state.mode(),
          day,
          by: closer.code,
          ...(overrider === undefined || override === undefined ? {} : { override: { by: overrider.code, reason: override.reason } }),
          ...ctx.tzOpt(),
        },
        now(),
      );
      // The frozen day goes into a backup right away (a failed copy is logged, the close stands).
      await ctx.deps.backup?.('day-close');
      return closed;
    },
    'day:export': async ({ day, format, lang }) => {
      const mode = state.mode();
      const opts = lang === undefined ? {} : { lang };
      const closed = getClosedDay(db, mode, day);
      const report = closed?.report ?? buildDayReport(db, { mode, day, ...ctx.tzOpt() });
      const base = `day-report-${day}${mode === 'training' ? '-training' : ''}${closed === null ? '-draft' : ''}`;
      if (format === 'csv')
        return { fileName: `${base}.csv`, mime: 'text/csv;charset=utf-8', base64: Buffer.from(dayReportCsv(report, opts), 'utf8').toString('base64') };
      return {
        fileName: `${base}.xlsx`,
        mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        base64: (await dayReportXlsx(report, opts)).toString('base64'),
      };
    },
  };
}
