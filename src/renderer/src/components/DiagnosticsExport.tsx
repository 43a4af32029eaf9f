import { useState } from 'react';
import { call } from '../bridge/client';
import { useT } from '../i18n';
import { downloadHostFile } from '../lib/download';
import { useErrorText } from '../screens/Checkout';
import { ApprovalFields, type Approval } from './ApprovalFields';

/**
 * 导出诊断包: a supervisor's PIN, then one zip for the installer (logs, health, versions, settings
 * without secrets, the ledger's integrity check) — never the ledger or a key.
 */
export function DiagnosticsExport(): React.JSX.Element {
  const t = useT();
  const errorText = useErrorText();
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const run = (): void => {
    setBusy(true);
    setMessage(null);
    call('app:diagnostics', { approval })
      .then((file) => {
        downloadHostFile(file);
        setMessage({ ok: true, text: t('diagnostics.done', { file: file.fileName }) });
      })
      .catch((error: unknown) => setMessage({ ok: false, text: errorText(error) }))
      .finally(() => {
        setBusy(false);
        setApproval({ code: '', pin: '' });
      });
  };

  return (
    <form
      className="diagnostics"
      data-testid="diagnostics"
      onSubmit={(e) => {
        e.preventDefault();
        run();
      }}
    >
      <h3>{t('diagnostics.title')}</h3>
      <p className="hint">{t('diagnostics.hint')}</p>
      <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="diagnostics" />
      <button type="submit" disabled={busy || approval.code === '' || approval.pin === ''} data-testid="diagnostics-export">
        {t('diagnostics.export')}
      </button>
      {message !== null && (
        <p className={message.ok ? 'hint' : 'error'} data-testid="diagnostics-message">
          {message.text}
        </p>
      )}
    </form>
  );
}
