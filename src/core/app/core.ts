import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import type { TrainingScript } from '../../shared/domain';
import type { AppInfo, AppMode, Health, HealthItem } from '../../shared/ipc/contract';
import type { Handlers } from '../../shared/ipc/types';
import { readConfig, SETTING, type CounterConfig } from '../config/config';
import { applyProvisioningFile, BPC_KEY, HQ_KEY } from '../config/provisioning';
import { createUndiciSyncTransport, HQ_RECEIPT_SETTING, SyncPusher, syncHealthStatus, type HqConnection, type SyncTransport } from '../sync/pusher';
import { HqSettingsSchema } from '../../shared/settings';
import { CardSales } from '../payments/card-sales';
import { PaymentEngine, type FaultPoint } from '../payments/engine';
import { GatewayRegistry } from '../payments/registry';
import type { PollingSchedule } from '../payments/schedule';
import { bpcGatewayEntry } from '../gateways/bpc/adapter';
import { BpcClient, type BpcSecurityEvent } from '../gateways/bpc/client';
import { notificationTraces, startNotifyListener, type NotifyListener } from '../gateways/bpc/notify-listener';
import type { BpcNotification } from '../gateways/bpc/wire';
import { createDispatcher, type Dispatch } from '../ipc/dispatcher';
import { EventBus } from '../ipc/event-bus';
import { LEDGER_FILE, openLedgerWaiting, schemaVersion, waitWhileBusy, type Db } from '../ledger/db';
import { asLedgerError, isLedgerWriteFailure } from '../ledger/errors';
import { scheduleBackups } from '../ledger/backup';
import { appendEvent } from '../ledger/events';
import { checkLedgerFile, ensureLedgerIdentity } from '../ledger/identity';
import { ensureLane } from '../ledger/lane';
import { getPayment, latestPayment, toView } from '../ledger/payments';
import { readSetting } from '../ledger/settings';
import { createApprovalNonces } from '../operators/approval-nonces';
import { DEFAULT_OPERATORS, ensureDefaultOperators, operatorsWithDefaultPin, requireRole, verifyPin } from '../operators/operators';
import type { SecretCipher } from '../secrets/cipher';
import { SecretStore } from '../secrets/store';
import { startBpcSimulator, type BpcSimulator, type PaymentScript } from '../simulators/bpc';
import { createConsoleLogger, type Logger } from '../util/logger';
import { ensurePrivateDir } from '../util/private-files';
import { realTimers, type Timers } from '../util/time';
import { realPortFactory, type PortFactory } from '../devices/connection';
import { DeviceManager, deviceHealth } from '../devices/manager';
import { cardGatewayEntry, cardSentRecord } from '../devices/card-gateway';
import type { SimOutcome } from '../devices/simulator';
import { createTrainingTerminal, TRAINING_TERMINAL_PATH } from '../devices/training-terminal';
import { CardTerminalConfigSchema, type DevicesConfig } from '../../shared/devices';
import { bookingDay } from '../reports/business-day';
import { createBackOffice, readDevicesConfig } from './back-office';
import { buildDiagnostics } from './diagnostics';
import { StatusService } from './status';
import { LOG_DIR } from '../util/log-file';
import { ReceiptService } from '../receipts/receipt-service';
import { receiptHandlers } from '../receipts/handlers';
import { readYimaSettings, yimaMerchant, yimaSplitPlan, YIMA_KEY } from '../config/yima-config';
import { YimaClient } from '../gateways/yima/client';
import { YIMA_GATEWAY_ID, yimaGatewayEntry } from '../gateways/yima/adapter';
import { reserveRequestSeq } from '../ledger/order-numbers';
import { CashDesk } from '../payments/cash';
import { startYimaSimulator } from '../simulators/yima';
import { yimaRecheckHandler } from './yima-recheck';
import { yimaBindHandler } from './yima-binding';
import { startYimaTrainingNotifications } from './yima-notify';
import type { YimaSimScript, YimaSimulator } from '../simulators/yima/server';

export const APP_NAME = 'Counter Cashier';

export interface CoreOptions {
  dataDir: string;
  version: string;
  platform: AppInfo['platform'];
  cipher: SecretCipher;
  logger?: Logger;
  now?: () => number;
  timers?: Timers;
  /** A provisioning file to apply at start (browser mode `--config`, Electron's well-known path). */
  provisioningFile?: string;
  /** `--config` names a file that must exist; the well-known path may be absent. */
  provisioningRequired?: boolean;
  /** Test hook for the crash tests (see PaymentEngine.faultPoint). */
  faultPoint?: (name: FaultPoint) => void;
  /** Serial ports (tests inject serialport's mock or a pty factory). */
  portFactory?: PortFactory;
  /** Where the log files are (default <dataDir>/logs), for the diagnostics export. */
  logDir?: string;
  /** Overrides the polling schedule (tests and benchmarks). */
  schedule?: Partial<PollingSchedule>;
  /** Headquarters sync: the HTTP path (tests inject their own) and the caught-up polling interval. */
  syncTransport?: SyncTransport;
  syncIntervalMs?: number;
  /** Crash tests: called when headquarters answered a batch, before the counter records it. */
  syncFaultPoint?: () => void;
  /** Told while start-up waits for a ledger another program has locked ("ledger busy, retrying"). */
  onLedgerBusy?: (error: AppError, attempt: number) => void;
  /** How long start-up waits for a locked ledger before failing with LEDGER_BUSY (default: for as long as it takes). */
  ledgerBusyMaxWaitMs?: number;
  /** Electron: print an HTML receipt silently on a named system printer (absent in browser mode). */
  systemPrint?: (html: string, printerName: string) => Promise<void>;
}

export interface Core {
  readonly db: Db;
  readonly bus: EventBus;
  readonly handlers: Handlers;
  readonly dispatch: Dispatch;
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly ledgerPath: string;
  readonly engine: PaymentEngine;
  /** The built-in training gateway (always running: training payments resolve against it). */
  readonly trainingGateway: BpcSimulator;
  /** The training Yima simulator (card orders pushed in training mode when card sales go to Yima). */
  readonly trainingYima: YimaSimulator;
  /** Pushes the event log to headquarters when an `hq` section is configured (idles otherwise). */
  readonly sync: SyncPusher;
  info(): AppInfo;
  health(): Promise<Health>;
  close(): Promise<void>;
}

/**
 * Live mode needs a configured merchant, its key, and an explicit decision to go live: a provisioning
 * file with a merchant (the installer's decision) or a supervisor's mode switch. Saving settings or a
 * key never starts real charging by itself. Until then the app runs in training mode.
 */
export function resolveMode(db: Db, secrets: SecretStore, defaultPins: readonly string[] = []): { mode: AppMode; reason: string } {
  const config = readConfig(db);
  if (config.merchant === null) return { mode: 'training', reason: 'no merchant configured' };
  if (!secrets.summary(BPC_KEY).hasValue) return { mode: 'training', reason: 'merchant key missing' };
  if (readSetting(db, SETTING.mode) !== 'live') return { mode: 'training', reason: 'merchant configured; a supervisor has not switched to live mode' };
  // A ledger switched to live before this rule (or an operator given a training PIN again) stays in
  // training until every published PIN is changed.
  if (defaultPins.length > 0)
    return { mode: 'training', reason: `live mode refused: operators ${defaultPins.join(', ')} still have the published training PINs` };
  return { mode: 'live', reason: 'merchant configured and switched to live' };
}

/** https or http, from the bank URL (shown in health; http without signed answers refuses live charging). */
export function transportOf(url: string): 'https' | 'http' {
  return url.startsWith('https:') ? 'https' : 'http';
}

const TRAINING_MERCHANT = { mid: '999000000000001', posNo: '99990001', tellerNo: '001' };

/** What each trainer choice makes the simulated bank do for the next payment. */
function trainingScript(choice: TrainingScript, notifyUrl: string): { script: PaymentScript; notify?: { url: string; count: number } } {
  switch (choice) {
    case 'success':
      return { script: { kind: 'pay_after_ms', ms: 4000 } };
    case 'manual':
      return { script: { kind: 'manual' } };
    case 'fail':
      return { script: { kind: 'fail' } };
    case 'hang':
      return { script: { kind: 'waiting' } };
    case 'unknown':
      // 99 for a long time: the sale goes 状态未明 and a supervisor settles it by hand.
      return { script: { kind: 'unknown_then', queries: 100_000, then: 'paid' } };
    case 'duplicate_notify':
      return { script: { kind: 'pay_after_ms', ms: 3000 }, notify: { url: notifyUrl, count: 3 } };
    case 'reject':
      return { script: { kind: 'reject_create', respCode: '05', respMsg: '商户状态异常（培训）' } };
  }
}

/** The training Yima merchant (what a real one gets from Yima: isspid, system, store, pos; terminal to push to). */
const TRAINING_YIMA = { isspid: '99990001', systemId: '9999', storeId: 'TRAIN01', posId: 'POS01', terminalId: 'T0000001', posSn: '' };

/** What each trainer choice makes the simulated Yima card POS do with the next pushed order. */
function trainingYimaScript(choice: TrainingScript): YimaSimScript {
  switch (choice) {
    case 'success':
    case 'duplicate_notify':
      return { kind: 'pay_after_polls', polls: 2 };
    case 'manual':
      return { kind: 'manual' };
    case 'fail':
    case 'reject':
      return { kind: 'decline', comment: '交易失败：余额不足（培训）' };
    case 'hang':
    case 'unknown':
      // Never paid, never declined: after the give-up time the sale shows 状态未明 for a supervisor.
      return { kind: 'never' };
  }
}

/** What each trainer choice makes the simulated card terminal do for the next card sale. */
function trainingCardOutcome(choice: TrainingScript): SimOutcome {
  switch (choice) {
    case 'success':
    case 'duplicate_notify':
      return { result: 'approve', delayMs: 2500 };
    case 'manual':
      return { result: 'approve', delayMs: 6000 };
    case 'fail':
    case 'reject':
      return { result: 'decline', code: '51', message: '余额不足（培训）' };
    case 'hang':
      // The terminal answers nothing and did not complete the sale: the cashier sees 状态未明.
      return { result: 'silent', completes: false };
    case 'unknown':
      // No answer, but the terminal did complete it: the last-transaction query settles it paid.
      return { result: 'silent' };
  }
}

/**
 * Composes the core services on one data directory. Used by Electron's main process and by browser
 * mode alike; everything outside (cipher, clock, timers, logger) is injected.
 */
export async function startCore(options: CoreOptions): Promise<Core> {
  const logger = options.logger ?? createConsoleLogger();
  const now = options.now ?? Date.now;
  const ledgerPath = join(options.dataDir, LEDGER_FILE);
  // A ledger locked by another program (backup, antivirus) is waited for and reported, never mistaken
  // for a provisioning or configuration problem.
  const onBusy = (error: AppError, attempt: number): void => {
    logger.warn('ledger busy, retrying', { code: error.code, attempt, path: ledgerPath });
    options.onLedgerBusy?.(error, attempt);
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  ensurePrivateDir(options.dataDir);
  // A used data directory with its ledger gone, emptied or replaced is refused, never started afresh.
  checkLedgerFile(options.dataDir, ledgerPath);
  const db = await openLedgerWaiting(ledgerPath, { onBusy, ...(options.ledgerBusyMaxWaitMs === undefined ? {} : { maxWaitMs: options.ledgerBusyMaxWaitMs }) });
  try {
    ensureLedgerIdentity(db, options.dataDir, ledgerPath, now());
    // The lane code in every order number: derived from the identity and stored at the first start.
    ensureLane(db, now());
  } catch (error) {
    db.close();
    throw error;
  }
  const secrets = new SecretStore(db, options.cipher, now);
  const bus = new EventBus(logger);
  // Before provisioning: the file's "operators" may re-PIN the defaults, and live mode is decided on them.
  const createdDefaults = await ensureDefaultOperators(db, now());
  if (createdDefaults) logger.warn('created the default operators (training PINs): change them in Settings before going live');

  let configError: string | null = null;
  let provisioned = false;
  if (options.provisioningFile !== undefined) {
    try {
      const file = options.provisioningFile;
      const result = await waitWhileBusy(() => applyProvisioningFile(file, db, secrets, now(), options.provisioningRequired ?? false), { onBusy, sleep });
      provisioned = result.applied;
      if (result.applied) logger.info('provisioning applied', { changed: result.changed, keyMoved: result.keyMoved });
    } catch (error) {
      // A ledger that cannot be written is not a bad file: fail the start with the ledger's own code.
      if (isLedgerWriteFailure(error)) throw asLedgerError(error);
      // A bad file changes nothing: the app keeps the mode it had and shows why.
      configError = error instanceof AppError ? error.message : String(error);
      logger.error('provisioning file refused', { message: configError });
      appendEvent(db, { at: now(), entity: 'settings', type: 'provisioning_refused', data: { file: options.provisioningFile, message: configError } });
    }
  }

  // Each check is one scrypt: skipped when the defaults were just created and no file changed them.
  let defaultPins: string[] = createdDefaults && !provisioned ? DEFAULT_OPERATORS.map((op) => op.code) : await operatorsWithDefaultPin(db);
  let config: CounterConfig = readConfig(db);
  const schedule = (): PollingSchedule => ({ ...config.polling, ...options.schedule });

  // The training gateway: a real BPC simulator on loopback with a per-run key.
  const trainingKey = randomBytes(16).toString('hex');
  // Its orders live in the data directory: a training payment interrupted by a crash resolves after
  // the restart as it would at a real bank.
  const trainingGateway = await startBpcSimulator({
    key: trainingKey,
    mid: TRAINING_MERCHANT.mid,
    defaultScript: { kind: 'pay_after_ms', ms: 4000 },
    stateFile: join(options.dataDir, 'training-gateway.json'),
    logger,
  });
  // An answer not bound to our question (replayed, foreign merchant, another amount) is recorded.
  const onSecurityEvent = (event: BpcSecurityEvent): void => {
    logger.warn('gateway answer refused: not bound to the question', event);
    appendEvent(db, { at: now(), entity: 'app', type: 'security', data: event });
  };
  const trainingClient = new BpcClient({
    merchant: { url: trainingGateway.url, ...TRAINING_MERCHANT },
    getKey: () => trainingKey,
    onSecurityEvent,
    timeouts: { connectMs: 2000, responseMs: 10_000 },
  });
  let nextTrainingScript: TrainingScript = 'success';

  // Training Yima: a real Yima simulator on loopback (JSON, the default signing rule, a per-run key);
  // a card order pushed to it is paid after two result queries unless the trainer scripts otherwise.
  const trainingYimaKey = randomBytes(16).toString('hex');
  const trainingYima = await startYimaSimulator({
    isspid: TRAINING_YIMA.isspid,
    key: trainingYimaKey,
    signRule: 'sorted_kv_key',
    defaultScript: { kind: 'pay_after_polls', polls: 2 },
    logger,
  });
  let trainingYimaClients: { stamp: string; client: YimaClient }[] = [];
  /**
   * The training Yima client follows the counter's Yima settings where they shape the wire — format
   * (JSON or GBK XML), XML transport, signing rule (the simulator verifies the same rule) and the
   * terminal the order is pushed to — so a trainee tries exactly what the live counter will send;
   * the merchant and the key stay the training ones.
   */
  const trainingYimaClient = (): YimaClient => {
    const s = readYimaSettings(db);
    const profile = { format: s?.format ?? 'json', xmlTransport: s?.xmlTransport ?? 'raw', signRule: s?.signRule ?? 'sorted_kv_key' } as const;
    const device = s === null ? { terminalId: TRAINING_YIMA.terminalId, posSn: '' } : { terminalId: s.terminalId, posSn: s.posSn };
    const stamp = JSON.stringify([profile, device]);
    trainingYima.setSignRule(profile.signRule);
    const known = trainingYimaClients.find((c) => c.stamp === stamp);
    if (known !== undefined) return known.client;
    const client = new YimaClient({
      merchant: { ...TRAINING_YIMA, ...device, url: trainingYima.url },
      profile,
      getKey: () => trainingYimaKey,
      timeouts: { connectMs: 2000, responseMs: 10_000 },
    });
    // Kept (not destroyed): a sale pushed before a settings change is still followed with its own client.
    trainingYimaClients = [...trainingYimaClients, { stamp, client }].slice(-8);
    return client;
  };
  /**
   * Yima "test connection": one signed bcm_resultquery_request about an order that cannot exist (its
   * org_pos_seq is a second fresh serial, never an order) — read-only at Yima, no card POS involved. An answer
   * proves the URL, TLS, our envelope and (when Yima checks it) our signature get through; it does not
   * prove the terminal binding or that a card sale can be taken.
   */
  const testYimaConnection = async (): Promise<{ ok: boolean; latencyMs: number; detail: string }> => {
    const started = Date.now();
    const s = readYimaSettings(db);
    const live = mode() === 'live' && s !== null;
    const which = live ? `Yima ${s.url}` : 'training Yima';
    let client: YimaClient;
    try {
      client = live ? liveYimaClient() : trainingYimaClient();
    } catch (error) {
      return { ok: false, latencyMs: 0, detail: `${which}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const posSeq = reserveRequestSeq(db, { gateway: YIMA_GATEWAY_ID, purpose: 'test', now: now() });
    const orgPosSeq = reserveRequestSeq(db, { gateway: YIMA_GATEWAY_ID, purpose: 'test-order', now: now() });
    const result = await client.queryResult({ posSeq, orgPosSeq, amountFen: 0 });
    const latencyMs = Date.now() - started;
    if (result.kind === 'transport_unknown') return { ok: false, latencyMs, detail: `${which}: ${result.reason}: ${result.detail}` };
    const answer = result.kind === 'failed' ? result.result : result.response.result;
    return { ok: true, latencyMs, detail: `${which} answered ${answer?.id ?? '-'} ${answer?.comment ?? ''}`.trim() };
  };
  /** The terminal a Yima card order goes to, as the checkout names it ('' when the route is the serial terminal). */
  const yimaTerminalName = (): string => {
    const s = readYimaSettings(db);
    if (s === null || s.cardRoute !== 'yima') return '';
    return s.terminalId !== '' ? s.terminalId : s.posSn;
  };
  let liveYima: { stamp: string; client: YimaClient } | null = null;
  /** The live Yima client for the stored settings (made anew when they change); refused over plain http without signed answers, as BPC. */
  const liveYimaClient = (): YimaClient => {
    const s = readYimaSettings(db);
    if (s === null) throw new AppError('NOT_CONFIGURED', 'no Yima merchant configured');
    if (transportOf(s.url) === 'http' && !s.requireSignedResponses) {
      throw new AppError(
        'INSECURE_TRANSPORT',
        'live card orders refused: the Yima URL is plain http and signed answers are not required; use https or require signed answers',
        { field: 'yima.url' },
      );
    }
    const stamp = JSON.stringify(s);
    if (liveYima?.stamp === stamp) return liveYima.client;
    const old = liveYima?.client;
    liveYima = {
      stamp,
      client: new YimaClient({
        merchant: yimaMerchant(s),
        profile: {
          format: s.format,
          xmlTransport: s.xmlTransport,
          signRule: s.signRule,
          requireSignedResponses: s.requireSignedResponses,
          bindPosId: s.bindPosId,
        },
        timeouts: { connectMs: s.connectMs, responseMs: s.responseMs },
        getKey: () => {
          const key = secrets.read(YIMA_KEY);
          if (key === undefined) throw new AppError('NOT_CONFIGURED', 'the Yima key is not set', { field: 'yima.key' });
          return key;
        },
      }),
    };
    old?.destroy().catch(() => undefined);
    return liveYima.client;
  };
  /** Where card sales go now: Yima when its settings say so (and, live, when it is configured), else the terminal. */
  const cardRoute = (): 'terminal' | 'yima' => readYimaSettings(db)?.cardRoute ?? 'terminal';

  let liveClient: BpcClient | null = null;
  const getLiveClient = (): BpcClient => {
    if (liveClient !== null) return liveClient;
    if (config.merchant === null) throw new AppError('NOT_CONFIGURED', 'no merchant configured for live mode');
    const caFile = config.merchant.caFile ?? '';
    let caPem: string | undefined;
    if (caFile !== '') {
      try {
        caPem = readFileSync(caFile, 'utf8');
      } catch (error) {
        throw new AppError('CONFIG_INVALID', `the bank CA file cannot be read: ${caFile} (${error instanceof Error ? error.message : String(error)})`, {
          field: 'bpc.caFile',
        });
      }
    }
    liveClient = new BpcClient({
      ...(caPem === undefined ? {} : { caPem }),
      merchant: config.merchant,
      profile: config.profile,
      timeouts: config.timeouts,
      onSecurityEvent,
      getKey: () => {
        const key = secrets.read(BPC_KEY);
        if (key === undefined) throw new AppError('NOT_CONFIGURED', 'the BPC key is not set');
        return key;
      },
    });
    return liveClient;
  };
  /** The live client for money requests. Issue 8.7: over plain http a man in the middle can forge any unsigned answer, so charging is refused. */
  const getChargingClient = (): BpcClient => {
    const merchant = config.merchant;
    if (merchant !== null && transportOf(merchant.url) === 'http' && !config.profile.requireSignedResponses) {
      throw new AppError(
        'INSECURE_TRANSPORT',
        'live payments refused: the bank URL is plain http and signed answers are not required; use https or require signed answers',
        {
          field: 'bpc.url',
        },
      );
    }
    return getLiveClient();
  };

  const info = (): AppInfo => {
    const { mode, reason } = resolveMode(db, secrets, defaultPins);
    return {
      name: APP_NAME,
      version: options.version,
      mode,
      modeReason: reason,
      dataDir: options.dataDir,
      platform: options.platform,
      configError,
      shopName: config.shop.name,
      counter: {
        defaultTender: config.shop.defaultTender,
        keepLastTender: config.shop.keepLastTender,
        cashTender: config.shop.cashTender,
        voice: config.shop.voice,
        voiceVolume: config.shop.voiceVolume,
        maxAmountFen: config.limits.maxAmountFen,
        cardRoute: readYimaSettings(db)?.cardRoute ?? 'terminal',
        yimaTerminal: yimaTerminalName(),
        yimaSplit: readYimaSettings(db)?.cardRoute === 'yima' ? (readYimaSettings(db)?.splitPlan ?? null) : null,
      },
    };
  };
  const mode = (): AppMode => resolveMode(db, secrets, defaultPins).mode;

  // Notifications: in training the simulator notifies a loopback listener; live only when configured.
  // Only a notification naming one of our sales is recorded (and triggers its query); the listener
  // counts the others, so a flood of foreign or made-up traces adds no rows to the append-only ledger.
  const onNotification = (n: BpcNotification): boolean => {
    const traces = notificationTraces(n) ?? [];
    const known = traces.filter((trace) => engine.notified(trace));
    if (known.length > 0) appendEvent(db, { at: now(), entity: 'app', type: 'notification', data: { traces: known, known: true } });
    return known.length > 0;
  };
  const trainingListener = await startNotifyListener({
    host: '127.0.0.1',
    port: 0,
    getKey: () => trainingKey,
    requireSigned: true,
    onNotification,
    logger,
  });
  const trainingNotifyUrl = `http://127.0.0.1:${trainingListener.port}/notify`;
  let liveListener: NotifyListener | null = null;
  if (mode() === 'live' && config.notifications.enabled) {
    try {
      liveListener = await startNotifyListener({
        host: config.notifications.host,
        port: config.notifications.port,
        getKey: () => secrets.read(BPC_KEY) ?? '',
        requireSigned: config.notifications.requireSigned,
        onNotification,
        logger,
      });
    } catch (error) {
      configError = `notification listener could not start on ${config.notifications.host}:${config.notifications.port}: ${error instanceof Error ? error.message : String(error)}`;
      logger.error(configError);
    }
  }

  // Yima's own notification receiver (training: the simulator notifies it); a notification only triggers a query.
  const trainingYimaNotify = await startYimaTrainingNotifications({
    db,
    now,
    logger,
    isspid: TRAINING_YIMA.isspid,
    key: trainingYimaKey,
    signRule: () => readYimaSettings(db)?.signRule ?? 'sorted_kv_key',
    notified: (orderNo) => engine.notified(orderNo, YIMA_GATEWAY_ID),
  });

  // Every gateway of the money core, by (id, mode): BPC QR and the card terminal link.
  const gateways = new GatewayRegistry([
    bpcGatewayEntry((m) => (m === 'training' ? trainingClient : getChargingClient())),
    cardGatewayEntry(() => devices.requireTerminal(), now),
    yimaGatewayEntry((m) => (m === 'training' ? trainingYimaClient() : liveYimaClient()), {
      // Every result query carries a fresh pos_seq, reserved in the ledger before it leaves.
      nextSerial: (purpose) => reserveRequestSeq(db, { gateway: YIMA_GATEWAY_ID, purpose, now: now() }),
      splitPlan: () => {
        const s = readYimaSettings(db);
        return s === null ? null : yimaSplitPlan(s);
      },
      now,
    }),
  ]);
  const engine = new PaymentEngine({
    db,
    gateways,
    mode,
    now,
    timers: options.timers ?? realTimers,
    schedule,
    qrValiditySec: () => config.qr.validitySec,
    qrValidTimeField: () => (config.qr.sendValidTime ? String(config.qr.validitySec) : ''),
    maxAmountFen: () => config.limits.maxAmountFen,
    // Yima's give-up time applies to its card orders (a test's schedule override wins).
    unknownAfterMs: (gateway) =>
      gateway === YIMA_GATEWAY_ID && options.schedule?.unknownAfterMs === undefined ? readYimaSettings(db)?.giveUpAfterMs : undefined,
    retUrl: (gateway) =>
      gateway === YIMA_GATEWAY_ID
        ? mode() === 'training'
          ? trainingYimaNotify.url
          : readYimaSettings(db)?.notifyUrl || undefined
        : mode() === 'training'
          ? trainingNotifyUrl
          : config.notifications.enabled && config.notifications.publicUrl !== ''
            ? config.notifications.publicUrl
            : undefined,
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    onRefund: (r) => bus.emit('refund:updated', r),
    logger,
    requeryCard: (id) => cardPayments.requery(id),
    bookingDay: (at, m) => bookingDay(db, m, at, config.businessDay),
    // The trainer's choice scripts the simulated bank for exactly this payment's F.
    beforeCreate: (payment) => {
      if (payment.mode !== 'training') return;
      const { script, notify } = trainingScript(nextTrainingScript, trainingNotifyUrl);
      trainingGateway.scriptNext(script, notify);
      nextTrainingScript = 'success';
    },
    ...(options.faultPoint === undefined ? {} : { faultPoint: options.faultPoint }),
  });

  const probe = (url: string): Promise<{ ok: boolean; latencyMs: number; detail: string }> =>
    new Promise((resolve) => {
      const u = new URL(url);
      const started = Date.now();
      const socket = connect({ host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) });
      const done = (ok: boolean, detail: string): void => {
        socket.destroy();
        resolve({ ok, latencyMs: Date.now() - started, detail });
      };
      socket.setTimeout(3000, () => done(false, 'connect timeout'));
      socket.once('connect', () => done(true, `${u.host} reachable`));
      socket.once('error', (e) => done(false, e.message));
    });

  const health = async (): Promise<Health> => {
    let ledger: Health['ledger'];
    try {
      db.prepare('SELECT count(*) FROM events').get();
      ledger = { status: 'ok', detail: 'open', path: ledgerPath, schemaVersion: schemaVersion(db) };
    } catch (error) {
      ledger = { status: 'error', detail: error instanceof Error ? error.message : String(error), path: ledgerPath, schemaVersion: -1 };
    }
    const bpc: HealthItem =
      mode() === 'training'
        ? await probe(trainingGateway.url).then((r) => ({
            name: 'bpc',
            status: r.ok ? ('ok' as const) : ('unreachable' as const),
            detail: `training gateway ${r.detail}`,
            latencyMs: r.latencyMs,
          }))
        : config.merchant === null
          ? { name: 'bpc', status: 'not_configured', detail: 'no merchant configured' }
          : await probe(config.merchant.url).then((r) => {
              const transport = transportOf(config.merchant?.url ?? '');
              const signed = config.profile.requireSignedResponses;
              const refused = transport === 'http' && !signed;
              return {
                name: 'bpc',
                status: refused ? ('error' as const) : r.ok ? ('ok' as const) : ('unreachable' as const),
                detail: `${r.detail} · ${transport} · ${signed ? 'signed answers required' : 'unsigned answers accepted'}${refused ? ' · live payments refused (use https or require signed answers)' : ''}`,
                latencyMs: r.latencyMs,
              };
            });
    const yima = readYimaSettings(db);
    const gateways: HealthItem[] = [
      bpc,
      yima === null
        ? { name: 'yima', status: 'not_configured', detail: 'no Yima merchant configured' }
        : await probe(yima.url).then((r) => ({
            name: 'yima',
            status: r.ok ? ('ok' as const) : ('unreachable' as const),
            detail: r.detail,
            latencyMs: r.latencyMs,
          })),
    ];
    const printer = await receipts.refreshStatus();
    const s = sync.status();
    const syncItem: Health['sync'] = !s.configured
      ? { name: 'hq', status: 'not_configured', detail: 'no headquarters configured' }
      : {
          name: 'hq',
          status: syncHealthStatus(s.lastError),
          detail: `${s.counter ?? ''} → ${s.target ?? ''}: acknowledged up to event ${s.ackedEventId}, ${s.lagEvents} events waiting${s.lastError === null ? '' : `; ${s.lastError}`}`,
          sync: { ackedEventId: s.ackedEventId, waiting: s.lagEvents, lastContactAt: s.lastOkAt },
        };
    return { checkedAt: new Date(now()).toISOString(), ledger, gateways, devices: [...devices.statuses(), printer].map(deviceHealth), sync: syncItem };
  };

  // The built-in card terminal of training mode: an in-memory line with the terminal simulator on it.
  const trainingTerminal = createTrainingTerminal();
  const basePortFactory = options.portFactory ?? realPortFactory;
  const devices: DeviceManager = new DeviceManager({
    portFactory: (settings) => (settings.path === TRAINING_TERMINAL_PATH ? trainingTerminal.open() : basePortFactory(settings)),
    journal: {
      // Persisted (synchronous SQLite commit) before the first byte of a money request is written.
      markSent: (op): void => cardPayments.markSent(cardSentRecord(op)),
    },
    onStatus: (status) => bus.emit('device:status', status),
    logger,
  });
  const cardPayments: CardSales = new CardSales({
    db,
    gateways,
    mode,
    now,
    maxAmountFen: () => config.limits.maxAmountFen,
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    logger,
    bookingDay: (at, m) => bookingDay(db, m, at, config.businessDay),
  });
  // The receipt printer (and the cash drawer behind it): prints never block or fail a sale.
  const receipts = new ReceiptService({
    db,
    now,
    mode,
    shopName: () => config.shop.name,
    counter: () => (mode() === 'training' ? TRAINING_MERCHANT.posNo : (config.merchant?.posNo ?? '')),
    // Headquarters' snapshot (chains): its receipt header / footer replace the printer's own when set.
    hqReceipt: () => {
      const v = readSetting(db, HQ_RECEIPT_SETTING) as { header?: unknown; footer?: unknown } | undefined;
      if (typeof v !== 'object' || v === null) return null;
      return { header: typeof v.header === 'string' ? v.header : null, footer: typeof v.footer === 'string' ? v.footer : null };
    },
    portFactory: basePortFactory,
    onStatus: (status) => bus.emit('device:status', status),
    onQueue: (jobs) => bus.emit('receipt:queue', jobs),
    systemPrint: options.systemPrint,
    cashFor: (paymentId) => getPayment(db, paymentId).cash ?? undefined,
    logger,
  });
  // Cash sales and the refunds recorded at the desk (cash paid back, card refunds done on the terminal).
  const cash = new CashDesk({
    db,
    mode,
    now,
    maxAmountFen: () => config.limits.maxAmountFen,
    enabled: () => config.shop.cashTender,
    openDrawer: () => receipts.openDrawer(),
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    onRefund: (r) => bus.emit('refund:updated', r),
    logger,
    bookingDay: (at, m) => bookingDay(db, m, at, config.businessDay),
  });
  /** The stored device settings, plus the simulated card terminal in training mode when none is configured. */
  const applyDevices = async (stored: DevicesConfig): Promise<void> => {
    const effective =
      mode() === 'training' && stored.cardTerminal === null
        ? { ...stored, cardTerminal: CardTerminalConfigSchema.parse({ path: TRAINING_TERMINAL_PATH }) }
        : stored;
    await devices.apply(effective);
    await receipts.apply(stored.receiptPrinter);
  };
  await applyDevices(readDevicesConfig(db)).catch((error: unknown) => logger.error('device settings refused', error));
  bus.on('payment:updated', (payment) => {
    if (payment.mode === mode()) devices.showPayment(payment);
    if (payment.status === 'paid') receipts.autoPrintPayment(payment.id);
  });

  // The checkout's status light: probed every 30 s and whenever a device, the mode or a setting changes.
  const status = new StatusService({
    health: () => health(),
    notifications: () =>
      mode() !== 'live' || !config.notifications.enabled
        ? null
        : liveListener !== null
          ? { name: 'notifications', status: 'ok', detail: `listening on ${config.notifications.host}:${liveListener.port}` }
          : { name: 'notifications', status: 'error', detail: configError ?? 'the notification listener is not running' },
    publish: (report) => bus.emit('app:status', report),
    timers: options.timers ?? realTimers,
    logger,
  });
  bus.onAny((event) => {
    if (event === 'device:status' || event === 'app:mode') void status.refresh().catch(() => undefined);
  });

  const backOffice = createBackOffice({
    db,
    bus,
    engine,
    secrets,
    devices,
    applyDevices,
    now,
    mode,
    modeReason: () => resolveMode(db, secrets, defaultPins).reason,
    config: () => config,
    reloadConfig: () => {
      config = readConfig(db);
      const old = liveClient;
      liveClient = null;
      void old?.destroy();
    },
    gateway: (m) => (m === 'training' ? trainingClient : getLiveClient()),
    emitMode: () => bus.emit('app:mode', info()),
    info,
    backup: (reason) => backups.run(reason),
    initialDefaultPins: defaultPins,
    onDefaultPins: (codes) => {
      defaultPins = codes;
    },
  });
  const operatorCode = (): string => {
    const op = backOffice.session.operator;
    if (op === null) throw new AppError('PIN_REQUIRED', 'sign in at the counter first');
    return op.code;
  };

  const trainingState = (): { active: boolean; nextScript: TrainingScript; simulatorUrl: string | null } => ({
    active: mode() === 'training',
    nextScript: nextTrainingScript,
    simulatorUrl: trainingGateway.url,
  });

  const approvals = createApprovalNonces(now);
  const handlers: Handlers = {
    'app:info': () => info(),
    'app:health': () => health(),
    'app:status': () => status.current(),
    'payment:create': async ({ tender, ...input }) => {
      const operator = operatorCode();
      if (tender === 'cash') return toView(cash.sale({ ...input, tenderedFen: input.tenderedFen ?? 0, operator }));
      if (tender === 'card' && cardRoute() === 'yima') {
        if (mode() === 'training') {
          // "Duplicate notifications": the simulated Yima notifies three times once the card is paid.
          trainingYima.scriptNext(trainingYimaScript(nextTrainingScript), nextTrainingScript === 'duplicate_notify' ? { count: 3 } : undefined);
          nextTrainingScript = 'success';
        }
        return toView(await engine.createPayment({ ...input, operator, gateway: YIMA_GATEWAY_ID }));
      }
      if (tender === 'card') {
        if (mode() === 'training') {
          trainingTerminal.simulator.script(trainingCardOutcome(nextTrainingScript));
          nextTrainingScript = 'success';
        }
        return toView(cardPayments.create({ ...input, operator }));
      }
      // The configured default pay type applies when the cashier did not pick one.
      const payType = input.payType ?? (config.qr.defaultPayType === '' ? undefined : config.qr.defaultPayType);
      return toView(await engine.createPayment({ ...input, payType, operator }));
    },
    'payment:cancel': async ({ id }) => toView(await engine.cancelPayment(id, backOffice.session.operator?.code ?? null)),
    'payment:get': ({ id }) => toView(getPayment(db, id)),
    'payment:current': () => {
      const latest = latestPayment(db, mode());
      return { payment: latest === undefined ? null : toView(latest), now: now() };
    },
    'payment:requery': async ({ id }) => toView(await engine.requeryPayment(id)),
    'payment:resolve': async ({ id, outcome, reason, payType, supervisor }) => {
      const op = await verifyPin(db, supervisor.code, supervisor.pin, now());
      requireRole(op, 'supervisor');
      // A QR sale settled as paid by hand: the supervisor says which wallet it was (else it lands in 其他).
      const known = getPayment(db, id);
      const wallet = payType ?? (known.payType === 'ZFBA' || known.payType === 'WEIX' || known.payType === 'UPAY' ? known.payType : undefined);
      if (outcome === 'paid' && known.tender === 'qr' && wallet === undefined) {
        throw new AppError('BAD_INPUT', 'choose how the customer paid (Alipay, WeChat Pay or UnionPay)', { field: 'payType' });
      }
      return toView(engine.resolvePayment(id, outcome, reason, op.code, outcome === 'paid' && known.tender === 'qr' ? wallet : undefined));
    },
    'payment:recheck': yimaRecheckHandler({ db, engine, now, mode }),
    'settings:yimaBind': yimaBindHandler({ db, now, mode, client: () => (mode() === 'live' ? liveYimaClient() : trainingYimaClient()) }),
    'training:state': () => trainingState(),
    'training:script': ({ script }) => {
      if (mode() !== 'training') throw new AppError('FORBIDDEN', 'the trainer control works in training mode only');
      nextTrainingScript = script;
      return trainingState();
    },
    'training:pay': ({ id }) => {
      const payment = getPayment(db, id);
      if (payment.mode === 'training' && payment.gateway === YIMA_GATEWAY_ID) return { paid: trainingYima.pay(payment.tradeNo) };
      if (payment.mode !== 'training' || payment.sysTrace === null) throw new AppError('INVALID_STATE', 'not an issued training payment');
      return { paid: trainingGateway.pay(payment.sysTrace) };
    },
    'app:diagnostics': async ({ approval }) => {
      const op = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(op, 'supervisor');
      appendEvent(db, { at: now(), entity: 'app', type: 'diagnostics_exported', actor: op.code, data: {} });
      const settings = await backOffice.handlers['settings:get'](undefined, { role: 'cashier' });
      const zip = await buildDiagnostics({
        appVersion: options.version,
        platform: options.platform,
        logDir: options.logDir ?? join(options.dataDir, LOG_DIR),
        db,
        ledgerPath,
        health: await health(),
        // Secret fields come out as *** (the masking of `key`); whether each key is set is said here.
        settings: { info: info(), settings, keysSet: { bpc: settings.bpc.key.hasValue, cipher: settings.cipher } },
        now: now(),
      });
      return { fileName: zip.fileName, mime: 'application/zip', base64: zip.bytes.toString('base64') };
    },
    ...backOffice.handlers,
    ...receiptHandlers(receipts, () => backOffice.session.operator?.code ?? null),
    'devices:status': () => [...devices.statuses(), receipts.status()],
    'settings:testConnection': async (input, ctx) =>
      input.gateway === 'yima' ? testYimaConnection() : backOffice.handlers['settings:testConnection'](input, ctx),
    // 交班 also prints the handover report on the receipt printer (a failure is queued, never thrown).
    'approval:nonce': ({ action, input }) => approvals.issue(action, input),
    'refund:record': async ({ paymentId, amountFen, reason, reference, approval }) => {
      const supervisor = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(supervisor, 'supervisor');
      const payment = getPayment(db, paymentId);
      if (payment.mode !== mode()) throw new AppError('NOT_FOUND', `payment ${paymentId} belongs to ${payment.mode} mode`);
      return cash.refund({
        paymentId,
        amountFen,
        reason,
        reference,
        operator: backOffice.session.operator?.code ?? supervisor.code,
        approvedBy: supervisor.code,
      });
    },
    'drawer:open': async ({ reason, approval }) => {
      const supervisor = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(supervisor, 'supervisor');
      await cash.noSale({ operator: backOffice.session.operator?.code ?? null, approvedBy: supervisor.code, reason });
      return { opened: true };
    },
    'shift:handover': async (input, ctx) => {
      const result = await backOffice.handlers['shift:handover'](input, ctx);
      if (result.shift !== null && receipts.printerConfig !== null) {
        receipts.print({ kind: 'shift', ref: result.shift.id }).catch((error: unknown) => logger.warn('handover print failed', { error }));
      }
      return result;
    },
  };

  appendEvent(db, { at: now(), entity: 'app', type: 'started', data: { version: options.version, platform: options.platform } });
  const resumed = { ...engine.resume(), card: cardPayments.resume(), cash: cash.resume() };
  const backups = scheduleBackups({ db, dataDir: options.dataDir, now, timers: options.timers ?? realTimers, logger });
  logger.info('core started', { dataDir: options.dataDir, mode: mode(), resumed });
  // First probe right away: "the bank is down" shows before the first sale.
  status.start();

  // Headquarters: the event log is the outbox; selling never waits for it.
  const hqConnection = (): HqConnection | null => {
    const parsed = HqSettingsSchema.safeParse(readSetting(db, SETTING.hq));
    const key = secrets.read(HQ_KEY);
    if (!parsed.success || key === undefined) return null;
    return { url: parsed.data.url, counter: { store: parsed.data.store, lane: parsed.data.lane }, key };
  };
  let lastSyncOk: boolean | null = null;
  const defaultSync = options.syncTransport === undefined ? createUndiciSyncTransport() : undefined;
  const sync = new SyncPusher({
    db,
    connection: hqConnection,
    transport: options.syncTransport ?? defaultSync!.transport,
    timers: options.timers ?? realTimers,
    now,
    logger,
    // Read every round: an interval changed in Settings → 总部 applies without a restart.
    intervalMs: options.syncIntervalMs ?? (() => HqSettingsSchema.safeParse(readSetting(db, SETTING.hq)).data?.intervalMs ?? 5000),
    ...(options.syncFaultPoint === undefined ? {} : { faultPoint: options.syncFaultPoint }),
    // Headquarters going away or coming back shows on the status light now, not at the next 30 s probe.
    onAttempt: (ok) => {
      if (ok === lastSyncOk) return;
      lastSyncOk = ok;
      void status.refresh();
    },
    onSnapshotApplied: () => {
      config = readConfig(db);
      backOffice
        .refreshDefaultPins()
        .catch((error: unknown) => logger.warn('default-PIN check after a snapshot failed', { error: error instanceof Error ? error.message : String(error) }));
      bus.emit('app:mode', info());
    },
  });
  sync.start();

  return {
    db,
    bus,
    handlers,
    dispatch: createDispatcher(handlers, logger, { approvals, signedIn: () => backOffice.session.operator !== null }),
    secrets,
    logger,
    ledgerPath,
    engine,
    trainingGateway,
    trainingYima,
    sync,
    info,
    health,
    async close() {
      status.stop();
      await sync.stop();
      await defaultSync?.close();
      engine.stop();
      await backups.stop();
      await Promise.allSettled([
        devices.stop(),
        receipts.stop(),
        trainingListener.close(),
        trainingYimaNotify.listener.close(),
        liveListener?.close(),
        trainingGateway.close(),
        trainingClient.destroy(),
        trainingYima.close(),
        ...trainingYimaClients.map((c) => c.client.destroy()),
        liveYima?.client.destroy(),
        liveClient?.destroy(),
      ]);
      db.close();
    },
  };
}
