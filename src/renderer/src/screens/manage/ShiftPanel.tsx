import { useCallback, useEffect, useState } from 'react';
import type { SettlementReportData } from '../../../../shared/reports';
import { call, getBridge } from '../../bridge/client';
import { useT } from '../../i18n';
import { formatTime } from '../../lib/format';
import { useSessionStore } from '../../store/session-store';
import { todayIn, useManageErrorText, yuan } from './common';

/**
 * 交班 preview: today's numbers of the signed-in operator (`day:report` for that operator), to check
 * before pressing 交班 in the header. The handover itself (and its stored shift report) is done by
 * the header button; afterwards the counter is signed out.
 */
export function ShiftPanel({ timeZone }: { timeZone?: string }): React.JSX.Element | null {
  const t = useT();
  const errorText = useManageErrorText();
  const session = useSessionStore((s) => s.session);
  const code = session?.operator?.code ?? null;
  const [report, setReport] = useState<SettlementReportData | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (code === null) return;
    try {
      setReport((await call('day:report', { day: todayIn(timeZone), operator: code })).report);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [code, timeZone, errorText]);

  useEffect(() => {
    void load();
    const bridge = getBridge();
    const offs = [bridge.on('payment:updated', () => void load()), bridge.on('refund:updated', () => void load())];
    return () => offs.forEach((off) => off());
  }, [load]);

  if (session?.operator === null || session === null) return null;
  const op = session.operator;
  const tot = report?.totals;
  return (
    <aside className="panel shift-panel" data-testid="shift-panel">
      <h3>{t('manage.shift.title')}</h3>
      <p className="shift-who">
        {op.code} {op.name}
      </p>
      {session.shift !== null && <p className="hint">{t('manage.shift.since', { at: formatTime(session.shift.startedAt) })}</p>}
      {tot !== undefined && (
        <dl className="shift-numbers">
          <dt>{t('manage.report.paid')}</dt>
          <dd data-testid="shift-paid">
            {t('manage.report.count', { n: tot.paidCount })} · {yuan(tot.paidFen)}
          </dd>
          <dt>{t('manage.report.refunds')}</dt>
          <dd data-testid="shift-refund">
            {t('manage.report.count', { n: tot.refundCount })} · {yuan(tot.refundFen)}
          </dd>
          <dt>{t('manage.report.net')}</dt>
          <dd data-testid="shift-net">{yuan(tot.netFen)}</dd>
          <dt>{t('manage.report.unresolved')}</dt>
          <dd>{(report?.unresolved.payments.length ?? 0) + (report?.unresolved.refunds.length ?? 0)}</dd>
        </dl>
      )}
      <p className="hint">{t('manage.shift.scope')}</p>
      <p className="hint">{t('manage.shift.howTo')}</p>
      {error !== null && <p className="error">{error}</p>}
    </aside>
  );
}
