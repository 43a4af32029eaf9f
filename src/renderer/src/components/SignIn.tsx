import { useEffect, useRef, useState } from 'react';
import { call } from '../bridge/client';
import { useT } from '../i18n';
import { useErrorText } from '../lib/error-text';
import { parseYuanOrZero } from '../lib/format';
import { useAppStore } from '../store/app-store';
import { useSessionStore } from '../store/session-store';

/** Sign-in at the counter: operator number, Enter, PIN, Enter. Keyboard only. */
export function SignIn(): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const setSession = useSessionStore((s) => s.set);
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const cashOn = useAppStore((s) => s.info?.counter.cashTender ?? false);
  /** The opening float as typed (yuan); empty = the default float (used when the sign-in starts a shift). */
  const [float, setFloat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const pinRef = useRef<HTMLInputElement>(null);
  useEffect(() => codeRef.current?.focus(), []);

  const submit = async (): Promise<void> => {
    setError(null);
    try {
      const floatFen = float.trim() === '' ? undefined : parseYuanOrZero(float);
      setSession(await call('session:signIn', { code: code.trim(), pin, ...(floatFen === undefined ? {} : { floatFen }) }));
    } catch (e) {
      setError(errorText(e));
      setPin('');
      pinRef.current?.focus();
    }
  };

  return (
    <form
      className="signin panel"
      data-testid="signin"
      onSubmit={(e) => {
        e.preventDefault();
        if (pin === '') pinRef.current?.focus();
        else void submit();
      }}
    >
      <h2>{t('signin.title')}</h2>
      <label>
        {t('signin.code')}
        <input ref={codeRef} value={code} maxLength={16} autoComplete="off" onChange={(e) => setCode(e.target.value)} data-testid="signin-code" />
      </label>
      <label>
        {t('signin.pin')}
        <input
          ref={pinRef}
          type="password"
          inputMode="numeric"
          maxLength={8}
          autoComplete="off"
          value={pin}
          onChange={(e) => setPin(e.target.value)}
          data-testid="signin-pin"
        />
      </label>
      {cashOn && (
        <label>
          {t('signin.float')}
          <input inputMode="decimal" autoComplete="off" value={float} onChange={(e) => setFloat(e.target.value)} data-testid="signin-float" />
        </label>
      )}
      {error !== null && (
        <p className="error" role="alert" data-testid="signin-error">
          {error}
        </p>
      )}
      <button type="submit" data-testid="signin-submit">
        {t('signin.submit')} <kbd>Enter</kbd>
      </button>
    </form>
  );
}
