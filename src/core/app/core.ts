import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import type { AppInfo, AppMode, Health } from '../../shared/ipc/contract';
import type { Handlers } from '../../shared/ipc/types';
import { CardTerminalConfigSchema, type DevicesConfig } from '../../shared/devices';
import { applyProvisioningFile, HQ_KEY, BPC_KEY } from '../config/provisioning';
import { readHqSettings } from '../config/hq-config';
import { yimaSplitPlan, YIMA_KEY } from '../config/yima-config';
import { createUndiciSyncTransport, HQ_RECEIPT_SETTING, SyncPusher, syncHealthStatus, type HqConnection, type SyncTransport } from '../sync/pusher';
import { CardSales } from '../payments/card-sales';
import { PaymentEngine, type FaultPoint } from '../payments/engine';
import { GatewayRegistry } from '../payments/registry';
import type { PollingSchedule } from '../payments/schedule';
import { CashDesk } from '../payments/cash';
import { bpcGatewayEntry } from '../gateways/bpc/adapter';
import type { BpcSecurityEvent } from '../gateways/bpc/client';
import { notificationTraces, startNotifyListener, type NotifyListener } from '../gateways/bpc/notify-listener';
import type { BpcNotification } from '../gateways/bpc/wire';
import { YIMA_GATEWAY_ID, yimaGatewayEntry } from '../gateways/yima/adapter';
import { createDispatcher, type Dispatch } from '../ipc/dispatcher';
import { EventBus } from '../ipc/event-bus';
import { LEDGER_FILE, openLedgerWaiting, waitWhileBusy, type Db } from '../ledger/db';
import { asLedgerError, isLedgerWriteFailure } from '../ledger/errors';
import { scheduleBackups } from '../ledger/backup';
import { appendEvent } from '../ledger/events';
import { checkLedgerFile, ensureLedgerIdentity } from '../ledger/identity';
import { ensureLane } from '../ledger/lane';
import { reserveRequestSeq } from '../ledger/order-numbers';
import { getPayment, toView } from '../ledger/payments';
import { readSetting } from '../ledger/settings';
import { createApprovalNonces } from '../operators/approval-nonces';
import { DEFAULT_OPERATORS, ensureDefaultOperators, operatorsWithDefaultPin } from '../operators/operators';
import type { SecretCipher } from '../secrets/cipher';
import { SecretStore } from '../secrets/store';
import type { BpcSimulator } from '../simulators/bpc';
import type { YimaSimulator } from '../simulators/yima/server';
import { createConsoleLogger, type Logger } from '../util/logger';
import { ensurePrivateDir } from '../util/private-files';
import { realTimers, type Timers } from '../util/time';
import { realPortFactory, type PortFactory } from '../devices/connection';
import { DeviceManager } from '../devices/manager';
import { cardGatewayEntry, cardSentRecord } from '../devices/card-gateway';
import { TRAINING_TERMINAL_PATH } from '../devices/training-terminal';
import { bookingDay } from '../reports/business-day';
import { ReceiptService, receiptCounterInfo } from '../receipts/receipt-service';
import { receiptHandlers } from '../receipts/handlers';
import { createBackOffice } from './back-office';
import { readDevicesConfig } from './device-settings';
import { appHandlers } from './handlers/app';
import { cashHandlers } from './handlers/cash';
import { paymentHandlers } from './handlers/payments';
import { createHealth } from './health';
import { createLiveClients, testYimaConnection } from './live-clients';
import { CounterState, isLoopbackUrl, refusePlainHttp } from './state';
import { StatusService } from './status';
import { startTraining, TRAINING_MERCHANT } from './training';
import { yimaBindHandler } from './yima-binding';
import { yimaRecheckHandler } from './yima-recheck';
import { startYimaNotifications } from './yima-notify';
import type { YimaNotifyListener } from '../gateways/yima/notify-listener';

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
  /** Electron: the installed system printers (Settings lists them). */
  listSystemPrinters?: () => Promise<{ name: string; displayName: string }[]>;
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
 * Composes the core services on one data directory. Used by Electron's main process and by browser
 * mode alike; everything outside (cipher, clock, timers, logger) is injected. The parts live in their
 * own modules: the counter's configuration and mode (state.ts), training mode's gateways
 * (training.ts), the live gateway clients (live-clients.ts), health (health.ts) and one handler
 * module per domain (handlers/); this function only wires them.
 */
export async function startCore(options: CoreOptions): Promise<Core> {
  const logger = options.logger ?? createConsoleLogger();
  const now = options.now ?? Date.now;
  const timers = options.timers ?? realTimers;
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
  const state = new CounterState(db, secrets, createdDefaults && !provisioned ? DEFAULT_OPERATORS.map((op) => op.code) : await operatorsWithDefaultPin(db));
  const mode = (): AppMode => state.mode();

  // An answer not bound to our question (replayed, foreign merchant, another amount) is recorded.
  const onSecurityEvent = (event: BpcSecurityEvent): void => {
    logger.warn('gateway answer refused: not bound to the question', event);
    appendEvent(db, { at: now(), entity: 'app', type: 'security', data: event });
  };
  // Notifications: in training the simulator notifies a loopback listener; live only when configured.
  // Only a notification naming one of our sales is recorded (and triggers its query); the listener
  // counts the others, so a flood of foreign or made-up traces adds no rows to the append-only ledger.
  const onNotification = (n: BpcNotification): boolean => {
    const traces = notificationTraces(n) ?? [];
    const known = traces.filter((trace) => engine.notified(trace));
    if (known.length > 0) appendEvent(db, { at: now(), entity: 'app', type: 'notification', data: { traces: known, known: true } });
    return known.length > 0;
  };

  const training = await startTraining({
    dataDir: options.dataDir,
    db,
    logger,
    mode,
    yimaSettings: () => state.yima(),
    onSecurityEvent,
    onNotification,
    notifiedYima: (orderNo) => engine.notified(orderNo, YIMA_GATEWAY_ID),
  });
  const live = createLiveClients({ state, secrets, onSecurityEvent });

  /** The terminal a Yima card order goes to, as the checkout names it ('' when the route is the serial terminal). */
  const yimaTerminalName = (): string => {
    const s = state.yima();
    if (s === null || s.cardRoute !== 'yima') return '';
    return s.terminalId !== '' ? s.terminalId : s.posSn;
  };
  const info = (): AppInfo => {
    const config = state.config();
    const yima = state.yima();
    return {
      name: APP_NAME,
      version: options.version,
      mode: state.mode(),
      modeReason: state.modeReason(),
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
        cardRoute: yima?.cardRoute ?? 'terminal',
        yimaTerminal: yimaTerminalName(),
        yimaSplit: yima?.cardRoute === 'yima' ? yima.splitPlan : null,
        receipt: receiptCounterInfo(readDevicesConfig(db).receiptPrinter, options.systemPrint !== undefined),
      },
    };
  };

  const startConfig = state.config();
  let liveListener: NotifyListener | null = null;
  if (mode() === 'live' && startConfig.notifications.enabled) {
    const { host, port, requireSigned } = startConfig.notifications;
    try {
      liveListener = await startNotifyListener({ host, port, getKey: () => secrets.read(BPC_KEY) ?? '', requireSigned, onNotification, logger });
    } catch (error) {
      configError = `notification listener could not start on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
      logger.error(configError);
    }
  }

  // Live Yima notifications: a listener on the host and port in Settings → 翼码 (port 0: polling only).
  let liveYimaListener: YimaNotifyListener | null = null;
  const yimaAtStart = state.yima();
  if (mode() === 'live' && yimaAtStart !== null && yimaAtStart.notifyPort > 0) {
    const { notifyHost: host, notifyPort: port } = yimaAtStart;
    try {
      liveYimaListener = (
        await startYimaNotifications({
          db,
          now,
          logger,
          host,
          port,
          isspid: yimaAtStart.isspid,
          getKey: () => secrets.read(YIMA_KEY) ?? '',
          requireSigned: yimaAtStart.requireSignedResponses,
          signRule: () => state.yima()?.signRule ?? yimaAtStart.signRule,
          notified: (orderNo) => engine.notified(orderNo, YIMA_GATEWAY_ID),
        })
      ).listener;
    } catch (error) {
      configError = `Yima notification listener could not start on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
      logger.error(configError);
    }
  }

  // Every gateway of the money core, by (id, mode): BPC QR, the card terminal link and Yima.
  const gateways = new GatewayRegistry([
    bpcGatewayEntry((m) => (m === 'training' ? training.client : live.chargingBpc())),
    cardGatewayEntry(() => devices.requireTerminal(), now),
    yimaGatewayEntry((m) => (m === 'training' ? training.yimaClient() : live.yima()), {
      // Every result query carries a fresh pos_seq, reserved in the ledger before it leaves.
      nextSerial: (purpose) => reserveRequestSeq(db, { gateway: YIMA_GATEWAY_ID, purpose, now: now() }),
      splitPlan: () => {
        const s = state.yima();
        return s === null ? null : yimaSplitPlan(s);
      },
      now,
    }),
  ]);
  const bookingDayOf = (at: number, m: AppMode): string => bookingDay(db, m, at, state.config().businessDay);
  const engine = new PaymentEngine({
    db,
    gateways,
    mode,
    now,
    timers,
    schedule: () => ({ ...state.config().polling, ...options.schedule }),
    qrValiditySec: () => state.config().qr.validitySec,
    qrValidTimeField: () => (state.config().qr.sendValidTime ? String(state.config().qr.validitySec) : ''),
    maxAmountFen: () => state.config().limits.maxAmountFen,
    // Yima's give-up time applies to its card orders (a test's schedule override wins).
    unknownAfterMs: (gateway) => (gateway === YIMA_GATEWAY_ID && options.schedule?.unknownAfterMs === undefined ? state.yima()?.giveUpAfterMs : undefined),
    // Each gateway's own receiver: BPC's listener, Yima's (live: the URL in Settings → 翼码).
    retUrl: (gateway) => {
      if (gateway === YIMA_GATEWAY_ID) return mode() === 'training' ? training.yimaNotifyUrl : state.yima()?.notifyUrl || undefined;
      const n = state.config().notifications;
      return mode() === 'training' ? training.notifyUrl : n.enabled && n.publicUrl !== '' ? n.publicUrl : undefined;
    },
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    onRefund: (r) => bus.emit('refund:updated', r),
    logger,
    requeryCard: (id) => cardSales.requery(id),
    bookingDay: bookingDayOf,
    beforeCreate: (payment) => training.scriptBpc(payment),
    ...(options.faultPoint === undefined ? {} : { faultPoint: options.faultPoint }),
  });

  const basePortFactory = options.portFactory ?? realPortFactory;
  const devices: DeviceManager = new DeviceManager({
    portFactory: (settings) => (settings.path === TRAINING_TERMINAL_PATH ? training.terminal.open() : basePortFactory(settings)),
    journal: {
      // Persisted (synchronous SQLite commit) before the first byte of a money request is written.
      markSent: (op): void => cardSales.markSent(cardSentRecord(op)),
    },
    onStatus: (status) => bus.emit('device:status', status),
    logger,
  });
  const cardSales: CardSales = new CardSales({
    db,
    gateways,
    mode,
    now,
    maxAmountFen: () => state.config().limits.maxAmountFen,
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    logger,
    bookingDay: bookingDayOf,
  });
  // The receipt printer (and the cash drawer behind it): prints never block or fail a sale.
  const receipts = new ReceiptService({
    db,
    now,
    mode,
    shopName: () => state.config().shop.name,
    counter: () => (mode() === 'training' ? TRAINING_MERCHANT.posNo : (state.config().merchant?.posNo ?? '')),
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
    listSystemPrinters: options.listSystemPrinters,
    cashFor: (paymentId) => getPayment(db, paymentId).cash ?? undefined,
    logger,
  });
  // Cash sales and the refunds recorded at the desk (cash paid back, card refunds done on the terminal).
  const cash = new CashDesk({
    db,
    mode,
    now,
    maxAmountFen: () => state.config().limits.maxAmountFen,
    enabled: () => state.config().shop.cashTender,
    openDrawer: () => receipts.openDrawer(),
    onPayment: (p) => bus.emit('payment:updated', toView(p)),
    onRefund: (r) => bus.emit('refund:updated', r),
    logger,
    bookingDay: bookingDayOf,
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
  bus.on('refund:updated', (refund) => {
    if (refund.status === 'succeeded') receipts.autoPrintRefund(refund.id);
  });

  const health = createHealth({ db, ledgerPath, state, now, trainingGatewayUrl: training.gateway.url, devices, receipts, sync: () => sync });
  // The checkout's status light: probed every 30 s and whenever a device, the mode or a setting changes.
  const status = new StatusService({
    health,
    notifications: () => {
      const n = state.config().notifications;
      if (mode() !== 'live' || !n.enabled) return null;
      return liveListener !== null
        ? { name: 'notifications', status: 'ok', detail: `listening on ${n.host}:${liveListener.port}` }
        : { name: 'notifications', status: 'error', detail: configError ?? 'the notification listener is not running' };
    },
    publish: (report) => bus.emit('app:status', report),
    timers,
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
    state,
    applyDevices,
    now,
    gateway: (target) => (target === 'training' ? training.client : live.bpc()),
    emitMode: () => bus.emit('app:mode', info()),
    info,
    backup: (reason) => backups.run(reason),
  });
  const actor = (): string | null => backOffice.session.operator?.code ?? null;
  const operatorCode = (): string => {
    const code = actor();
    if (code === null) throw new AppError('PIN_REQUIRED', 'sign in at the counter first');
    return code;
  };

  const approvals = createApprovalNonces(now);
  const handlers: Handlers = {
    ...appHandlers({
      db,
      now,
      version: options.version,
      platform: options.platform,
      dataDir: options.dataDir,
      ledgerPath,
      ...(options.logDir === undefined ? {} : { logDir: options.logDir }),
      info,
      health,
      status,
      settings: backOffice.handlers['settings:get'],
    }),
    ...paymentHandlers({ db, state, now, engine, cardSales, cash, training, operatorCode, actor }),
    ...training.handlers,
    'payment:recheck': yimaRecheckHandler({ db, engine, now, mode }),
    'settings:yimaBind': yimaBindHandler({ db, now, mode, client: () => (mode() === 'live' ? live.yima() : training.yimaClient()) }),
    ...backOffice.handlers,
    ...receiptHandlers(receipts, actor),
    ...cashHandlers({ db, state, now, cash, actor }),
    'devices:status': () => [...devices.statuses(), receipts.status()],
    'settings:testConnection': async (input, ctx) =>
      input.gateway === 'yima'
        ? testYimaConnection({ db, state, now, live: live.yima, training: training.yimaClient })
        : backOffice.handlers['settings:testConnection'](input, ctx),
    'approval:nonce': ({ action, input }) => approvals.issue(action, input),
    // 交班 also prints the handover report on the receipt printer (a failure is queued, never thrown).
    'shift:handover': async (input, ctx) => {
      const result = await backOffice.handlers['shift:handover'](input, ctx);
      if (result.shift !== null && receipts.printerConfig !== null) {
        receipts.print({ kind: 'shift', ref: result.shift.id }).catch((error: unknown) => logger.warn('handover print failed', { error }));
      }
      return result;
    },
  };

  appendEvent(db, { at: now(), entity: 'app', type: 'started', data: { version: options.version, platform: options.platform } });
  const resumed = { ...engine.resume(), card: cardSales.resume(), cash: cash.resume() };
  const backups = scheduleBackups({ db, dataDir: options.dataDir, now, timers, logger });
  logger.info('core started', { dataDir: options.dataDir, mode: mode(), resumed });
  // First probe right away: "the bank is down" shows before the first sale.
  status.start();

  // Headquarters: the event log is the outbox; selling never waits for it.
  const hqConnection = (): HqConnection | null => {
    const hq = readHqSettings(db);
    const key = secrets.read(HQ_KEY);
    if (hq === null || key === undefined) return null;
    return { url: hq.url, counter: { store: hq.store, lane: hq.lane }, key, ...(hq.ca === '' ? {} : { ca: hq.ca }) };
  };
  let lastSyncOutcome: string | null = null;
  const defaultSync = options.syncTransport === undefined ? createUndiciSyncTransport() : undefined;
  const sync = new SyncPusher({
    db,
    connection: hqConnection,
    transport: options.syncTransport ?? defaultSync!.transport,
    timers,
    now,
    logger,
    // Read every round: an interval changed in Settings → 总部 applies without a restart.
    intervalMs: options.syncIntervalMs ?? (() => readHqSettings(db)?.intervalMs ?? 5000),
    // Live mode sends sales and pulls operators' PIN hashes: never in clear text to another machine.
    refuse: (c) => {
      if (mode() === 'live') {
        refusePlainHttp(
          c.url,
          'hq.url',
          "live sync refused: the headquarters URL is plain http to another machine (sales and operators' PIN hashes would be readable on the network); use https",
          isLoopbackUrl(c.url),
        );
      }
    },
    ...(options.syncFaultPoint === undefined ? {} : { faultPoint: options.syncFaultPoint }),
    // Headquarters going away or coming back shows on the status light now, not at the next 30 s probe.
    // So does a failure changing kind (unreachable, refused, certificate not trusted).
    onAttempt: (ok, error) => {
      const outcome = ok ? 'ok' : `${syncHealthStatus(error ?? '')}:${/^[A-Z_]+(?=: )/.exec(error ?? '')?.[0] ?? ''}`;
      if (outcome === lastSyncOutcome) return;
      lastSyncOutcome = outcome;
      void status.refresh();
    },
    // The snapshot's settings moved the settings generation; its operators may change who is on a training PIN.
    onSnapshotApplied: () => {
      bus.emit('app:mode', info());
      backOffice
        .refreshDefaultPins()
        .catch((error: unknown) => logger.warn('default-PIN check after a snapshot failed', { error: error instanceof Error ? error.message : String(error) }))
        // The core may have closed meanwhile (its ledger with it): then there is no one to tell.
        .finally(() => {
          if (!closed) bus.emit('app:mode', info());
        });
    },
  });
  let closed = false;
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
    trainingGateway: training.gateway,
    trainingYima: training.yima,
    sync,
    info,
    health,
    async close() {
      closed = true;
      status.stop();
      await sync.stop();
      await defaultSync?.close();
      engine.stop();
      cardSales.stop();
      await backups.stop();
      await Promise.allSettled([devices.stop(), receipts.stop(), liveListener?.close(), liveYimaListener?.close(), training.close(), live.close()]);
      db.close();
    },
  };
}
