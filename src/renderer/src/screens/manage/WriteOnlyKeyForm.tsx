import { useRef, useState } from 'react';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { call } from '../../bridge/client';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { useManageErrorText } from './common';

/**
 * A gateway's key, write-only (BPC, Yima, headquarters): typed into an uncontrolled password field so
 * it never becomes React state or an attribute in the DOM, sent once with an approval, and the field
 * emptied on success. Afterwards only what the core tells of the stored key (`stored`) is shown.
 * The test ids all grow from `testId`: `section-${testId}`, `${testId}-status`, `-input`, `-approval`,
 * `-save` and `-message`.
 */
export function WriteOnlyKeyForm({
  gateway,
  testId,
  title,
  stored,
  hint,
  minLength,
  tooShort,
  onSaved,
  afterStatus,
  beforeSave,
}: {
  gateway: 'bpc' | 'yima' | 'hq';
  testId: string;
  title: string;
  /** The masked "set" line when a key is stored, null when none is. */
  stored: string | null;
  hint: string;
  /** Shorter keys are refused here, with `tooShort`, before anything is sent. */
  minLength: number;
  tooShort: string;
  onSaved: (view: SettingsView) => void;
  /** Shown under the status line (BPC: how the key is kept on disk). */
  afterStatus?: React.ReactNode;
  /** Shown between the key field and the approval (BPC: the training-mode note). */
  beforeSave?: React.ReactNode;
}): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const keyRef = useRef<HTMLInputElement>(null);
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const hasValue = stored !== null;

  const save = async (): Promise<void> => {
    const input = keyRef.current;
    if (input === null) return;
    const value = input.value;
    setMessage(null);
    if (value.length < minLength) {
      setMessage({ kind: 'error', text: tooShort });
      return;
    }
    setBusy(true);
    try {
      const next = await call('settings:setKey', { gateway, key: value, approval });
      input.value = '';
      onSaved(next);
      setMessage({ kind: 'ok', text: t('manage.key.saved') });
    } catch (e) {
      setMessage({ kind: 'error', text: errorText(e) });
    } finally {
      setApproval((a) => ({ ...a, pin: '' }));
      setBusy(false);
    }
  };

  return (
    <form
      className="panel settings-section"
      data-testid={`section-${testId}`}
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) void save();
      }}
    >
      <h3>{title}</h3>
      <p data-testid={`${testId}-status`} className={hasValue ? 'ok' : 'warning-text'}>
        {stored ?? t('manage.key.notSet')}
      </p>
      {afterStatus}
      <div className="fields-grid">
        <label className="field field-wide">
          <span className="field-label">{hasValue ? t('manage.key.replace') : t('manage.key.new')}</span>
          <input ref={keyRef} type="password" autoComplete="new-password" spellCheck={false} maxLength={256} defaultValue="" data-testid={`${testId}-input`} />
          <span className="field-hint">{hint}</span>
        </label>
      </div>
      {beforeSave}
      <div className="save-row">
        <ApprovalFields value={approval} onChange={setApproval} testIdPrefix={`${testId}-approval`} />
        <button type="submit" className="primary" disabled={busy} data-testid={`${testId}-save`}>
          {t('manage.key.save')} <kbd>Enter</kbd>
        </button>
      </div>
      {message !== null && (
        <p className={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid={`${testId}-message`}>
          {message.text}
        </p>
      )}
    </form>
  );
}
