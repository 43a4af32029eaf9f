import { useState } from 'react';
import { z } from 'zod';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { BpcMerchantSchema, BpcProfileSchema, TimeoutsSchema } from '../../../../shared/settings';
import { call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { useT } from '../../i18n';
import { Check, Field, numText, textNum, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';
import { TestConnection } from './TestConnection';
import { WriteOnlyKeyForm } from './WriteOnlyKeyForm';

const BpcValueSchema = z.object({ merchant: BpcMerchantSchema, profile: BpcProfileSchema, timeouts: TimeoutsSchema }).strict();

/** BPC merchant, bank-profile options and timeouts; then the write-only key and "test connection". */
export function BpcSection({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const m = view.bpc.merchant;
  const [url, setUrl] = useState(m?.url ?? '');
  const [mid, setMid] = useState(m?.mid ?? '');
  const [posNo, setPosNo] = useState(m?.posNo ?? '');
  const [tellerNo, setTellerNo] = useState(m?.tellerNo ?? '001');
  const [profile, setProfile] = useState(view.bpc.profile);
  const [connectMs, setConnectMs] = useState(numText(view.bpc.timeouts.connectMs));
  const [responseMs, setResponseMs] = useState(numText(view.bpc.timeouts.responseMs));

  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, BpcValueSchema, {
      merchant: { url: url.trim(), mid: mid.trim(), posNo: posNo.trim(), tellerNo: tellerNo.trim() },
      profile,
      timeouts: { connectMs: textNum(connectMs), responseMs: textNum(responseMs) },
    });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'bpc', value: checked.value, approval }));
    return t('manage.settings.saved');
  };

  return (
    <>
      <SectionForm id="bpc" title={t('manage.bpc.title')} intro={<p className="hint">{t('manage.bpc.intro')}</p>} submit={submit}>
        <Field label={t('manage.bpc.url')} path="merchant.url" wide hint={t('manage.bpc.urlHint')}>
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" spellCheck={false} data-testid="bpc-url" />
        </Field>
        <Field label={t('manage.bpc.mid')} path="merchant.mid">
          <input value={mid} onChange={(e) => setMid(e.target.value)} maxLength={40} spellCheck={false} data-testid="bpc-mid" />
        </Field>
        <Field label={t('manage.bpc.posNo')} path="merchant.posNo">
          <input value={posNo} onChange={(e) => setPosNo(e.target.value)} maxLength={40} spellCheck={false} data-testid="bpc-posno" />
        </Field>
        <Field label={t('manage.bpc.tellerNo')} path="merchant.tellerNo">
          <input value={tellerNo} onChange={(e) => setTellerNo(e.target.value)} maxLength={40} data-testid="bpc-teller" />
        </Field>
        <Field label={t('manage.bpc.connectMs')} path="timeouts.connectMs" hint="500–60000 ms">
          <input inputMode="numeric" value={connectMs} onChange={(e) => setConnectMs(e.target.value)} data-testid="bpc-connect-ms" />
        </Field>
        <Field label={t('manage.bpc.responseMs')} path="timeouts.responseMs" hint="1000–120000 ms">
          <input inputMode="numeric" value={responseMs} onChange={(e) => setResponseMs(e.target.value)} data-testid="bpc-response-ms" />
        </Field>
        <fieldset className="subgroup field-wide">
          <legend>{t('manage.bpc.profile')}</legend>
          <div className="fields-grid">
            <Field label={t('manage.bpc.createAmountFormat')} path="profile.createAmountFormat">
              <select
                value={profile.createAmountFormat}
                onChange={(e) => setProfile({ ...profile, createAmountFormat: e.target.value === 'plain' ? 'plain' : 'padded12' })}
                data-testid="bpc-create-format"
              >
                <option value="padded12">{t('manage.bpc.padded12')}</option>
                <option value="plain">{t('manage.bpc.plain')}</option>
              </select>
            </Field>
            <Field label={t('manage.bpc.refundAmountFormat')} path="profile.refundAmountFormat">
              <select
                value={profile.refundAmountFormat}
                onChange={(e) => setProfile({ ...profile, refundAmountFormat: e.target.value === 'padded12' ? 'padded12' : 'plain' })}
                data-testid="bpc-refund-format"
              >
                <option value="padded12">{t('manage.bpc.padded12')}</option>
                <option value="plain">{t('manage.bpc.plain')}</option>
              </select>
            </Field>
          </div>
          <Check
            label={t('manage.bpc.closeEnabled')}
            hint={t('manage.guess')}
            checked={profile.closeEnabled}
            onChange={(v) => setProfile({ ...profile, closeEnabled: v })}
            testId="bpc-close-enabled"
          />
          <Check
            label={t('manage.bpc.requireSigned')}
            checked={profile.requireSignedResponses}
            onChange={(v) => setProfile({ ...profile, requireSignedResponses: v })}
            testId="bpc-require-signed"
          />
          <Check
            label={t('manage.bpc.sendOrgTxnTime')}
            checked={profile.sendOrgTxnTime}
            onChange={(v) => setProfile({ ...profile, sendOrgTxnTime: v })}
            testId="bpc-org-txn-time"
          />
        </fieldset>
        <TransportState url={url} signed={profile.requireSignedResponses} />
      </SectionForm>
      <BpcKeyForm view={view} onSaved={onSaved} />
      <BpcTestConnection view={view} />
    </>
  );
}

/**
 * Transport and signing as they stand in the form (issue 8.7): plain http without required signed
 * answers lets a man in the middle forge a "paid", so live mode refuses to charge — said here in red.
 */
function TransportState({ url, signed }: { url: string; signed: boolean }): React.JSX.Element {
  const t = useT();
  const scheme = /^https:\/\//i.test(url.trim()) ? 'https' : /^http:\/\//i.test(url.trim()) ? 'http' : null;
  const refused = scheme === 'http' && !signed;
  return (
    <p
      className={`field-wide transport-state${refused ? ' problem' : ''}`}
      role={refused ? 'alert' : 'status'}
      data-testid="bpc-transport-state"
      data-refused={refused ? 'true' : 'false'}
    >
      {scheme === null ? t('manage.bpc.transportNone') : t(scheme === 'https' ? 'manage.bpc.transportHttps' : 'manage.bpc.transportHttp')}
      {' · '}
      {t(signed ? 'manage.bpc.answersSigned' : 'manage.bpc.answersUnsigned')}
      {refused && <strong>{` · ${t('manage.bpc.liveRefused')}`}</strong>}
    </p>
  );
}

/** The BPC key, write-only; with how it is kept on disk and, in training mode, which key it is. */
function BpcKeyForm({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const key = view.bpc.key;
  const cipher = key.cipher ?? view.cipher;
  return (
    <WriteOnlyKeyForm
      gateway="bpc"
      testId="key"
      title={t('manage.key.title')}
      stored={key.hasValue ? t('manage.key.isSet', { suffix: key.suffix }) : null}
      hint={t('manage.key.hint')}
      minLength={8}
      tooShort={t('manage.key.tooShort')}
      onSaved={onSaved}
      afterStatus={
        <p className={cipher === 'file-key' ? 'warning' : 'hint'} data-testid="key-cipher" data-cipher={cipher}>
          {cipher === 'safeStorage' ? t('manage.key.cipherSafe') : t('manage.key.cipherFile')}
        </p>
      }
      beforeSave={
        view.mode === 'training' && (
          <p className="warning" data-testid="key-live-note">
            {t('manage.key.liveNote')}
          </p>
        )
      }
    />
  );
}

/** A real signed query to the gateway of the current mode; shows ok, latency and the answer. */
function BpcTestConnection({ view }: { view: SettingsView }): React.JSX.Element {
  return (
    <TestConnection
      gateway="bpc"
      keys={{ title: 'manage.test.title', run: 'manage.test.run', working: 'manage.test.working', ok: 'manage.test.ok', failed: 'manage.test.failed' }}
      intro={view.mode === 'training' ? 'manage.test.training' : 'manage.test.live'}
      testIds={{ section: 'section-test', run: 'test-connection', result: 'test-connection-result' }}
    />
  );
}
