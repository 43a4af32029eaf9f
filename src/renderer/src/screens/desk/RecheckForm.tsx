import { useRef, useState } from 'react';
import type { PaymentView } from '../../../../shared/domain';
import type { RecheckResult } from '../../../../shared/ipc/contract';
import { BridgeError, call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { useHostDetail } from '../../lib/host-detail';
import { useDeskErrorText } from './labels';

/** A Yima card sale the supervisor may re-check: 状态未明, or abandoned by the cashier and not final yet. */
export function canRecheck(p: PaymentView): boolean {
  return p.gateway === 'yima' && (p.status === 'unknown' || (p.closeRequested && (p.status === 'waiting' || p.status === 'created')));
}

/**
 * The supervisor's re-check of a Yima card sale (`payment:recheck`): Yima's order_id from the terminal's
 * slip or Yima's portal, the supervisor's code + PIN; Enter asks Yima (bcm_orderquery_request). What Yima
 * answered is said as it is: paid (the sale is now paid, its card facts shown above), not paid, unknown
 * order, or an answer that was not about this sale and was not used. The event history records each ask.
 */
export function RecheckForm({ payment, onDone }: { payment: PaymentView; onDone: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useDeskErrorText();
  const host = useHostDetail();
  const known = typeof payment.gatewayDetail?.orderId === 'string' ? payment.gatewayDetail.orderId : '';
  const [orderId, setOrderId] = useState(known);
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<RecheckResult | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (): Promise<void> => {
    if (busy) return;
    setError(null);
    setResult(null);
    const id = orderId.trim();
    if (!/^[0-9A-Za-z_-]{13,31}$/.test(id)) {
      setError(t('yima.recheck.orderIdInvalid'));
      return;
    }
    if (approval.code.trim() === '' || approval.pin === '') {
      setError(t('desk.refund.approvalRequired'));
      return;
    }
    setBusy(true);
    try {
      const out = await call('payment:recheck', { id: payment.id, orderId: id, approval: { code: approval.code.trim(), pin: approval.pin } });
      setResult(out);
      setApproval({ code: '', pin: '' });
      onDone();
    } catch (e) {
      setError(errorText(e));
      setApproval((a) => ({ ...a, pin: '' }));
      if (e instanceof BridgeError && e.info.code === 'PIN_WRONG')
        formRef.current?.querySelector<HTMLInputElement>('[data-testid="recheck-approval-pin"]')?.focus();
    } finally {
      setBusy(false);
    }
  };

  const said =
    result === null ? '' : result.verdict === 'rejected' || result.verdict === 'unclear' ? host(result.detail) : `${result.code} ${result.detail}`.trim();
  return (
    <ActionForm
      formRef={formRef}
      className="desk-refund-form"
      testId="recheck-form"
      title={t('yima.recheck.title')}
      onSubmit={() => void submit()}
      error={error}
      errorTestId="recheck-error"
      submitLabel={busy ? t('yima.recheck.working') : t('yima.recheck.run')}
      submitTestId="recheck-submit"
      primary
      busy={busy}
      result={
        result !== null && (
          <p className={result.verdict === 'paid' ? 'ok' : 'warning'} role="status" data-testid="recheck-result" data-verdict={result.verdict}>
            {t(`yima.recheck.verdict.${result.verdict}`)}
            {said !== '' && <span className="mono"> {said}</span>}
          </p>
        )
      }
    >
      <p className="hint">{t('yima.recheck.intro')}</p>
      <label>
        {t('yima.recheck.orderId')}
        <input value={orderId} maxLength={31} autoComplete="off" onChange={(e) => setOrderId(e.target.value)} data-testid="recheck-order-id" />
      </label>
      <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="recheck-approval" />
    </ActionForm>
  );
}
