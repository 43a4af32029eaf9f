import { useCallback, useEffect, useRef, useState } from 'react';
import type { RefundView } from '../../../shared/domain';
import { parseYuanToFen } from '../../../shared/money';
import type { TransactionRowData } from '../../../shared/reports';
import { call } from '../bridge/client';
import { useT } from '../i18n';
import { formatFen } from '../lib/format';
import { localDay, timeOfDay } from './desk/day';
import { PaymentFacts, RefundList, RefundTotals } from './desk/DetailParts';
import { useDeskErrorText, useLabels } from './desk/labels';
import { RefundForm } from './desk/RefundForm';
import { usePaymentDetail } from './desk/use-detail';
import { useScanToSearch } from './desk/scan';
import { isCustomerPayCode } from '../lib/key-input';
import './desk.css';
import '../i18n/back-office';

/**
 * 退款 — the supervisor's refund desk. The search box has the focus: type or scan a trace / order
 * number and press Enter (keyboard-wedge scanners do exactly that); or search by day + amount.
 * ↑ ↓ and Enter choose a result; the chosen payment shows paid, refunded, in flight and remaining,
 * every earlier refund, and the refund form (Enter submits). Esc goes back to the search.
 */
export function RefundDesk(): React.JSX.Element {
  const t = useT();
  const l = useLabels();
  const errorText = useDeskErrorText();
  const [code, setCode] = useState('');
  const [day, setDay] = useState(() => localDay());
  const [amount, setAmount] = useState('');
  const [results, setResults] = useState<TransactionRowData[] | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const [payCodeScanned, setPayCodeScanned] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [lastRefundId, setLastRefundId] = useState<number | null>(null);
  const { detail, error: detailError, loading, reload } = usePaymentDetail(selectedId);
  const searchRef = useRef<HTMLInputElement>(null);
  const amountRef = useRef<HTMLInputElement>(null);
  const resultsRef = useRef<HTMLTableSectionElement>(null);

  useEffect(() => searchRef.current?.focus(), []);

  const focusRow = (index: number): void => {
    const rows = resultsRef.current?.querySelectorAll<HTMLTableRowElement>('tr');
    rows?.[Math.max(0, Math.min(index, rows.length - 1))]?.focus();
  };

  const choose = useCallback((id: number) => {
    setSelectedId(id);
    setLastRefundId(null);
  }, []);

  // Several hits: the first row gets the focus once the rows are on screen (not before: a timer
  // could fire before React has drawn them).
  const focusFirstRow = useRef(false);
  const showResults = useCallback(
    (rows: TransactionRowData[]) => {
      setResults(rows);
      if (rows.length === 1 && rows[0] !== undefined) choose(rows[0].id);
      else {
        setSelectedId(null);
        focusFirstRow.current = rows.length > 1;
      }
    },
    [choose],
  );

  useEffect(() => {
    if (!focusFirstRow.current || results === null) return;
    focusFirstRow.current = false;
    focusRow(0);
  }, [results]);

  const find = async (input: { code: string } | { day: string; amountFen?: number }): Promise<void> => {
    setSearchError(null);
    setPayCodeScanned('code' in input && isCustomerPayCode(input.code));
    setSearching(true);
    try {
      showResults(await call('refund:find', input));
    } catch (e) {
      setResults(null);
      setSearchError(errorText(e));
    } finally {
      setSearching(false);
    }
  };

  const findByCode = (): void => {
    const text = code.trim();
    if (text === '') return;
    void find({ code: text });
  };

  // A scanned receipt or wallet bill goes to the search wherever the focus is.
  useScanToSearch(searchRef, (scanned) => {
    setCode(scanned);
    searchRef.current?.focus();
    void find({ code: scanned });
  });

  const findByDay = (): void => {
    if (amount.trim() === '') {
      void find({ day });
      return;
    }
    try {
      void find({ day, amountFen: parseYuanToFen(amount) });
    } catch (e) {
      setSearchError(errorText(e));
    }
  };

  // A freshly opened payment: the refund amount is the next thing to type.
  const detailId = detail?.payment.id ?? null;
  useEffect(() => {
    if (detailId !== null && detailId === selectedId && lastRefundId === null) amountRef.current?.focus();
  }, [detailId, selectedId, lastRefundId]);

  // Keep the chosen result's row in step with the ledger (refunded so far, status).
  useEffect(() => {
    if (detail === null) return;
    setResults((rows) => rows?.map((r) => (r.id === detail.payment.id ? detail.payment : r)) ?? null);
  }, [detail]);

  const back = useCallback(() => {
    if (selectedId !== null) {
      const index = results?.findIndex((r) => r.id === selectedId) ?? -1;
      setSelectedId(null);
      setLastRefundId(null);
      if (results !== null && results.length > 1 && index >= 0) setTimeout(() => focusRow(index), 0);
      else setTimeout(() => searchRef.current?.select(), 0);
      return;
    }
    setCode('');
    setResults(null);
    setSearchError(null);
    searchRef.current?.focus();
  }, [selectedId, results]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        back();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [back]);

  const onRowKey = (e: React.KeyboardEvent<HTMLTableRowElement>, index: number, id: number): void => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      focusRow(index + (e.key === 'ArrowDown' ? 1 : -1));
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      choose(id);
    }
  };

  const lastRefund: RefundView | undefined = lastRefundId === null ? undefined : detail?.refunds.find((r) => r.id === lastRefundId);
  const payment = detail?.payment;

  return (
    <section className="desk" data-testid="refund-desk">
      <div className="desk-col">
        <form
          className="panel desk-search"
          onSubmit={(e) => {
            e.preventDefault();
            findByCode();
          }}
        >
          <h2>{t('desk.title')}</h2>
          <label htmlFor="desk-code">{t('desk.search.label')}</label>
          <div className="desk-search-row">
            <input
              id="desk-code"
              ref={searchRef}
              className="desk-code"
              value={code}
              maxLength={64}
              autoComplete="off"
              placeholder={t('desk.search.placeholder')}
              onChange={(e) => setCode(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'ArrowDown' && results !== null && results.length > 0) {
                  e.preventDefault();
                  focusRow(0);
                }
              }}
              data-testid="desk-search"
            />
            <button type="submit" data-testid="desk-search-submit">
              {t('desk.search.submit')} <kbd>Enter</kbd>
            </button>
          </div>
        </form>
        <form
          className="panel desk-search desk-search-day"
          onSubmit={(e) => {
            e.preventDefault();
            findByDay();
          }}
        >
          <h3>{t('desk.search.byDay')}</h3>
          <div className="desk-search-row">
            <label>
              {t('desk.search.day')}
              <input type="date" value={day} required onChange={(e) => e.target.value !== '' && setDay(e.target.value)} data-testid="desk-day" />
            </label>
            <label>
              {t('desk.search.amount')}
              <input
                className="desk-amount"
                inputMode="decimal"
                autoComplete="off"
                maxLength={16}
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                data-testid="desk-amount"
              />
            </label>
            <button type="submit" data-testid="desk-day-submit">
              {t('desk.search.submit')}
            </button>
          </div>
        </form>
        {searching && <p className="hint">{t('desk.search.searching')}</p>}
        {searchError !== null && (
          <p className="error" role="alert" data-testid="desk-search-error">
            {searchError}
          </p>
        )}
        {results !== null && (
          <div className="panel desk-results" data-testid="desk-results">
            <div className="panel-head">
              <h3>{t('desk.results.title')}</h3>
              <span className="hint" data-testid="desk-results-count">
                {results.length === 0 ? t('desk.search.none') : t('desk.search.found', { n: results.length })}
              </span>
            </div>
            {results.length === 0 && payCodeScanned && (
              <p className="warning" data-testid="desk-paycode">
                {t('desk.search.payCode')}
              </p>
            )}
            {results.length > 0 && (
              <table className="desk-table selectable">
                <thead>
                  <tr>
                    <th>{t('desk.col.time')}</th>
                    <th className="num">{t('desk.col.amount')}</th>
                    <th>{t('desk.col.status')}</th>
                    <th>
                      {t('desk.col.trace')} / {t('desk.col.orderNo')}
                    </th>
                  </tr>
                </thead>
                <tbody ref={resultsRef}>
                  {results.map((r, i) => (
                    <tr
                      key={r.id}
                      tabIndex={0}
                      className={r.id === selectedId ? 'selected' : ''}
                      onClick={() => choose(r.id)}
                      onKeyDown={(e) => onRowKey(e, i, r.id)}
                      data-testid="desk-result"
                      data-trace={r.sysTrace ?? ''}
                      data-id={r.id}
                    >
                      <td className="mono">
                        {timeOfDay(r.createdAt)}
                        <div className="sub">{r.businessDay}</div>
                      </td>
                      <td className="num">
                        ¥{formatFen(r.amountFen)}
                        <div className="sub">{l.how(r)}</div>
                      </td>
                      <td>
                        <span className={`badge status-${r.status}`}>{l.status(r.status)}</span>
                        {r.refundedFen > 0 && (
                          <div className="sub">
                            {t('desk.col.refunded')} ¥{formatFen(r.refundedFen)}
                          </div>
                        )}
                      </td>
                      <td className="mono">
                        {r.sysTrace ?? '—'}
                        <div className="sub">{r.tradeNo}</div>
                        {r.merOrderNo !== null && <div className="sub">{r.merOrderNo}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        )}
        <div className="desk-keys">
          <span>
            <kbd>Enter</kbd> {t('desk.keys.search')}
          </span>
          <span>
            <kbd>↑</kbd>
            <kbd>↓</kbd> <kbd>Enter</kbd> {t('desk.keys.open')}
          </span>
          <span>
            <kbd>Esc</kbd> {t('desk.keys.back')}
          </span>
        </div>
      </div>

      <div className="desk-col desk-detail-col">
        {selectedId !== null && (
          <div className="panel desk-detail" data-testid="desk-detail" data-payment-id={selectedId}>
            <div className="panel-head">
              <h2>{t('desk.detail.title')}</h2>
              <button type="button" onClick={back} data-testid="desk-back">
                {t('desk.detail.back')} <kbd>Esc</kbd>
              </button>
            </div>
            {detail === null && loading && <p className="hint">{t('desk.detail.loading')}</p>}
            {detailError !== null && (
              <p className="error" role="alert" data-testid="desk-detail-error">
                {errorText(detailError)}
              </p>
            )}
            {detail !== null && payment !== undefined && (
              <>
                <RefundTotals detail={detail} />
                <PaymentFacts detail={detail} />
                {lastRefund !== undefined && (
                  <p className={`desk-last-refund refund-${lastRefund.status}`} role="status" data-testid="desk-last-refund" data-status={lastRefund.status}>
                    {t('desk.refund.sent', { amount: formatFen(lastRefund.amountFen), status: l.refundStatus(lastRefund.status) })}
                  </p>
                )}
                {payment.tender === 'card' && (
                  <p className="warning" data-testid="desk-card-note">
                    {t('desk.refund.cardRecorded')}
                  </p>
                )}
                {payment.status !== 'paid' ? (
                  <p className="warning" data-testid="desk-not-paid">
                    {t('desk.refund.notPaid', { status: l.status(payment.status) })}
                  </p>
                ) : detail.remainingFen <= 0 ? (
                  <p className="hint" data-testid="desk-nothing-left">
                    {t('desk.refund.nothingLeft')}
                  </p>
                ) : (
                  <RefundForm key={payment.id} detail={detail} amountRef={amountRef} onCreated={(r) => (setLastRefundId(r.id), reload())} onRefused={reload} />
                )}
                <h3>{t('desk.refunds.title')}</h3>
                <RefundList refunds={detail.refunds} onChanged={reload} />
              </>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
