import type { z } from 'zod';
import type { ClosedDaySchema, LateSettlementsData, SettlementReportData } from '../../../../shared/reports';
import { useT, type MessageKey } from '../../i18n';
import { formatTime } from '../../lib/format';
import { yuan } from './common';
import { DrawerTable } from './DrawerTable';
import { HourlyChart } from './HourlyChart';

export type ClosedDay = z.output<typeof ClosedDaySchema>;

/**
 * One settlement report as the manager reads it: totals, per pay type, per operator, the hourly
 * chart and the unresolved items. The same component prints (the print stylesheet keeps only
 * `.print-report`).
 */
export function ReportView({
  report,
  closed,
  addendum = null,
  unresolvedActions,
}: {
  report: SettlementReportData;
  closed: ClosedDay | null;
  /** A closed day's items that settled after the close (the frozen report above stays as it was). */
  addendum?: LateSettlementsData | null;
  unresolvedActions?: React.ReactNode;
}): React.JSX.Element {
  const t = useT();
  const tot = report.totals;
  const closedInfo =
    closed === null ? report.closed : { at: closed.closedAt, by: closed.closedBy, overrideBy: closed.overrideBy, overrideReason: closed.overrideReason };
  const unresolvedCount = report.unresolved.payments.length + report.unresolved.refunds.length;
  return (
    <div className="report" data-testid="report" data-closed={closedInfo !== null}>
      <div className="report-title">
        <h2>
          {t('manage.report.title', { day: report.day ?? '' })}
          {report.mode === 'training' && <span className="tag tag-training">{t('app.training')}</span>}
        </h2>
        <span className="report-scope">
          {report.operator === null ? t('manage.report.allOperators') : t('manage.report.oneOperator', { code: report.operator })}
        </span>
      </div>

      {closedInfo !== null ? (
        <div className="closed-banner" data-testid="closed-info">
          <strong>{t('manage.report.closed')}</strong>
          <span>{t('manage.report.closedAt', { at: formatTime(closedInfo.at) })}</span>
          <span>{t('manage.report.closedBy', { by: closedInfo.by })}</span>
          {closedInfo.overrideBy !== null && (
            <span className="override" data-testid="closed-override">
              {t('manage.report.overrideBy', { by: closedInfo.overrideBy, reason: closedInfo.overrideReason ?? '' })}
            </span>
          )}
        </div>
      ) : (
        <div className="open-banner" data-testid="open-info">
          {t('manage.report.notClosed')}
        </div>
      )}

      <div className="cards">
        <div className="card">
          <span className="card-label">{t('manage.report.paid')}</span>
          <span className="card-value" data-testid="total-paid">
            {yuan(tot.paidFen)}
          </span>
          <span className="card-sub" data-testid="total-paid-count">
            {t('manage.report.count', { n: tot.paidCount })}
          </span>
        </div>
        <div className="card">
          <span className="card-label">{t('manage.report.refunds')}</span>
          <span className="card-value refund" data-testid="total-refund">
            {yuan(tot.refundFen)}
          </span>
          <span className="card-sub" data-testid="total-refund-count">
            {t('manage.report.count', { n: tot.refundCount })}
          </span>
        </div>
        <div className="card card-net">
          <span className="card-label">{t('manage.report.net')}</span>
          <span className="card-value" data-testid="total-net">
            {yuan(tot.netFen)}
          </span>
          <span className="card-sub">{t('manage.report.netHint')}</span>
        </div>
        <div className={`card ${unresolvedCount > 0 ? 'card-warn' : ''}`}>
          <span className="card-label">{t('manage.report.unresolved')}</span>
          <span className="card-value" data-testid="total-unresolved">
            {unresolvedCount}
          </span>
          <span className="card-sub">{unresolvedCount > 0 ? t('manage.report.unresolvedHint') : t('manage.report.allFinal')}</span>
        </div>
      </div>

      {report.supervisorSettled !== undefined && report.supervisorSettled.paidCount > 0 && (
        <p className="notice-inline" data-testid="supervisor-settled">
          {t('manage.report.supervisorSettled', { n: report.supervisorSettled.paidCount, amount: yuan(report.supervisorSettled.paidFen) })}
        </p>
      )}
      <h3>{t('manage.report.byPayType')}</h3>
      <BucketTable
        id="paytype"
        first={t('manage.report.payType')}
        rows={report.byPayType.map((p) => ({ key: p.payType, label: t(`manage.bucket.${p.payType}` as MessageKey), totals: p }))}
        total={{ label: t('manage.report.total'), totals: tot }}
      />

      {report.byGateway !== undefined && (
        <>
          <h3>{t('manage.report.byGateway')}</h3>
          <BucketTable
            id="gateway"
            first={t('manage.report.gateway')}
            rows={report.byGateway.map((g) => ({ key: g.gateway, label: t(`manage.gateway.${g.gateway}` as MessageKey), totals: g }))}
          />
        </>
      )}

      <h3>{t('manage.report.byOperator')}</h3>
      {report.byOperator.length === 0 ? (
        <p className="hint">{t('manage.report.noneYet')}</p>
      ) : (
        <table className="grid" data-testid="operator-table">
          <TotalsHead first={t('manage.report.operator')} />
          <tbody>
            {report.byOperator.map((o) => (
              <tr key={o.operator ?? '-'} data-testid={`operator-${o.operator ?? 'none'}`}>
                <th scope="row">{o.operator ?? t('manage.report.noOperator')}</th>
                <TotalsCells row={o} />
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {report.kind === 'day' && <DrawerTable drawers={report.drawers} />}

      <h3>{t('manage.report.hourly')}</h3>
      <HourlyChart hours={report.hourly} />

      <h3>
        {t('manage.report.unresolvedList')} <span className="count">({unresolvedCount})</span>
      </h3>
      {unresolvedActions}
      {unresolvedCount === 0 ? (
        <p className="hint" data-testid="unresolved-none">
          {t('manage.report.noUnresolved')}
        </p>
      ) : (
        <table className="grid" data-testid="unresolved-table">
          <thead>
            <tr>
              <th>{t('manage.report.kind')}</th>
              <th>{t('manage.report.time')}</th>
              <th className="num">{t('manage.report.amount')}</th>
              <th>{t('manage.report.status')}</th>
              <th>{t('manage.report.operator')}</th>
              <th>{t('manage.report.ref')}</th>
            </tr>
          </thead>
          <tbody>
            {report.unresolved.payments.map((p) => (
              <tr key={`p${p.id}`} data-testid="unresolved-payment">
                <td>{t('manage.report.kindPayment')}</td>
                <td>{formatTime(p.createdAt)}</td>
                <td className="num">{yuan(p.amountFen)}</td>
                <td>{t(`status.${p.status}` as MessageKey)}</td>
                <td>{p.operator ?? ''}</td>
                <td className="mono">{p.sysTrace ?? p.tradeNo}</td>
              </tr>
            ))}
            {report.unresolved.refunds.map((r) => (
              <tr key={`r${r.id}`} data-testid="unresolved-refund">
                <td>{t('manage.report.kindRefund')}</td>
                <td>{formatTime(r.createdAt)}</td>
                <td className="num">{yuan(r.amountFen)}</td>
                <td>{t(`manage.refundStatus.${r.status}` as MessageKey)}</td>
                <td>{r.operator ?? ''}</td>
                <td className="mono">{r.sysTrace ?? r.refundNo}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report.late !== undefined && report.late.items.length > 0 && (
        <section data-testid="late-settlements">
          <h3>{t('manage.report.late')}</h3>
          <p className="hint">{t('manage.report.lateHint')}</p>
          <LateTable late={report.late} testId="late" />
        </section>
      )}
      {addendum !== null && addendum.items.length > 0 && (
        <section className="addendum" data-testid="addendum">
          <h3>{t('manage.report.addendum')}</h3>
          <p className="hint">{t('manage.report.addendumHint')}</p>
          <LateTable late={addendum} testId="addendum" />
        </section>
      )}
      <p className="report-foot">{t('manage.report.footer', { zone: report.timeZone, payments: report.payments.length, refunds: report.refunds.length })}</p>
    </div>
  );
}

type TotalsRow = { paidCount: number; paidFen: number; refundCount: number; refundFen: number; netFen: number };

/** Totals by bucket (pay type, gateway): one row each (greyed when empty), an optional total row. */
function BucketTable({
  id,
  first,
  rows,
  total,
}: {
  id: string;
  first: string;
  rows: { key: string; label: string; totals: TotalsRow }[];
  total?: { label: string; totals: TotalsRow };
}): React.JSX.Element {
  return (
    <table className="grid" data-testid={`${id}-table`}>
      <TotalsHead first={first} />
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-testid={`${id}-${r.key}`} className={r.totals.paidCount + r.totals.refundCount === 0 ? 'zero' : ''}>
            <th scope="row">{r.label}</th>
            <TotalsCells row={r.totals} />
          </tr>
        ))}
      </tbody>
      {total !== undefined && (
        <tfoot>
          <tr data-testid={`${id}-total`}>
            <th scope="row">{total.label}</th>
            <TotalsCells row={total.totals} />
          </tr>
        </tfoot>
      )}
    </table>
  );
}

function TotalsHead({ first }: { first: string }): React.JSX.Element {
  const t = useT();
  return (
    <thead>
      <tr>
        <th>{first}</th>
        <th className="num">{t('manage.report.paidCount')}</th>
        <th className="num">{t('manage.report.paidAmount')}</th>
        <th className="num">{t('manage.report.refundCount')}</th>
        <th className="num">{t('manage.report.refundAmount')}</th>
        <th className="num">{t('manage.report.net')}</th>
      </tr>
    </thead>
  );
}

function TotalsCells({ row }: { row: TotalsRow }): React.JSX.Element {
  return (
    <>
      <td className="num" data-col="paidCount">
        {row.paidCount}
      </td>
      <td className="num" data-col="paidFen">
        {yuan(row.paidFen)}
      </td>
      <td className="num" data-col="refundCount">
        {row.refundCount}
      </td>
      <td className="num" data-col="refundFen">
        {yuan(row.refundFen)}
      </td>
      <td className="num" data-col="netFen">
        {yuan(row.netFen)}
      </td>
    </>
  );
}

/** Late settlements (or a closed day's addendum): each item, then the money they moved. */
function LateTable({ late, testId }: { late: LateSettlementsData; testId: string }): React.JSX.Element {
  const t = useT();
  return (
    <table className="grid" data-testid={`${testId}-table`}>
      <thead>
        <tr>
          <th>{t('manage.report.kind')}</th>
          <th>{t('manage.report.lateDay')}</th>
          <th>{t('manage.report.lateFinalAt')}</th>
          <th className="num">{t('manage.report.amount')}</th>
          <th>{t('manage.report.status')}</th>
          <th>{t('manage.report.lateSettledDay')}</th>
          <th>{t('manage.report.ref')}</th>
        </tr>
      </thead>
      <tbody>
        {late.items.map((i) => (
          <tr key={`${i.kind}${i.id}`} data-testid={`${testId}-item`}>
            <td>{i.kind === 'payment' ? t('manage.report.kindPayment') : t('manage.report.kindRefund')}</td>
            <td>{i.day}</td>
            <td>{formatTime(i.finalAt)}</td>
            <td className="num">{yuan(i.amountFen)}</td>
            <td>{i.kind === 'payment' ? t(`status.${i.status}` as MessageKey) : t(`manage.refundStatus.${i.status}` as MessageKey)}</td>
            <td>{i.settledDay}</td>
            <td className="mono">{i.sysTrace ?? i.orderNo}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr data-testid={`${testId}-total`}>
          <th scope="row" colSpan={3}>
            {t('manage.report.lateTotal', { paid: yuan(late.totals.paidFen), refunded: yuan(late.totals.refundFen) })}
          </th>
          <td className="num">{yuan(late.totals.netFen)}</td>
          <td colSpan={3} />
        </tr>
      </tfoot>
    </table>
  );
}
