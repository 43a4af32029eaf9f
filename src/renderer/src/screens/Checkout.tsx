import { memo, useCallback, useEffect, useRef, useState } from 'react';
import type { Tender, TrainingScript } from '../../../shared/domain';
import type { AppInfo } from '../../../shared/ipc/contract';
import { BPC_MAX_FEN, parseYuanToFen } from '../../../shared/money';
import { TRAINING_SCRIPTS } from '../../../shared/sale-rules';
import { BridgeError, call } from '../bridge/client';
import { StatusLight } from '../components/StatusLight';
import { useT, type MessageKey } from '../i18n';
import { useErrorText } from '../lib/error-text';
import { useHostDetail } from '../lib/host-detail';
import { printReceiptInBrowser } from '../lib/print-receipt';
import { formatFen, typeIntoAmount } from '../lib/format';
import { badInputProblem } from '../lib/input-errors';
import { BurstDetector, entryKey, isCustomerPayCode } from '../lib/key-input';
import { useVoicePrompt } from '../lib/voice';
import { useAppStore } from '../store/app-store';
import { isAbandoned, isFinalStatus, isShown, subscribePaymentEvents, usePaymentStore } from '../store/payment-store';
import { Key, NEXT_SALE_AFTER_MS, PaymentPanel } from './checkout/PaymentPanel';
import { DrawerForm } from './checkout/DrawerForm';
import { ResolveForm } from './checkout/ResolveForm';
import { SaleFields, saleFieldProblems, type SaleFieldErrors } from './checkout/SaleFields';

/** Kept for the screens that import it from here; the hook lives in lib/error-text. */
export { useErrorText } from '../lib/error-text';

/**
 * 收银 — keyboard-only checkout. Digits / `.` / Backspace edit the amount, Enter collects, Esc clears
 * or cancels, F2 the optional order number and memo, F5 re-queries, F8 opens the supervisor's
 * settlement of an unknown outcome. A 17-key numeric keypad alone does the whole checkout (NumLock on
 * or off): `+` collects, `-` is backspace / clear, `*` switches the tender (QR → card → cash when the
 * cash tender is on), `/` cancels (pressed twice on an open sale). Cash: Enter on the amount asks for
 * the amount tendered (typed the same way; Enter alone = exact), shows the change as it is typed, and
 * Enter takes the cash; Esc goes back to the amount. A barcode scanner's burst is never taken as an amount.
 */
export function Checkout(): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText({ merOrderNo: t('input.field.merOrderNo'), memo: t('input.field.memo') });
  const info = useAppStore((s) => s.info);
  const { payment, clockOffsetMs, finalSeenAt, loadCurrent, show, follow, latePaid, clearLatePaid } = usePaymentStore();
  const [buffer, setBuffer] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  /** A call in flight: the sale being sent (its QR may show before the call returns), or a cancel. */
  const [busy, setBusy] = useState<false | 'send' | 'cancel'>(false);
  const [showFields, setShowFields] = useState(false);
  const [merOrderNo, setMerOrderNo] = useState('');
  const [memo, setMemo] = useState('');
  const [fieldErrors, setFieldErrors] = useState<SaleFieldErrors>({});
  const [resolving, setResolving] = useState(false);
  /** F8 with no sale: the no-sale drawer form. */
  const [drawerForm, setDrawerForm] = useState(false);
  const [trainer, setTrainer] = useState<TrainingScript>('success');
  const defaultTender = info?.counter.defaultTender ?? 'qr';
  const cashOn = info?.counter.cashTender ?? false;
  const [tender, setTender] = useState<Tender>(defaultTender);
  /** Cash: the amount due once the cashier pressed Enter on it (the buffer then holds the tendered amount). */
  const [cashDue, setCashDue] = useState<number | null>(null);
  const [confirmCancelAt, setConfirmCancelAt] = useState<number | null>(null);
  const orderRef = useRef<HTMLInputElement>(null);
  const memoRef = useRef<HTMLInputElement>(null);
  const burst = useRef(new BurstDetector());

  const training = info?.mode === 'training';
  // A sale the cashier gave up on (an abandoned Yima sale, a cancelled QR whose close is unconfirmed) is still
  // followed by the core, but done at the counter: Enter takes the next sale.
  const abandoned = payment !== null && isAbandoned(payment);
  const open = payment !== null && !isFinalStatus(payment.status) && !abandoned;
  const finished = payment !== null && (isFinalStatus(payment.status) || abandoned);
  const maxAmountFen = info?.counter.maxAmountFen ?? null;
  const keepLastTender = info?.counter.keepLastTender ?? false;
  const cardRoute = info?.counter.cardRoute ?? 'terminal';
  const receiptAfter = info?.counter.receipt?.after ?? 'off';
  /** A system printer in browser mode: the page's print dialog prints the receipt. */
  const printDialog = info?.counter.receipt?.dialog ?? false;
  const dialogShown = useRef<number | null>(null);
  /** Auto print "ask": a paid sale on screen waits for Enter (print) / Esc (no receipt) or the next amount. */
  const askReceipt = payment !== null && payment.status === 'paid' && receiptAfter === 'ask';
  const detailText = useHostDetail();

  useVoicePrompt(payment);

  useEffect(() => {
    loadCurrent()
      .then(() => {
        // Show a finished sale from before a reload only while it is fresh; start with an empty entry otherwise.
        const p = usePaymentStore.getState().payment;
        if (p !== null && (isFinalStatus(p.status) || isAbandoned(p))) show(null);
      })
      .catch((e: unknown) => setMessage(errorText(e)));
    const off = subscribePaymentEvents();
    return off;
    // Mount only: load the current sale once and follow its events; a language change must not reload it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The default tender can change in Settings; an idle entry follows it.
  useEffect(() => {
    if (usePaymentStore.getState().payment === null && buffer === '') setTender(defaultTender);
    // Only a change of the default itself: clearing the amount must not undo the cashier's own tender switch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [defaultTender]);

  useEffect(() => {
    if (!training) return;
    call('training:state', undefined)
      .then((s) => setTrainer(s.nextScript))
      .catch(() => undefined);
  }, [training, payment?.id]);

  const clearFields = useCallback(() => {
    setMerOrderNo('');
    setMemo('');
    setFieldErrors({});
    setShowFields(false);
  }, []);

  const newSale = useCallback(() => {
    show(null);
    setBuffer('');
    clearFields();
    setMessage(null);
    setResolving(false);
    setConfirmCancelAt(null);
    setCashDue(null);
    burst.current.reset();
    // After each sale the tender returns to the default unless the shop keeps the last one.
    if (!keepLastTender) setTender(defaultTender);
  }, [show, clearFields, keepLastTender, defaultTender]);

  // After success, the next sale starts by itself after a few seconds (not while the receipt question is open:
  // it is answered with Enter / Esc, or by typing the next amount).
  useEffect(() => {
    if (payment?.status !== 'paid' || finalSeenAt === null || askReceipt) return;
    const timer = setTimeout(newSale, Math.max(0, finalSeenAt + NEXT_SALE_AFTER_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [payment?.status, finalSeenAt, newSale, askReceipt]);

  /** Prints a paid sale's receipt (the cashier said yes). Never holds up the next sale: a failure is said, the print is queued. */
  const printReceipt = useCallback(
    async (id: number) => {
      try {
        const result = await call('receipt:print', { kind: 'payment', id });
        if (result.outcome === 'browser') await printReceiptInBrowser({ kind: 'payment', id });
        else if (result.outcome === 'queued') setMessage(t('checkout.receipt.queued', { detail: detailText(result.detail) }));
      } catch (e) {
        setMessage(errorText(e));
      }
    },
    [t, detailText, errorText],
  );

  // Auto print with a system printer in browser mode: the host cannot print silently, so the page's
  // print dialog opens with the receipt once per paid sale (an ESC/POS printer is printed by the host).
  useEffect(() => {
    if (payment?.status !== 'paid' || finalSeenAt === null || receiptAfter !== 'auto' || !printDialog || dialogShown.current === payment.id) return;
    // A sale paid before this page loaded is not printed again.
    if (Date.now() - finalSeenAt > NEXT_SALE_AFTER_MS) return;
    dialogShown.current = payment.id;
    void printReceipt(payment.id);
  }, [payment?.status, payment?.id, finalSeenAt, receiptAfter, printDialog, printReceipt]);

  /** Shows the fields and puts the cursor in the one that is wrong. */
  const showFieldError = useCallback((field: 'merOrderNo' | 'memo', text: string) => {
    setFieldErrors((v) => ({ ...v, [field]: text }));
    setShowFields(true);
    setTimeout(() => (field === 'memo' ? memoRef : orderRef).current?.focus(), 0);
  }, []);

  const limitText = useCallback((max: number) => errorText(new BridgeError({ code: 'AMOUNT_TOO_LARGE', message: '', details: { maxFen: max } })), [errorText]);

  /** Sends the sale (cash: with the amount tendered). */
  const send = useCallback(
    async (amountFen: number, tenderedFen: number | undefined) => {
      setBusy('send');
      // The late-payment notice was on the entry screen while this sale was typed: the cashier has seen it.
      clearLatePaid();
      try {
        const created = await call('payment:create', {
          amountFen,
          tender,
          ...(tenderedFen === undefined ? {} : { tenderedFen }),
          ...(merOrderNo.trim() === '' ? {} : { merOrderNo: merOrderNo.trim() }),
          ...(memo.trim() === '' ? {} : { memo: memo.trim() }),
        });
        // As any answer: a sale the cashier already left (its result came by event, + was pressed) stays
        // left, and the next sale's entry is not touched.
        follow(created);
        if (isShown(created.id)) {
          setShowFields(false);
          setCashDue(null);
        }
      } catch (e) {
        const problem = badInputProblem(t, e);
        if (problem !== null && (problem.field === 'merOrderNo' || problem.field === 'memo')) showFieldError(problem.field, problem.rule);
        // A refused create never left the counter: with Yima the cashier must know no order reached the card POS.
        const splitRule = e instanceof BridgeError && e.info.details?.field === 'extend_params' ? e.info.details.rule : undefined;
        const why = typeof splitRule === 'string' ? t('checkout.yimaSplitRefused', { rule: splitRule }) : errorText(e);
        setMessage(tender === 'card' && cardRoute === 'yima' ? `${why} ${t('checkout.yimaNotSent')}` : why);
      } finally {
        // A cancel pressed while the sale was being sent keeps its own hold.
        setBusy((b) => (b === 'send' ? false : b));
      }
    },
    [merOrderNo, memo, tender, cardRoute, errorText, follow, showFieldError, t, clearLatePaid],
  );

  const collect = useCallback(async () => {
    setMessage(null);
    setConfirmCancelAt(null);
    let amountFen: number;
    try {
      amountFen = parseYuanToFen(buffer);
    } catch (e) {
      setMessage(errorText(e));
      return;
    }
    if (maxAmountFen !== null && amountFen > maxAmountFen) {
      setMessage(limitText(maxAmountFen));
      return;
    }
    // A refused order number or memo is shown on its field; nothing is sent.
    const problems = saleFieldProblems(t, merOrderNo, memo);
    const firstBad = (['merOrderNo', 'memo'] as const).find((f) => problems[f] !== undefined);
    if (firstBad !== undefined) {
      setFieldErrors(problems);
      showFieldError(firstBad, problems[firstBad] ?? '');
      setMessage(t('input.labelled', { label: t(firstBad === 'memo' ? 'input.field.memo' : 'input.field.merOrderNo'), rule: problems[firstBad] ?? '' }));
      return;
    }
    if (tender === 'cash') {
      // The amount is fixed; the keys now type what the customer hands over.
      setCashDue(amountFen);
      setBuffer('');
      burst.current.reset();
      return;
    }
    await send(amountFen, undefined);
  }, [buffer, merOrderNo, memo, tender, maxAmountFen, errorText, limitText, showFieldError, t, send]);

  /** Cash: Enter on the tendered amount (empty = exact). Short is refused here and again in the core. */
  const takeCash = useCallback(async () => {
    if (cashDue === null) return;
    setMessage(null);
    let tenderedFen = cashDue;
    if (buffer !== '') {
      try {
        tenderedFen = parseYuanToFen(buffer);
      } catch (e) {
        setMessage(errorText(e));
        return;
      }
    }
    if (tenderedFen < cashDue) {
      setMessage(t('checkout.cash.short', { short: formatFen(cashDue - tenderedFen) }));
      return;
    }
    await send(cashDue, tenderedFen);
  }, [cashDue, buffer, errorText, send, t]);

  /** Esc in the cash step: back to the amount, as it was typed. */
  const leaveCash = useCallback(() => {
    if (cashDue === null) return;
    setBuffer(formatFen(cashDue).replace(/,/g, ''));
    setCashDue(null);
    setMessage(null);
  }, [cashDue]);

  const cancel = useCallback(async () => {
    if (payment === null) return;
    setConfirmCancelAt(null);
    setBusy('cancel');
    setMessage(t('checkout.cancelling'));
    // The cashier may move on once the core's event shows the sale closed: the call's late answer then
    // says nothing on the next sale's screen.
    try {
      follow(await call('payment:cancel', { id: payment.id }));
      if (isShown(payment.id)) setMessage(null);
    } catch (e) {
      if (isShown(payment.id)) setMessage(errorText(e));
    } finally {
      setBusy(false);
    }
  }, [payment, follow, errorText, t]);

  const requery = useCallback(async () => {
    if (payment === null) return;
    try {
      follow(await call('payment:requery', { id: payment.id }));
    } catch (e) {
      setMessage(errorText(e));
    }
  }, [payment, follow, errorText]);

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

  /** A scanner burst ended: never an amount. A customer's 付款码 gets the explanation in words. */
  const scanned = useCallback(
    (code: string, amountBefore: string) => {
      setBuffer(amountBefore);
      setMessage(isCustomerPayCode(code) ? t('checkout.scan.payCode') : t('checkout.scan.other', { code: code.slice(0, 32) }));
    },
    [t],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target as HTMLElement | null;
      const inField = target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT');
      if (resolving || drawerForm) return; // the settlement and drawer forms handle their own keys
      if (e.key === 'F8' && payment === null && cashOn && !inField) {
        e.preventDefault();
        setDrawerForm(true);
        return;
      }
      const entry = inField ? null : entryKey(e);
      if ((e.key === 'F9' || entry?.kind === 'tender') && !open && !finished) {
        e.preventDefault();
        if (cashDue === null) setTender((v) => nextTender(v, cashOn));
        return;
      }
      if (e.key === 'F2') {
        e.preventDefault();
        if (!open && !finished && cashDue === null) {
          setShowFields((v) => !v);
          setTimeout(() => orderRef.current?.focus(), 0);
        }
        return;
      }
      if (inField) {
        if (e.key === 'Escape') {
          // Esc in the fields drops the pending order number and memo: nothing hidden stays behind.
          e.preventDefault();
          (target as HTMLInputElement).blur();
          clearFields();
          setMessage(null);
        } else if (e.key === 'Enter') {
          e.preventDefault();
          (target as HTMLInputElement).blur();
          if (!open && !finished && !busy) void (cashDue === null ? collect() : takeCash());
        }
        return;
      }
      // A call in flight holds the entry's keys, not those of the sale the core already shows: its event comes
      // before the call's own answer. A sale on screen while it is still being sent (a Yima push waiting for
      // the card POS) can be cancelled — the core closes it once the create is answered; a finished sale's
      // + / Esc start the next one. Only a cancel in flight holds the open sale's keys (no second cancel).
      if (busy !== false && (payment === null || (open && busy === 'cancel'))) return;
      if (finished && askReceipt) {
        // 打印小票？ Enter prints, Esc / Backspace does not; a digit is the next sale's amount.
        if (entry === null || entry.kind === 'tender') return;
        e.preventDefault();
        const id = payment.id;
        newSale();
        if (entry.kind === 'collect') void printReceipt(id);
        else if (entry.kind === 'char') {
          burst.current.char(entry.char, e.timeStamp, '');
          const next = typeIntoAmount('', entry.char);
          if (next !== null) setBuffer(next);
        }
        return;
      }
      if (finished) {
        if (entry?.kind === 'collect' || entry?.kind === 'clear') {
          e.preventDefault();
          newSale();
        } else if (abandoned && e.key === 'F5') {
          e.preventDefault();
          void requery();
        } else if (abandoned && e.key === 'F8' && payment?.status === 'unknown') {
          e.preventDefault();
          setResolving(true);
        }
        return;
      }
      if (open) {
        if (entry?.kind === 'clear') {
          e.preventDefault();
          void cancel();
        } else if (entry?.kind === 'cancel') {
          // `/` on a keypad: press twice to cancel (a stray key must not close a QR the customer is scanning).
          e.preventDefault();
          if (confirmCancelAt !== null && Date.now() - confirmCancelAt < CANCEL_CONFIRM_MS) void cancel();
          else setConfirmCancelAt(Date.now());
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
      if (entry === null) return;
      if (cashDue !== null && (entry.kind === 'collect' || entry.kind === 'clear' || entry.kind === 'cancel')) {
        e.preventDefault();
        if (entry.kind === 'collect') void takeCash();
        else leaveCash();
        return;
      }
      // The key's own time (not when this handler ran): a redraw after each key must not split a scanner's burst.
      const at = e.timeStamp;
      if (entry.kind === 'collect') {
        e.preventDefault();
        const scan = burst.current.enter(at);
        if (scan !== null) scanned(scan.code, scan.amountBefore);
        else void collect();
      } else if (entry.kind === 'clear' || entry.kind === 'cancel') {
        e.preventDefault();
        setBuffer('');
        clearFields();
        setMessage(null);
        burst.current.reset();
      } else if (entry.kind === 'backspace') {
        e.preventDefault();
        if (buffer === '') clearFields();
        setBuffer(buffer.slice(0, -1));
        setMessage(null);
      } else if (entry.kind === 'char') {
        e.preventDefault();
        burst.current.char(entry.char, at, buffer);
        const next = typeIntoAmount(buffer, entry.char);
        if (next !== null) {
          setBuffer(next);
          const fen = amountOrNull(next);
          setMessage(fen !== null && maxAmountFen !== null && fen > maxAmountFen && !burst.current.active(at) ? limitText(maxAmountFen) : null);
        } else if (/^[0-9]$/.test(entry.char) && !burst.current.active(at) && /^\d{12}/.test(buffer) && !buffer.includes('.')) {
          // A 13th digit: above any limit, said in words instead of a silently ignored key.
          setMessage(limitText(maxAmountFen ?? BPC_MAX_FEN));
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    buffer,
    busy,
    open,
    finished,
    abandoned,
    resolving,
    confirmCancelAt,
    maxAmountFen,
    payment?.status,
    training,
    collect,
    cancel,
    requery,
    trainerPay,
    newSale,
    clearFields,
    scanned,
    limitText,
    cashDue,
    cashOn,
    takeCash,
    leaveCash,
    drawerForm,
    payment,
    askReceipt,
    printReceipt,
  ]);

  const pendingFields = [
    merOrderNo.trim() === '' ? null : `${t('input.field.merOrderNo')} ${merOrderNo.trim()}`,
    memo.trim() === '' ? null : `${t('input.field.memo')} ${memo.trim()}`,
  ].filter((x) => x !== null);
  return (
    <section className="checkout" data-testid="checkout">
      <div className="checkout-main">
        <QuietStatusLight />
        {payment === null ? (
          <div className="entry">
            <div className="tender" data-testid="tender" data-tender={tender}>
              <span className={tender === 'qr' ? 'on' : ''}>{t('checkout.tender.qr')}</span>
              <span className={tender === 'card' ? 'on' : ''}>{t('checkout.tender.card')}</span>
              {cashOn && <span className={tender === 'cash' ? 'on' : ''}>{t('checkout.tender.cash')}</span>}
            </div>
            {cashDue === null ? (
              <>
                <label className="amount-label">{t('checkout.amount')}</label>
                <div className={`amount-display ${buffer === '' ? 'empty' : ''}`} data-testid="amount-display">
                  ¥ {buffer === '' ? '0.00' : buffer}
                </div>
              </>
            ) : (
              <CashEntry dueFen={cashDue} buffer={buffer} />
            )}
            {showFields ? (
              <SaleFields
                orderRef={orderRef}
                memoRef={memoRef}
                merOrderNo={merOrderNo}
                memo={memo}
                errors={fieldErrors}
                onOrderNo={(v) => {
                  setMerOrderNo(v);
                  setFieldErrors((x) => ({ ...x, merOrderNo: saleFieldProblems(t, v, '').merOrderNo }));
                }}
                onMemo={(v) => {
                  setMemo(v);
                  setFieldErrors((x) => ({ ...x, memo: saleFieldProblems(t, '', v).memo }));
                }}
              />
            ) : (
              pendingFields.length > 0 && (
                <p className="hint" data-testid="fields-pending">
                  {t('checkout.fieldsPending', { fields: pendingFields.join(' · ') })}
                </p>
              )
            )}
            {tender === 'card' && cardRoute === 'yima' && info !== null && info.counter.yimaSplit !== null && (
              <SplitPreview plan={info.counter.yimaSplit} amount={buffer} />
            )}
            {busy && <p className="hint">{t('checkout.working')}</p>}
          </div>
        ) : (
          <PaymentPanel payment={payment} clockOffsetMs={clockOffsetMs} finalSeenAt={finalSeenAt} holdNext={askReceipt} />
        )}
        {askReceipt && (
          <p className="receipt-ask" role="status" data-testid="receipt-ask">
            {t('checkout.receipt.ask')}
          </p>
        )}
        {confirmCancelAt !== null && open && (
          <p className="warning" role="alert" data-testid="cancel-confirm">
            {t('checkout.cancelConfirm')}
          </p>
        )}
        {latePaid !== null && (
          <p className="warning" role="alert" data-testid="late-paid">
            {t(latePaid.gateway === 'yima' ? 'checkout.latePaidCard' : 'checkout.latePaidQr', {
              amount: formatFen(latePaid.amountFen),
              tradeNo: latePaid.tradeNo,
            })}
          </p>
        )}
        {message !== null && (
          <p className="error" role="alert" data-testid="checkout-message">
            {message}
          </p>
        )}
        {drawerForm && (
          <DrawerForm
            onDone={() => {
              setDrawerForm(false);
              setMessage(t('drawer.opened'));
            }}
            onBack={() => setDrawerForm(false)}
          />
        )}
        {resolving && payment !== null && <ResolveForm payment={payment} onDone={(p) => (follow(p), setResolving(false))} onBack={() => setResolving(false)} />}
      </div>
      <aside className="keys" data-testid="checkout-keys">
        <KeyColumn
          entry={payment === null}
          cashStep={cashDue !== null}
          cashOn={cashOn}
          open={open}
          unknown={payment?.status === 'unknown'}
          training={training}
          finished={finished}
          askReceipt={askReceipt}
          abandoned={abandoned}
        />
        {training && <TrainerPanel trainer={trainer} onChoose={chooseTrainer} />}
      </aside>
    </section>
  );
}

// Parts of the checkout that a keypress does not change are not redrawn by it: each key then costs the
// amount's own redraw (the bench's keypress → DOM figure), not the status light's or the trainer's.
const QuietStatusLight = memo(StatusLight);

/** The keys that work now, each with its keypad twin. Redrawn only when the sale's state changes. */
const KeyColumn = memo(function KeyColumn({
  entry,
  cashStep,
  cashOn,
  open,
  unknown,
  training,
  finished,
  askReceipt,
  abandoned,
}: {
  entry: boolean;
  cashStep: boolean;
  cashOn: boolean;
  open: boolean;
  unknown: boolean;
  training: boolean;
  finished: boolean;
  askReceipt: boolean;
  abandoned: boolean;
}): React.JSX.Element {
  const t = useT();
  return (
    <>
      {entry && <Key k="Enter" pad="+" label={t(cashStep ? 'checkout.keys.cashTake' : 'checkout.keys.collect')} />}
      {entry && <Key k="Esc" pad="/" label={t(cashStep ? 'checkout.keys.cashBack' : 'checkout.keys.clear')} />}
      {entry && <Key k="⌫" pad="-" label={t('checkout.keys.backspace')} />}
      {entry && !cashStep && <Key k="F9" pad="*" label={t(cashOn ? 'checkout.keys.tenderCash' : 'checkout.keys.tender')} />}
      {entry && <Key k="F2" label={t('checkout.keys.fields')} />}
      {entry && cashOn && <Key k="F8" label={t('checkout.keys.drawer')} />}
      {open && <Key k="Esc" pad="/ /" label={t('checkout.keys.cancel')} />}
      {open && <Key k="F5" label={t('checkout.keys.requery')} />}
      {open && unknown && <Key k="F8" label={t('checkout.keys.resolve')} />}
      {open && training && <Key k="F7" label={t('checkout.keys.trainerPay')} />}
      {finished && !askReceipt && <Key k="Enter" pad="+" label={t('checkout.keys.next')} />}
      {askReceipt && <Key k="Enter" pad="+" label={t('checkout.keys.printReceipt')} />}
      {askReceipt && <Key k="Esc" pad="/" label={t('checkout.keys.noReceipt')} />}
      {abandoned && <Key k="F5" label={t('checkout.keys.requery')} />}
      {abandoned && unknown && <Key k="F8" label={t('checkout.keys.resolve')} />}
    </>
  );
});

/** Training mode: the next simulated customer's behaviour, chosen with the mouse (never takes focus). */
const TrainerPanel = memo(function TrainerPanel({
  trainer,
  onChoose,
}: {
  trainer: TrainingScript;
  onChoose: (s: TrainingScript) => Promise<void>;
}): React.JSX.Element {
  const t = useT();
  return (
    <div className="trainer" data-testid="trainer">
      <h3>{t('trainer.title')}</h3>
      {TRAINING_SCRIPTS.map((s) => (
        <button
          key={s}
          type="button"
          tabIndex={-1}
          onMouseDown={(e) => e.preventDefault()}
          className={s === trainer ? 'selected' : ''}
          data-testid={`trainer-${s}`}
          onClick={() => void onChoose(s)}
        >
          {t(`trainer.${s}` as MessageKey)}
        </button>
      ))}
    </div>
  );
});

/** The tender after `t` for F9 / `*`: QR → card → cash (when on) → QR. */
function nextTender(t: Tender, cashOn: boolean): Tender {
  if (t === 'qr') return 'card';
  if (t === 'card' && cashOn) return 'cash';
  return 'qr';
}

/** Cash step: the amount due, what is typed as tendered, and the change as it is typed (integer fen). */
function CashEntry({ dueFen, buffer }: { dueFen: number; buffer: string }): React.JSX.Element {
  const t = useT();
  const tendered = buffer === '' ? dueFen : amountOrNull(buffer);
  const change = tendered === null || tendered < dueFen ? null : tendered - dueFen;
  return (
    <div className="cash-entry" data-testid="cash-entry">
      <dl>
        <dt>{t('checkout.cash.due')}</dt>
        <dd data-testid="cash-due">¥ {formatFen(dueFen)}</dd>
      </dl>
      <label className="amount-label">{t('checkout.cash.tendered')}</label>
      <div className={`amount-display ${buffer === '' ? 'empty' : ''}`} data-testid="cash-tendered">
        ¥ {buffer === '' ? formatFen(dueFen) : buffer}
      </div>
      <div className="cash-change" data-testid="cash-change">
        {t('checkout.cash.change')} ¥ {change === null ? '—' : formatFen(change)}
      </div>
      <p className="hint">{t('checkout.cash.hint')}</p>
    </div>
  );
}

/** How long the first `/` waits for the second before the cancel is forgotten. */
const CANCEL_CONFIRM_MS = 4000;

function amountOrNull(text: string): number | null {
  try {
    return parseYuanToFen(text);
  } catch {
    return null;
  }
}

/** The counter's Yima split plan applied to the typed amount, as it will be sent (extend_params). */
function SplitPreview({ plan, amount }: { plan: NonNullable<AppInfo['counter']['yimaSplit']>; amount: string }): React.JSX.Element {
  const t = useT();
  const fen = amountOrNull(amount);
  let text: string;
  if (plan.flag === 'N') text = t('checkout.split.none');
  else if (plan.flag === 'D') text = t('checkout.split.delayed', { date: plan.planSplitDate === '' ? '—' : plan.planSplitDate });
  else if (plan.clean) {
    text = t('checkout.split.percent', {
      shares: plan.receivers.map((r) => `${r.merchantId} ${r.divPercentage ?? ''}%`).join('，'),
      keep: plan.keepPercentage,
    });
  } else {
    const divided = plan.receivers.reduce((sum, r) => sum + (r.divAmtFen ?? 0), 0);
    const shares = plan.receivers.map((r) => `${r.merchantId} ¥${formatFen(r.divAmtFen ?? 0)}`).join('，');
    text =
      fen === null || fen <= 0
        ? t('checkout.split.amountPending', { shares })
        : fen < divided
          ? t('checkout.split.tooSmall', { shares })
          : t('checkout.split.amount', { shares, keep: formatFen(fen - divided) });
  }
  return (
    <p className="hint" data-testid="yima-split-preview">
      {text}
    </p>
  );
}
