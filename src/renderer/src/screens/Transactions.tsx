import { useCallback, useEffect, useRef, useState } from 'react';
import { OPEN_PAYMENT_STATUSES, PaymentStatusSchema, type PaymentStatus, type PaymentView } from '../../../shared/domain';
import type { TransactionRowData } from '../../../shared/reports';
import { call, getBridge } from '../bridge/client';
import type { ChannelOutput } from '../../../shared/ipc/types';
import { useT } from '../i18n';
import { formatFen } from '../lib/format';
import { isEditable, localDay, shiftDay, timeOfDay } from './desk/day';
import { EventHistory, PaymentFacts, RefundList, RefundTotals } from './desk/DetailParts';
import { useDeskErrorText, useLabels } from './desk/labels';
import { ReprintButton } from '../components/ReprintButton';
import { usePaymentDetail } from './desk/use-detail';
import { canRecheck, RecheckForm } from './desk/RecheckForm';
import './desk.css';
import '../i18n/back-office';

const PAGE_SIZE = 50;
const TEXT_FILTER_DELAY_MS = 300;
const PAY_TYPES = ['ZFBA', 'WEIX', 'UPAY'] as const;
const TENDERS = ['qr', 'card', 'cash'] as const;

type PayTypeFilter = '' | (typeof PAY_TYPES)[number];
type TenderFilter = '' | (typeof TENDERS)[number];

function isOpen(status: PaymentStatus): boolean {
  return OPEN_PAYMENT_STATUSES.includes(status);
}

/** `value`, but only after it stopped changing for `ms` (typing a search does not query every key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A row updated from a `payment:updated` event keeps what only the list knows (refunded so far). */
function merge(row: TransactionRowData, update: PaymentView): TransactionRowData {
  return { ...update, refundedFen: row.refundedFen };
}

/**
 * 流水 — any business day's transactions, newest first, one page at a time (keyset paging with
 * "more"). Filters: status (with an "unfinished" shortcut), pay type, tender, operator, and a trace /
 * order number prefix search. ← → change the day, ↑ ↓ and Enter open a row's detail with its refunds
 * and full event history, Esc goes back, F5 re-queries (the open item, or every unfinished one).
 */
export function Transactions(): React.JSX.Element {
  const t = useT();
  const l = useLabels();
  const errorText = useDeskErrorText();
  const [day, setDay] = useState(() => localDay());
  const [statuses, setStatuses] = useState<readonly PaymentStatus[]>([]);
  const [payType, setPayType] = useState<PayTypeFilter>('');
  const [tender, setTender] = useState<TenderFilter>('');
  const [operatorText, setOperatorText] = useState('');
  const [searchText, setSearchText] = useState('');
  const operator = useSettled(operatorText.trim(), TEXT_FILTER_DELAY_MS);
  const search = useSettled(searchText.trim(), TEXT_FILTER_DELAY_MS);
  const [rows, setRows] = useState<TransactionRowData[]>([]);
  const [nextCursor, setNextCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [openId, setOpenId] = useState<number | null>(null);
  const seq = useRef(0);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const lastFocused = useRef(0);

  const query = useCallback(
    (cursor?: number) => ({
      day,
      ...(statuses.length === 0 ? {} : { status: [...statuses] }),
      ...(payType === '' ? {} : { payType }),
      ...(tender === '' ? {} : { tender }),
      ...(operator === '' ? {} : { operator }),
      ...(search === '' ? {} : { search }),
      ...(cursor === undefined ? {} : { cursor }),
      limit: PAGE_SIZE,
    }),
    [day, statuses, payType, tender, operator, search],
  );

  const loadFirst = useCallback(() => {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    call('ledger:list', query())
      .then((page) => {
        if (mine !== seq.current) return;
        setRows(page.rows);
        setNextCursor(page.nextCursor);
      })
      .catch((e: unknown) => {
        if (mine !== seq.current) return;
        setRows([]);
        setNextCursor(null);
        setError(errorText(e));
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
    // errorText is stable (it changes with the language only); the query decides when to reload.
  }, [query, errorText]);

  useEffect(loadFirst, [loadFirst]);

  const loadMore = (): void => {
    if (nextCursor === null) return;
    const mine = ++seq.current;
    setLoading(true);
    call('ledger:list', query(nextCursor))
      .then((page) => {
        if (mine !== seq.current) return;
        // Keyset pages never overlap, but a row may have been re-read meanwhile: keep one copy.
        setRows((current) => [...current, ...page.rows.filter((r) => !current.some((c) => c.id === r.id))]);
        setNextCursor(page.nextCursor);
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setError(errorText(e));
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  };

  // Live: a row on screen follows its payment; refunds change what was refunded.
  useEffect(() => {
    const bridge = getBridge();
    const offPayment = bridge.on('payment:updated', (p) => setRows((current) => current.map((r) => (r.id === p.id ? merge(r, p) : r))));
    const offRefund = bridge.on('refund:updated', (refund) => {
      if (refund.status !== 'succeeded') return;
      call('refund:detail', { paymentId: refund.paymentId })
        .then((d) => setRows((current) => current.map((r) => (r.id === d.payment.id ? d.payment : r))))
        .catch(() => undefined);
    });
    return () => {
      offPayment();
      offRefund();
    };
  }, []);

  const requeryOne = async (row: TransactionRowData): Promise<void> => {
    setError(null);
    try {
      const updated = await call('payment:requery', { id: row.id });
      setRows((current) => current.map((r) => (r.id === updated.id ? merge(r, updated) : r)));
    } catch (e) {
      setError(errorText(e));
    }
  };

  const requeryOpen = useCallback(async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const done = await call('ledger:requeryOpen', { day });
      setNotice(t('tx.requeryOpenDone', { payments: done.payments, refunds: done.refunds }));
      loadFirst();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, [day, loadFirst, t, errorText]);

  const focusRow = (index: number): void => {
    const list = bodyRef.current?.querySelectorAll<HTMLTableRowElement>('tr');
    if (list === undefined || list.length === 0) return;
    const i = Math.max(0, Math.min(index, list.length - 1));
    lastFocused.current = i;
    list[i]?.focus();
  };

  const open = (id: number, index: number): void => {
    lastFocused.current = index;
    setOpenId(id);
  };

  const closeDetail = useCallback(() => {
    setOpenId(null);
    setTimeout(() => focusRow(lastFocused.current), 0);
  }, []);

  const toggleStatus = (s: PaymentStatus): void =>
    setStatuses((current) =>
      current.includes(s) ? current.filter((x) => x !== s) : PaymentStatusSchema.options.filter((x) => x === s || current.includes(x)),
    );
  const unfinishedOnly = statuses.length === OPEN_PAYMENT_STATUSES.length && OPEN_PAYMENT_STATUSES.every((s) => statuses.includes(s));

  useEffect(() => {
    if (openId !== null) return; // the detail view has its own keys
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F5') {
        e.preventDefault();
        if (!busy) void requeryOpen();
        return;
      }
      if (isEditable(e.target) || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault();
        setDay((d) => shiftDay(d, e.key === 'ArrowLeft' ? -1 : 1));
      } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !(e.target instanceof Element && bodyRef.current?.contains(e.target) === true)) {
        // ↑/↓ with the focus anywhere but a row (just after F4, or on a button) goes to the rows — the
        // footer says ↑↓ 选择; a cashier must not Tab through every filter to reach the first sale.
        e.preventDefault();
        focusRow(lastFocused.current);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openId, busy, requeryOpen]);

  // A typed filter that has not been applied yet counts as loading: the list on screen is about to change.
  const pending = loading || operatorText.trim() !== operator || searchText.trim() !== search;

  if (openId !== null) return <TransactionDetail paymentId={openId} onBack={closeDetail} />;

  return (
    <section className="tx" data-testid="transactions">
      <div className="panel tx-filters">
        <div className="tx-filter-row">
          <h2>{t('tx.title')}</h2>
          <div className="tx-day">
            <button type="button" onClick={() => setDay((d) => shiftDay(d, -1))} title={t('tx.prevDay')} data-testid="tx-prev">
              ← <span className="sr">{t('tx.prevDay')}</span>
            </button>
            <label>
              <span className="sr">{t('tx.day')}</span>
              <input type="date" value={day} required onChange={(e) => e.target.value !== '' && setDay(e.target.value)} data-testid="tx-day" />
            </label>
            <button type="button" onClick={() => setDay((d) => shiftDay(d, 1))} title={t('tx.nextDay')} data-testid="tx-next">
              → <span className="sr">{t('tx.nextDay')}</span>
            </button>
            <button type="button" onClick={() => setDay(localDay())} data-testid="tx-today">
              {t('tx.today')}
            </button>
          </div>
          <span className="spacer" />
          <button type="button" className="primary" disabled={busy} onClick={() => void requeryOpen()} data-testid="tx-requery-open">
            {t('tx.requeryOpen')} <kbd>F5</kbd>
          </button>
        </div>
        <div className="tx-filter-row" role="group" aria-label={t('tx.status')}>
          <span className="filter-label">{t('tx.status')}</span>
          <button type="button" className={`chip ${statuses.length === 0 ? 'on' : ''}`} onClick={() => setStatuses([])} data-testid="tx-status-all">
            {t('tx.allStatuses')}
          </button>
          <button
            type="button"
            className={`chip chip-open ${unfinishedOnly ? 'on' : ''}`}
            onClick={() => setStatuses(unfinishedOnly ? [] : OPEN_PAYMENT_STATUSES)}
            data-testid="tx-unfinished"
          >
            {t('tx.unfinished')}
          </button>
          {PaymentStatusSchema.options.map((s) => (
            <label key={s} className={`chip ${statuses.includes(s) ? 'on' : ''}`}>
              <input type="checkbox" checked={statuses.includes(s)} onChange={() => toggleStatus(s)} data-testid={`tx-status-${s}`} />
              {l.status(s)}
            </label>
          ))}
        </div>
        <div className="tx-filter-row">
          <label>
            {t('tx.payType')}
            <select value={payType} onChange={(e) => setPayType(PAY_TYPES.find((p) => p === e.target.value) ?? '')} data-testid="tx-paytype">
              <option value="">{t('tx.all')}</option>
              {PAY_TYPES.map((p) => (
                <option key={p} value={p}>
                  {l.payType(p)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('tx.tender')}
            <select value={tender} onChange={(e) => setTender(TENDERS.find((x) => x === e.target.value) ?? '')} data-testid="tx-tender">
              <option value="">{t('tx.all')}</option>
              {TENDERS.map((x) => (
                <option key={x} value={x}>
                  {l.tender(x)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('tx.operator')}
            <input
              className="short"
              value={operatorText}
              maxLength={16}
              autoComplete="off"
              onChange={(e) => setOperatorText(e.target.value)}
              data-testid="tx-operator"
            />
          </label>
          <label className="grow">
            {t('tx.search')}
            <input value={searchText} maxLength={64} autoComplete="off" onChange={(e) => setSearchText(e.target.value)} data-testid="tx-search" />
          </label>
        </div>
      </div>

      {notice !== null && (
        <p className="notice-inline" role="status" data-testid="tx-notice">
          {notice}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert" data-testid="tx-error">
          {error}
        </p>
      )}

      <div className="panel tx-list">
        <table className="desk-table selectable" data-testid="tx-table">
          <thead>
            <tr>
              <th>{t('desk.col.time')}</th>
              <th className="num">{t('desk.col.amount')}</th>
              <th>{t('desk.col.payType')}</th>
              <th>{t('desk.col.status')}</th>
              <th className="num">{t('desk.col.refunded')}</th>
              <th>{t('desk.col.operator')}</th>
              <th>{t('desk.col.tradeNo')}</th>
              <th>{t('desk.col.trace')}</th>
              <th>{t('desk.col.actions')}</th>
            </tr>
          </thead>
          <tbody ref={bodyRef}>
            {rows.map((r, i) => (
              <tr
                key={r.id}
                tabIndex={0}
                onClick={() => open(r.id, i)}
                onKeyDown={(e) => {
                  if (e.target !== e.currentTarget) return;
                  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                    e.preventDefault();
                    focusRow(i + (e.key === 'ArrowDown' ? 1 : -1));
                  } else if (e.key === 'Enter') {
                    e.preventDefault();
                    open(r.id, i);
                  }
                }}
                data-testid="tx-row"
                data-id={r.id}
                data-status={r.status}
                data-trace={r.sysTrace ?? ''}
              >
                <td className="mono">{timeOfDay(r.createdAt)}</td>
                <td className="num">¥{formatFen(r.amountFen)}</td>
                <td>{l.how(r)}</td>
                <td>
                  <span className={`badge status-${r.status}`}>{l.status(r.status)}</span>
                  {r.resolvedBy !== null && (
                    <span className="badge settled-by" title={r.resolution ?? ''} data-testid="tx-settled-by">
                      {t('tx.settledBy', { code: r.resolvedBy })}
                    </span>
                  )}
                </td>
                <td className="num">{r.refundedFen > 0 ? `¥${formatFen(r.refundedFen)}` : ''}</td>
                <td>{r.operator ?? '—'}</td>
                <td className="mono">{r.tradeNo}</td>
                <td className="mono">{r.sysTrace ?? '—'}</td>
                <td className="actions" onClick={(e) => e.stopPropagation()}>
                  <button type="button" className="small" tabIndex={-1} onClick={() => open(r.id, i)} data-testid="tx-open">
                    {t('tx.open')}
                  </button>
                  {isOpen(r.status) && (
                    <button type="button" className="small" onClick={() => void requeryOne(r)} data-testid="tx-requery">
                      {t('tx.requery')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!pending && rows.length === 0 && error === null && (
          <p className="hint empty" data-testid="tx-empty">
            {t('tx.empty')}
          </p>
        )}
        <div className="tx-foot">
          <span className="hint" data-testid="tx-count">
            {pending ? t('tx.loading') : t('tx.shown', { n: rows.length })}
          </span>
          {nextCursor !== null && (
            <button type="button" disabled={pending} onClick={loadMore} data-testid="tx-more">
              {t('tx.more')}
            </button>
          )}
          <span className="spacer" />
          <span className="desk-keys">
            <span>
              <kbd>←</kbd>
              <kbd>→</kbd> {t('tx.keys.day')}
            </span>
            <span>
              <kbd>↑</kbd>
              <kbd>↓</kbd> {t('tx.keys.rows')}
            </span>
            <span>
              <kbd>Enter</kbd> {t('tx.keys.open')}
            </span>
          </span>
        </div>
        <DayRefunds day={day} onOpen={(paymentId) => open(paymentId, lastFocused.current)} />
      </div>
    </section>
  );
}

/** The refunds booked on the day (a refund today may belong to an earlier day's payment). */
function DayRefunds({ day, onOpen }: { day: string; onOpen: (paymentId: number) => void }): React.JSX.Element | null {
  const t = useT();
  const labels = useLabels();
  const [refunds, setRefunds] = useState<ChannelOutput<'ledger:refunds'>>([]);
  useEffect(() => {
    let alive = true;
    const load = (): void => {
      call('ledger:refunds', { day })
        .then((list) => alive && setRefunds(list))
        .catch(() => undefined);
    };
    load();
    const off = getBridge().on('refund:updated', load);
    return () => {
      alive = false;
      off();
    };
  }, [day]);
  if (refunds.length === 0) return null;
  return (
    <section className="tx-refunds" data-testid="tx-refunds">
      <h3>{t('tx.refunds.title', { n: refunds.length })}</h3>
      <table className="desk-table selectable">
        <thead>
          <tr>
            <th>{t('tx.refunds.time')}</th>
            <th className="num">{t('tx.refunds.amount')}</th>
            <th>{t('tx.refunds.status')}</th>
            <th>{t('tx.refunds.reason')}</th>
            <th>{t('tx.refunds.by')}</th>
            <th>{t('tx.refunds.payment')}</th>
          </tr>
        </thead>
        <tbody>
          {refunds.map((r) => (
            <tr
              key={r.id}
              tabIndex={0}
              onClick={() => onOpen(r.paymentId)}
              onKeyDown={(e) => e.key === 'Enter' && onOpen(r.paymentId)}
              data-testid="tx-refund-row"
            >
              <td>{timeOfDay(r.createdAt)}</td>
              <td className="num">¥{formatFen(r.amountFen)}</td>
              <td>{labels.refundStatus(r.status)}</td>
              <td>{r.reason}</td>
              <td>
                {r.operator ?? ''} / {r.approvedBy ?? ''}
              </td>
              <td className="mono">{r.paymentSysTrace ?? r.paymentTradeNo}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** One payment in full: facts, refund totals, refunds (re-query the open ones) and the event history. */
function TransactionDetail({ paymentId, onBack }: { paymentId: number; onBack: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useDeskErrorText();
  const { detail, error, loading, reload } = usePaymentDetail(paymentId);
  const [actionError, setActionError] = useState<string | null>(null);
  const [recheckOpen, setRecheckOpen] = useState(false);
  const backRef = useRef<HTMLButtonElement>(null);
  const payment = detail?.payment;
  const unfinished = payment !== undefined && isOpen(payment.status);

  useEffect(() => backRef.current?.focus(), []);

  const requery = useCallback(async () => {
    setActionError(null);
    try {
      await call('payment:requery', { id: paymentId });
      reload();
    } catch (e) {
      setActionError(errorText(e));
    }
  }, [paymentId, reload, errorText]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onBack();
      } else if (e.key === 'F5') {
        e.preventDefault();
        if (unfinished) void requery();
        else reload();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onBack, unfinished, requery, reload]);

  return (
    <section className="tx tx-detail" data-testid="tx-detail" data-payment-id={paymentId}>
      <div className="panel">
        <div className="panel-head">
          <h2>{t('tx.detail.title')}</h2>
          <span className="tx-detail-actions">
            <ReprintButton id={paymentId} enabled={payment?.status === 'paid'} />
            {unfinished && (
              <button type="button" onClick={() => void requery()} data-testid="tx-detail-requery">
                {t('tx.requery')} <kbd>F5</kbd>
              </button>
            )}
            <button type="button" ref={backRef} onClick={onBack} data-testid="tx-back">
              {t('tx.detail.back')} <kbd>Esc</kbd>
            </button>
          </span>
        </div>
        {detail === null && loading && <p className="hint">{t('tx.loading')}</p>}
        {error !== null && (
          <p className="error" role="alert">
            {errorText(error)}
          </p>
        )}
        {actionError !== null && (
          <p className="error" role="alert">
            {actionError}
          </p>
        )}
        {detail !== null && (
          <div className="tx-detail-grid">
            <div>
              <PaymentFacts detail={detail} />
            </div>
            <div>
              {(recheckOpen || canRecheck(detail.payment)) && (
                <RecheckForm
                  payment={detail.payment}
                  onDone={() => {
                    // Stays open with Yima's answer after the sale is settled by it.
                    setRecheckOpen(true);
                    reload();
                  }}
                />
              )}
              <RefundTotals detail={detail} />
              <h3>{t('desk.refunds.title')}</h3>
              <RefundList refunds={detail.refunds} onChanged={reload} />
            </div>
          </div>
        )}
      </div>
      {detail !== null && (
        <div className="panel tx-events-panel">
          <div className="panel-head">
            <h3>{t('tx.events')}</h3>
            <span className="hint">{t('tx.events.hint')}</span>
          </div>
          <EventHistory events={detail.events} />
        </div>
      )}
    </section>
  );
}
