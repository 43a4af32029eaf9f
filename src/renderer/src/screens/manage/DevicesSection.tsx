import { useCallback, useEffect, useState } from 'react';
import {
  DevicesConfigSchema,
  DisplayTextEncodingSchema,
  HanziModeSchema,
  LampVariantSchema,
  ParitySchema,
  PoleDisplayProtocolSchema,
  TEMPLATE_PLACEHOLDERS,
  defaultBaudRate,
  type CardTerminalConfig,
  type DeviceStatus,
  type PoleDisplayConfig,
  type PortList,
} from '../../../../shared/devices';
import type { SettingsView } from '../../../../shared/ipc/contract';
import { call, getBridge } from '../../bridge/client';
import type { Approval } from '../../components/ApprovalFields';
import { useT, type MessageKey } from '../../i18n';
import { useHostDetail } from '../../lib/host-detail';
import { Check, Field, numText, textNum, useManageErrorText, validate } from './common';
import { BaudSelect, EnumSelect, NumberField } from './DeviceFields';
import { FieldProblems, SectionForm } from './SectionForm';
import { PrinterFields, PrinterPanel, printerForm, printerValue, type PrinterForm } from './PrinterFields';

interface PoleForm {
  protocol: PoleDisplayConfig['protocol'];
  path: string;
  /** '' = the protocol's default speed. */
  baud: string;
  dataBits: string;
  stopBits: string;
  parity: PoleDisplayConfig['parity'];
  encoding: PoleDisplayConfig['encoding'];
  lampVariant: PoleDisplayConfig['lampVariant'];
  interCommandDelayMs: string;
  dotTakesCell: boolean;
  hanziMode: PoleDisplayConfig['hanziMode'];
  init: string;
  clear: string;
  showLine: string;
  showAmount: string;
  lineWidth: string;
  rows: string;
}

interface CardForm {
  path: string;
  baud: string;
  dataBits: string;
  stopBits: string;
  parity: CardTerminalConfig['parity'];
  registerNo: string;
  operatorNo: string;
  ackTimeoutMs: string;
  answerTimeoutMs: string;
  queryTimeoutMs: string;
  maxRetries: string;
  queryLastType: string;
}

function poleForm(c: PoleDisplayConfig | null): PoleForm {
  return {
    protocol: c?.protocol ?? 'led8',
    path: c?.path ?? '',
    baud: numText(c?.baudRate),
    dataBits: String(c?.dataBits ?? 8),
    stopBits: String(c?.stopBits ?? 1),
    parity: c?.parity ?? 'none',
    encoding: c?.encoding ?? 'ascii',
    lampVariant: c?.lampVariant ?? 'ascii',
    interCommandDelayMs: String(c?.interCommandDelayMs ?? 0),
    dotTakesCell: c?.dotTakesCell ?? false,
    hanziMode: c?.hanziMode ?? 'fs',
    init: c?.custom?.init ?? '1B 40',
    clear: c?.custom?.clear ?? '0C',
    showLine: c?.custom?.showLine ?? '1B 51 {rowLetter} {text} 0D',
    showAmount: c?.custom?.showAmount ?? '',
    lineWidth: String(c?.custom?.lineWidth ?? 20),
    rows: String(c?.custom?.rows ?? 2),
  };
}

function cardForm(c: CardTerminalConfig | null): CardForm {
  return {
    path: c?.path ?? '',
    baud: String(c?.baudRate ?? 9600),
    dataBits: String(c?.dataBits ?? 8),
    stopBits: String(c?.stopBits ?? 1),
    parity: c?.parity ?? 'none',
    registerNo: c?.registerNo ?? '',
    operatorNo: c?.operatorNo ?? '',
    ackTimeoutMs: String(c?.ackTimeoutMs ?? 2000),
    answerTimeoutMs: String(c?.answerTimeoutMs ?? 150_000),
    queryTimeoutMs: String(c?.queryTimeoutMs ?? 60_000),
    maxRetries: String(c?.maxRetries ?? 2),
    queryLastType: c?.queryLastType ?? '07',
  };
}

function poleValue(f: PoleForm): unknown {
  return {
    protocol: f.protocol,
    path: f.path.trim(),
    ...(f.baud === '' ? {} : { baudRate: textNum(f.baud) }),
    dataBits: Number(f.dataBits),
    stopBits: Number(f.stopBits),
    parity: f.parity,
    encoding: f.encoding,
    lampVariant: f.lampVariant,
    interCommandDelayMs: textNum(f.interCommandDelayMs),
    dotTakesCell: f.dotTakesCell,
    hanziMode: f.hanziMode,
    // Templates only matter (and are only checked) for the custom protocol.
    ...(f.protocol === 'custom'
      ? {
          custom: {
            init: f.init,
            clear: f.clear,
            showLine: f.showLine,
            ...(f.showAmount.trim() === '' ? {} : { showAmount: f.showAmount }),
            lineWidth: textNum(f.lineWidth),
            rows: textNum(f.rows),
          },
        }
      : {}),
  };
}

function cardValue(f: CardForm): unknown {
  return {
    protocol: 'unionpay-mis',
    path: f.path.trim(),
    baudRate: textNum(f.baud),
    dataBits: Number(f.dataBits),
    stopBits: Number(f.stopBits),
    parity: f.parity,
    registerNo: f.registerNo,
    operatorNo: f.operatorNo,
    ackTimeoutMs: textNum(f.ackTimeoutMs),
    answerTimeoutMs: textNum(f.answerTimeoutMs),
    queryTimeoutMs: textNum(f.queryTimeoutMs),
    maxRetries: textNum(f.maxRetries),
    queryLastType: f.queryLastType.trim(),
  };
}

/**
 * Serial devices: the pole display (客显) and the card terminal, saved together as the `devices`
 * section (applied by the host at once; a port that cannot open shows up as a status, not an error).
 * Ports come from the OS list or are typed (ptys never show in the list). Live status from events.
 */
export function DevicesSection({ view, onSaved }: { view: SettingsView; onSaved: (view: SettingsView) => void }): React.JSX.Element {
  const t = useT();
  const [poleOn, setPoleOn] = useState(view.devices.poleDisplay !== null);
  const [pole, setPole] = useState(() => poleForm(view.devices.poleDisplay));
  const [cardOn, setCardOn] = useState(view.devices.cardTerminal !== null);
  const [card, setCard] = useState(() => cardForm(view.devices.cardTerminal));
  const [printerOn, setPrinterOn] = useState(view.devices.receiptPrinter !== null);
  const [printer, setPrinter] = useState(() => printerForm(view.devices.receiptPrinter));
  const [ports, setPorts] = useState<PortList | null>(null);
  const [portsError, setPortsError] = useState<string | null>(null);
  const errorText = useManageErrorText();

  const loadPorts = useCallback(async () => {
    try {
      setPorts(await call('devices:listPorts', undefined));
      setPortsError(null);
    } catch (e) {
      setPortsError(errorText(e));
    }
  }, [errorText]);
  useEffect(() => {
    void loadPorts();
  }, [loadPorts]);

  const submit = async (approval: Approval): Promise<string> => {
    const checked = validate(t, DevicesConfigSchema, {
      poleDisplay: poleOn ? poleValue(pole) : null,
      cardTerminal: cardOn ? cardValue(card) : null,
      receiptPrinter: printerOn ? printerValue(printer) : null,
    });
    if (!checked.ok) throw new FieldProblems(checked.errors);
    onSaved(await call('settings:save', { section: 'devices', value: checked.value, approval }));
    void loadPorts();
    return t('manage.devices.saved');
  };

  const p = (patch: Partial<PoleForm>): void => setPole({ ...pole, ...patch });
  const c = (patch: Partial<CardForm>): void => setCard({ ...card, ...patch });
  const isLed = pole.protocol === 'led8';
  const isVfd = pole.protocol === 'cd5220' || pole.protocol === 'escpos';

  return (
    <>
      <DeviceStatusPanel />
      <PrinterPanel />
      <SectionForm id="devices" title={t('manage.devices.title')} submit={submit}>
        <fieldset className="subgroup field-wide" data-testid="pole-group">
          <legend>{t('manage.devices.pole')}</legend>
          <Check label={t('manage.devices.enabled')} checked={poleOn} onChange={setPoleOn} testId="pole-enabled" />
          {poleOn && (
            <div className="fields-grid">
              <PortPicker
                label={t('manage.devices.port')}
                path="poleDisplay.path"
                value={pole.path}
                onChange={(path) => p({ path })}
                ports={ports}
                testId="pole-port"
              />
              <Field label={t('manage.devices.protocol')} path="poleDisplay.protocol">
                <EnumSelect
                  value={pole.protocol}
                  options={PoleDisplayProtocolSchema.options}
                  label={(o) => t(`manage.devices.protocol.${o}` as MessageKey)}
                  onChange={(protocol) => p({ protocol })}
                  testId="pole-protocol"
                />
              </Field>
              <Field label={t('manage.devices.baud')} path="poleDisplay.baudRate">
                <BaudSelect
                  value={pole.baud}
                  onChange={(baud) => p({ baud })}
                  testId="pole-baud"
                  defaultLabel={t('manage.devices.baudDefault', { baud: defaultBaudRate(pole.protocol) })}
                />
              </Field>
              <SerialFrame
                prefix="poleDisplay"
                testPrefix="pole"
                dataBits={pole.dataBits}
                stopBits={pole.stopBits}
                parity={pole.parity}
                onChange={(patch) => p(patch)}
              />
              <Field label={t('manage.devices.encoding')} path="poleDisplay.encoding">
                <EnumSelect
                  value={pole.encoding}
                  options={DisplayTextEncodingSchema.options}
                  label={(o) => t(`manage.devices.encoding.${o}` as MessageKey)}
                  onChange={(encoding) => p({ encoding })}
                  testId="pole-encoding"
                />
              </Field>
              {isLed && (
                <>
                  <Field label={t('manage.devices.lampVariant')} path="poleDisplay.lampVariant">
                    <EnumSelect
                      value={pole.lampVariant}
                      options={LampVariantSchema.options}
                      label={(o) => t(`manage.devices.lamp.${o}` as MessageKey)}
                      onChange={(lampVariant) => p({ lampVariant })}
                      testId="pole-lamp"
                    />
                  </Field>
                  <NumberField
                    label={t('manage.devices.delay')}
                    path="poleDisplay.interCommandDelayMs"
                    hint="0–150 ms"
                    value={pole.interCommandDelayMs}
                    onChange={(interCommandDelayMs) => p({ interCommandDelayMs })}
                    testId="pole-delay"
                  />
                  <Check label={t('manage.devices.dotTakesCell')} checked={pole.dotTakesCell} onChange={(v) => p({ dotTakesCell: v })} testId="pole-dot" />
                </>
              )}
              {isVfd && pole.encoding !== 'ascii' && (
                <Field label={t('manage.devices.hanziMode')} path="poleDisplay.hanziMode">
                  <EnumSelect
                    value={pole.hanziMode}
                    options={HanziModeSchema.options}
                    label={(o) => t(`manage.devices.hanzi.${o}` as MessageKey)}
                    onChange={(hanziMode) => p({ hanziMode })}
                    testId="pole-hanzi"
                  />
                </Field>
              )}
              {pole.protocol === 'custom' && (
                <fieldset className="subgroup field-wide" data-testid="pole-custom">
                  <legend>{t('manage.devices.custom')}</legend>
                  <p className="hint">{t('manage.devices.customHint', { placeholders: TEMPLATE_PLACEHOLDERS.map((x) => `{${x}}`).join(' ') })}</p>
                  <TemplateField
                    label={t('manage.devices.tplInit')}
                    path="poleDisplay.custom.init"
                    value={pole.init}
                    onChange={(init) => p({ init })}
                    testId="pole-tpl-init"
                  />
                  <TemplateField
                    label={t('manage.devices.tplClear')}
                    path="poleDisplay.custom.clear"
                    value={pole.clear}
                    onChange={(clear) => p({ clear })}
                    testId="pole-tpl-clear"
                  />
                  <TemplateField
                    label={t('manage.devices.tplShowLine')}
                    path="poleDisplay.custom.showLine"
                    value={pole.showLine}
                    onChange={(showLine) => p({ showLine })}
                    testId="pole-tpl-line"
                  />
                  <TemplateField
                    label={t('manage.devices.tplShowAmount')}
                    path="poleDisplay.custom.showAmount"
                    value={pole.showAmount}
                    onChange={(showAmount) => p({ showAmount })}
                    testId="pole-tpl-amount"
                  />
                  <NumberField
                    label={t('manage.devices.lineWidth')}
                    path="poleDisplay.custom.lineWidth"
                    value={pole.lineWidth}
                    onChange={(lineWidth) => p({ lineWidth })}
                    testId="pole-tpl-width"
                  />
                  <NumberField
                    label={t('manage.devices.rows')}
                    path="poleDisplay.custom.rows"
                    value={pole.rows}
                    onChange={(rows) => p({ rows })}
                    testId="pole-tpl-rows"
                  />
                </fieldset>
              )}
            </div>
          )}
        </fieldset>

        <fieldset className="subgroup field-wide" data-testid="card-group">
          <legend>{t('manage.devices.card')}</legend>
          <Check label={t('manage.devices.enabled')} checked={cardOn} onChange={setCardOn} testId="card-enabled" />
          {cardOn && (
            <div className="fields-grid">
              <PortPicker
                label={t('manage.devices.port')}
                path="cardTerminal.path"
                value={card.path}
                onChange={(path) => c({ path })}
                ports={ports}
                testId="card-port"
              />
              <Field label={t('manage.devices.baud')} path="cardTerminal.baudRate">
                <BaudSelect value={card.baud} onChange={(baud) => c({ baud })} testId="card-baud" />
              </Field>
              <SerialFrame
                prefix="cardTerminal"
                testPrefix="card"
                dataBits={card.dataBits}
                stopBits={card.stopBits}
                parity={card.parity}
                onChange={(patch) => c(patch)}
              />
              <Field label={t('manage.devices.registerNo')} path="cardTerminal.registerNo">
                <input value={card.registerNo} maxLength={8} onChange={(e) => c({ registerNo: e.target.value })} data-testid="card-register" />
              </Field>
              <Field label={t('manage.devices.operatorNo')} path="cardTerminal.operatorNo">
                <input value={card.operatorNo} maxLength={8} onChange={(e) => c({ operatorNo: e.target.value })} data-testid="card-operator" />
              </Field>
              <NumberField
                label={t('manage.devices.ackTimeout')}
                path="cardTerminal.ackTimeoutMs"
                hint="100–30000 ms"
                value={card.ackTimeoutMs}
                onChange={(ackTimeoutMs) => c({ ackTimeoutMs })}
                testId="card-ack-ms"
              />
              <NumberField
                label={t('manage.devices.answerTimeout')}
                path="cardTerminal.answerTimeoutMs"
                hint="1000–600000 ms"
                value={card.answerTimeoutMs}
                onChange={(answerTimeoutMs) => c({ answerTimeoutMs })}
                testId="card-answer-ms"
              />
              <NumberField
                label={t('manage.devices.queryTimeout')}
                path="cardTerminal.queryTimeoutMs"
                hint="1000–600000 ms"
                value={card.queryTimeoutMs}
                onChange={(queryTimeoutMs) => c({ queryTimeoutMs })}
                testId="card-query-ms"
              />
              <NumberField
                label={t('manage.devices.maxRetries')}
                path="cardTerminal.maxRetries"
                hint="0–5"
                value={card.maxRetries}
                onChange={(maxRetries) => c({ maxRetries })}
                testId="card-retries"
              />
              <Field label={t('manage.devices.queryLastType')} path="cardTerminal.queryLastType" hint={t('manage.guess')}>
                <input value={card.queryLastType} maxLength={2} onChange={(e) => c({ queryLastType: e.target.value })} data-testid="card-query-type" />
              </Field>
            </div>
          )}
        </fieldset>
        <fieldset className="subgroup field-wide" data-testid="printer-group">
          <legend>{t('receipt.printer')}</legend>
          <Check label={t('manage.devices.enabled')} checked={printerOn} onChange={setPrinterOn} testId="printer-enabled" />
          {printerOn && <PrinterFields form={printer} onChange={(patch: Partial<PrinterForm>) => setPrinter({ ...printer, ...patch })} />}
        </fieldset>
        <div className="field-wide ports-info">
          <button type="button" onClick={() => void loadPorts()} data-testid="ports-refresh">
            {t('manage.devices.refreshPorts')}
          </button>
          <span className="hint" data-testid="ports-count">
            {ports === null ? '' : t('manage.devices.portsFound', { n: ports.ports.filter((x) => x.source === 'system').length })}
          </span>
          {ports?.reason !== null && ports?.reason !== undefined && (
            <span className="warning-text" data-testid="ports-reason">
              {t('manage.devices.portsReason', { reason: ports.reason })}
            </span>
          )}
          {portsError !== null && <span className="error">{portsError}</span>}
        </div>
      </SectionForm>
    </>
  );
}

/** One of the custom protocol's byte templates: hex bytes and placeholders, typed as they are sent. */
function TemplateField({
  label,
  path,
  value,
  onChange,
  testId,
}: {
  label: string;
  path: string;
  value: string;
  onChange: (template: string) => void;
  testId: string;
}): React.JSX.Element {
  return (
    <Field label={label} path={path} wide>
      <input className="mono" value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} data-testid={testId} />
    </Field>
  );
}

/** Data bits, stop bits, parity: the serial frame both devices share. */
function SerialFrame({
  prefix,
  testPrefix,
  dataBits,
  stopBits,
  parity,
  onChange,
}: {
  prefix: string;
  testPrefix: string;
  dataBits: string;
  stopBits: string;
  parity: PoleDisplayConfig['parity'];
  onChange: (patch: { dataBits?: string; stopBits?: string; parity?: PoleDisplayConfig['parity'] }) => void;
}): React.JSX.Element {
  const t = useT();
  return (
    <>
      <Field label={t('manage.devices.dataBits')} path={`${prefix}.dataBits`}>
        <EnumSelect
          value={dataBits}
          options={['8', '7', '6', '5']}
          label={(b) => b}
          onChange={(b) => onChange({ dataBits: b })}
          testId={`${testPrefix}-databits`}
        />
      </Field>
      <Field label={t('manage.devices.parity')} path={`${prefix}.parity`}>
        <EnumSelect
          value={parity}
          options={ParitySchema.options}
          label={(o) => t(`manage.devices.parity.${o}` as MessageKey)}
          onChange={(o) => onChange({ parity: o })}
          testId={`${testPrefix}-parity`}
        />
      </Field>
      <Field label={t('manage.devices.stopBits')} path={`${prefix}.stopBits`}>
        <EnumSelect
          value={stopBits}
          options={['1', '1.5', '2']}
          label={(b) => b}
          onChange={(b) => onChange({ stopBits: b })}
          testId={`${testPrefix}-stopbits`}
        />
      </Field>
    </>
  );
}

/** A port from the list, or typed by hand (a pty link, a port the OS list misses). */
function PortPicker({
  label,
  path,
  value,
  onChange,
  ports,
  testId,
}: {
  label: string;
  path: string;
  value: string;
  onChange: (v: string) => void;
  ports: PortList | null;
  testId: string;
}): React.JSX.Element {
  const t = useT();
  const entries = ports?.ports ?? [];
  const listed = entries.some((e) => e.path === value);
  return (
    <Field label={label} path={path} wide>
      <span className="port-picker">
        <select value={listed ? value : ''} onChange={(e) => e.target.value !== '' && onChange(e.target.value)} data-testid={`${testId}-select`}>
          <option value="">{entries.length === 0 ? t('manage.devices.noPorts') : t('manage.devices.pickPort')}</option>
          {entries.map((e) => (
            <option key={e.path} value={e.path}>
              {e.path}
              {e.manufacturer === undefined ? '' : ` — ${e.manufacturer}`}
              {e.source === 'configured' ? ` (${t('manage.devices.configured')})` : ''}
              {e.present ? '' : ` (${t('manage.devices.absent')})`}
            </option>
          ))}
        </select>
        <input
          value={value}
          onChange={(e) => onChange(e.target.value)}
          placeholder={t('manage.devices.typePath')}
          spellCheck={false}
          data-testid={`${testId}-path`}
        />
      </span>
    </Field>
  );
}

/** Live state of both devices (`devices:status`, then `device:status` events) and the display test. */
function DeviceStatusPanel(): React.JSX.Element {
  const t = useT();
  const detailText = useHostDetail();
  const errorText = useManageErrorText();
  const [statuses, setStatuses] = useState<DeviceStatus[]>([]);
  const [testMsg, setTestMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call('devices:status', undefined)
      .then(setStatuses)
      .catch(() => undefined);
    return getBridge().on('device:status', (s) =>
      setStatuses((list) => [...list.filter((x) => x.device !== s.device), s].sort((a, b) => a.device.localeCompare(b.device))),
    );
  }, []);

  const testDisplay = async (): Promise<void> => {
    setBusy(true);
    setTestMsg(null);
    try {
      await call('devices:testDisplay', undefined);
      setTestMsg({ kind: 'ok', text: t('manage.devices.testSent') });
    } catch (e) {
      setTestMsg({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="panel settings-section" data-testid="device-status">
      <h3>{t('manage.devices.status')}</h3>
      <table className="grid">
        <tbody>
          {statuses.map((s) => (
            <tr key={s.device} data-testid={`device-${s.device}`} data-state={s.state}>
              <th scope="row">{t(`health.name.${s.device}` as MessageKey)}</th>
              <td className={`state state-${s.state}`}>{t(`manage.deviceState.${s.state}` as MessageKey)}</td>
              <td className="mono">{s.port ?? ''}</td>
              <td className="hint">{detailText(s.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void testDisplay()} data-testid="test-display">
          {t('manage.devices.testDisplay')}
        </button>
        <span className="hint">{t('manage.devices.testHint')}</span>
      </div>
      {testMsg !== null && (
        <p className={testMsg.kind === 'ok' ? 'ok' : 'error'} data-testid="test-display-result">
          {testMsg.text}
        </p>
      )}
    </div>
  );
}
