import { useState } from 'react';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { HqSettingsSchema } from '../../../../shared/settings';
import { call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { Field, numText, textNum, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';
import { WriteOnlyKeyForm } from './WriteOnlyKeyForm';

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
  const [ca, setCa] = useState(s?.ca ?? '');

  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, HqSettingsSchema, {
      url: url.trim(),
      store: store.trim(),
      lane: lane.trim(),
      intervalMs: Math.round(textNum(intervalSec) * 1000),
      ca: ca.trim(),
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
          <Field label={t('hq.settings.ca')} path="ca" wide hint={t('hq.settings.caHint')}>
            <textarea
              value={ca}
              onChange={(e) => setCa(e.target.value)}
              rows={4}
              spellCheck={false}
              placeholder="-----BEGIN CERTIFICATE-----"
              data-testid="hq-ca"
            />
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

/** The counter's headquarters key, write-only; not even a suffix comes back from the core, only "set". */
function HqKeyForm({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  return (
    <WriteOnlyKeyForm
      gateway="hq"
      testId="hq-key"
      title={t('hq.key.title')}
      stored={view.hq.keySet ? t('hq.key.isSet') : null}
      hint={t('hq.key.hint')}
      minLength={16}
      tooShort={t('hq.key.tooShort')}
      onSaved={onSaved}
    />
  );
}
