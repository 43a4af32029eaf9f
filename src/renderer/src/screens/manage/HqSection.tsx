import { useRef, useState } from 'react';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { HqSettingsSchema } from '../../../../shared/settings';
import { call } from '../../bridge/client';
import { ApprovalFields, type Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { Field, numText, textNum, useManageErrorText, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';

/**
 * 总部 — where this counter reports (chains, docs/hq.md): headquarters URL, store code and the lane
 * headquarters registered, next to the order-number lane; the counter's HMAC key is write-only.
 * Saved with a supervisor's approval like every section. Selling never depends on any of it.
 */
export function HqSection({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const s = view.hq.settings;
  const [url, setUrl] = useState(s?.url ?? '');
  const [store, setStore] = useState(s?.store ?? '');
  const [lane, setLane] = useState(s?.lane ?? '');
  const [intervalSec, setIntervalSec] = useState(numText((s?.intervalMs ?? 5000) / 1000));
  const [caFile, setCaFile] = useState(s?.caFile ?? '');

  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, HqSettingsSchema, {
      url: url.trim(),
      store: store.trim(),
      lane: lane.trim(),
      intervalMs: Math.round(textNum(intervalSec) * 1000),
      caFile: caFile.trim(),
    });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'hq', value: checked.value, approval }));
    return t('manage.settings.saved');
  };

  return (
    <>
      <SectionForm id="hq" title={t('hq.settings.title')} intro={<p className="hint">{t('hq.settings.intro')}</p>} submit={submit}>
        <Field label={t('hq.settings.url')} path="url" wide hint={t('hq.settings.urlHint')}>
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" spellCheck={false} data-testid="hq-url" />
        </Field>
        <Field label={t('hq.settings.store')} path="store" hint={t('hq.settings.codeHint')}>
          <input value={store} onChange={(e) => setStore(e.target.value)} maxLength={16} spellCheck={false} data-testid="hq-store" />
        </Field>
        <Field label={t('hq.settings.lane')} path="lane" hint={t('hq.settings.codeHint')}>
          <input value={lane} onChange={(e) => setLane(e.target.value)} maxLength={16} spellCheck={false} data-testid="hq-lane" />
        </Field>
        <Field label={t('hq.settings.interval')} path="intervalMs" hint="0.5–600 s">
          <input inputMode="decimal" value={intervalSec} onChange={(e) => setIntervalSec(e.target.value)} data-testid="hq-interval" />
        </Field>
        {/^https:\/\//i.test(url.trim()) && (
          <Field label={t('hq.settings.caFile')} path="caFile" wide hint={t('hq.settings.caFileHint')}>
            <input value={caFile} onChange={(e) => setCaFile(e.target.value)} spellCheck={false} data-testid="hq-ca-file" />
          </Field>
        )}
        {/^http:\/\//i.test(url.trim()) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/i.test(url.trim()) && (
          <p className="field-wide warning" role="status" data-testid="hq-plain-http">
            {t('hq.settings.plainHttp')}
          </p>
        )}
        <p className="field-wide hint" data-testid="hq-order-lane">
          {t('hq.settings.orderLane', { code: view.lane.code })}
        </p>
      </SectionForm>
      <HqKeyForm view={view} onSaved={onSaved} />
    </>
  );
}

/**
 * The counter's headquarters key, write-only: an uncontrolled password field (never a DOM attribute),
 * sent once and emptied; afterwards only "set" — not even a suffix comes back from the core.
 */
function HqKeyForm({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const keyRef = useRef<HTMLInputElement>(null);
  const [approval, setApproval] = useState<Approval>({ code: '', pin: '' });
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (): Promise<void> => {
    const input = keyRef.current;
    if (input === null) return;
    const value = input.value;
    setMessage(null);
    if (value.length < 16) {
      setMessage({ kind: 'error', text: t('hq.key.tooShort') });
      return;
    }
    setBusy(true);
    try {
      const next = await call('settings:setKey', { gateway: 'hq', key: value, approval });
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
      data-testid="section-hq-key"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) void save();
      }}
    >
      <h3>{t('hq.key.title')}</h3>
      <p data-testid="hq-key-status" className={view.hq.keySet ? 'ok' : 'warning-text'}>
        {view.hq.keySet ? t('hq.key.isSet') : t('manage.key.notSet')}
      </p>
      <div className="fields-grid">
        <label className="field field-wide">
          <span className="field-label">{view.hq.keySet ? t('manage.key.replace') : t('manage.key.new')}</span>
          <input ref={keyRef} type="password" autoComplete="new-password" spellCheck={false} maxLength={256} defaultValue="" data-testid="hq-key-input" />
          <span className="field-hint">{t('hq.key.hint')}</span>
        </label>
      </div>
      <div className="save-row">
        <ApprovalFields value={approval} onChange={setApproval} testIdPrefix="hq-key-approval" />
        <button type="submit" className="primary" disabled={busy} data-testid="hq-key-save">
          {t('manage.key.save')} <kbd>Enter</kbd>
        </button>
      </div>
      {message !== null && (
        <p className={message.kind === 'ok' ? 'ok' : 'error'} role={message.kind === 'ok' ? 'status' : 'alert'} data-testid="hq-key-message">
          {message.text}
        </p>
      )}
    </form>
  );
}
