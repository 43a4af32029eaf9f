import { useCallback, useEffect, useRef, useState } from 'react';
import type { TrainingScript } from '../../../shared/domain';
import { TrainingScriptSchema } from '../../../shared/domain';
import { parseYuanToFen } from '../../../shared/money';
import { call } from '../bridge/client';
import { useT, type MessageKey } from '../i18n';
import { useErrorText } from '../lib/error-text';
import { typeIntoAmount } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useAppStore } from '../store/app-store';
import { isFinalStatus, subscribePaymentEvents, usePaymentStore } from '../store/payment-store';
import { Key, NEXT_SALE_AFTER_MS, PaymentPanel } from './checkout/PaymentPanel';
import { ResolveForm } from './checkout/ResolveForm';

/** Kept for the screens that import it from here; the hook lives in lib/error-text. */
export { useErrorText } from '../lib/error-text';

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

