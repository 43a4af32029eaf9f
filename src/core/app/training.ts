import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppError } from '../../shared/errors';
import type { TrainingScript } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import type { Handlers } from '../../shared/ipc/types';
import type { YimaSettings } from '../../shared/yima-settings';
import type { SimOutcome } from '../devices/simulator';
import { createTrainingTerminal } from '../devices/training-terminal';
import { BpcClient, type BpcSecurityEvent } from '../gateways/bpc/client';
import { startNotifyListener, type NotifyListener } from '../gateways/bpc/notify-listener';
import type { BpcNotification } from '../gateways/bpc/wire';
import { YIMA_GATEWAY_ID } from '../gateways/yima/adapter';
import { YimaClient } from '../gateways/yima/client';
import type { Db } from '../ledger/db';
import { getPayment, type PaymentRecord } from '../ledger/payments';
import { startBpcSimulator, type BpcSimulator, type PaymentScript } from '../simulators/bpc';
import { startYimaSimulator } from '../simulators/yima';
import type { YimaSimScript, YimaSimulator } from '../simulators/yima/server';
import type { Logger } from '../util/logger';
import { startYimaNotifications } from './yima-notify';

/** The training merchant: what the simulated bank knows this counter as. */
export const TRAINING_MERCHANT = { mid: '999000000000001', posNo: '99990001', tellerNo: '001' };

/** The training Yima merchant (what a real one gets from Yima: isspid, system, store, pos; terminal to push to). */
export const TRAINING_YIMA = { isspid: '99990001', systemId: '9999', storeId: 'TRAIN01', posId: 'POS01', terminalId: 'T0000001', posSn: '' };

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

export interface TrainingDeps {
  dataDir: string;
  db: Db;
  logger: Logger;
  mode: () => AppMode;
  /** The counter's Yima settings: the training client follows their wire profile and terminal. */
  yimaSettings: () => YimaSettings | null;
  onSecurityEvent: (event: BpcSecurityEvent) => void;
  /** A verified notification from the training bank (the core turns it into queries). */
  onNotification: (n: BpcNotification) => boolean;
  /** A verified notification from the training Yima about one of our orders: triggers its result query (false: not ours). */
  notifiedYima: (orderNo: string) => boolean;
}

export interface Training {
  /** The built-in training bank (always running: training payments resolve against it). */
  readonly gateway: BpcSimulator;
  readonly client: BpcClient;
  /** The training Yima simulator (card orders pushed in training mode when card sales go to Yima). */
  readonly yima: YimaSimulator;
  /** The in-memory card terminal line of training mode. */
  readonly terminal: ReturnType<typeof createTrainingTerminal>;
  readonly notifyUrl: string;
  /** Yima's own training notification receiver (the BPC listener cannot read a Yima body). */
  readonly yimaNotifyUrl: string;
  yimaClient: () => YimaClient;
  /** The trainer's choice scripts the simulated bank for exactly this payment's F. */
  scriptBpc: (payment: PaymentRecord) => void;
  scriptYima: () => void;
  scriptCard: () => void;
  handlers: Pick<Handlers, 'training:state' | 'training:script' | 'training:pay'>;
  close: () => Promise<void>;
}

/**
 * Training mode's gateways: a real BPC simulator on loopback with a per-run key (its orders kept in the
 * data directory, so a training payment interrupted by a crash resolves after the restart as it would
 * at a real bank), the notification listener it calls back, a real Yima simulator, and the trainer's
 * next-outcome choice, which applies to exactly one sale of whichever tender comes next.
 */
export async function startTraining(deps: TrainingDeps): Promise<Training> {
  const { db, logger } = deps;
  const key = randomBytes(16).toString('hex');
  const gateway = await startBpcSimulator({
    key,
    mid: TRAINING_MERCHANT.mid,
    defaultScript: { kind: 'pay_after_ms', ms: 4000 },
    stateFile: join(deps.dataDir, 'training-gateway.json'),
    logger,
  });
  const client = new BpcClient({
    merchant: { url: gateway.url, ...TRAINING_MERCHANT },
    getKey: () => key,
    onSecurityEvent: deps.onSecurityEvent,
    timeouts: { connectMs: 2000, responseMs: 10_000 },
  });
  let nextScript: TrainingScript = 'success';
  const take = (): TrainingScript => {
    const choice = nextScript;
    nextScript = 'success';
    return choice;
  };

  // Training Yima: JSON, the default signing rule, a per-run key; a card order pushed to it is paid
  // after two result queries unless the trainer scripts otherwise.
  const yimaKey = randomBytes(16).toString('hex');
  const yima = await startYimaSimulator({
    isspid: TRAINING_YIMA.isspid,
    key: yimaKey,
    signRule: 'sorted_kv_key',
    defaultScript: { kind: 'pay_after_polls', polls: 2 },
    logger,
  });
  let yimaClients: { stamp: string; client: YimaClient }[] = [];
  /**
   * The training Yima client follows the counter's Yima settings where they shape the wire — format
   * (JSON or GBK XML), XML transport, signing rule (the simulator verifies the same rule), whether a
   * paid result must report its amount, and the terminal the order is pushed to — so a trainee tries
   * exactly what the live counter will send; the merchant and the key stay the training ones.
   */
  const yimaClient = (): YimaClient => {
    const s = deps.yimaSettings();
    const profile = {
      format: s?.format ?? 'json',
      xmlTransport: s?.xmlTransport ?? 'raw',
      signRule: s?.signRule ?? 'sorted_kv_key',
      paidAmount: s?.paidAmount ?? 'if-reported',
    } as const;
    const device = s === null ? { terminalId: TRAINING_YIMA.terminalId, posSn: '' } : { terminalId: s.terminalId, posSn: s.posSn };
    const stamp = JSON.stringify([profile, device]);
    yima.setSignRule(profile.signRule);
    const known = yimaClients.find((c) => c.stamp === stamp);
    if (known !== undefined) return known.client;
    const made = new YimaClient({
      merchant: { ...TRAINING_YIMA, ...device, url: yima.url },
      profile,
      getKey: () => yimaKey,
      timeouts: { connectMs: 2000, responseMs: 10_000 },
    });
    // Kept (not destroyed): a sale pushed before a settings change is still followed with its own client.
    yimaClients = [...yimaClients, { stamp, client: made }].slice(-8);
    return made;
  };

  const listener: NotifyListener = await startNotifyListener({
    host: '127.0.0.1',
    port: 0,
    getKey: () => key,
    requireSigned: true,
    onNotification: deps.onNotification,
    logger,
  });
  const notifyUrl = `http://127.0.0.1:${listener.port}/notify`;
  // The simulated Yima notifies its own receiver, which only triggers the named sale's result query.
  const yimaNotify = await startYimaNotifications({
    db,
    now: Date.now,
    logger,
    isspid: TRAINING_YIMA.isspid,
    getKey: () => yimaKey,
    signRule: () => deps.yimaSettings()?.signRule ?? 'sorted_kv_key',
    notified: deps.notifiedYima,
  });
  const terminal = createTrainingTerminal();

  const state = (): { active: boolean; nextScript: TrainingScript; simulatorUrl: string | null } => ({
    active: deps.mode() === 'training',
    nextScript,
    simulatorUrl: gateway.url,
  });

  return {
    gateway,
    client,
    yima,
    terminal,
    notifyUrl,
    yimaNotifyUrl: yimaNotify.url,
    yimaClient,
    scriptBpc: (payment) => {
      if (payment.mode !== 'training') return;
      const { script, notify } = trainingScript(take(), notifyUrl);
      gateway.scriptNext(script, notify);
    },
    scriptYima: () => {
      if (deps.mode() !== 'training') return;
      // "Duplicate notifications": the simulated Yima notifies three times once the card is paid.
      const choice = take();
      yima.scriptNext(trainingYimaScript(choice), choice === 'duplicate_notify' ? { count: 3 } : undefined);
    },
    scriptCard: () => {
      if (deps.mode() === 'training') terminal.simulator.script(trainingCardOutcome(take()));
    },
    handlers: {
      'training:state': () => state(),
      'training:script': ({ script }) => {
        if (deps.mode() !== 'training') throw new AppError('FORBIDDEN', 'the trainer control works in training mode only');
        nextScript = script;
        return state();
      },
      'training:pay': ({ id }) => {
        const payment = getPayment(db, id);
        if (payment.mode === 'training' && payment.gateway === YIMA_GATEWAY_ID) return { paid: yima.pay(payment.tradeNo) };
        if (payment.mode !== 'training' || payment.sysTrace === null) throw new AppError('INVALID_STATE', 'not an issued training payment');
        return { paid: gateway.pay(payment.sysTrace) };
      },
    },
    async close() {
      await Promise.allSettled([
        listener.close(),
        yimaNotify.listener.close(),
        gateway.close(),
        client.destroy(),
        yima.close(),
        ...yimaClients.map((c) => c.client.destroy()),
      ]);
    },
  };
}
