import { useCallback, useEffect, useRef, useState } from 'react';
import type { PaymentView, TrainingScript } from '../../../shared/domain';
import { TrainingScriptSchema } from '../../../shared/domain';
import { parseYuanToFen } from '../../../shared/money';
import { BridgeError, call } from '../bridge/client';
import { QrImage } from '../components/QrImage';
import { StatusLight } from '../components/StatusLight';
import { hasMessage, useT, type MessageKey } from '../i18n';
import { formatCountdown, formatFen, formatTime, typeIntoAmount } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useAppStore } from '../store/app-store';
import { isFinalStatus, subscribePaymentEvents, usePaymentStore } from '../store/payment-store';

const NEXT_SALE_AFTER_MS = 5000;

const SELF_EXPLANATORY = new Set(['PIN_WRONG', 'LOCKED_OUT', 'ROLE_REQUIRED', 'PIN_REQUIRED', 'DAY_CLOSED', 'AMOUNT_INVALID', 'FORBIDDEN']);

/** Turns a bridge error into the user's language, keeping the host's message as detail. */
export function useErrorText(): (error: unknown) => string {
  const t = useT();
  return (error) => {
    if (error instanceof BridgeError) {
      const key = `error.${error.info.code}`;
      const head = hasMessage(key) ? t(key) : error.info.code;
      const max = error.info.details?.maxFen;
      if (typeof max === 'number') return `${head}（${formatFen(max)}）`;
      // For these the translated text says it all; the host's English detail would only add noise.
      return SELF_EXPLANATORY.has(error.info.code) ? head : `${head}：${error.info.message}`;
    }
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
      const key = `error.${error.code}`;
      if (hasMessage(key)) return t(key);
    }
    return error instanceof Error ? error.message : String(error);
  };
}

/**
 * 收银 — keyboard-only checkout. Digits / `.` / Backspace edit the amount, Enter collects, Esc clears
 * or cancels, F2 the optional order number and memo, F5 re-queries, F8 opens the supervisor's
 * settlement of an unknown outcome. Works with a numeric keypad alone for the main flow.
 */
export function Checkout(): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const info = useAppStore((s) => s.info);
  const { payment, clockOffsetMs, finalSeenAt, loadCurrent, show } = usePaymentStore();
  const [buffer, setBuffer] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [showFields, setShowFields] = useState(false);
  const [merOrderNo, setMerOrderNo] = useState('');
  const [memo, setMemo] = useState('');
  const [resolving, setResolving] = useState(false);
  const [trainer, setTrainer] = useState<TrainingScript>('success');
  const [tender, setTender] = useState<'qr' | 'card'>('qr');
  const now = useNow();
  const orderRef = useRef<HTMLInputElement>(null);

  const training = info?.mode === 'training';
  const open = payment !== null && !isFinalStatus(payment.status);
  const finished = payment !== null && isFinalStatus(payment.status);

  useEffect(() => {
    loadCurrent()
      .then(() => {
        // Show a finished sale from before a reload only while it is fresh; start with an empty entry otherwise.
        const p = usePaymentStore.getState().payment;
        if (p !== null && isFinalStatus(p.status)) show(null);
      })
      .catch((e: unknown) => setMessage(errorText(e)));
    const off = subscribePaymentEvents();
    return off;
  }, []);

  useEffect(() => {
    if (!training) return;
    call('training:state', undefined)
      .then((s) => setTrainer(s.nextScript))
      .catch(() => undefined);
  }, [training, payment?.id]);

  const newSale = useCallback(() => {
    show(null);
    setBuffer('');
    setMerOrderNo('');
    setMemo('');
    setMessage(null);
    setResolving(false);
  }, [show]);

  // After success, the next sale starts by itself after a few seconds.
  useEffect(() => {
    if (payment?.status !== 'paid' || finalSeenAt === null) return;
    const timer = setTimeout(newSale, Math.max(0, finalSeenAt + NEXT_SALE_AFTER_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [payment?.status, finalSeenAt, newSale]);

  const collect = useCallback(async () => {
    setMessage(null);
    let amountFen: number;
    try {
      amountFen = parseYuanToFen(buffer);
    } catch (e) {
      setMessage(errorText(e));
      return;
    }
    setBusy(true);
    try {
      const created = await call('payment:create', {
        amountFen,
        tender,
        ...(merOrderNo.trim() === '' ? {} : { merOrderNo: merOrderNo.trim() }),
        ...(memo.trim() === '' ? {} : { memo: memo.trim() }),
      });
      show(created);
      setShowFields(false);
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(false);
    }
  }, [buffer, merOrderNo, memo, tender, errorText, show]);

  const cancel = useCallback(async () => {
    if (payment === null) return;
    setBusy(true);
    setMessage(t('checkout.cancelling'));
    try {
      show(await call('payment:cancel', { id: payment.id }));
      setMessage(null);
    } catch (e) {
      setMessage(errorText(e));
    } finally {
      setBusy(false);
    }
  }, [payment, show, errorText, t]);

  const requery = useCallback(async () => {
    if (payment === null) return;
    try {
      show(await call('payment:requery', { id: payment.id }));
    } catch (e) {
      setMessage(errorText(e));
    }
  }, [payment, show, errorText]);

  const trainerPay = useCallback(async () => {
    if (payment === null) return;
    try {
      await call('training:pay', { id: payment.id });
    } catch (e) {
      setMessage(errorText(e));
    }
  }, [payment, errorText]);

  const chooseTrainer = useCallback(
    async (script: TrainingScript) => {
      try {
        setTrainer((await call('training:script', { script })).nextScript);
      } catch (e) {
        setMessage(errorText(e));
      }
    },
    [errorText],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      const inField = target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
      if (resolving) return; // the settlement form handles its own keys
      if (e.key === 'F9' && !open && !finished) {
        e.preventDefault();
        setTender((v) => (v === 'qr' ? 'card' : 'qr'));
        return;
      }
      if (e.key === 'F2') {
        e.preventDefault();
        if (!open && !finished) {
          setShowFields((v) => !v);
          setTimeout(() => orderRef.current?.focus(), 0);
        }
        return;
      }
      if (inField) {
        if (e.key === 'Escape' || e.key === 'Enter') {
          e.preventDefault();
          (target as HTMLInputElement).blur();
          if (e.key === 'Enter' && !open && !finished && !busy) void collect();
        }
        return;
      }
      if (busy) return;
      if (finished) {
        if (e.key === 'Enter' || e.key === 'Escape') {
          e.preventDefault();
          newSale();
        }
        return;
      }
      if (open) {
        if (e.key === 'Escape') {
          e.preventDefault();
          void cancel();
        } else if (e.key === 'F5') {
          e.preventDefault();
          void requery();
        } else if (e.key === 'F8' && payment?.status === 'unknown') {
          e.preventDefault();
          setResolving(true);
        } else if (e.key === 'F7' && training) {
          e.preventDefault();
          void trainerPay();
        }
        return;
      }
      if (e.key === 'Enter') {
        e.preventDefault();
        void collect();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        setBuffer('');
        setMessage(null);
      } else {
        const next = typeIntoAmount(buffer, e.key);
        if (next !== null) {
          e.preventDefault();
          setBuffer(next);
          setMessage(null);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [buffer, busy, open, finished, resolving, payment?.status, training, collect, cancel, requery, trainerPay, newSale]);

  const hostNow = now + clockOffsetMs;
  return (
    <section className="checkout" data-testid="checkout">
      <div className="checkout-main">
        <StatusLight />
        {payment === null ? (
          <div className="entry">
            <div className="tender" data-testid="tender" data-tender={tender}>
              <span className={tender === 'qr' ? 'on' : ''}>{t('checkout.tender.qr')}</span>
              <span className={tender === 'card' ? 'on' : ''}>{t('checkout.tender.card')}</span>
            </div>
            <label className="amount-label">{t('checkout.amount')}</label>
            <div className={`amount-display ${buffer === '' ? 'empty' : ''}`} data-testid="amount-display">
              ¥ {buffer === '' ? '0.00' : buffer}
            </div>
            {showFields && (
              <div className="fields">
                <input ref={orderRef} placeholder={t('checkout.orderNo')} value={merOrderNo} maxLength={32} onChange={(e) => setMerOrderNo(e.target.value)} data-testid="mer-order-no" />
                <input placeholder={t('checkout.memo')} value={memo} maxLength={64} onChange={(e) => setMemo(e.target.value)} data-testid="memo" />
              </div>
            )}
            {busy && <p className="hint">{t('checkout.working')}</p>}
          </div>
        ) : (
          <PaymentPanel payment={payment} hostNow={hostNow} finalSeenAt={finalSeenAt} />
        )}
        {message !== null && (
          <p className="error" role="alert" data-testid="checkout-message">
            {message}
          </p>
        )}
        {resolving && payment !== null && <ResolveForm payment={payment} onDone={(p) => (show(p), setResolving(false))} onBack={() => setResolving(false)} />}
      </div>
      <aside className="keys">
        {payment === null && <Key k="Enter" label={t('checkout.keys.collect')} />}
        {payment === null && <Key k="Esc" label={t('checkout.keys.cancel')} />}
        {payment === null && <Key k="F2" label={t('checkout.keys.fields')} />}
        {payment === null && <Key k="F9" label={t('checkout.keys.tender')} />}
        {open && <Key k="Esc" label={t('checkout.keys.cancel')} />}
        {open && <Key k="F5" label={t('checkout.keys.requery')} />}
        {open && payment.status === 'unknown' && <Key k="F8" label={t('checkout.keys.resolve')} />}
        {open && training && <Key k="F7" label={t('checkout.keys.trainerPay')} />}
        {finished && <Key k="Enter" label={t('checkout.keys.next')} />}
        {training && (
          <div className="trainer" data-testid="trainer">
            <h3>{t('trainer.title')}</h3>
            {TrainingScriptSchema.options.map((s) => (
              <button key={s} type="button" tabIndex={-1} onMouseDown={(e) => e.preventDefault()} className={s === trainer ? 'selected' : ''} data-testid={`trainer-${s}`} onClick={() => void chooseTrainer(s)}>
                {t(`trainer.${s}` as MessageKey)}
              </button>
            ))}
          </div>
        )}
      </aside>
    </section>
  );
}

function Key({ k, label }: { k: string; label: string }): React.JSX.Element {
  return (
    <div className="key">
      <kbd>{k}</kbd> {label}
    </div>
  );
}

function PaymentPanel({ payment, hostNow, finalSeenAt }: { payment: PaymentView; hostNow: number; finalSeenAt: number | null }): React.JSX.Element {
  const t = useT();
  const status = t(`status.${payment.status}` as MessageKey);
  const payType = payment.payType !== null && hasMessage(`payType.${payment.payType}`) ? t(`payType.${payment.payType}` as MessageKey) : payment.payType;
  if (payment.status === 'paid') {
    const left = finalSeenAt === null ? 0 : Math.max(0, Math.ceil((finalSeenAt + NEXT_SALE_AFTER_MS - Date.now()) / 1000));
    return (
      <div className="result result-paid" data-testid="payment-result" data-status="paid">
        <div className="big-status">✓ {status}</div>
        <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
        <dl>
          <dt>{t('checkout.paidAt')}</dt>
          <dd>{payment.paidAt === null ? '' : formatTime(payment.paidAt)}</dd>
          {payType !== null && (
            <>
              <dt>{t('checkout.payType')}</dt>
              <dd>{payType}</dd>
            </>
          )}
          <dt>{t('checkout.trace')}</dt>
          <dd data-testid="payment-trace">{payment.sysTrace}</dd>
        </dl>
        <p className="hint">{t('checkout.nextSaleIn', { s: left })}</p>
      </div>
    );
  }
  if (payment.status === 'failed' || payment.status === 'closed') {
    return (
      <div className={`result result-${payment.status}`} data-testid="payment-result" data-status={payment.status}>
        <div className="big-status">{status}</div>
        <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
        {payment.respMsg !== null && <p className="hint">{payment.respMsg}</p>}
      </div>
    );
  }
  const remaining = payment.qrExpiresAt === null ? null : payment.qrExpiresAt - hostNow;
  return (
    <div className={`pending status-${payment.status}`} data-testid="payment-pending" data-status={payment.status}>
      <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
      <div className="status-line" data-testid="payment-status">
        {status}
      </div>
      {payment.scanCode !== null && payment.status !== 'unknown' && (
        <>
          <QrImage text={payment.scanCode} size={240} testId="cashier-qr" />
          <p>{t('checkout.scanPrompt')}</p>
        </>
      )}
      {remaining !== null && payment.status !== 'unknown' && (
        <p className="countdown" data-testid="countdown">
          {remaining > 0 ? t('checkout.expiresIn', { time: formatCountdown(remaining) }) : t('checkout.expired')}
        </p>
      )}
      {payment.tender === 'card' && payment.status === 'created' && <p className="status-line">{t('checkout.cardPrompt')}</p>}
      {payment.status === 'unknown' && <p className="warning">{t(payment.tender === 'card' ? 'checkout.cardUnknownHelp' : 'checkout.unknownHelp')}</p>}
      {payment.status === 'unknown' && payment.respMsg !== null && <p className="hint">{payment.respMsg}</p>}
      <p className="trace">
        {t('checkout.tradeNo')} {payment.tradeNo}
      </p>
    </div>
  );
}

function ResolveForm({ payment, onDone, onBack }: { payment: PaymentView; onDone: (p: PaymentView) => void; onBack: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const [outcome, setOutcome] = useState<'paid' | 'failed'>('failed');
  const known = payment.payType === 'ZFBA' || payment.payType === 'WEIX' || payment.payType === 'UPAY' ? payment.payType : '';
  const [payType, setPayType] = useState<'' | 'ZFBA' | 'WEIX' | 'UPAY'>(known);
  const [reason, setReason] = useState('');
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (): Promise<void> => {
    setError(null);
    const needsPayType = outcome === 'paid' && payment.tender === 'qr';
    if (needsPayType && payType === '') {
      setError(t('resolve.payTypeNeeded'));
      return;
    }
    try {
      onDone(await call('payment:resolve', { id: payment.id, outcome, reason, ...(needsPayType && payType !== '' ? { payType } : {}), supervisor: { code, pin } }));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <form
      className="resolve panel"
      data-testid="resolve-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onBack();
        }
      }}
    >
      <h3>{t('resolve.title')}</h3>
      <label>
        {t('resolve.outcome')}
        <select ref={first} value={outcome} onChange={(e) => setOutcome(e.target.value === 'paid' ? 'paid' : 'failed')} data-testid="resolve-outcome">
          <option value="failed">{t('resolve.failed')}</option>
          <option value="paid">{t('resolve.paid')}</option>
        </select>
      </label>
      {outcome === 'paid' && payment.tender === 'qr' && (
        <label>
          {t('resolve.payType')}
          <select
            value={payType}
            onChange={(e) => setPayType(e.target.value === 'ZFBA' || e.target.value === 'WEIX' || e.target.value === 'UPAY' ? e.target.value : '')}
            data-testid="resolve-paytype"
          >
            <option value="">—</option>
            <option value="ZFBA">{t('payType.ZFBA')}</option>
            <option value="WEIX">{t('payType.WEIX')}</option>
            <option value="UPAY">{t('payType.UPAY')}</option>
          </select>
        </label>
      )}
      <label>
        {t('resolve.reason')}
        <input value={reason} onChange={(e) => setReason(e.target.value)} data-testid="resolve-reason" />
      </label>
      <label>
        {t('resolve.supervisor')}
        <input value={code} onChange={(e) => setCode(e.target.value)} data-testid="resolve-code" />
      </label>
      <label>
        {t('resolve.pin')}
        <input type="password" inputMode="numeric" value={pin} onChange={(e) => setPin(e.target.value)} data-testid="resolve-pin" />
      </label>
      {error !== null && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" data-testid="resolve-submit">
          {t('resolve.submit')} <kbd>Enter</kbd>
        </button>
        <button type="button" onClick={onBack}>
          {t('resolve.cancel')} <kbd>Esc</kbd>
        </button>
      </div>
    </form>
  );
}
