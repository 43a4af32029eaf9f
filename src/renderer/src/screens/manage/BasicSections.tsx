import { useState } from 'react';
import { z } from 'zod';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { parseYuanToFen } from '../../../../shared/money';
import {
  BusinessDaySchema,
  LaneCodeSchema,
  LimitsSchema,
  NotificationsSchema,
  PollingSchema,
  QrSchema,
  ShopSchema,
  type PollingSettings,
  type QrSettings,
} from '../../../../shared/settings';
import { call } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { useT, type MessageKey } from '../../i18n';
import { formatFen } from '../../lib/format';
import { announcePaid } from '../../lib/voice';
import { Check, Field, numText, textNum, validate } from './common';
import { FieldProblems, SectionForm } from './SectionForm';

interface SectionProps {
  view: SettingsView;
  onSaved: (view: SettingsView) => void;
}

/** QR validity, whether qrValidTime is sent (a guess about the bank), default pay type. */
export function QrSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [validitySec, setValiditySec] = useState(numText(view.qr.validitySec));
  const [sendValidTime, setSendValidTime] = useState(view.qr.sendValidTime);
  const [defaultPayType, setDefaultPayType] = useState(view.qr.defaultPayType);
  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, QrSchema, { validitySec: textNum(validitySec), sendValidTime, defaultPayType });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'qr', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="qr" title={t('manage.qr.title')} submit={submit}>
      <Field label={t('manage.qr.validitySec')} path="validitySec" hint={t('manage.qr.validityHint')}>
        <input inputMode="numeric" value={validitySec} onChange={(e) => setValiditySec(e.target.value)} data-testid="qr-validity" />
      </Field>
      <Field label={t('manage.qr.defaultPayType')} path="defaultPayType">
        <select value={defaultPayType} onChange={(e) => setDefaultPayType(asDefaultPayType(e.target.value))} data-testid="qr-paytype">
          <option value="">{t('manage.qr.customerChooses')}</option>
          <option value="ZFBA">{t('payType.ZFBA')}</option>
          <option value="WEIX">{t('payType.WEIX')}</option>
          <option value="UPAY">{t('payType.UPAY')}</option>
        </select>
      </Field>
      <Check label={t('manage.qr.sendValidTime')} hint={t('manage.guess')} checked={sendValidTime} onChange={setSendValidTime} testId="qr-send-valid" />
    </SectionForm>
  );
}

function asDefaultPayType(value: string): QrSettings['defaultPayType'] {
  return value === 'ZFBA' || value === 'WEIX' || value === 'UPAY' ? value : '';
}

const POLLING_FIELDS: readonly { key: keyof PollingSettings; label: MessageKey; unit: string }[] = [
  { key: 'firstQueryMs', label: 'manage.polling.firstQueryMs', unit: 'ms' },
  { key: 'fastIntervalMs', label: 'manage.polling.fastIntervalMs', unit: 'ms' },
  { key: 'fastPhaseMs', label: 'manage.polling.fastPhaseMs', unit: 'ms' },
  { key: 'slowIntervalMs', label: 'manage.polling.slowIntervalMs', unit: 'ms' },
  { key: 'unknownAfterMs', label: 'manage.polling.unknownAfterMs', unit: 'ms' },
  { key: 'backoffStartMs', label: 'manage.polling.backoffStartMs', unit: 'ms' },
  { key: 'backoffFactor', label: 'manage.polling.backoffFactor', unit: '×' },
  { key: 'backoffMaxMs', label: 'manage.polling.backoffMaxMs', unit: 'ms' },
];

/** The query schedule of an open payment, every field in milliseconds (the factor is a multiplier). */
export function PollingSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [text, setText] = useState<Record<keyof PollingSettings, string>>(() => {
    const p = view.polling;
    return {
      firstQueryMs: numText(p.firstQueryMs),
      fastIntervalMs: numText(p.fastIntervalMs),
      fastPhaseMs: numText(p.fastPhaseMs),
      slowIntervalMs: numText(p.slowIntervalMs),
      backoffStartMs: numText(p.backoffStartMs),
      backoffFactor: numText(p.backoffFactor),
      backoffMaxMs: numText(p.backoffMaxMs),
      unknownAfterMs: numText(p.unknownAfterMs),
    };
  });
  const submit = async (approval: Approval): Promise<string> => {
    const value = Object.fromEntries(POLLING_FIELDS.map((f) => [f.key, textNum(text[f.key])]));
    const checked = validate(t, PollingSchema, value);
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'polling', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="polling" title={t('manage.polling.title')} intro={<p className="hint">{t('manage.polling.intro')}</p>} submit={submit}>
      {POLLING_FIELDS.map((f) => (
        <Field key={f.key} label={`${t(f.label)} (${f.unit})`} path={f.key}>
          <input inputMode="decimal" value={text[f.key]} onChange={(e) => setText({ ...text, [f.key]: e.target.value })} data-testid={`polling-${f.key}`} />
        </Field>
      ))}
    </SectionForm>
  );
}

/** The bank's notification listener. The listener is bound at start, so changes apply after a restart. */
export function NotificationsSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const n = view.notifications;
  const [enabled, setEnabled] = useState(n.enabled);
  const [host, setHost] = useState(n.host);
  const [port, setPort] = useState(numText(n.port));
  const [publicUrl, setPublicUrl] = useState(n.publicUrl);
  const [requireSigned, setRequireSigned] = useState(n.requireSigned);
  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, NotificationsSchema, { enabled, host: host.trim(), port: textNum(port), publicUrl: publicUrl.trim(), requireSigned });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'notifications', value: checked.value, approval }));
    return t('manage.notify.savedRestart');
  };
  return (
    <SectionForm id="notifications" title={t('manage.notify.title')} intro={<p className="warning">{t('manage.notify.restart')}</p>} submit={submit}>
      <Check label={t('manage.notify.enabled')} checked={enabled} onChange={setEnabled} testId="notify-enabled" />
      <Check label={t('manage.notify.requireSigned')} checked={requireSigned} onChange={setRequireSigned} testId="notify-signed" />
      <Field label={t('manage.notify.host')} path="host" hint={t('manage.notify.hostHint')}>
        <input value={host} onChange={(e) => setHost(e.target.value)} spellCheck={false} data-testid="notify-host" />
      </Field>
      <Field label={t('manage.notify.port')} path="port">
        <input inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} data-testid="notify-port" />
      </Field>
      <Field label={t('manage.notify.publicUrl')} path="publicUrl" wide hint={t('manage.notify.publicUrlHint')}>
        <input value={publicUrl} onChange={(e) => setPublicUrl(e.target.value)} placeholder="https://" spellCheck={false} data-testid="notify-public-url" />
      </Field>
    </SectionForm>
  );
}

/** The shop's own maximum per sale, typed in yuan and stored in fen. */
export function LimitsSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [maxYuan, setMaxYuan] = useState(formatFen(view.limits.maxAmountFen));
  const submit = async (approval: Approval): Promise<string> => {
    let maxAmountFen: number;
    try {
      maxAmountFen = parseYuanToFen(maxYuan.trim());
    } catch {
      throw new FieldProblems({ maxAmountFen: t('manage.limits.badAmount') });
    }
    const checked = validate(t, LimitsSchema, { maxAmountFen });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'limits', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="limits" title={t('manage.limits.title')} submit={submit}>
      <Field label={t('manage.limits.max')} path="maxAmountFen" hint={t('manage.limits.hint')}>
        <input inputMode="decimal" value={maxYuan} onChange={(e) => setMaxYuan(e.target.value)} data-testid="limits-max" />
      </Field>
    </SectionForm>
  );
}

const LaneFormSchema = z.object({ code: LaneCodeSchema });

/**
 * The counter's lane code (part of every order number). Editable, with a supervisor's approval, only
 * until the first live sale; read-only after it (the bank has seen numbers carrying it).
 */
export function LaneSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [code, setCode] = useState(view.lane.code);
  const source = t(`manage.lane.source.${view.lane.source}` as MessageKey);
  if (view.lane.locked) {
    return (
      <div className="panel settings-section" data-testid="section-lane">
        <h3>{t('manage.lane.title')}</h3>
        <p>
          <span className="mono" data-testid="lane-code">
            {view.lane.code}
          </span>{' '}
          · {source}
        </p>
        <p className="hint" data-testid="lane-locked">
          {t('manage.lane.locked')}
        </p>
      </div>
    );
  }
  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, LaneFormSchema, { code });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'lane', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="lane" title={t('manage.lane.title')} intro={<p className="hint">{t('manage.lane.intro', { source })}</p>} submit={submit}>
      <Field label={t('manage.lane.code')} path="code" hint={t('manage.lane.hint')}>
        <input inputMode="numeric" maxLength={2} value={code} onChange={(e) => setCode(e.target.value)} data-testid="lane-code" />
      </Field>
    </SectionForm>
  );
}

/** Yuan as typed → fen ('' = 0); NaN when it is not an amount (the schema then says so on the field). */
function yuanToFenOrNaN(text: string): number {
  if (text.trim() === '' || /^0*(\.0{0,2})?$/.test(text.trim())) return 0;
  try {
    return parseYuanToFen(text.trim());
  } catch {
    return Number.NaN;
  }
}

/** The shop's name, shown on the customer display. */
export function ShopSection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [name, setName] = useState(view.shop.name);
  const [defaultTender, setDefaultTender] = useState(view.shop.defaultTender);
  const [keepLastTender, setKeepLastTender] = useState(view.shop.keepLastTender);
  const [voice, setVoice] = useState(view.shop.voice);
  const [voiceVolume, setVoiceVolume] = useState(numText(view.shop.voiceVolume));
  const [cashTender, setCashTender] = useState(view.shop.cashTender);
  const [defaultFloat, setDefaultFloat] = useState(view.shop.defaultFloatFen === 0 ? '' : formatFen(view.shop.defaultFloatFen));
  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, ShopSchema, {
      name,
      defaultTender,
      keepLastTender,
      voice,
      voiceVolume: textNum(voiceVolume),
      cashTender,
      defaultFloatFen: yuanToFenOrNaN(defaultFloat),
    });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'shop', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="shop" title={t('manage.shop.title')} submit={submit}>
      <Field label={t('manage.shop.name')} path="name" hint={t('manage.shop.hint')}>
        <input value={name} maxLength={40} onChange={(e) => setName(e.target.value)} data-testid="shop-name" />
      </Field>
      <Field label={t('checkout.voice.defaultTender')} path="defaultTender">
        <select
          value={defaultTender}
          onChange={(e) => setDefaultTender(e.target.value === 'card' || e.target.value === 'cash' ? e.target.value : 'qr')}
          data-testid="shop-default-tender"
        >
          <option value="qr">{t('checkout.tender.qr')}</option>
          <option value="card">{t('checkout.tender.card')}</option>
          <option value="cash">{t('checkout.tender.cash')}</option>
        </select>
      </Field>
      <Check label={t('manage.shop.cashTender')} checked={cashTender} onChange={setCashTender} testId="shop-cash-tender" />
      <Field label={t('manage.shop.defaultFloat')} path="defaultFloatFen">
        <input inputMode="decimal" value={defaultFloat} onChange={(e) => setDefaultFloat(e.target.value)} data-testid="shop-default-float" />
      </Field>
      <Check label={t('checkout.voice.keepLastTender')} checked={keepLastTender} onChange={setKeepLastTender} testId="shop-keep-tender" />
      <Check label={t('checkout.voice.enabled')} checked={voice} onChange={setVoice} testId="shop-voice" />
      <Field label={t('checkout.voice.volume')} path="voiceVolume">
        <input inputMode="numeric" value={voiceVolume} onChange={(e) => setVoiceVolume(e.target.value)} data-testid="shop-voice-volume" />
      </Field>
      <button type="button" onClick={() => announcePaid(1234, Math.max(0, Math.min(100, textNum(voiceVolume) || 0)) / 100)} data-testid="shop-voice-test">
        {t('checkout.voice.test')}
      </button>
    </SectionForm>
  );
}

/** When a business day begins (time zone, start hour): a closed day moves later sales to the next one. */
export function BusinessDaySection({ view, onSaved }: SectionProps): React.JSX.Element {
  const t = useT();
  const [timeZone, setTimeZone] = useState(view.businessDay.timeZone);
  const [startHour, setStartHour] = useState(numText(view.businessDay.startHour));
  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, BusinessDaySchema, { timeZone, startHour: textNum(startHour) });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'businessDay', value: checked.value, approval }));
    return t('manage.settings.saved');
  };
  return (
    <SectionForm id="businessDay" title={t('manage.bday.title')} submit={submit}>
      <Field label={t('manage.bday.timeZone')} path="timeZone" hint={t('manage.bday.timeZoneHint')}>
        <input value={timeZone} maxLength={64} onChange={(e) => setTimeZone(e.target.value)} data-testid="bday-zone" />
      </Field>
      <Field label={t('manage.bday.startHour')} path="startHour" hint={t('manage.bday.startHourHint')}>
        <input inputMode="numeric" value={startHour} onChange={(e) => setStartHour(e.target.value)} data-testid="bday-start" />
      </Field>
    </SectionForm>
  );
}
