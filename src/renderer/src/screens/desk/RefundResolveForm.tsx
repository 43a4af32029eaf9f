import { useEffect, useRef, useState } from 'react';
import type { RefundView } from '../../../../shared/domain';
import { BridgeError, call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { formatFen } from '../../lib/format';
import { useDeskErrorText } from './labels';

/**
 * The supervisor settles a refund left 状态未明 (`refund:resolve`): its R left but no answer came back,
 * so BPC's refund query has no trace to ask about. After checking with the bank, the supervisor records
 * what the bank says — refunded (it counts as refunded) or not refunded (the amount is refundable again) —
 * with a reason and their code + PIN. Recorded in the refund's event history; nothing is sent to the bank.
 * Until then the refund counts against the cap and the day cannot be closed.
 */
export function RefundResolveForm({ refund, onDone, onBack }: { refund: RefundView; onDone: () => void; onBack: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useDeskErrorText();
  const [outcome, setOutcome] = useState<'succeeded' | 'failed'>('failed');
  const [reason, setReason] = useState('');
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const first = useRef<HTMLSelectElement>(null);
  useEffect(() => first.current?.focus(), []);

  const submit = async (): Promise<void> => {
    if (busy) return;
    setError(null);
    if (reason.trim().length < 2) {
      setError(t('desk.refund.reasonRequired'));
      return;
    }
    if (approval.code.trim() === '' || approval.pin === '') {
      setError(t('desk.refund.approvalRequired'));
      return;
    }
    setBusy(true);
    try {
      await call('refund:resolve', { id: refund.id, outcome, reason: reason.trim(), approval: { code: approval.code.trim(), pin: approval.pin } });
      setApproval({ code: '', pin: '' });
      onDone();
    } catch (e) {
      setError(errorText(e));
      setApproval((a) => ({ ...a, pin: '' }));
      if (e instanceof BridgeError && e.info.code === 'PIN_WRONG')
        formRef.current?.querySelector<HTMLInputElement>('[data-testid="refund-resolve-approval-pin"]')?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <ActionForm
      formRef={formRef}
      className="desk-refund-form"
      testId="refund-resolve-form"
      title={t('desk.refund.resolveTitle', { amount: formatFen(refund.amountFen), refundNo: refund.refundNo })}
      onSubmit={() => void submit()}
      back={{ label: t('resolve.cancel'), onBack }}
      error={error}
      errorTestId="refund-resolve-error"
      submitLabel={t('desk.refund.resolveSubmit')}
      submitTestId="refund-resolve-submit"
      busy={busy}
    >
      <p className="hint">{t('desk.refund.resolveIntro')}</p>
      <label>
        {t('desk.refund.resolveOutcome')}
        <select
          ref={first}
          value={outcome}
          onChange={(e) => setOutcome(e.target.value === 'succeeded' ? 'succeeded' : 'failed')}
          data-testid="refund-resolve-outcome"
        >
          <option value="failed">{t('desk.refund.resolveFailed')}</option>
          <option value="succeeded">{t('desk.refund.resolveSucceeded')}</option>
        </select>
      </label>
      <label>
        {t('desk.refund.resolveReason')}
        <input value={reason} maxLength={200} autoComplete="off" onChange={(e) => setReason(e.target.value)} data-testid="refund-resolve-reason" />
      </label>
      <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="refund-resolve-approval" />
    </ActionForm>
  );
}
