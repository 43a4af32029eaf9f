import { useRef, useState } from 'react';
import type { RefundView } from '../../../../shared/domain';
import { parseYuanToFen } from '../../../../shared/money';
import type { PaymentDetailData } from '../../../../shared/reports';
import { BridgeError, call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { formatFen } from '../../lib/format';
import { useDeskErrorText } from './labels';

/** Amount typed so far as fen, or null while it is not (yet) a valid amount. */
function typedFen(text: string): number | null {
  try {
    return parseYuanToFen(text);
  } catch {
    return null;
  }
}

/**
 * The refund form: amount (yuan), reason, supervisor code + PIN; Enter in any field submits
 * `refund:create` (QR: through the bank) or `refund:record` (cash paid back from the drawer, which
 * opens; a card refund done on the terminal, with the terminal's refund reference). The "above the refundable amount" note is only a hint: the engine enforces the cap,
 * so the request still goes to the core and its refusal is shown.
 */
export function RefundForm({
  detail,
  onCreated,
  onRefused,
  amountRef,
}: {
  detail: PaymentDetailData;
  onCreated: (refund: RefundView) => void;
  /** The engine refused the amount: the caller re-reads the totals. */
  onRefused: () => void;
  amountRef: React.RefObject<HTMLInputElement | null>;
}): React.JSX.Element {
  const t = useT();
  const errorText = useDeskErrorText();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const tender = detail.payment.tender;
  /** Card: the terminal's reference of the refund the supervisor did on it. */
  const [reference, setReference] = useState('');
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const fen = typedFen(amount);
  const over = fen !== null && fen > detail.remainingFen;

  const formRef = useRef<HTMLFormElement>(null);
  const focusAmount = (): void => amountRef.current?.select();
  const focusApproval = (field: 'code' | 'pin'): void => formRef.current?.querySelector<HTMLInputElement>(`[data-testid="refund-approval-${field}"]`)?.focus();

  const submit = async (): Promise<void> => {
    if (busy) return;
    setError(null);
    let amountFen: number;
    try {
      amountFen = parseYuanToFen(amount);
    } catch (e) {
      setError(errorText(e));
      focusAmount();
      return;
    }
    if (reason.trim().length < 2) {
      setError(t('desk.refund.reasonRequired'));
      return;
    }
    if (tender === 'card' && reference.trim() === '') {
      setError(t('desk.refund.referenceRequired'));
      return;
    }
    if (approval.code.trim() === '' || approval.pin === '') {
      setError(t('desk.refund.approvalRequired'));
      return;
    }
    setBusy(true);
    try {
      const input = { paymentId: detail.payment.id, amountFen, reason: reason.trim(), approval: { code: approval.code.trim(), pin: approval.pin } };
      const refund =
        tender === 'qr'
          ? await call('refund:create', input)
          : await call('refund:record', { ...input, ...(tender === 'card' ? { reference: reference.trim() } : {}) });
      setReference('');
      // Nothing of the approval is kept after the action.
      setAmount('');
      setReason('');
      setApproval({ code: '', pin: '' });
      onCreated(refund);
      focusAmount();
    } catch (e) {
      setError(errorText(e));
      setApproval((a) => ({ ...a, pin: '' }));
      if (e instanceof BridgeError && e.info.code === 'REFUND_EXCEEDS_PAID') {
        // The totals moved or the amount was too high: show the ledger's current numbers.
        onRefused();
        focusAmount();
      } else if (e instanceof BridgeError && (e.info.code === 'PIN_WRONG' || e.info.code === 'ROLE_REQUIRED' || e.info.code === 'LOCKED_OUT')) {
        focusApproval(e.info.code === 'PIN_WRONG' ? 'pin' : 'code');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      formRef={formRef}
      className="desk-refund-form"
      testId="refund-form"
      title={t('desk.refund.title')}
      onSubmit={() => void submit()}
      error={error}
      errorTestId="refund-error"
      submitLabel={busy ? t('desk.refund.submitting') : t('desk.refund.submit')}
      submitTestId="refund-submit"
      primary
      busy={busy}
    >
      {tender === 'cash' && (
        <p className="hint" data-testid="refund-cash-note">
          {t('desk.refund.cashNote')}
        </p>
      )}
      <label>
        {t('desk.refund.amount')}
        <span className="amount-row">
          <input
            ref={amountRef}
            className="amount-input"
            inputMode="decimal"
            autoComplete="off"
            maxLength={16}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            data-testid="refund-amount"
          />
          <button type="button" className="small" tabIndex={-1} onClick={() => setAmount(formatFen(detail.remainingFen))} data-testid="refund-all">
            {t('desk.refund.all', { amount: formatFen(detail.remainingFen) })}
          </button>
        </span>
      </label>
      {over && (
        <p className="warning small-note" data-testid="refund-hint">
          {t('desk.refund.overRemaining', { remaining: formatFen(detail.remainingFen) })}
        </p>
      )}
      <label>
        {t('desk.refund.reason')}
        <input value={reason} maxLength={200} autoComplete="off" onChange={(e) => setReason(e.target.value)} data-testid="refund-reason" />
      </label>
      {tender === 'card' && (
        <label>
          {t('desk.refund.reference')}
          <input value={reference} maxLength={40} autoComplete="off" onChange={(e) => setReference(e.target.value)} data-testid="refund-reference" />
        </label>
      )}
      <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="refund-approval" />
    </ActionForm>
  );
}
