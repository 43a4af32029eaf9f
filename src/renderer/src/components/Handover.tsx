import { useEffect, useRef, useState } from 'react';
import { DENOMINATIONS_FEN } from '../../../shared/drawer';
import type { ChannelOutput } from '../../../shared/ipc/types';
import { call } from '../bridge/client';
import { useT, type MessageKey } from '../i18n';
import { formatFen, formatTime, parseYuanOrZero } from '../lib/format';
import { useErrorText } from '../lib/error-text';
import { useAppStore } from '../store/app-store';

type HandoverResult = ChannelOutput<'shift:handover'>;
type Translate = ReturnType<typeof useT>;

/** ¥100 … ¥1 as yuan, 5角 / 1角 in the screen's words. */
function denominationLabel(t: Translate, valueFen: number): string {
  return valueFen >= 100 ? `¥${valueFen / 100}` : t('handover.jiao', { n: valueFen / 10 });
}

type NotesCount =
  | { ok: true; denominations: { valueFen: number; count: number }[]; coinsFen: number; totalFen: number }
  /** `index`: the field that is wrong (DENOMINATIONS_FEN.length = the loose coins). */
  | { ok: false; index: number };

/** The counts as typed: whole numbers of notes / coins (empty = none), the loose coins in yuan; the total in integer fen. */
function readNotes(counts: Record<number, string>, coins: string): NotesCount {
  const denominations: { valueFen: number; count: number }[] = [];
  for (const [index, valueFen] of DENOMINATIONS_FEN.entries()) {
    const text = (counts[valueFen] ?? '').trim();
    if (text === '') continue;
    if (!/^\d{1,6}$/.test(text) || Number(text) > 100_000) return { ok: false, index };
    if (Number(text) > 0) denominations.push({ valueFen, count: Number(text) });
  }
  let coinsFen = 0;
  try {
    coinsFen = coins.trim() === '' ? 0 : parseYuanOrZero(coins);
  } catch {
    return { ok: false, index: DENOMINATIONS_FEN.length };
  }
  return { ok: true, denominations, coinsFen, totalFen: denominations.reduce((sum, d) => sum + d.valueFen * d.count, coinsFen) };
}

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
  const cashOn = useAppStore((s) => s.info?.counter.cashTender ?? false);
  /** The drawer count as typed (yuan); empty = no count (a counter that took no cash). */
  const [counted, setCounted] = useState('');
  const countRef = useRef<HTMLInputElement>(null);
  /** F2: count notes and coins by denomination instead of typing the total. */
  const [byNotes, setByNotes] = useState(false);
  const [counts, setCounts] = useState<Record<number, string>>({});
  const [coins, setCoins] = useState('');
  /** The denomination fields, then the loose coins. */
  const noteRefs = useRef<(HTMLInputElement | null)[]>([]);
  useEffect(() => {
    if (!cashOn) return;
    if (byNotes) noteRefs.current[0]?.focus();
    else countRef.current?.focus();
  }, [cashOn, byNotes]);
  const notes = readNotes(counts, coins);
  const printRef = useRef<HTMLButtonElement>(null);
  // The report is on screen: print is the next key (Enter), Esc closes.
  useEffect(() => {
    if (result !== null) printRef.current?.focus();
  }, [result]);

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      if (cashOn && byNotes) {
        if (!notes.ok) {
          const label = notes.index < DENOMINATIONS_FEN.length ? denominationLabel(t, DENOMINATIONS_FEN[notes.index] ?? 0) : '';
          setError(notes.index < DENOMINATIONS_FEN.length ? t('handover.countInvalid', { label }) : t('handover.coinsInvalid'));
          noteRefs.current[notes.index]?.focus();
          return;
        }
        setResult(await call('shift:handover', { denominations: notes.denominations, coinsFen: notes.coinsFen }));
        return;
      }
      let countedFen: number | undefined;
      if (cashOn && counted.trim() !== '') countedFen = parseYuanOrZero(counted);
      setResult(await call('shift:handover', countedFen === undefined ? undefined : { countedFen }));
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
      } else if (e.key === 'F2' && result === null && cashOn) {
        // Only the form's own key: the checkout behind it must not open its fields.
        e.preventDefault();
        e.stopPropagation();
        toggleNotes();
      } else if (e.key === 'Enter' && result === null && !busy) {
        e.preventDefault();
        // Counting notes: Enter goes to the next denomination; the last field's Enter ends the shift.
        const at = byNotes ? noteRefs.current.findIndex((el) => el !== null && el === e.target) : -1;
        if (at >= 0 && at < DENOMINATIONS_FEN.length) {
          e.stopPropagation();
          noteRefs.current[at + 1]?.focus();
          return;
        }
        void confirm();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  /** Between a typed total and the count by denomination; what was typed in the other way is dropped. */
  const toggleNotes = (): void => {
    setError(null);
    setCounted('');
    setCounts({});
    setCoins('');
    setByNotes((v) => !v);
  };

  return (
    <div className="overlay" role="dialog" aria-modal="true" data-testid="handover">
      <div className="panel handover">
        {result === null ? (
          <>
            <h2>{t('handover.title')}</h2>
            <p>{t('handover.confirm', { operator })}</p>
            {cashOn && !byNotes && (
              <label className="field">
                <span>{t('handover.counted')}</span>
                <input ref={countRef} inputMode="decimal" value={counted} onChange={(e) => setCounted(e.target.value)} data-testid="handover-counted" />
              </label>
            )}
            {cashOn && byNotes && (
              <div className="handover-denoms" data-testid="handover-denoms">
                {DENOMINATIONS_FEN.map((valueFen, i) => (
                  <label className="field" key={valueFen}>
                    <span>{denominationLabel(t, valueFen)}</span>
                    <input
                      ref={(el) => {
                        noteRefs.current[i] = el;
                      }}
                      inputMode="numeric"
                      value={counts[valueFen] ?? ''}
                      onChange={(e) => setCounts((c) => ({ ...c, [valueFen]: e.target.value }))}
                      data-testid={`handover-denom-${valueFen}`}
                    />
                  </label>
                ))}
                <label className="field">
                  <span>{t('handover.coins')}</span>
                  <input
                    ref={(el) => {
                      noteRefs.current[DENOMINATIONS_FEN.length] = el;
                    }}
                    inputMode="decimal"
                    value={coins}
                    onChange={(e) => setCoins(e.target.value)}
                    data-testid="handover-coins"
                  />
                </label>
                <p className="total" data-testid="handover-sum">
                  {t('handover.sum', { amount: notes.ok ? `¥${formatFen(notes.totalFen)}` : '—' })}
                </p>
                <p className="hint">{t('handover.notesHint')}</p>
              </div>
            )}
            {error !== null && (
              <p className="error" data-testid="handover-error">
                {error}
              </p>
            )}
            <div className="actions">
              {cashOn && (
                <button type="button" onClick={toggleNotes} data-testid="handover-by-notes">
                  {t(byNotes ? 'handover.byTotal' : 'handover.byNotes')} <kbd>F2</kbd>
                </button>
              )}
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
            {result.shift !== null && <HandoverReport shift={result.shift} />}
            <div className="actions no-print">
              <button ref={printRef} type="button" onClick={() => window.print()} data-testid="handover-print">
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

type Shift = NonNullable<HandoverResult['shift']>;

/** The handover report of one ended shift, as shown on screen and printed. */
export function HandoverReport({ shift }: { shift: Shift }): React.JSX.Element {
  const t = useT();
  const report = shift.report;
  return (
    <>
      <h2>{t('handover.reportTitle')}</h2>
      <p data-testid="handover-shift">
        {t('handover.operator')} {shift.operator} · {formatTime(shift.startedAt)} – {shift.endedAt === null ? '' : formatTime(shift.endedAt)}
      </p>
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
      {report?.drawer !== undefined && <DrawerCount drawer={report.drawer} />}
    </>
  );
}

/** The drawer count of a handover: float + cash sales − cash refunds against what was counted. */
function DrawerCount({ drawer }: { drawer: NonNullable<NonNullable<Shift['report']>['drawer']> }): React.JSX.Element {
  const t = useT();
  const diff = drawer.differenceFen;
  return (
    <table className="handover-table" data-testid="handover-drawer">
      <caption>{t('handover.drawer')}</caption>
      <tbody>
        <tr>
          <th>{t('handover.float')}</th>
          <td>¥{formatFen(drawer.floatFen)}</td>
        </tr>
        <tr>
          <th>{t('handover.cashSales')}</th>
          <td>¥{formatFen(drawer.cashSalesFen)}</td>
        </tr>
        <tr>
          <th>{t('handover.cashRefunds')}</th>
          <td>¥{formatFen(drawer.cashRefundsFen)}</td>
        </tr>
        <tr>
          <th>{t('handover.expected')}</th>
          <td data-testid="handover-expected">¥{formatFen(drawer.expectedFen)}</td>
        </tr>
        <tr>
          <th>{t('handover.countedCash')}</th>
          <td data-testid="handover-counted-cash">¥{formatFen(drawer.countedFen)}</td>
        </tr>
        <tr className="total">
          <th>{t('handover.difference')}</th>
          <td data-testid="handover-difference">
            {diff === 0 ? t('handover.even') : t(diff < 0 ? 'handover.short' : 'handover.over', { amount: formatFen(Math.abs(diff)) })}
          </td>
        </tr>
      </tbody>
      {(drawer.denominations !== undefined || drawer.coinsFen !== undefined) && (
        <tbody className="breakdown" data-testid="handover-breakdown">
          {(drawer.denominations ?? []).map((d) => (
            <tr key={d.valueFen}>
              <th>
                {denominationLabel(t, d.valueFen)} × {d.count}
              </th>
              <td>¥{formatFen(d.valueFen * d.count)}</td>
            </tr>
          ))}
          {(drawer.coinsFen ?? 0) > 0 && (
            <tr>
              <th>{t('handover.coinsRow')}</th>
              <td>¥{formatFen(drawer.coinsFen ?? 0)}</td>
            </tr>
          )}
        </tbody>
      )}
    </table>
  );
}

/** A past handover reopened from the list: the same report, to read again or reprint. Esc closes. */
export function PastHandover({ shift, onClose }: { shift: Shift; onClose: () => void }): React.JSX.Element {
  const t = useT();
  const printRef = useRef<HTMLButtonElement>(null);
  useEffect(() => printRef.current?.focus(), []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [onClose]);
  return (
    <div className="overlay" role="dialog" aria-modal="true" data-testid="past-handover">
      <div className="panel handover">
        <div className="print-area" data-testid="handover-report">
          <HandoverReport shift={shift} />
          <div className="actions no-print">
            <button ref={printRef} type="button" onClick={() => window.print()} data-testid="handover-print">
              {t('handover.reprint')}
            </button>
            <button type="button" onClick={onClose} data-testid="handover-close">
              {t('handover.close')} <kbd>Esc</kbd>
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
