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
import { BPC_KEY, HQ_KEY } from '../config/provisioning';
import { HqSettingsSchema } from '../../shared/settings';
import type { PaymentEngine } from '../payments/engine';
import type { BpcClient } from '../gateways/bpc/client';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { laneView, setLane } from '../ledger/lane';
import { readSetting, writeSetting } from '../ledger/settings';
import {
  createOperator,
  defaultPinsError,
  getOperator,
  isDefaultPin,
  listOperators,
  operatorsWithDefaultPin,
  requireRole,
  updateOperator,
  verifyPin,
  type OperatorView,
  type Role,
} from '../operators/operators';
import { endShift, getShift, listHandovers, setShiftFloat, startShift } from '../operators/shifts';
import { buildDayReport, closeDay, dayAddendum, getClosedDay, isDayClosed, listDayRefunds, recordLateSettlements } from '../reports/day-report';
import { dayReportCsv, dayReportXlsx } from '../reports/export';
import { findPayments, listOpenItems, listTransactions, paymentDetail } from '../reports/transactions';
import type { SecretStore } from '../secrets/store';
import type { EventBus } from '../ipc/event-bus';
import type { DeviceManager } from '../devices/manager';
import { listPorts } from '../devices/ports';
import { TRAINING_TERMINAL_PATH } from '../devices/training-terminal';
import { bookingDay, calendarBusinessDay, settingsTimeZone } from '../reports/business-day';
import { processTimeZone } from '../reports/time';
import { YIMA_KEY } from '../config/yima-config';
import { checkYimaSignRule, saveYimaSettings, yimaSettingsView } from './yima-settings';

type BackOfficeChannels =
  | 'session:current'
  | 'session:signIn'
  | 'session:signOut'
  | 'shift:handover'
  | 'shift:list'
  | 'refund:find'
  | 'refund:detail'
  | 'refund:create'
  | 'refund:requery'
  | 'refund:resolve'
  | 'ledger:list'
  | 'ledger:refunds'
  | 'ledger:requeryOpen'
  | 'day:report'
  | 'day:current'
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
  /** A ledger backup (resolves null when it failed: logged and recorded, never thrown). */
  backup?: (reason: 'day-close' | 'manual') => Promise<unknown>;
  /** Operators still on a published training PIN at start (computed by the caller). */
  initialDefaultPins?: string[];
  /** Told whenever the list of operators still on a published training PIN is recomputed. */
  onDefaultPins?: (codes: string[]) => void;
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

/** The role an approver needs to create or change an operator whose role is `next` (and was `current`). */
export function approverRoleFor(next: Role, current?: Role): Role {
  const needs = (role: Role): Role => (role === 'cashier' ? 'supervisor' : 'manager');
  return current !== undefined && needs(current) === 'manager' ? 'manager' : needs(next);
}

export function createBackOffice(deps: BackOfficeDeps): {
  handlers: Pick<Handlers, BackOfficeChannels>;
  session: Session;
  refreshDefaultPins: () => Promise<void>;
  /** Sets the list directly (the default operators were just created with their published PINs). */
  setDefaultPins: (codes: string[]) => void;
} {
  const { db, engine, secrets, devices, now } = deps;
  const session: Session = { operator: null, shiftId: null };
  let defaultPins: string[] = deps.initialDefaultPins ?? [];
  const refreshDefaultPins = async (): Promise<void> => {
    defaultPins = await operatorsWithDefaultPin(db);
    deps.onDefaultPins?.(defaultPins);
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

  /** The shop's business-day zone (settings; else the injected one; else the computer's). */
  const zone = (): string | undefined => settingsTimeZone(deps.config().businessDay) ?? deps.timeZone;
  const tzOpt = (): { timeZone?: string; startHour: number } => {
    const z = zone();
    const startHour = deps.config().businessDay.startHour;
    return z === undefined ? { startHour } : { timeZone: z, startHour };
  };

  // Anything that becomes final after its day was closed is recorded as that day's addendum.
  const lateCheck = (item: { mode: AppMode; businessDay: string; status: string }): void => {
    if (!['paid', 'failed', 'closed', 'succeeded'].includes(item.status)) return;
    try {
      if (isDayClosed(db, item.mode, item.businessDay)) recordLateSettlements(db, { mode: item.mode, day: item.businessDay, ...tzOpt() }, now());
    } catch {
      // Recorded again the next time the day's report is opened.
    }
  };
  deps.bus.on('payment:updated', lateCheck);
  deps.bus.on('refund:updated', lateCheck);
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
      businessDay: c.businessDay,
      devices: readDevicesConfig(db),
      lane: laneView(db, now()),
      // Headquarters: the key never leaves the core, not even a suffix.
      hq: { settings: HqSettingsSchema.safeParse(readSetting(db, SETTING.hq)).data ?? null, keySet: secrets.summary(HQ_KEY).hasValue },
    };
  };

  const recordSettings = (by: string, section: string, data: unknown): void => {
    appendEvent(db, { at: now(), entity: 'settings', type: 'saved', actor: by, data: { section, value: data } });
  };

  const handlers: Pick<Handlers, BackOfficeChannels> = {
    'session:current': () => sessionView(),
    'session:signIn': async ({ code, pin, floatFen }) => {
      const op = await verifyPin(db, code, pin, now());
      session.operator = op;
      const at = now();
      const shift = startShift(db, op.code, deps.mode(), at);
      session.shiftId = shift.id;
      // The opening float: set when this sign-in starts the shift (typed, else the default), or typed again later.
      if (floatFen !== undefined || (shift.floatFen === null && shift.startedAt === at)) {
        setShiftFloat(db, shift.id, floatFen ?? deps.config().shop.defaultFloatFen, op.code, at);
      }
      appendEvent(db, { at: now(), entity: 'operator', entityId: op.id, type: 'signed_in', actor: op.code });
      return changed();
    },
    'session:signOut': () => {
      if (session.operator !== null)
        appendEvent(db, { at: now(), entity: 'operator', entityId: session.operator.id, type: 'signed_out', actor: session.operator.code });
      session.operator = null;
      session.shiftId = null;
      return changed();
    },
    'shift:handover': (input) => {
      if (session.operator === null || session.shiftId === null) throw new AppError('PIN_REQUIRED', 'sign in first');
      const zoneNow = zone();
      const count =
        input === undefined || (input.countedFen === undefined && input.denominations === undefined && input.coinsFen === undefined) ? undefined : input;
      const shift = endShift(db, session.shiftId, now(), { ...(zoneNow === undefined ? {} : { timeZone: zoneNow }), count });
      session.operator = null;
      session.shiftId = null;
      return { shift, session: changed() };
    },

    'shift:list': ({ day, operator }) =>
      listHandovers(db, {
        mode: deps.mode(),
        day,
        ...(operator === undefined || operator === '' ? {} : { operator }),
        dayOf: (ms) => calendarBusinessDay(ms, deps.config().businessDay),
      }),

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
      // After 日结 the refund is booked on the next open business day (the engine dates it).
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
        buildDayReport(db, { mode: deps.mode(), day, ...(operator === undefined ? {} : { operator }), ...tzOpt() });
      if (closed !== null) recordLateSettlements(db, { mode: deps.mode(), day, ...tzOpt() }, now());
      const addendum = closed === null ? null : dayAddendum(db, { mode: deps.mode(), day, ...tzOpt() });
      return { report, closed, addendum };
    },
    'day:current': () => {
      const settings = deps.config().businessDay;
      const at = now();
      return {
        day: bookingDay(db, deps.mode(), at, settings),
        calendarDay: calendarBusinessDay(at, settings),
        timeZone: zone() ?? processTimeZone(),
        startHour: settings.startHour,
      };
    },
    'day:close': async ({ day, manager, override }) => {
      const closer = await approve(manager, 'manager');
      const current = calendarBusinessDay(now(), deps.config().businessDay);
      // Closing ahead of time would silently move today's sales to a later day.
      if (day > current) throw new AppError('BAD_INPUT', `${day} has not begun yet (the business day now is ${current})`, { field: 'day' });
      const overrider = override === undefined ? undefined : await approve(override.approval, 'supervisor');
      // "Close the day" first asks the gateway about everything still open, then freezes.
      await requeryOpen(day);
      const closed = closeDay(
        db,
        {
          mode: deps.mode(),
          day,
          by: closer.code,
          ...(overrider === undefined || override === undefined ? {} : { override: { by: overrider.code, reason: override.reason } }),
          ...tzOpt(),
        },
        now(),
      );
      // The frozen day goes into a backup right away (a failed copy is logged, the close stands).
      await deps.backup?.('day-close');
      return closed;
    },
    'day:export': async ({ day, format, lang }) => {
      const opts = lang === undefined ? {} : { lang };
      const closed = getClosedDay(db, deps.mode(), day);
      const report = closed?.report ?? buildDayReport(db, { mode: deps.mode(), day, ...tzOpt() });
      const base = `day-report-${day}${deps.mode() === 'training' ? '-training' : ''}${closed === null ? '-draft' : ''}`;
      if (format === 'csv')
        return { fileName: `${base}.csv`, mime: 'text/csv;charset=utf-8', base64: Buffer.from(dayReportCsv(report, opts), 'utf8').toString('base64') };
      return {
        fileName: `${base}.xlsx`,
        mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        base64: (await dayReportXlsx(report, opts)).toString('base64'),
      };
    },

    'operators:list': () => listOperators(db),
    'operators:save': async ({ code, name, role, pin, active, approval }) => {
      // Who may approve depends on the higher of the target's current and new role: a supervisor
      // changes cashiers only; touching a supervisor or manager (demote, re-PIN, deactivate) needs a manager.
      const existing = getOperator(db, code);
      const approver = await approve(approval, approverRoleFor(role, existing?.role));
      if (pin !== undefined && isDefaultPin(code, pin) && readSetting(db, SETTING.mode) === 'live') {
        throw new AppError(
          'DEFAULT_PINS',
          `PIN of operator ${code}: a published training PIN cannot be used in live mode; choose another (6 digits recommended)`,
          { field: 'pin', operators: code },
        );
      }
      const saved =
        existing === undefined
          ? await (async () => {
              if (pin === undefined) throw new AppError('BAD_INPUT', 'a new operator needs a PIN', { field: 'pin' });
              return createOperator(db, { code, name, role, pin, ...(active === undefined ? {} : { active }) }, now(), approver.code);
            })()
          : await updateOperator(
              db,
              code,
              { name, role, ...(pin === undefined ? {} : { pin }), ...(active === undefined ? {} : { active }) },
              now(),
              approver.code,
            );
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
        case 'lane':
          // Refused (INVALID_STATE) once the ledger has a live sale; recorded with the approver.
          setLane(db, { code: input.value.code, source: 'settings', actor: by.code, now: now() });
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
      if (input.section === 'shop' || input.section === 'limits' || input.section === 'yima' || input.section === 'devices') deps.emitMode();
      return settingsView();
    },
    'settings:setKey': async ({ gateway, key, approval }) => {
      if (gateway === 'hq' && key.length < 16) {
        throw new AppError('BAD_INPUT', 'the headquarters key must be at least 16 characters', { field: 'key' });
      }
      const by = await approve(approval, 'supervisor');
      secrets.write(gateway === 'yima' ? YIMA_KEY : gateway === 'hq' ? HQ_KEY : BPC_KEY, key);
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
        const still = await operatorsWithDefaultPin(db);
        if (still.length > 0) throw defaultPinsError(still);
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

  return {
    handlers,
    session,
    refreshDefaultPins,
    setDefaultPins: (codes) => {
      defaultPins = [...codes];
    },
  };
}
