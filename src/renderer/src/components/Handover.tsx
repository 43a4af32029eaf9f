import { useEffect, useState } from 'react';
import type { ChannelOutput } from '../../../shared/ipc/types';
import { call } from '../bridge/client';
import { useT, type MessageKey } from '../i18n';
import { formatFen, formatTime } from '../lib/format';
import { useErrorText } from '../lib/error-text';

type HandoverResult = ChannelOutput<'shift:handover'>;

/**
 * 交班: confirm, end the shift, show (and print) its handover report. The operator is signed out by
 * the core; the report stays on screen until it is closed.
 */
export function Handover({ operator, onClose }: { operator: string; onClose: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const [result, setResult] = useState<HandoverResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setResult(await call('shift:handover', undefined));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      } else if (e.key === 'Enter' && result === null && !busy) {
        e.preventDefault();
        void confirm();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  const report = result?.shift?.report ?? null;
  return (
    <div className="overlay" role="dialog" aria-modal="true" data-testid="handover">
      <div className="panel handover">
        {result === null ? (
          <>
            <h2>{t('handover.title')}</h2>
            <p>{t('handover.confirm', { operator })}</p>
            {error !== null && <p className="error">{error}</p>}
            <div className="actions">
              <button type="button" onClick={() => void confirm()} disabled={busy} data-testid="handover-confirm">
                {t('handover.do')} <kbd>Enter</kbd>
              </button>
              <button type="button" onClick={onClose}>
                {t('handover.cancel')} <kbd>Esc</kbd>
              </button>
            </div>
          </>
        ) : (
          <div className="print-area" data-testid="handover-report">
            <h2>{t('handover.reportTitle')}</h2>
            {result.shift !== null && (
              <p>
                {t('handover.operator')} {result.shift.operator} · {formatTime(result.shift.startedAt)} – {result.shift.endedAt === null ? '' : formatTime(result.shift.endedAt)}
              </p>
            )}
            {report !== null && (
              <table className="handover-table">
                <thead>
                  <tr>
                    <th />
                    <th>{t('handover.paid')}</th>
                    <th>{t('handover.refunded')}</th>
                    <th>{t('handover.net')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.byPayType
                    .filter((row) => row.paidCount > 0 || row.refundCount > 0)
                    .map((row) => (
                      <tr key={row.payType}>
                        <th>{t(`handover.bucket.${row.payType}` as MessageKey)}</th>
                        <td>
                          {row.paidCount} · ¥{formatFen(row.paidFen)}
                        </td>
                        <td>
                          {row.refundCount} · ¥{formatFen(row.refundFen)}
                        </td>
                        <td>¥{formatFen(row.netFen)}</td>
                      </tr>
                    ))}
                  <tr className="total" data-testid="handover-total">
                    <th>{t('handover.total')}</th>
                    <td>
                      {report.totals.paidCount} · ¥{formatFen(report.totals.paidFen)}
                    </td>
                    <td>
                      {report.totals.refundCount} · ¥{formatFen(report.totals.refundFen)}
                    </td>
                    <td>¥{formatFen(report.totals.netFen)}</td>
                  </tr>
                </tbody>
              </table>
            )}
            <div className="actions no-print">
              <button type="button" onClick={() => window.print()}>
                {t('handover.print')}
              </button>
              <button type="button" onClick={onClose} data-testid="handover-close">
                {t('handover.close')} <kbd>Esc</kbd>
              </button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
