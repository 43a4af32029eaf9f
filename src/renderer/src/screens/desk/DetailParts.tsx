import { useState } from 'react';
import { OPEN_REFUND_STATUSES, type RefundView } from '../../../../shared/domain';
import type { PaymentDetailData } from '../../../../shared/reports';
import { call } from '../../bridge/client';
import { useLang, useT } from '../../i18n';
import { cardFacts } from '../../lib/card-detail';
import { formatFen, formatTime } from '../../lib/format';
import { useDeskErrorText, useLabels } from './labels';
import { RefundResolveForm } from './RefundResolveForm';
import { ReprintButton } from '../../components/ReprintButton';
import { useAppStore } from '../../store/app-store';

type Detail = PaymentDetailData;
type LedgerEvent = Detail['events'][number];

/** Paid / refunded / in flight / remaining: the four numbers a refund decision rests on. */
export function RefundTotals({ detail }: { detail: Detail }): React.JSX.Element {
  const t = useT();
  const paidFen = detail.payment.status === 'paid' ? detail.payment.amountFen : 0;
  return (
    <div className="desk-totals" data-testid="desk-totals">
      <div>
        <span>{t('desk.paid')}</span>
        <strong data-testid="desk-paid">¥{formatFen(paidFen)}</strong>
      </div>
      <div>
        <span>{t('desk.refunded')}</span>
        <strong data-testid="desk-refunded">¥{formatFen(detail.refundedFen)}</strong>
      </div>
      <div className={detail.inFlightFen > 0 ? 'in-flight' : ''}>
        <span>{t('desk.inFlight')}</span>
        <strong data-testid="desk-inflight">¥{formatFen(detail.inFlightFen)}</strong>
      </div>
      <div className="remaining">
        <span>{t('desk.remaining')}</span>
        <strong data-testid="desk-remaining">¥{formatFen(detail.remainingFen)}</strong>
      </div>
    </div>
  );
}

/** "11-23 08:51:06": lists whose day is obvious from the context. */
export function shortDateTime(ms: number): string {
  return formatTime(ms).slice(5);
}

/** The payment's own facts (status, how it was paid, traces, operator), as a definition list. */
export function PaymentFacts({ detail }: { detail: Detail }): React.JSX.Element {
  const t = useT();
  const l = useLabels();
  const lang = useLang((s) => s.lang);
  const p = detail.payment;
  // [label, value, testid, wide]: long numbers get a whole line so they never break mid-number.
  const rows: [string, string, string | undefined, boolean][] = [
    [t('desk.col.amount'), `¥${formatFen(p.amountFen)}`, 'fact-amount', false],
    [t('desk.col.status'), l.status(p.status), 'fact-status', false],
    [t('desk.col.payType'), l.how(p), undefined, false],
    [t('desk.col.operator'), p.operator ?? '—', undefined, false],
    [t('desk.col.time'), formatTime(p.createdAt), undefined, false],
    [t('desk.col.paidAt'), p.paidAt === null ? '—' : formatTime(p.paidAt), undefined, false],
    [t('desk.col.trace'), p.sysTrace ?? '—', 'fact-trace', true],
    [t('desk.col.tradeNo'), p.tradeNo, 'fact-trade-no', true],
  ];
  for (const [fact, value] of cardFacts(p.gatewayDetail)) rows.push([t(`card.${fact}`), value, `fact-card-${fact}`, fact === 'cardNo' || fact === 'refNo']);
  // Cash: what the customer handed over and the change (the receipt's 实收 / 找零), not the sale's amount again.
  if (p.cash !== null)
    rows.push(
      [t('checkout.cash.tendered'), `¥${formatFen(p.cash.tenderedFen)}`, 'fact-cash-tendered', false],
      [t('checkout.cash.change'), `¥${formatFen(p.cash.changeFen)}`, 'fact-cash-change', false],
    );
  if (p.gateway === 'yima' && p.closeRequested)
    rows.push([t('card.abandoned'), t(p.status === 'paid' ? 'checkout.refundOnTerminal' : 'checkout.yimaUnknown'), 'fact-abandoned', true]);
  // A QR sale cancelled at the counter that the customer paid anyway: the refund desk is where it is undone.
  else if (p.tender === 'qr' && p.closeRequested && p.status === 'paid')
    rows.push([t('desk.lateAfterCancel'), t('checkout.latePaidQr', { tradeNo: p.tradeNo, amount: formatFen(p.amountFen) }), 'fact-late-paid', true]);
  if (p.merOrderNo !== null) rows.push([t('desk.col.merOrderNo'), p.merOrderNo, undefined, true]);
  if (p.walletTradeNo !== null) rows.push([t('desk.col.walletTradeNo'), p.walletTradeNo, 'fact-wallet-no', true]);
  if (p.memo !== null) rows.push([t('desk.col.memo'), p.memo, undefined, true]);
  if (p.tender !== 'cash' && (p.respCode !== null || p.respMsg !== null))
    rows.push([t('desk.col.respMsg'), `${p.respCode ?? ''} ${p.respMsg ?? ''}`.trim(), undefined, true]);
  if (p.resolution !== null)
    rows.push([
      t('desk.col.resolution'),
      lang === 'en' ? `${p.resolution} (${p.resolvedBy ?? ''})` : `${p.resolution}（${p.resolvedBy ?? ''}）`,
      undefined,
      true,
    ]);
  return (
    <dl className="desk-facts" data-testid="payment-facts">
      {rows.map(([label, value, id, wide]) => (
        <div key={label} className={wide ? 'fact wide' : 'fact'}>
          <dt>{label}</dt>
          <dd data-testid={id} className={wide ? 'mono' : undefined}>
            {value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Each refund of the payment, with a re-query for the unfinished ones. */
export function RefundList({ refunds, onChanged }: { refunds: readonly RefundView[]; onChanged: () => void }): React.JSX.Element {
  const t = useT();
  const l = useLabels();
  const errorText = useDeskErrorText();
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState<number | null>(null);
  /** A receipt printer is set up (the refund rows offer their receipt). */
  const printer = useAppStore((st) => (st.info?.counter.receipt ?? null) !== null);
  const resolvingRefund = refunds.find((r) => r.id === resolving && r.status === 'unknown');
  const requery = async (id: number): Promise<void> => {
    setBusy(id);
    setError(null);
    try {
      await call('refund:requery', { id });
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };
  if (refunds.length === 0)
    return (
      <p className="hint" data-testid="desk-refunds-none">
        {t('desk.refunds.none')}
      </p>
    );
  return (
    <>
      <table className="desk-table" data-testid="desk-refunds">
        <thead>
          <tr>
            <th>
              {t('desk.col.time')} / {t('desk.col.trace')}
            </th>
            <th className="num">{t('desk.col.amount')}</th>
            <th>{t('desk.col.status')}</th>
            <th>{t('desk.col.reason')}</th>
            <th>{t('desk.col.approvedBy')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {refunds.map((r) => (
            <tr key={r.id} data-testid="desk-refund-row" data-refund-id={r.id} data-status={r.status}>
              <td className="mono">
                {shortDateTime(r.createdAt)}
                <div className="sub">{r.sysTrace ?? '—'}</div>
              </td>
              <td className="num">¥{formatFen(r.amountFen)}</td>
              <td>
                <span className={`badge refund-${r.status}`}>{l.refundStatus(r.status)}</span>
                {r.status === 'failed' && r.respMsg !== null && <div className="sub">{r.respMsg}</div>}
                {r.needsSupervisor && (
                  <div className="sub" data-testid="refund-needs-supervisor">
                    {t('desk.refund.needsSupervisor', { sentAt: r.sentAt === null ? '—' : shortDateTime(r.sentAt) })}
                    {r.respCode !== null && ` (${r.respCode} ${r.respMsg ?? ''})`}
                  </div>
                )}
              </td>
              <td className="wrap">{r.reason}</td>
              <td>{r.approvedBy ?? '—'}</td>
              <td>
                {OPEN_REFUND_STATUSES.includes(r.status) && (
                  <button type="button" className="small" disabled={busy === r.id} onClick={() => void requery(r.id)} data-testid="refund-requery">
                    {t('desk.refund.requery')}
                  </button>
                )}
                {r.status === 'unknown' && (
                  <button type="button" className="small" onClick={() => setResolving(r.id)} data-testid="refund-resolve">
                    {t('desk.refund.resolve')}
                  </button>
                )}
                <ReprintButton kind="refund" id={r.id} enabled={r.status === 'succeeded' && printer} withKey={false} testId="refund-print" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {resolvingRefund !== undefined && (
        <RefundResolveForm
          refund={resolvingRefund}
          onBack={() => setResolving(null)}
          onDone={() => {
            setResolving(null);
            onChanged();
          }}
        />
      )}
    </>
  );
}

/**
 * Turns event data into something a person can read: JSON held in strings (a gateway's raw answer)
 * is parsed so it is indented like the rest. Secrets were masked by the core before storage.
 */
export function readableData(data: unknown, depth = 0): unknown {
  if (depth > 8) return data;
  if (typeof data === 'string') {
    const text = data.trim();
    if ((text.startsWith('{') && text.endsWith('}')) || (text.startsWith('[') && text.endsWith(']'))) {
      try {
        return readableData(JSON.parse(text) as unknown, depth + 1);
      } catch {
        return data;
      }
    }
    return data;
  }
  if (Array.isArray(data)) return data.map((v) => readableData(v, depth + 1));
  if (data !== null && typeof data === 'object') {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, readableData(v, depth + 1)]));
  }
  return data;
}

function isEmptyData(data: unknown): boolean {
  return data === null || data === undefined || (typeof data === 'object' && Object.keys(data).length === 0);
}

function pretty(value: unknown): string {
  const readable = readableData(value);
  return typeof readable === 'string' ? readable : JSON.stringify(readable, null, 2);
}

interface Exchange {
  request: unknown;
  response: unknown;
  httpStatus?: unknown;
  outcome?: unknown;
  durationMs?: unknown;
  reason?: unknown;
  detail?: unknown;
}

/** A gateway exchange as the engine records it (bpc.F / G / R / J / S): request, answer, timing. */
function asExchange(data: unknown): Exchange | null {
  if (data === null || typeof data !== 'object' || !('request' in data) || !('response' in data)) return null;
  return data;
}

/** Flat data (every value a scalar) reads best as one line of `key value` pairs. */
function flatEntries(data: unknown): [string, string][] | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const entries = Object.entries(data);
  if (entries.some(([, v]) => v !== null && typeof v === 'object')) return null;
  return entries.map(([k, v]) => [k, v === null ? '—' : String(v as string | number | boolean)]);
}

function EventData({ data }: { data: unknown }): React.JSX.Element | null {
  const t = useT();
  if (isEmptyData(data)) return null;
  const exchange = asExchange(data);
  if (exchange !== null) {
    const meta = [
      typeof exchange.httpStatus === 'number' ? `HTTP ${exchange.httpStatus}` : null,
      typeof exchange.outcome === 'string' ? exchange.outcome : null,
      typeof exchange.durationMs === 'number' ? t('tx.x.duration', { ms: exchange.durationMs }) : null,
      typeof exchange.reason === 'string' ? `${exchange.reason}${typeof exchange.detail === 'string' ? `: ${exchange.detail}` : ''}` : null,
    ].filter((x): x is string => x !== null);
    return (
      <div className="exchange">
        <div>
          <div className="exchange-label">{t('tx.x.request')}</div>
          <pre className="event-data">{pretty(exchange.request)}</pre>
        </div>
        <div>
          <div className="exchange-label">
            {t('tx.x.response')} <span className="hint">{meta.join(' · ')}</span>
          </div>
          <pre className="event-data">{exchange.response === null || exchange.response === '' ? '—' : pretty(exchange.response)}</pre>
        </div>
      </div>
    );
  }
  const flat = flatEntries(data);
  if (flat !== null) {
    return (
      <div className="event-flat">
        {flat.map(([k, v]) => (
          <span key={k}>
            <span className="k">{k}</span> {v}
          </span>
        ))}
      </div>
    );
  }
  return <pre className="event-data">{pretty(data)}</pre>;
}

/** The full event history: time, what happened, who, and the data (every request and answer). */
export function EventHistory({ events }: { events: readonly LedgerEvent[] }): React.JSX.Element {
  const t = useT();
  const l = useLabels();
  return (
    <ol className="desk-events" data-testid="tx-events">
      {events.map((e) => (
        <li key={e.id} data-testid="tx-event" data-type={e.type} data-entity={e.entity}>
          <div className="event-head">
            <span className="mono">{formatTime(e.at)}</span>
            <span className="event-type">
              <code>{e.type}</code> {l.event(e.type) !== e.type && l.event(e.type)}
            </span>
            <span className="event-entity">{e.entity === 'refund' ? t('tx.event.refund', { id: e.entityId ?? '' }) : t('tx.event.payment')}</span>
            {e.actor !== null && <span className="event-actor">{t('tx.actor', { actor: e.actor })}</span>}
          </div>
          <EventData data={e.data} />
        </li>
      ))}
    </ol>
  );
}
