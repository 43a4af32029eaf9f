import { useEffect, useState } from 'react';
import type { PrintJobView, ReceiptPrinterConfig } from '../../../../shared/printer';
import { AutoPrintSchema, PrinterTransportSchema } from '../../../../shared/printer';
import type { ChannelOutput } from '../../../../shared/ipc/types';
import { call, getBridge } from '../../bridge/client';
import { useT, type MessageKey } from '../../i18n';
import { printReceiptInBrowser } from '../../lib/print-receipt';
import { Check, Field, textNum, useManageErrorText } from './common';
import { BaudSelect, EnumSelect, NumberField } from './DeviceFields';

export interface PrinterForm {
  transport: ReceiptPrinterConfig['transport'];
  path: string;
  host: string;
  port: string;
  systemPrinter: string;
  baud: string;
  paperWidth: '58' | '80';
  encoding: ReceiptPrinterConfig['encoding'];
  chineseMode: boolean;
  cut: ReceiptPrinterConfig['cut'];
  feedLines: string;
  drawerEnabled: boolean;
  drawerPin: '2' | '5';
  drawerOnMs: string;
  drawerOffMs: string;
  autoPrint: ReceiptPrinterConfig['autoPrint'];
  header: string;
  footer: string;
  statusQuery: boolean;
  timeoutMs: string;
}

export function printerForm(c: ReceiptPrinterConfig | null): PrinterForm {
  return {
    transport: c?.transport ?? 'tcp',
    path: c?.path ?? '',
    host: c?.host ?? '',
    port: String(c?.port ?? 9100),
    systemPrinter: c?.systemPrinter ?? '',
    baud: String(c?.baudRate ?? 9600),
    paperWidth: c?.paperWidth === 58 ? '58' : '80',
    encoding: c?.encoding ?? 'gb18030',
    chineseMode: c?.chineseMode ?? true,
    cut: c?.cut ?? 'partial',
    feedLines: String(c?.feedLines ?? 4),
    drawerEnabled: c?.drawer.enabled ?? true,
    drawerPin: c?.drawer.pin === 5 ? '5' : '2',
    drawerOnMs: String(c?.drawer.onMs ?? 100),
    drawerOffMs: String(c?.drawer.offMs ?? 200),
    autoPrint: c?.autoPrint ?? 'auto',
    header: c?.header ?? '',
    footer: c?.footer ?? '',
    statusQuery: c?.statusQuery ?? true,
    timeoutMs: String(c?.timeoutMs ?? 5000),
  };
}

/** The form as the `receiptPrinter` value of the devices section (the host validates it again). */
export function printerValue(f: PrinterForm): unknown {
  return {
    transport: f.transport,
    path: f.path.trim(),
    host: f.host.trim(),
    port: textNum(f.port),
    systemPrinter: f.systemPrinter.trim(),
    baudRate: textNum(f.baud),
    paperWidth: Number(f.paperWidth),
    encoding: f.encoding,
    chineseMode: f.chineseMode,
    cut: f.cut,
    feedLines: textNum(f.feedLines),
    drawer: { enabled: f.drawerEnabled, pin: Number(f.drawerPin), onMs: textNum(f.drawerOnMs), offMs: textNum(f.drawerOffMs) },
    autoPrint: f.autoPrint,
    header: f.header,
    footer: f.footer,
    statusQuery: f.statusQuery,
    timeoutMs: textNum(f.timeoutMs),
  };
}

/** The receipt printer's fields inside the devices form (saved with the pole display and card terminal). */
export function PrinterFields({ form, onChange }: { form: PrinterForm; onChange: (patch: Partial<PrinterForm>) => void }): React.JSX.Element {
  const t = useT();
  const f = form;
  return (
    <div className="fields-grid">
      <Field label={t('receipt.transport')} path="receiptPrinter.transport">
        <EnumSelect
          value={f.transport}
          options={PrinterTransportSchema.options}
          label={(o) => t(`receipt.transport.${o}` as MessageKey)}
          onChange={(transport) => onChange({ transport })}
          testId="printer-transport"
        />
      </Field>
      {(f.transport === 'serial' || f.transport === 'device') && (
        <Field label={t('receipt.path')} path="receiptPrinter.path" wide>
          <input
            value={f.path}
            onChange={(e) => onChange({ path: e.target.value })}
            placeholder={f.transport === 'serial' ? 'COM3 / /dev/ttyUSB0' : '/dev/usb/lp0'}
            spellCheck={false}
            data-testid="printer-path"
          />
        </Field>
      )}
      {f.transport === 'serial' && (
        <Field label={t('manage.devices.baud')} path="receiptPrinter.baudRate">
          <BaudSelect value={f.baud} onChange={(baud) => onChange({ baud })} testId="printer-baud" />
        </Field>
      )}
      {f.transport === 'tcp' && (
        <>
          <Field label={t('receipt.host')} path="receiptPrinter.host">
            <input
              value={f.host}
              onChange={(e) => onChange({ host: e.target.value })}
              placeholder="192.168.1.87"
              spellCheck={false}
              data-testid="printer-host"
            />
          </Field>
          <NumberField label={t('receipt.port')} path="receiptPrinter.port" value={f.port} onChange={(port) => onChange({ port })} testId="printer-port" />
        </>
      )}
      {f.transport === 'system' && <SystemPrinterField value={f.systemPrinter} onChange={(systemPrinter) => onChange({ systemPrinter })} />}
      <Field label={t('receipt.paperWidth')} path="receiptPrinter.paperWidth">
        <EnumSelect
          value={f.paperWidth}
          options={['58', '80'] as const}
          label={(o) => t(`receipt.paper.${o}`)}
          onChange={(paperWidth) => onChange({ paperWidth })}
          testId="printer-width"
        />
      </Field>
      <Field label={t('receipt.encoding')} path="receiptPrinter.encoding">
        <EnumSelect
          value={f.encoding}
          options={['gb18030', 'gbk'] as const}
          label={(o) => o.toUpperCase()}
          onChange={(encoding) => onChange({ encoding })}
          testId="printer-encoding"
        />
      </Field>
      <Check label={t('receipt.chineseMode')} checked={f.chineseMode} onChange={(chineseMode) => onChange({ chineseMode })} testId="printer-chinese" />
      <Field label={t('receipt.cut')} path="receiptPrinter.cut">
        <EnumSelect
          value={f.cut}
          options={['partial', 'full', 'none'] as const}
          label={(o) => t(`receipt.cut.${o}`)}
          onChange={(cut) => onChange({ cut })}
          testId="printer-cut"
        />
      </Field>
      <NumberField
        label={t('receipt.feedLines')}
        path="receiptPrinter.feedLines"
        hint="0–10"
        value={f.feedLines}
        onChange={(feedLines) => onChange({ feedLines })}
        testId="printer-feed"
      />
      <Field label={t('receipt.autoPrint')} path="receiptPrinter.autoPrint">
        <EnumSelect
          value={f.autoPrint}
          options={AutoPrintSchema.options}
          label={(o) => t(`receipt.autoPrint.${o}`)}
          onChange={(autoPrint) => onChange({ autoPrint })}
          testId="printer-auto"
        />
      </Field>
      <Check label={t('receipt.statusQuery')} checked={f.statusQuery} onChange={(statusQuery) => onChange({ statusQuery })} testId="printer-status-query" />
      <NumberField
        label={t('receipt.timeout')}
        path="receiptPrinter.timeoutMs"
        hint="500–60000 ms"
        value={f.timeoutMs}
        onChange={(timeoutMs) => onChange({ timeoutMs })}
        testId="printer-timeout"
      />
      <Field label={t('receipt.header')} path="receiptPrinter.header" wide>
        <textarea rows={2} maxLength={300} value={f.header} onChange={(e) => onChange({ header: e.target.value })} data-testid="printer-header" />
      </Field>
      <Field label={t('receipt.footer')} path="receiptPrinter.footer" wide>
        <textarea rows={2} maxLength={300} value={f.footer} onChange={(e) => onChange({ footer: e.target.value })} data-testid="printer-footer" />
      </Field>
      <fieldset className="subgroup field-wide" data-testid="drawer-group">
        <legend>{t('receipt.drawer')}</legend>
        <Check
          label={t('manage.devices.enabled')}
          checked={f.drawerEnabled}
          onChange={(drawerEnabled) => onChange({ drawerEnabled })}
          testId="drawer-enabled"
        />
        {f.drawerEnabled && (
          <div className="fields-grid">
            <Field label={t('receipt.drawerPin')} path="receiptPrinter.drawer.pin">
              <EnumSelect
                value={f.drawerPin}
                options={['2', '5'] as const}
                label={(o) => o}
                onChange={(drawerPin) => onChange({ drawerPin })}
                testId="drawer-pin"
              />
            </Field>
            <NumberField
              label={t('receipt.drawerOn')}
              path="receiptPrinter.drawer.onMs"
              hint="2–510"
              value={f.drawerOnMs}
              onChange={(drawerOnMs) => onChange({ drawerOnMs })}
              testId="drawer-on"
            />
            <NumberField
              label={t('receipt.drawerOff')}
              path="receiptPrinter.drawer.offMs"
              hint="2–510"
              value={f.drawerOffMs}
              onChange={(drawerOffMs) => onChange({ drawerOffMs })}
              testId="drawer-off"
            />
          </div>
        )}
      </fieldset>
    </div>
  );
}

type SystemPrinterList = ChannelOutput<'printer:systemList'>;

/**
 * The system printer's name: in the desktop app a choice among the installed printers (the default
 * printer first; a saved name no longer installed stays, marked); in browser mode a name is not
 * needed — the page's print dialog chooses — so it stays a free field with that hint.
 */
function SystemPrinterField({ value, onChange }: { value: string; onChange: (name: string) => void }): React.JSX.Element {
  const t = useT();
  const [list, setList] = useState<SystemPrinterList | null>(null);
  useEffect(() => {
    let live = true;
    call('printer:systemList', undefined)
      .then((l) => live && setList(l))
      .catch(() => live && setList({ available: false, printers: [] }));
    return () => {
      live = false;
    };
  }, []);
  if (list === null || !list.available) {
    return (
      <Field label={t('receipt.systemPrinter')} path="receiptPrinter.systemPrinter" hint={t('receipt.systemHint')} wide>
        <input value={value} onChange={(e) => onChange(e.target.value)} data-testid="printer-system-name" />
      </Field>
    );
  }
  const missing = value !== '' && !list.printers.some((p) => p.name === value);
  return (
    <Field label={t('receipt.systemPrinter')} path="receiptPrinter.systemPrinter" hint={t('receipt.systemListHint')} wide>
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid="printer-system-name">
        <option value="">{t('receipt.systemDefault')}</option>
        {list.printers.map((p) => (
          <option key={p.name} value={p.name}>
            {p.displayName === p.name ? p.name : `${p.displayName} (${p.name})`}
          </option>
        ))}
        {missing && <option value={value}>{t('receipt.systemMissing', { name: value })}</option>}
      </select>
    </Field>
  );
}

/** Test print and the queue of failed prints (retry / discard), with the saved settings. */
export function PrinterPanel(): React.JSX.Element {
  const t = useT();
  const errorText = useManageErrorText();
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [queue, setQueue] = useState<PrintJobView[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call('receipt:queue', undefined)
      .then(setQueue)
      .catch(() => undefined);
    return getBridge().on('receipt:queue', setQueue);
  }, []);

  const run = async (fn: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setMsg(null);
    try {
      await fn();
    } catch (e) {
      setMsg({ kind: 'error', text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };

  const testPrint = (): Promise<void> =>
    run(async () => {
      const result = await call('printer:test', undefined);
      if (result.outcome === 'browser') {
        // A system printer in browser mode: the page's print dialog prints the test page.
        await printReceiptInBrowser({ kind: 'test' });
        setMsg({ kind: 'ok', text: t('receipt.browserHint') });
        return;
      }
      setMsg(
        result.outcome === 'printed' ? { kind: 'ok', text: t('receipt.testPrinted') } : { kind: 'error', text: t('receipt.queued', { detail: result.detail }) },
      );
    });

  const retry = (jobId?: number): Promise<void> =>
    run(async () => {
      const results = await call('receipt:retry', jobId === undefined ? {} : { jobId });
      const failed = results.find((r) => r.outcome === 'queued');
      if (failed !== undefined) setMsg({ kind: 'error', text: t('receipt.queued', { detail: failed.detail }) });
      else {
        const browser = results.find((r) => r.outcome === 'browser');
        if (browser !== undefined && jobId !== undefined) {
          const job = queue.find((j) => j.id === jobId);
          if (job !== undefined && job.kind !== 'test' && job.kind !== 'drawer')
            await printReceiptInBrowser(job.kind === 'day' ? { kind: 'day', day: String(job.ref) } : { kind: job.kind, id: Number(job.ref) });
        }
        setMsg({ kind: 'ok', text: t('receipt.printed') });
      }
    });

  return (
    <div className="panel settings-section" data-testid="printer-panel">
      <h3>{t('receipt.printer')}</h3>
      <div className="actions">
        <button type="button" disabled={busy} onClick={() => void testPrint()} data-testid="printer-test">
          {t('receipt.test')}
        </button>
        <span className="hint">{t('manage.devices.testHint')}</span>
      </div>
      {msg !== null && (
        <p className={msg.kind === 'ok' ? 'ok' : 'error'} data-testid="printer-result">
          {msg.text}
        </p>
      )}
      <h4>{t('receipt.queue')}</h4>
      {queue.length === 0 ? (
        <p className="hint" data-testid="print-queue-empty">
          {t('receipt.queueEmpty')}
        </p>
      ) : (
        <>
          <table className="grid" data-testid="print-queue">
            <tbody>
              {queue.map((j) => (
                <tr key={j.id} data-testid={`print-job-${j.id}`}>
                  <td className="mono">{j.label}</td>
                  <td className="hint">{j.lastError}</td>
                  <td>
                    <button type="button" disabled={busy} onClick={() => void retry(j.id)}>
                      {t('receipt.retry')}
                    </button>{' '}
                    <button type="button" disabled={busy} onClick={() => void run(async () => setQueue(await call('receipt:discard', { jobId: j.id })))}>
                      {t('receipt.discard')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" disabled={busy} onClick={() => void retry()} data-testid="print-retry-all">
            {t('receipt.retryAll')}
          </button>
        </>
      )}
    </div>
  );
}
