import type { ShiftDrawerData } from '../../../../shared/reports';
import { useT } from '../../i18n';
import { formatTime } from '../../lib/format';
import { yuan } from './common';

/**
 * The day's cash drawers, shift by shift: float, cash sales and refunds, expected vs counted and the
 * difference (short in red). A shift that took cash and was not counted says so. Nothing when no shift
 * handled cash (or the report was frozen before drawers were reported).
 */
export function DrawerTable({ drawers }: { drawers: ShiftDrawerData[] | undefined }): React.JSX.Element | null {
  const t = useT();
  if (drawers === undefined || drawers.length === 0) return null;
  const sum = (pick: (d: ShiftDrawerData) => number | null): number => drawers.reduce((acc, d) => acc + (pick(d) ?? 0), 0);
  const difference = (fen: number): string =>
    fen === 0 ? t('manage.drawers.even') : t(fen < 0 ? 'manage.drawers.short' : 'manage.drawers.over', { amount: yuan(Math.abs(fen)) });
  const verdict = (d: ShiftDrawerData): string =>
    d.differenceFen === null ? t(d.endedAt === null ? 'manage.drawers.open' : 'manage.drawers.notCounted') : difference(d.differenceFen);
  return (
    <>
      <h3>{t('manage.drawers.title')}</h3>
      <table className="grid" data-testid="drawers-table">
        <thead>
          <tr>
            <th>{t('manage.drawers.shift')}</th>
            <th>{t('manage.report.operator')}</th>
            <th>{t('manage.drawers.float')}</th>
            <th>{t('manage.drawers.cashSales')}</th>
            <th>{t('manage.drawers.cashRefunds')}</th>
            <th>{t('manage.drawers.expected')}</th>
            <th>{t('manage.drawers.counted')}</th>
            <th>{t('manage.drawers.difference')}</th>
          </tr>
        </thead>
        <tbody>
          {drawers.map((d) => (
            <tr key={d.shiftId} data-testid={`drawer-${d.shiftId}`} className={d.differenceFen !== null && d.differenceFen < 0 ? 'short' : ''}>
              <th scope="row">
                {formatTime(d.startedAt)} – {d.endedAt === null ? '' : formatTime(d.endedAt)}
              </th>
              <td>{d.operator}</td>
              <td>{yuan(d.floatFen)}</td>
              <td>{yuan(d.cashSalesFen)}</td>
              <td>{yuan(d.cashRefundsFen)}</td>
              <td>{yuan(d.expectedFen)}</td>
              <td>{d.countedFen === null ? '—' : yuan(d.countedFen)}</td>
              <td data-testid="drawer-verdict">{verdict(d)}</td>
            </tr>
          ))}
          <tr className="total" data-testid="drawers-total">
            <th scope="row">{t('manage.report.total')}</th>
            <td />
            <td>{yuan(sum((d) => d.floatFen))}</td>
            <td>{yuan(sum((d) => d.cashSalesFen))}</td>
            <td>{yuan(sum((d) => d.cashRefundsFen))}</td>
            <td>{yuan(sum((d) => d.expectedFen))}</td>
            <td>{yuan(sum((d) => d.countedFen))}</td>
            <td>{difference(sum((d) => d.differenceFen))}</td>
          </tr>
        </tbody>
      </table>
    </>
  );
}
