import { useState } from 'react';
import type { SettingsView } from '../../../../shared/ipc/contract';
import type { YimaBinding } from '../../../../shared/yima-settings';
import { BridgeError, call } from '../../bridge/client';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { formatTime } from '../../lib/format';
import { useHostDetail } from '../../lib/host-detail';
import { useManageErrorText } from './common';

/**
 * The one-time terminal binding (shown with `bindingEnabled`): the store name and a manager's code + PIN;
 * the body is a guess modelled on bind_pos_request, said so on the panel. The last outcome (from the
 * ledger) stays shown: bound, refused by Yima (its id and comment), or unclear (no usable answer).
 */
export function YimaBindingPanel({ view }: { view: SettingsView }): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const host = useHostDetail();
  const [binding, setBinding] = useState<YimaBinding | null>(view.yima.binding);
  const [storeName, setStoreName] = useState(view.shop.name);
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (): Promise<void> => {
    if (busy) return;
    setError(null);
    if (storeName.trim() === '') {
      setError(t('yima.bind.storeNameRequired'));
      return;
    }
    setBusy(true);
    try {
      const out = await call('settings:yimaBind', { storeName: storeName.trim(), approval: { code: approval.code.trim(), pin: approval.pin } });
      setBinding(out.binding);
      setApproval({ code: '', pin: '' });
    } catch (e) {
      // Refused because this terminal is already bound: say that, not a generic "not possible now".
      const already = e instanceof BridgeError && e.info.code === 'INVALID_STATE' && e.info.details?.field === 'yima.posId';
      setError(already ? t('yima.bind.already') : errorText(e));
      if (e instanceof BridgeError) setApproval((a) => ({ ...a, pin: '' }));
    } finally {
      setBusy(false);
    }
  };
  const said = binding === null ? '' : binding.verdict === 'unclear' && binding.code === '' ? host(binding.detail) : `${binding.code} ${binding.detail}`.trim();
  return (
    <form
      className="panel settings-section"
      data-testid="section-yima-bind"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{t('yima.bind.title')}</h3>
      <p className="hint">{t('yima.bind.intro')}</p>
      {binding !== null && (
        <p className={binding.verdict === 'bound' ? 'ok' : 'warning'} role="status" data-testid="yima-bind-result" data-verdict={binding.verdict}>
          {t(`yima.bind.verdict.${binding.verdict}`, { posId: binding.posId, storeId: binding.storeId, at: formatTime(binding.at), by: binding.by })}
          {binding.mode === 'training' && ` ${t('yima.bind.training')}`}
          {said !== '' && <span className="mono"> {said}</span>}
        </p>
      )}
      <label>
        {t('yima.bind.storeName')}
        <input value={storeName} maxLength={32} autoComplete="off" onChange={(e) => setStoreName(e.target.value)} data-testid="yima-bind-store-name" />
      </label>
      <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="yima-bind-approval" labelCode={t('yima.bind.manager')} />
      {error !== null && (
        <p className="error" role="alert" data-testid="yima-bind-error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} data-testid="yima-bind-submit">
        {busy ? t('yima.bind.working') : t('yima.bind.run')}
      </button>
    </form>
  );
}
