import { AppError } from '../../../shared/errors';
import type { Handlers } from '../../../shared/ipc/types';
import { SETTING } from '../../config/config';
import { checkHqCa, readHqSettings } from '../../config/hq-config';
import { BPC_KEY, HQ_KEY } from '../../config/provisioning';
import { YIMA_KEY } from '../../config/yima-config';
import { appendEvent } from '../../ledger/events';
import { laneView, setLane } from '../../ledger/lane';
import { writeSetting } from '../../ledger/settings';
import { defaultPinsError, operatorsWithDefaultPin } from '../../operators/operators';
import { DEVICES_SETTING, readDevicesConfig } from '../device-settings';
import { checkYimaSignRule, saveYimaSettings, yimaSettingsView } from '../yima-settings';
import type { BackOfficeContext } from './context';

/** What Settings shows: every section, keys as summaries only (the headquarters key not even a suffix). */
export function settingsView(ctx: Pick<BackOfficeContext, 'deps'>): ReturnType<Handlers['settings:get']> {
  const { db, secrets, state, now } = ctx.deps;
  const c = state.config();
  return {
    mode: state.mode(),
    modeReason: state.modeReason(),
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
    hq: { settings: readHqSettings(db), keySet: secrets.summary(HQ_KEY).hasValue },
  };
}

/**
 * Settings: every save, key change and mode switch needs a supervisor's PIN and is recorded with who
 * approved it. A write moves the ledger's settings generation, so the core reads the configuration
 * (and the mode) anew on its next use; live clients are made anew when their settings differ.
 */
export function settingsHandlers(
  ctx: BackOfficeContext,
): Pick<Handlers, 'settings:get' | 'settings:save' | 'settings:setKey' | 'settings:setMode' | 'settings:testConnection' | 'settings:checkSignRule'> {
  const { deps, session } = ctx;
  const { db, secrets, state, now } = deps;
  const recordSettings = (by: string, section: string, data: unknown): void => {
    appendEvent(db, { at: now(), entity: 'settings', type: 'saved', actor: by, data: { section, value: data } });
  };
  return {
    'settings:get': () => ctx.settingsView(),
    'settings:save': async (input) => {
      // Headquarters' CA is parsed as X.509 before the approval is spent (the schema only checks its shape).
      const hqCa = input.section === 'hq' ? checkHqCa(input.value.ca, 'value.ca', 'BAD_INPUT', now()) : '';
      const by = await ctx.approve(input.approval, 'supervisor');
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
        case 'hq':
          writeSetting(db, SETTING.hq, { ...input.value, ca: hqCa }, now());
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
      if (input.section === 'shop' || input.section === 'limits' || input.section === 'yima' || input.section === 'devices') deps.emitMode();
      return ctx.settingsView();
    },
    'settings:setKey': async ({ gateway, key, approval }) => {
      if (gateway === 'hq' && key.length < 16) {
        throw new AppError('BAD_INPUT', 'the headquarters key must be at least 16 characters', { field: 'key' });
      }
      const by = await ctx.approve(approval, 'supervisor');
      secrets.write(gateway === 'yima' ? YIMA_KEY : gateway === 'hq' ? HQ_KEY : BPC_KEY, key);
      appendEvent(db, { at: now(), entity: 'settings', type: 'key_changed', actor: by.code, data: { gateway } });
      deps.emitMode();
      return ctx.settingsView();
    },
    'settings:setMode': async ({ mode, approval }) => {
      const by = await ctx.approve(approval, 'supervisor');
      if (mode === 'live') {
        if (state.config().merchant === null || !secrets.summary(BPC_KEY).hasValue) {
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
      ctx.changed();
      deps.emitMode();
      return deps.info();
    },
    'settings:testConnection': async () => {
      const started = Date.now();
      // The configured bank when there is one (so a supervisor can test before going live), else the
      // training gateway. A signed query for an order that cannot exist: read-only at the bank, and it
      // exercises DNS, TCP, TLS, the URL path, our signature and the bank's answer format.
      const target = state.config().merchant !== null && secrets.summary(BPC_KEY).hasValue ? 'live' : 'training';
      const result = await deps.gateway(target).queryPayment('0'.repeat(28));
      const latencyMs = Date.now() - started;
      const which = target === 'live' ? `bank ${state.config().merchant?.url ?? ''}` : 'training gateway';
      if (result.kind === 'transport_unknown') return { ok: false, latencyMs, detail: `${which}: ${result.reason}: ${result.detail}` };
      return { ok: true, latencyMs, detail: `${which} answered ${result.response.respCode} ${result.response.respMsg}` };
    },
    'settings:checkSignRule': ({ body, key }) => checkYimaSignRule(secrets, body, key),
  };
}
