import { useEffect, useRef, useState } from 'react';
import { call } from '../../bridge/client';
import { ActionForm } from '../../components/ActionForm';
import { useT } from '../../i18n';
import { useErrorText } from '../../lib/error-text';

/** F8 with no sale open: a no-sale drawer open (开钱箱) with a reason and a supervisor's code + PIN (recorded). */
export function DrawerForm({ onDone, onBack }: { onDone: () => void; onBack: () => void }): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const [reason, setReason] = useState('');
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (): Promise<void> => {
    setError(null);
    if (reason.trim().length < 2) {
      setError(t('drawer.reasonRequired'));
      return;
    }
    try {
      await call('drawer:open', { reason: reason.trim(), approval: { code: code.trim(), pin } });
      onDone();
    } catch (e) {
      setPin('');
      setError(errorText(e));
    }
  };
  return (
    <ActionForm
      className="resolve panel"
      testId="drawer-form"
      title={t('drawer.title')}
      onSubmit={() => void submit()}
      back={{ label: t('resolve.cancel'), onBack }}
      error={error}
      errorTestId="drawer-error"
      submitLabel={t('drawer.submit')}
      submitTestId="drawer-submit"
    >
      <label>
        {t('drawer.reason')}
        <input ref={first} value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} data-testid="drawer-reason" />
      </label>
      <label>
        {t('resolve.supervisor')}
        <input value={code} autoComplete="off" onChange={(e) => setCode(e.target.value)} data-testid="drawer-code" />
      </label>
      <label>
        {t('resolve.pin')}
        <input type="password" inputMode="numeric" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value)} data-testid="drawer-pin" />
      </label>
    </ActionForm>
  );
}
