/**
 * Handlers for everything after checkout: sign-in and shifts, the refund desk, transactions, end-of-day
 * reconciliation, operators, settings and devices. Every money action and every change records who
 * did it; sensitive ones need a supervisor's (or manager's) PIN typed on the spot.
 */
import { AppError } from '../../shared/errors';
import type { AppInfo, AppMode } from '../../shared/ipc/contract';
import { DevicesConfigSchema, type DevicesConfig } from '../../shared/devices';
import type { SessionData } from '../../shared/reports';
import type { Handlers } from '../../shared/ipc/types';
import { SETTING, type CounterConfig } from '../config/config';
import { BPC_KEY } from '../config/provisioning';
import type { PaymentEngine } from '../engine/payment-engine';
import type { BpcClient } from '../gateways/bpc/client';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { readSetting, writeSetting } from '../ledger/settings';
import { createOperator, getOperator, listOperators, operatorsWithDefaultPin, requireRole, updateOperator, verifyPin, type OperatorView, type Role } from '../operators/operators';
import { endShift, getShift, startShift } from '../operators/shifts';
import { buildDayReport, closeDay, getClosedDay, isDayClosed, listDayRefunds } from '../reports/day-report';
import { dayReportCsv, dayReportXlsx } from '../reports/export';
import { findPayments, listOpenItems, listTransactions, paymentDetail } from '../reports/transactions';
import type { SecretStore } from '../secrets/store';
import type { EventBus } from '../ipc/event-bus';
import type { DeviceManager } from '../devices/manager';
import { listPorts } from '../devices/ports';
import { TRAINING_TERMINAL_PATH } from '../devices/training-terminal';
import { businessDay } from '../util/time';
import { YIMA_KEY } from '../config/yima-config';
import { checkYimaSignRule, saveYimaSettings, yimaSettingsView } from './yima-settings';

type BackOfficeChannels =
  | 'session:current'
  | 'session:signIn'
  | 'session:signOut'
  | 'shift:handover'
  | 'refund:find'
  | 'refund:detail'
  | 'refund:create'
  | 'refund:requery'
  | 'refund:resolve'
  | 'ledger:list'
  | 'ledger:refunds'
  | 'ledger:requeryOpen'
  | 'day:report'
  | 'day:close'
  | 'day:export'
  | 'operators:list'
  | 'operators:save'
  | 'settings:get'
  | 'settings:save'
  | 'settings:setKey'
  | 'settings:setMode'
  | 'settings:testConnection'
  | 'settings:checkSignRule'
  | 'devices:listPorts'
  | 'devices:status'
  | 'devices:testDisplay';

export interface BackOfficeDeps {
  db: Db;
  bus: EventBus;
  engine: PaymentEngine;
  secrets: SecretStore;
  devices: DeviceManager;
  /** Applies device settings (adds the simulated card terminal in training mode when none is set). */
  applyDevices: (config: DevicesConfig) => Promise<void>;
  now: () => number;
  mode: () => AppMode;
  modeReason: () => string;
  config: () => CounterConfig;
  /** Re-read settings after a change (drops the cached live client). */
  reloadConfig: () => void;
  gateway: (mode: AppMode) => BpcClient;
  emitMode: () => void;
  info: () => AppInfo;
  timeZone?: string;
}

/** The signed-in operator at this counter (one counter per app). */
export interface Session {
  operator: OperatorView | null;
  shiftId: number | null;
}

export const DEVICES_SETTING = 'devices';

export function readDevicesConfig(db: Db): DevicesConfig {
  const parsed = DevicesConfigSchema.safeParse(readSetting(db, DEVICES_SETTING) ?? {});
  return parsed.success ? parsed.data : DevicesConfigSchema.parse({});
}

export function createBackOffice(deps: BackOfficeDeps): { handlers: Pick<Handlers, BackOfficeChannels>; session: Session; refreshDefaultPins: () => Promise<void> } {
  const { db, engine, secrets, devices, now } = deps;
  const session: Session = { operator: null, shiftId: null };
  let defaultPins: string[] = [];
  const refreshDefaultPins = async (): Promise<void> => {
    defaultPins = await operatorsWithDefaultPin(db);
  };

  const sessionView = (): SessionData => ({
    operator: session.operator,
    shift: session.shiftId === null ? null : getShift(db, session.shiftId),
    defaultPins,
  });
  const changed = (): SessionData => {
    const view = sessionView();
    deps.bus.emit('session:changed', view);
    return view;
  };

  /** A supervisor (or higher) approving on the spot: verified PIN, role checked, recorded by the caller. */
  const approve = async (approval: { code: string; pin: string }, role: Role): Promise<OperatorView> => {
    const op = await verifyPin(db, approval.code, approval.pin, now());
    requireRole(op, role);
    return op;
  };

  const today = (): string => businessDay(now(), deps.timeZone);
  const actor = (): string | null => session.operator?.code ?? null;

  const settingsView = (): ReturnType<Handlers['settings:get']> => {
    const c = deps.config();
    return {
      mode: deps.mode(),
      modeReason: deps.modeReason(),
      cipher: secrets.cipherKind,
      bpc: { merchant: c.merchant, key: secrets.summary(BPC_KEY), profile: c.profile, timeouts: c.timeouts },
      yima: yimaSettingsView(db, secrets),
      qr: c.qr,
      polling: c.polling,
      notifications: c.notifications,
      limits: c.limits,
      shop: c.shop,
      devices: readDevicesConfig(db),
    };
  };

  const recordSettings = (by: string, section: string, data: unknown): void => {
    appendEvent(db, { at: now(), entity: 'settings', type: 'saved', actor: by, data: { section, value: data } });
  };

  const handlers: Pick<Handlers, BackOfficeChannels> = {
    'session:current': () => sessionView(),
    'session:signIn': async ({ code, pin }) => {
      const op = await verifyPin(db, code, pin, now());
      session.operator = op;
      session.shiftId = startShift(db, op.code, deps.mode(), now()).id;
      appendEvent(db, { at: now(), entity: 'operator', entityId: op.id, type: 'signed_in', actor: op.code });
      return changed();
    },
    'session:signOut': () => {
      if (session.operator !== null) appendEvent(db, { at: now(), entity: 'operator', entityId: session.operator.id, type: 'signed_out', actor: session.operator.code });
      session.operator = null;
      session.shiftId = null;
      return changed();
    },
    'shift:handover': () => {
      if (session.operator === null || session.shiftId === null) throw new AppError('PIN_REQUIRED', 'sign in first');
      const shift = endShift(db, session.shiftId, now(), deps.timeZone === undefined ? {} : { timeZone: deps.timeZone });
      session.operator = null;
      session.shiftId = null;
      return { shift, session: changed() };
    },

    'refund:find': ({ code, day, amountFen }) =>
      findPayments(db, {
        mode: deps.mode(),
        ...(code === undefined ? {} : { code }),
        ...(day === undefined ? {} : { day }),
        ...(amountFen === undefined ? {} : { amountFen }),
      }),
    'refund:detail': ({ paymentId }) => {
      const detail = paymentDetail(db, paymentId);
      if (detail.payment.mode !== deps.mode()) throw new AppError('NOT_FOUND', `payment ${paymentId} belongs to ${detail.payment.mode} mode`);
      return detail;
    },
    'refund:create': async ({ paymentId, amountFen, reason, approval }) => {
      const supervisor = await approve(approval, 'supervisor');
      if (isDayClosed(db, deps.mode(), today())) throw new AppError('DAY_CLOSED', `${today()} is closed; refunds cannot be booked on it`);
      return engine.createRefund({ paymentId, amountFen, reason, operator: actor() ?? supervisor.code, approvedBy: supervisor.code });
    },
    'refund:requery': ({ id }) => engine.requeryRefund(id),
    'refund:resolve': async ({ id, outcome, reason, approval }) => {
      const supervisor = await approve(approval, 'supervisor');
      return engine.resolveRefund(id, outcome, reason, supervisor.code);
    },

    'ledger:list': ({ day, status, payType, tender, operator, search, cursor, limit }) =>
      listTransactions(db, {
        mode: deps.mode(),
        day,
        ...(status === undefined || status.length === 0 ? {} : { status }),
        ...(payType === undefined ? {} : { payType }),
        ...(tender === undefined ? {} : { tender }),
        ...(operator === undefined || operator === '' ? {} : { operator }),
        ...(search === undefined || search === '' ? {} : { search }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: limit ?? 50,
      }),
    'ledger:refunds': ({ day }) => listDayRefunds(db, deps.mode(), day),
    'ledger:requeryOpen': async ({ day }) => requeryOpen(day),

    'day:report': ({ day, operator }) => {
      const closed = getClosedDay(db, deps.mode(), day);
      // The frozen report covers everyone; one operator's view of a closed day is built from the rows.
      const report =
        (operator === undefined ? closed?.report : undefined) ??
        buildDayReport(db, { mode: deps.mode(), day, ...(operator === undefined ? {} : { operator }), ...(deps.timeZone === undefined ? {} : { timeZone: deps.timeZone }) });
      return { report, closed };
    },
    'day:close': async ({ day, manager, override }) => {
      const closer = await approve(manager, 'manager');
      const overrider = override === undefined ? undefined : await approve(override.approval, 'supervisor');
      // "Close the day" first asks the gateway about everything still open, then freezes.
      await requeryOpen(day);
      return closeDay(
        db,
        {
          mode: deps.mode(),
          day,
          by: closer.code,
          ...(overrider === undefined || override === undefined ? {} : { override: { by: overrider.code, reason: override.reason } }),
          ...(deps.timeZone === undefined ? {} : { timeZone: deps.timeZone }),
        },
        now(),
      );
    },
    'day:export': async ({ day, format, lang }) => {
      const opts = lang === undefined ? {} : { lang };
      const closed = getClosedDay(db, deps.mode(), day);
      const report = closed?.report ?? buildDayReport(db, { mode: deps.mode(), day, ...(deps.timeZone === undefined ? {} : { timeZone: deps.timeZone }) });
      const base = `day-report-${day}${deps.mode() === 'training' ? '-training' : ''}${closed === null ? '-draft' : ''}`;
      if (format === 'csv') return { fileName: `${base}.csv`, mime: 'text/csv;charset=utf-8', base64: Buffer.from(dayReportCsv(report, opts), 'utf8').toString('base64') };
      return {
        fileName: `${base}.xlsx`,
        mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        base64: (await dayReportXlsx(report, opts)).toString('base64'),
      };
    },

    'operators:list': () => listOperators(db),
    'operators:save': async ({ code, name, role, pin, active, approval }) => {
      const approver = await approve(approval, role === 'cashier' ? 'supervisor' : 'manager');
      const existing = getOperator(db, code);
      const saved =
        existing === undefined
          ? await (async () => {
              if (pin === undefined) throw new AppError('BAD_INPUT', 'a new operator needs a PIN', { field: 'pin' });
              return createOperator(db, { code, name, role, pin }, now(), approver.code);
            })()
          : await updateOperator(db, code, { name, role, ...(pin === undefined ? {} : { pin }), ...(active === undefined ? {} : { active }) }, now(), approver.code);
      await refreshDefaultPins();
      return saved;
    },

    'settings:get': () => settingsView(),
    'settings:save': async (input) => {
      const by = await approve(input.approval, 'supervisor');
      switch (input.section) {
        case 'bpc':
          writeSetting(db, SETTING.merchant, input.value.merchant, now());
          writeSetting(db, SETTING.profile, input.value.profile, now());
          writeSetting(db, SETTING.timeouts, input.value.timeouts, now());
          break;
        case 'yima':
          saveYimaSettings(db, input.value, now());
          break;
        case 'devices':
          // Validated before anything is touched; a port that cannot open shows as a status.
          await deps.applyDevices(input.value);
          writeSetting(db, DEVICES_SETTING, input.value, now());
          break;
        default:
          writeSetting(db, SETTING[input.section], input.value, now());
      }
      recordSettings(by.code, input.section, input.value);
      deps.reloadConfig();
      if (input.section === 'shop') deps.emitMode();
      return settingsView();
    },
    'settings:setKey': async ({ gateway, key, approval }) => {
      const by = await approve(approval, 'supervisor');
      secrets.write(gateway === 'yima' ? YIMA_KEY : BPC_KEY, key);
      appendEvent(db, { at: now(), entity: 'settings', type: 'key_changed', actor: by.code, data: { gateway } });
      deps.reloadConfig();
      deps.emitMode();
      return settingsView();
    },
    'settings:setMode': async ({ mode, approval }) => {
      const by = await approve(approval, 'supervisor');
      if (mode === 'live') {
        if (deps.config().merchant === null || !secrets.summary(BPC_KEY).hasValue) {
          throw new AppError('NOT_CONFIGURED', 'live mode needs the BPC merchant settings and key first');
        }
      }
      writeSetting(db, SETTING.mode, mode, now());
      appendEvent(db, { at: now(), entity: 'settings', type: 'mode', actor: by.code, data: { mode } });
      await deps.applyDevices(readDevicesConfig(db)).catch(() => undefined);
      // A shift belongs to one mode: the operator signs in again in the new one.
      session.operator = null;
      session.shiftId = null;
      changed();
      deps.emitMode();
      return deps.info();
    },
    'settings:testConnection': async () => {
      const started = Date.now();
      // The configured bank when there is one (so a supervisor can test before going live), else the
      // training gateway. A signed query for an order that cannot exist: read-only at the bank, and it
      // exercises DNS, TCP, TLS, the URL path, our signature and the bank's answer format.
      const target = deps.config().merchant !== null && secrets.summary(BPC_KEY).hasValue ? 'live' : 'training';
      const result = await deps.gateway(target).queryPayment('0'.repeat(28));
      const latencyMs = Date.now() - started;
      const which = target === 'live' ? `bank ${deps.config().merchant?.url ?? ''}` : 'training gateway';
      if (result.kind === 'transport_unknown') return { ok: false, latencyMs, detail: `${which}: ${result.reason}: ${result.detail}` };
      return { ok: true, latencyMs, detail: `${which} answered ${result.response.respCode} ${result.response.respMsg}` };
    },
    'settings:checkSignRule': ({ body, key }) => checkYimaSignRule(secrets, body, key),

    'devices:listPorts': async () => {
      const c = readDevicesConfig(db);
      const configured = [c.poleDisplay?.path, c.cardTerminal?.path].filter((p): p is string => typeof p === 'string' && p !== '');
      const list = await listPorts(configured);
      if (deps.mode() === 'training') list.ports.push({ path: TRAINING_TERMINAL_PATH, source: 'configured', present: true });
      return list;
    },
    'devices:status': () => devices.statuses(),
    'devices:testDisplay': async () => {
      await devices.testDisplay();
      return { ok: true as const };
    },
  };

  async function requeryOpen(day: string | undefined): Promise<{ payments: number; refunds: number }> {
    const open = listOpenItems(db, { mode: deps.mode(), ...(day === undefined ? {} : { day }) });
    await Promise.allSettled([...open.payments.map((p) => engine.requeryPayment(p.id)), ...open.refunds.map((r) => engine.requeryRefund(r.id))]);
    return { payments: open.payments.length, refunds: open.refunds.length };
  }

  return { handlers, session, refreshDefaultPins };
}
