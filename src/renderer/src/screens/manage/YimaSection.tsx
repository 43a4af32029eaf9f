import { useRef, useState } from 'react';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { parseYuanToFen } from '../../../../shared/money';
import {
  YIMA_PAID_AMOUNT_RULE_NAMES,
  YIMA_SIGN_RULE_NAMES,
  YimaSettingsSchema,
  type CheckRuleResultView,
  type YimaSettings,
} from '../../../../shared/yima-settings';
import { BridgeError, call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { hasMessage, useT, type MessageKey } from '../../i18n';
import { useHostDetail } from '../../lib/host-detail';
import { Check, Field, numText, textNum, useManageErrorText, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';
import { TestConnection } from './TestConnection';
import { WriteOnlyKeyForm } from './WriteOnlyKeyForm';
import { YimaBindingPanel } from './YimaBindingPanel';

type Plan = NonNullable<YimaSettings['splitPlan']>;

/** Receivers as the supervisor types them: one per line, "merchant_id amount" (yuan) or "merchant_id percent". */
function receiversText(plan: Plan | null): string {
  if (plan === null) return '';
  return plan.receivers
    .map((r) => `${r.merchantId} ${plan.clean ? (r.divPercentage ?? '') : r.divAmtFen === undefined ? '' : (r.divAmtFen / 100).toFixed(2)}`)
    .join('\n');
}

function parseReceivers(text: string, clean: boolean): Plan['receivers'] | string {
  const out: Plan['receivers'] = [];
  for (const [i, line] of text.split('\n').entries()) {
    const t = line.trim();
    if (t === '') continue;
    const [merchantId = '', share = '', ...rest] = t.split(/\s+/);
    if (rest.length > 0 || share === '') return `${i + 1}`;
    if (clean) out.push({ merchantId, divPercentage: share });
    else {
      try {
        out.push({ merchantId, divAmtFen: parseYuanToFen(share) });
      } catch {
        return `${i + 1}`;
      }
    }
  }
  return out;
}

/** The split rule named by the host, in the user's language. */
function useRuleText(): (e: unknown) => string | null {
  const t = useT();
  return (e) => {
    if (!(e instanceof BridgeError)) return null;
    const rule = e.info.details?.rule;
    if (typeof rule !== 'string') return null;
    const key = `yima.rule.${rule}`;
    return hasMessage(key) ? `${t(key)} (${rule})` : `${rule}: ${e.info.message}`;
  };
}

/** Yima (翼码) card gateway: merchant, card POS, format, signing rule, split plan; key; "check a rule". */
export function YimaSection({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const ruleText = useRuleText();
  const s = view.yima.settings ?? YimaSettingsSchema.parse({ url: 'http://127.0.0.1/', isspid: 'x', systemId: 'x', storeId: 'x', posId: 'x' });
  const blank = view.yima.settings === null;
  const [url, setUrl] = useState(blank ? '' : s.url);
  const [isspid, setIsspid] = useState(blank ? '' : s.isspid);
  const [systemId, setSystemId] = useState(blank ? '' : s.systemId);
  const [storeId, setStoreId] = useState(blank ? '' : s.storeId);
  const [posId, setPosId] = useState(blank ? '' : s.posId);
  const [device, setDevice] = useState<'terminalId' | 'posSn'>(s.posSn !== '' ? 'posSn' : 'terminalId');
  const [deviceNo, setDeviceNo] = useState(s.posSn !== '' ? s.posSn : s.terminalId);
  const [format, setFormat] = useState(s.format);
  const [xmlTransport, setXmlTransport] = useState(s.xmlTransport);
  const [signRule, setSignRule] = useState(s.signRule);
  const [requireSigned, setRequireSigned] = useState(s.requireSignedResponses);
  const [bindPosId, setBindPosId] = useState(s.bindPosId);
  const [paidAmount, setPaidAmount] = useState(s.paidAmount);
  const [bindingEnabled, setBindingEnabled] = useState(s.bindingEnabled);
  const [notifyUrl, setNotifyUrl] = useState(s.notifyUrl);
  const [notifyPort, setNotifyPort] = useState(numText(s.notifyPort));
  const [connectMs, setConnectMs] = useState(numText(s.connectMs));
  const [responseMs, setResponseMs] = useState(numText(s.responseMs));
  const [giveUpSec, setGiveUpSec] = useState(numText(s.giveUpAfterMs / 1000));
  const [cardRoute, setCardRoute] = useState(s.cardRoute);
  const [flag, setFlag] = useState<'' | Plan['flag']>(s.splitPlan?.flag ?? '');
  const [planDate, setPlanDate] = useState(s.splitPlan?.planSplitDate ?? '');
  const [clean, setClean] = useState(s.splitPlan?.clean ?? false);
  const [keepPct, setKeepPct] = useState(s.splitPlan?.keepPercentage ?? '');
  const [receivers, setReceivers] = useState(receiversText(s.splitPlan));

  const submit = async (approval: Approval): Promise<string> => {
    const parsedReceivers = parseReceivers(receivers, clean);
    if (typeof parsedReceivers === 'string') throw new FieldProblems({ splitPlan: t('yima.receiversLine', { line: parsedReceivers }) });
    const checked = validate(t, YimaSettingsSchema, {
      url: url.trim(),
      isspid: isspid.trim(),
      systemId: systemId.trim(),
      storeId: storeId.trim(),
      posId: posId.trim(),
      terminalId: device === 'terminalId' ? deviceNo.trim() : '',
      posSn: device === 'posSn' ? deviceNo.trim() : '',
      format,
      xmlTransport,
      signRule,
      requireSignedResponses: requireSigned,
      bindPosId,
      paidAmount,
      notifyUrl: notifyUrl.trim(),
      notifyHost: s.notifyHost,
      notifyPort: textNum(notifyPort),
      splitPlan: flag === '' ? null : { flag, planSplitDate: planDate.trim(), clean, keepPercentage: keepPct.trim(), receivers: parsedReceivers },
      connectMs: textNum(connectMs),
      responseMs: textNum(responseMs),
      giveUpAfterMs: textNum(giveUpSec) * 1000,
      bindingEnabled,
      cardRoute,
    });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    try {
      onSaved(await call('settings:save', { section: 'yima', value: checked.value, approval }));
    } catch (e) {
      const named = ruleText(e);
      if (named !== null) throw new FieldProblems({ splitPlan: named });
      throw e;
    }
    return t('manage.settings.saved');
  };

  return (
    <>
      <SectionForm id="yima" title={t('yima.title')} intro={<p className="hint">{t('yima.intro')}</p>} submit={submit}>
        <Field label={t('yima.url')} path="url" wide hint={t('yima.urlHint')}>
          <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" spellCheck={false} data-testid="yima-url" />
        </Field>
        <Field label={t('yima.isspid')} path="isspid">
          <input value={isspid} onChange={(e) => setIsspid(e.target.value)} maxLength={8} spellCheck={false} data-testid="yima-isspid" />
        </Field>
        <Field label={t('yima.systemId')} path="systemId">
          <input value={systemId} onChange={(e) => setSystemId(e.target.value)} maxLength={4} spellCheck={false} data-testid="yima-system-id" />
        </Field>
        <Field label={t('yima.storeId')} path="storeId">
          <input value={storeId} onChange={(e) => setStoreId(e.target.value)} maxLength={20} spellCheck={false} data-testid="yima-store-id" />
        </Field>
        <Field label={t('yima.posId')} path="posId">
          <input value={posId} onChange={(e) => setPosId(e.target.value)} maxLength={20} spellCheck={false} data-testid="yima-pos-id" />
        </Field>
        <Field label={t('yima.device')} path={device} hint={t('yima.deviceHint')}>
          <select value={device} onChange={(e) => setDevice(e.target.value === 'posSn' ? 'posSn' : 'terminalId')} data-testid="yima-device-kind">
            <option value="terminalId">{t('yima.terminalId')}</option>
            <option value="posSn">{t('yima.posSn')}</option>
          </select>
          <input value={deviceNo} onChange={(e) => setDeviceNo(e.target.value)} maxLength={20} spellCheck={false} data-testid="yima-device-no" />
        </Field>
        <Field label={t('yima.format')} path="format" hint={t('yima.formatHint')}>
          <select value={format} onChange={(e) => setFormat(e.target.value === 'xml' ? 'xml' : 'json')} data-testid="yima-format">
            <option value="json">JSON</option>
            <option value="xml">XML (GBK)</option>
          </select>
        </Field>
        <Field label={t('yima.xmlTransport')} path="xmlTransport" hint={t('manage.guess')}>
          <select value={xmlTransport} onChange={(e) => setXmlTransport(e.target.value === 'form' ? 'form' : 'raw')} data-testid="yima-xml-transport">
            <option value="raw">{t('yima.xmlRaw')}</option>
            <option value="form">{t('yima.xmlForm')}</option>
          </select>
        </Field>
        <Field label={t('yima.signRule')} path="signRule" hint={t('yima.signRuleHint')}>
          <select
            value={signRule}
            onChange={(e) => setSignRule(YIMA_SIGN_RULE_NAMES.find((r) => r === e.target.value) ?? 'sorted_kv_key')}
            data-testid="yima-sign-rule"
          >
            {YIMA_SIGN_RULE_NAMES.map((r) => (
              <option key={r} value={r}>
                {t(`yima.rule.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('yima.paidAmount')} path="paidAmount" hint={t('yima.paidAmountHint')}>
          <select
            value={paidAmount}
            onChange={(e) => setPaidAmount(YIMA_PAID_AMOUNT_RULE_NAMES.find((r) => r === e.target.value) ?? 'if-reported')}
            data-testid="yima-paid-amount"
          >
            {YIMA_PAID_AMOUNT_RULE_NAMES.map((r) => (
              <option key={r} value={r}>
                {t(`yima.paidAmount.${r}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('yima.notifyUrl')} path="notifyUrl" wide hint={t('yima.notifyUrlHint')}>
          <input value={notifyUrl} onChange={(e) => setNotifyUrl(e.target.value)} spellCheck={false} data-testid="yima-notify-url" />
        </Field>
        <Field label={t('yima.notifyPort')} path="notifyPort" hint={t('yima.notifyPortHint')}>
          <input inputMode="numeric" value={notifyPort} onChange={(e) => setNotifyPort(e.target.value)} data-testid="yima-notify-port" />
        </Field>
        <Field label={t('manage.bpc.connectMs')} path="connectMs" hint="500–60000 ms">
          <input inputMode="numeric" value={connectMs} onChange={(e) => setConnectMs(e.target.value)} data-testid="yima-connect-ms" />
        </Field>
        <Field label={t('manage.bpc.responseMs')} path="responseMs" hint="1000–120000 ms">
          <input inputMode="numeric" value={responseMs} onChange={(e) => setResponseMs(e.target.value)} data-testid="yima-response-ms" />
        </Field>
        <Field label={t('yima.cardRoute')} path="cardRoute" hint={t('yima.cardRouteHint')}>
          <select value={cardRoute} onChange={(e) => setCardRoute(e.target.value === 'yima' ? 'yima' : 'terminal')} data-testid="yima-card-route">
            <option value="terminal">{t('yima.route.terminal')}</option>
            <option value="yima">{t('yima.route.yima')}</option>
          </select>
        </Field>
        <Field label={t('yima.giveUp')} path="giveUpAfterMs" hint={t('yima.giveUpHint')}>
          <input inputMode="numeric" value={giveUpSec} onChange={(e) => setGiveUpSec(e.target.value)} data-testid="yima-give-up" />
        </Field>
        <fieldset className="subgroup field-wide">
          <legend>{t('yima.checks')}</legend>
          <Check
            label={t('yima.requireSigned')}
            hint={t('yima.requireSignedHint')}
            checked={requireSigned}
            onChange={setRequireSigned}
            testId="yima-require-signed"
          />
          <Check label={t('yima.bindPosId')} checked={bindPosId} onChange={setBindPosId} testId="yima-bind-pos-id" />
          <Check
            label={t('yima.bindingEnabled')}
            hint={t('yima.bindingEnabledHint')}
            checked={bindingEnabled}
            onChange={setBindingEnabled}
            testId="yima-binding-enabled"
          />
        </fieldset>
        <fieldset className="subgroup field-wide">
          <legend>{t('yima.split')}</legend>
          <div className="fields-grid">
            <Field label={t('yima.splitFlag')} path="splitPlan">
              <select
                value={flag}
                onChange={(e) => setFlag(e.target.value === 'N' || e.target.value === 'R' || e.target.value === 'D' ? e.target.value : '')}
                data-testid="yima-split-flag"
              >
                <option value="">{t('yima.split.none')}</option>
                <option value="N">{t('yima.split.N')}</option>
                <option value="R">{t('yima.split.R')}</option>
                <option value="D">{t('yima.split.D')}</option>
              </select>
            </Field>
            <Field label={t('yima.planDate')} path="splitPlan.planSplitDate" hint="yyyymmdd">
              <input value={planDate} onChange={(e) => setPlanDate(e.target.value)} maxLength={8} data-testid="yima-split-date" />
            </Field>
            <Field label={t('yima.keepPercentage')} path="splitPlan.keepPercentage">
              <input value={keepPct} onChange={(e) => setKeepPct(e.target.value)} maxLength={6} data-testid="yima-keep-pct" />
            </Field>
            <Field label={t('yima.receivers')} path="splitPlan.receivers" wide hint={clean ? t('yima.receiversPctHint') : t('yima.receiversAmtHint')}>
              <textarea value={receivers} onChange={(e) => setReceivers(e.target.value)} rows={3} spellCheck={false} data-testid="yima-receivers" />
            </Field>
          </div>
          <Check label={t('yima.clean')} checked={clean} onChange={setClean} testId="yima-split-clean" />
        </fieldset>
      </SectionForm>
      <YimaKeyForm view={view} onSaved={onSaved} />
      <YimaTestConnection />
      {view.yima.settings?.bindingEnabled === true && <YimaBindingPanel view={view} />}
      <CheckRule />
    </>
  );
}

/** The Yima key, write-only, like the BPC key. */
function YimaKeyForm({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const key = view.yima.key;
  return (
    <WriteOnlyKeyForm
      gateway="yima"
      testId="yima-key"
      title={t('yima.keyTitle')}
      stored={key.hasValue ? t('manage.key.isSet', { suffix: key.suffix }) : null}
      hint={t('manage.key.hint')}
      minLength={8}
      tooShort={t('manage.key.tooShort')}
      onSaved={onSaved}
    />
  );
}

/** "Check a rule": paste a known-good signed body from Yima (and the key, or use the stored one). */
function CheckRule(): React.JSX.Element {
  const t = useT();
  const detailText = useHostDetail();
  const errorText = useManageErrorText();
  const keyRef = useRef<HTMLInputElement>(null);
  const [body, setBody] = useState('');
  const [result, setResult] = useState<CheckRuleResultView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const key = keyRef.current?.value ?? '';
      setResult(await call('settings:checkSignRule', key === '' ? { body } : { body, key }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      if (keyRef.current !== null) keyRef.current.value = '';
      setBusy(false);
    }
  };
  const verdict = (r: CheckRuleResultView): string => {
    if (r.verdict === 'match')
      return t('yima.check.match', { rules: r.rules.map((x) => (hasMessage(`yima.rule.${x}`) ? t(`yima.rule.${x}` as MessageKey) : x)).join(', ') });
    if (r.verdict === 'none') return t('yima.check.none');
    if (r.verdict === 'unsigned') return t('yima.check.unsigned');
    return `${t('yima.check.unreadable')} ${detailText(r.detail)}`.trim();
  };
  return (
    <form
      className="panel settings-section"
      data-testid="section-yima-check"
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) void run();
      }}
    >
      <h3>{t('yima.check.title')}</h3>
      <p className="hint">{t('yima.check.intro')}</p>
      <div className="fields-grid">
        <label className="field field-wide">
          <span className="field-label">{t('yima.check.body')}</span>
          <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={6} spellCheck={false} data-testid="yima-check-body" />
        </label>
        <label className="field field-wide">
          <span className="field-label">{t('yima.check.key')}</span>
          <input ref={keyRef} type="password" autoComplete="new-password" spellCheck={false} maxLength={256} defaultValue="" data-testid="yima-check-key" />
        </label>
      </div>
      <button type="submit" disabled={busy} data-testid="yima-check-run">
        {t('yima.check.run')}
      </button>
      {result !== null && (
        <p className={result.verdict === 'match' ? 'ok' : 'error'} data-testid="yima-check-result" data-verdict={result.verdict}>
          {verdict(result)}
        </p>
      )}
      {error !== null && (
        <p className="error" role="alert" data-testid="yima-check-result" data-verdict="error">
          {error}
        </p>
      )}
    </form>
  );
}

/** One harmless signed result query to Yima (or the training simulator); says what an answer proves. */
function YimaTestConnection(): React.JSX.Element {
  return (
    <TestConnection
      gateway="yima"
      keys={{ title: 'yima.test.title', run: 'yima.test.run', working: 'yima.test.working', ok: 'yima.test.ok', failed: 'yima.test.failed' }}
      intro="yima.test.intro"
      testIds={{ section: 'section-yima-test', run: 'yima-test-connection', result: 'yima-test-result' }}
    />
  );
}
