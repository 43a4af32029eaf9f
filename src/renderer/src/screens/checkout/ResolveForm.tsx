import { useEffect, useRef, useState } from 'react';
import type { PaymentView } from '../../../../shared/domain';
import { call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { useT } from '../../i18n';
import { useErrorText } from '../../lib/error-text';

/** F8: the supervisor settles a sale whose outcome stayed unknown (outcome, pay type, reason, PIN). */
export function ResolveForm({ payment, onDone, onBack }: { payment: PaymentView; onDone: (p: PaymentView) => void; onBack: () => void }): React.JSX.Element {
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
      onDone(
        await call('payment:resolve', { id: payment.id, outcome, reason, ...(needsPayType && payType !== '' ? { payType } : {}), supervisor: { code, pin } }),
      );
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <ActionForm
      className="resolve panel"
      testId="resolve-form"
      title={t('resolve.title')}
      onSubmit={() => void submit()}
      back={{ label: t('resolve.cancel'), onBack, escapeBubbles: true }}
      error={error}
      submitLabel={t('resolve.submit')}
      submitTestId="resolve-submit"
    >
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
    </ActionForm>
  );
}
