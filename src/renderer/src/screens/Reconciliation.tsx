import { useCallback, useEffect, useRef, useState } from 'react';
import type { LateSettlementsData, OperatorViewData, SettlementReportData } from '../../../shared/reports';
import { call, getBridge } from '../bridge/client';
import { useLang, useT } from '../i18n';
import { downloadHostFile } from '../lib/download';
import { CloseDayForm } from './manage/CloseDayForm';
import { todayIn, useManageErrorText } from './manage/common';
import { ReportView, type ClosedDay } from './manage/ReportView';
import { HandoverHistory } from './manage/HandoverHistory';
import { ShiftPanel } from './manage/ShiftPanel';
import './manage.css';
import '../i18n/back-office';

interface Loaded {
  report: SettlementReportData;
  closed: ClosedDay | null;
  addendum: LateSettlementsData | null;
}

/**
 * 日结对账 — end-of-day reconciliation for the manager: any day's live report (or the frozen one
 * once closed), one operator's view, re-query of everything unresolved, 日结 with manager PIN (and a
 * recorded supervisor override when items are still open), export CSV/XLSX, print/reprint.
 * Keys: F5 reload, F9 close the day, Esc back, Ctrl+P print.
 */
export function Reconciliation(): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [day, setDay] = useState(() => todayIn());
  // The host's business day (time zone and start hour are settings; after 日结 the next one is open).
  const [current, setCurrent] = useState<{ day: string; calendarDay: string } | null>(null);
  const [operator, setOperator] = useState('');
  const [operators, setOperators] = useState<OperatorViewData[]>([]);
  const [data, setData] = useState<Loaded | null>(null);
  const [message, setMessage] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState<null | 'requery' | 'csv' | 'xlsx'>(null);
  const [closing, setClosing] = useState(false);
  const dayRef = useRef<HTMLInputElement>(null);
  const latest = useRef(0);

  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      // One operator's view is always computed live by the host (closed: null); whether the day
      // itself is closed comes from the all-operators answer.
      const [all, one] = await Promise.all([call('day:report', { day }), operator === '' ? null : call('day:report', { day, operator })]);
      const result = one === null ? all : { report: one.report, closed: all.closed, addendum: all.addendum };
      // A slower answer for an earlier day must not overwrite the day now chosen.
      if (ticket === latest.current) setData(result);
    } catch (e) {
      if (ticket === latest.current) setMessage({ kind: 'error', text: errorText(e) });
    }
  }, [day, operator, errorText]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    call('day:current', undefined)
      .then((c) => {
        setCurrent(c);
        setDay(c.calendarDay);
      })
      .catch(() => undefined);
  }, []);
  const today = current?.calendarDay ?? todayIn();
  const maxDay = current === null ? todayIn() : current.day > current.calendarDay ? current.day : current.calendarDay;

  useEffect(() => {
    call('operators:list', undefined)
      .then(setOperators)
      .catch(() => undefined);
  }, []);

  // The live report follows payments and refunds as they settle (debounced: a burst reloads once).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 400);
    };
    const bridge = getBridge();
    const offs = [bridge.on('payment:updated', soon), bridge.on('refund:updated', soon)];
    return () => {
      clearTimeout(timer);
      offs.forEach((off) => off());
    };
  }, [load]);

  const closed = data?.closed ?? null;
  const unresolved = data === null ? 0 : data.report.unresolved.payments.length + data.report.unresolved.refunds.length;
  const canClose = data !== null && closed === null && operator === '';

  const requeryAll = async (): Promise<void> => {
    setBusy('requery');
    setMessage(null);
    try {
      const r = await call('ledger:requeryOpen', { day });
      setMessage({ kind: 'info', text: t('manage.requery.done', { payments: r.payments, refunds: r.refunds }) });
      await load();
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(null);
    }
  };

  const exportAs = async (format: 'csv' | 'xlsx'): Promise<void> => {
    setBusy(format);
    setMessage(null);
    try {
      const file = await call('day:export', { day, format, lang: useLang.getState().lang });
      downloadHostFile(file);
      setMessage({ kind: 'info', text: t('manage.export.done', { file: file.fileName }) });
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(null);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F5') {
        e.preventDefault();
        void load();
      } else if (e.key === 'F9' && canClose) {
        e.preventDefault();
        setClosing(true);
      } else if (e.key === 'Escape' && closing) {
        e.preventDefault();
        setClosing(false);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [load, canClose, closing]);

  return (
    <section className="manage reconcile" data-testid="reconcile">
      <div className="manage-main">
        <div className="panel toolbar no-print">
          <label className="field-inline">
            {t('manage.day')}
            <input
              ref={dayRef}
              type="date"
              value={day}
              max={maxDay}
              onChange={(e) => {
                if (/^\d{4}-\d{2}-\d{2}$/.test(e.target.value)) {
                  setDay(e.target.value);
                  setClosing(false);
                  setMessage(null);
                }
              }}
              data-testid="reconcile-day"
            />
          </label>
          <button type="button" onClick={() => setDay(today)} data-testid="reconcile-today">
            {t('manage.today')}
          </button>
          <label className="field-inline">
            {t('manage.operatorView')}
            <select value={operator} onChange={(e) => setOperator(e.target.value)} data-testid="reconcile-operator">
              <option value="">{t('manage.report.allOperators')}</option>
              {operators.map((o) => (
                <option key={o.code} value={o.code}>
                  {o.code} {o.name}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void load()} data-testid="reconcile-reload">
            {t('manage.reload')} <kbd>F5</kbd>
          </button>
          <span className="spacer" />
          <button type="button" disabled={busy !== null} onClick={() => void exportAs('csv')} data-testid="export-csv">
            {t('manage.export.csv')}
          </button>
          <button type="button" disabled={busy !== null} onClick={() => void exportAs('xlsx')} data-testid="export-xlsx">
            {t('manage.export.xlsx')}
          </button>
          <button type="button" onClick={() => window.print()} data-testid="print">
            {closed === null ? t('manage.print') : t('manage.reprint')} <kbd>Ctrl+P</kbd>
          </button>
          {canClose && (
            <button type="button" className="primary" onClick={() => setClosing(true)} data-testid="close-day">
              {t('manage.close.open')} <kbd>F9</kbd>
            </button>
          )}
        </div>
        {operator !== '' && <p className="notice-inline no-print">{t('manage.operatorViewHint')}</p>}
        {data !== null && closed === null && operator === '' && data.report.payments.length + data.report.refunds.length > 0 && day < today && (
          <p className="notice-inline no-print">{t('manage.pastDayOpen')}</p>
        )}
        {message !== null && (
          <p
            className={`${message.kind === 'error' ? 'error' : 'info'} no-print`}
            role={message.kind === 'error' ? 'alert' : 'status'}
            data-testid="reconcile-message"
          >
            {message.text}
          </p>
        )}
        {closing && canClose && (
          <CloseDayForm
            day={day}
            unresolved={unresolved}
            onBack={() => setClosing(false)}
            onStale={() => void load()}
            onClosed={(c) => {
              setClosing(false);
              setData({ report: c.report, closed: c, addendum: null });
              setMessage({ kind: 'info', text: t('manage.close.done', { day: c.day }) });
            }}
          />
        )}
        {data === null ? (
          <p>{t('manage.loading')}</p>
        ) : (
          <div className="panel print-report">
            <ReportView
              report={data.report}
              closed={closed}
              addendum={data.addendum}
              unresolvedActions={
                unresolved > 0 && closed === null ? (
                  <div className="no-print unresolved-actions">
                    <button type="button" disabled={busy !== null} onClick={() => void requeryAll()} data-testid="requery-all">
                      {busy === 'requery' ? t('manage.requery.working') : t('manage.requery.all')}
                    </button>
                    <span className="hint">{t('manage.requery.hint')}</span>
                  </div>
                ) : undefined
              }
            />
          </div>
        )}
      </div>
      <div className="manage-side no-print">
        <ShiftPanel {...(data === null ? {} : { timeZone: data.report.timeZone })} />
        <HandoverHistory day={day} operator={operator} />
        <div className="panel keys-help">
          <div className="key">
            <kbd>F5</kbd> {t('manage.reload')}
          </div>
          <div className="key">
            <kbd>F9</kbd> {t('manage.close.open')}
          </div>
          <div className="key">
            <kbd>Ctrl+P</kbd> {t('manage.print')}
          </div>
          <div className="key">
            <kbd>Esc</kbd> {t('manage.back')}
          </div>
        </div>
      </div>
    </section>
  );
}
