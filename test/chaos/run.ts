/**
 * The chaos run: the real core (built headless entry, live mode through a provisioning file) takes QR
 * payments, partial and concurrent refunds and cancels against the simulated bank, Yima card sales
 * against the Yima simulator, card sales on a terminal at the far end of a socat pty pair, and cash
 * sales and cash refunds — the tender of each sale chosen by the seed — and is SIGKILLed at random
 * moments — uniformly in time (start-up included), exactly when a request reaches the bank, Yima or the
 * terminal (before or after it processed it), or at the engine's own fault points — then restarted on
 * the same data directory. The bank and Yima are restarted now and then (their orders kept in their
 * state files, as a gateway keeps them); the terminal is switched off and the cable pulled (its record
 * kept). A last, fault-free start cancels what is still open, has the customers at Yima's card POS pay
 * or be declined, and waits until everything is final; then the invariants (./invariants.ts) are
 * checked against the gateways' own records.
 *
 * Used by `npm run test:chaos` (test/chaos/chaos.test.ts, default 500 cycles) and by a short seeded run
 * in `npm test` (test/e2e/chaos-short.test.ts).
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDayReport } from '../../src/core/reports/day-report';
import { startBpcSimulator, type BpcSimulator, type RecordedRequest } from '../../src/core/simulators/bpc';
import { startYimaSimulator, type YimaSimOrder, type YimaSimulator } from '../../src/core/simulators/yima';
import { startNullModem, type NullModem } from '../../src/core/devices/virtual-port';
import { startHeadless, type Headless } from '../support/headless';
import { mulberry32 } from '../support/random';
import { checkInvariants, isCardForSupervisor, isForSupervisor, isYimaForSupervisor, type ChaosFacts, type RequestFact, type Violations } from './invariants';
import { createChaosTerminal, type TerminalOutcome } from './terminal';

export const CHAOS_KEY = 'chaos-run-key-0123456789abcdef';
export const CHAOS_MID = '104320170118888';
const YIMA_KEY = 'chaos-yima-key-0123456789';
const YIMA_ISSPID = '39493002';
const CASHIER = { code: '001', pin: '246801' };
const SUPERVISOR = { code: '800', pin: '813579' };

/** The engine's own kill points (CASHIER_FAULT_POINT, src/core/app/headless.ts). */
const FAULT_POINTS = ['before-send', 'after-send', 'after-answer', 'refund-before-send', 'refund-marked', 'refund-after-answer', 'refund-after-query'] as const;

type KillMode = 'timer' | 'request' | 'fault-point' | 'graceful';

export interface ChaosOptions {
  cycles: number;
  seed: number;
  /** An empty data directory for the counter (the bank's state file goes there too). */
  dir: string;
  /** Progress lines (one per cycle when set). */
  log?: (line: string) => void;
  /** Restart the bank and Yima every this many cycles (default 10); the terminal is switched off and on at the half-way point of each. */
  bankRestartEvery?: number;
}

/** Per tender: sales in the ledger and how they ended. */
export interface TenderCounts {
  sales: number;
  paid: number;
  /** Left 状态未明 for a supervisor by design (terminal sales that are not the terminal's last transaction). */
  forSupervisor: number;
}

export interface ChaosReport {
  cycles: number;
  seed: number;
  kills: Record<KillMode, number>;
  starts: number;
  payments: number;
  paid: number;
  refunds: number;
  refundsSucceeded: number;
  /** Refunds whose R answer was lost: 状态未明 for a supervisor (J cannot ask without their trace). */
  refundsForSupervisor: number;
  bankRestarts: number;
  terminalRestarts: number;
  byTender: { qr: TenderCounts; yima: TenderCounts; terminal: TenderCounts; cash: TenderCounts };
  cashRefunds: number;
  /** Terminal sales left for a supervisor whose bytes the terminal approved (the rest it declined, never completed or never got). */
  terminalForSupervisorApproved: number;
  facts: ChaosFacts;
  violations: Violations;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The ledger's rows, and `PRAGMA integrity_check` unless `integrity` is false (the polling loop's reads). */
/** The ledger's rows, and `PRAGMA integrity_check` unless `integrity` is false (the polling loop's reads). */
export function readLedger(dir: string, file = 'ledger.sqlite', integrity = true): ChaosFacts['ledger'] {
  const db = new Database(join(dir, file), { readonly: true, fileMustExist: true });
  try {
    let check = 'not checked';
    try {
      if (integrity) check = String(db.pragma('integrity_check', { simple: true }));
    } catch (error) {
      check = error instanceof Error ? error.message : String(error);
    }
    const cardSent = (
      db.prepare("SELECT entity_id AS paymentId, data FROM events WHERE entity = 'payment' AND type = 'card.sent' ORDER BY id").all() as {
        paymentId: number;
        data: string;
      }[]
    ).map((r) => ({ paymentId: r.paymentId, payloadHex: String((JSON.parse(r.data) as { payloadHex?: unknown }).payloadHex) }));
    const resumed = (db.prepare("SELECT DISTINCT entity_id AS id FROM events WHERE entity = 'payment' AND type = 'resumed'").all() as { id: number }[]).map(
      (r) => r.id,
    );
    // The app's own drawer figures: the cash bucket of every business day's report.
    const drawer = { paidFen: 0, refundFen: 0 };
    if (integrity) {
      const days = db
        .prepare("SELECT business_day AS day FROM payments WHERE mode = 'live' UNION SELECT business_day FROM refunds WHERE mode = 'live'")
        .all() as {
        day: string;
      }[];
      for (const { day } of days) {
        const cash = buildDayReport(db, { mode: 'live', day }).byPayType.find((b) => b.payType === 'cash');
        drawer.paidFen += cash?.paidFen ?? 0;
        drawer.refundFen += cash?.refundFen ?? 0;
      }
    }
    return {
      payments: db
        .prepare('SELECT id, trade_no, status, amount_fen, gateway, tender, gateway_ref FROM payments ORDER BY id')
        .all() as ChaosFacts['ledger']['payments'],
      refunds: db.prepare('SELECT id, refund_no, payment_id, status, amount_fen, sys_trace FROM refunds ORDER BY id').all() as ChaosFacts['ledger']['refunds'],
      integrity: check,
      cardSent,
      resumed,
      drawer,
    };
  } finally {
    db.close();
  }
}

interface LedgerView {
  open: number[];
  /** The sale that blocks the next one (the counter takes one sale at a time; 状态未明 ones do not block). */
  blocking: number | null;
  /** BPC QRs on screen (their traces). */
  shown: string[];
  /** Yima card orders waiting for the customer at the card POS (their order numbers). */
  yimaWaiting: string[];
  /** Paid QR sales with what is still refundable. */
  paid: { id: number; refundable: number }[];
  /** Paid cash sales with what is still refundable. */
  cashPaid: { id: number; refundable: number }[];
}

/** Open payments and paid ones (with what is still refundable), read while the app runs (WAL readers are safe). */
function ledgerView(dir: string): LedgerView {
  const none: LedgerView = { open: [], blocking: null, shown: [], yimaWaiting: [], paid: [], cashPaid: [] };
  let db: Database.Database;
  try {
    db = new Database(join(dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  } catch {
    return none;
  }
  try {
    const open = (
      db.prepare("SELECT id FROM payments WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown') AND gateway IN ('bpc', 'yima')").all() as {
        id: number;
      }[]
    ).map((r) => r.id);
    const blocking =
      (
        db.prepare("SELECT id FROM payments WHERE status IN ('created', 'qr_issued', 'waiting') AND gateway IN ('bpc', 'yima') LIMIT 1").get() as
          { id: number } | undefined
      )?.id ?? null;
    const refundable = (gateway: string): { id: number; refundable: number }[] =>
      db
        .prepare(
          `SELECT p.id, p.amount_fen - COALESCE((SELECT SUM(r.amount_fen) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed'), 0) AS refundable
           FROM payments p WHERE p.status = 'paid' AND p.gateway = ?`,
        )
        .all(gateway) as { id: number; refundable: number }[];
    // The QRs on screen: the customer can only pay what the app received and showed.
    const shown = (
      db.prepare("SELECT sys_trace FROM payments WHERE gateway = 'bpc' AND status IN ('qr_issued', 'waiting', 'unknown') AND sys_trace IS NOT NULL").all() as {
        sys_trace: string;
      }[]
    ).map((r) => r.sys_trace);
    const yimaWaiting = (
      db.prepare("SELECT trade_no FROM payments WHERE gateway = 'yima' AND status IN ('created', 'waiting', 'unknown')").all() as { trade_no: string }[]
    ).map((r) => r.trade_no);
    return {
      open,
      blocking,
      shown,
      yimaWaiting,
      paid: refundable('bpc').filter((p) => p.refundable > 0),
      cashPaid: refundable('cash').filter((p) => p.refundable > 0),
    };
  } catch {
    return none;
  } finally {
    db.close();
  }
}

/** What a request-mode kill waits for: a BPC tran type ('*' any), a Yima request, or a sale frame at the terminal. */
type RequestTarget = 'F' | 'G' | 'R' | 'J' | 'S' | '*' | 'yima-create' | 'yima-query' | 'terminal-sale';

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rand = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const log = options.log ?? (() => undefined);
  const restartEvery = options.bankRestartEvery ?? 10;
  const stateFile = join(options.dir, 'bank-state.json');
  const yimaStateFile = join(options.dir, 'yima-state.json');
  const requests: RequestFact[] = [];
  const yimaRequests: ChaosFacts['yima']['requests'] = [];
  const starts: ChaosFacts['starts'] = [];
  const kills: Record<KillMode, number> = { timer: 0, request: 0, 'fault-point': 0, graceful: 0 };
  let bankRestarts = 0;
  let terminalRestarts = 0;

  /** Set per cycle: kill the app when this request reaches its gateway. */
  let requestKill: { target: RequestTarget; phase: 'received' | 'processed'; kill: () => void } | null = null;
  const fire = (target: RequestTarget, phase: 'received' | 'processed'): void => {
    const k = requestKill;
    if (k === null || k.phase !== phase || k.target !== target) return;
    requestKill = null;
    k.kill();
  };
  const onRequest = (entry: RecordedRequest, phase: 'received' | 'processed'): void => {
    const k = requestKill;
    if (k !== null && k.target === '*' && k.phase === phase) fire('*', phase);
    else fire(entry.tranType as RequestTarget, phase);
  };

  let port = 0;
  const startBank = async (): Promise<BpcSimulator> => {
    const s = await startBpcSimulator({ key: CHAOS_KEY, mid: CHAOS_MID, port, stateFile, defaultScript: { kind: 'manual' }, onRequest });
    port = s.port;
    return s;
  };
  const collect = (s: BpcSimulator): void => {
    for (const r of s.requests()) requests.push({ tranType: r.tranType, body: r.body });
  };
  let yimaPort = 0;
  const startYima = async (): Promise<YimaSimulator> => {
    const s = await startYimaSimulator({
      isspid: YIMA_ISSPID,
      key: YIMA_KEY,
      signRule: 'sorted_kv_key',
      port: yimaPort,
      stateFile: yimaStateFile,
      defaultScript: { kind: 'manual' },
      onRequest: (entry, phase) => fire(entry.requestType === 'bcm_ordercreate_request' ? 'yima-create' : 'yima-query', phase),
    });
    yimaPort = s.port;
    return s;
  };
  const collectYima = (s: YimaSimulator): void => {
    for (const r of s.requests()) yimaRequests.push({ requestType: r.requestType, posSeq: r.posSeq });
  };
  /** Yima's own orders: its state file (the simulator keeps every order there). */
  const yimaOrders = (): YimaSimOrder[] =>
    existsSync(yimaStateFile) ? (JSON.parse(readFileSync(yimaStateFile, 'utf8')) as { orders: YimaSimOrder[] }).orders : [];

  // The card terminal: the far end of a socat pty pair, its record in its own file. The seed decides each sale.
  const modem: NullModem = await startNullModem(join(options.dir, 'tty-counter'), join(options.dir, 'tty-terminal'));
  /** The last start's clean sales: the terminal approves at once. */
  let terminalApproves = false;
  const terminal = createChaosTerminal({
    stateFile: join(options.dir, 'terminal-record.json'),
    choose: (): TerminalOutcome => {
      if (terminalApproves) return { kind: 'approve', delayMs: 0 };
      const r = rand();
      if (r < 0.6) return { kind: 'approve', delayMs: between(0, 900) };
      if (r < 0.75) return { kind: 'decline', delayMs: between(0, 300) };
      return { kind: 'silent', completes: r < 0.9 };
    },
    onRequest: (_entry, phase) => fire('terminal-sale', phase),
  });
  await terminal.open(modem.b);

  let bank = await startBank();
  let yima = await startYima();
  writeFileSync(
    join(options.dir, 'provisioning.json'),
    JSON.stringify({
      bpc: { url: bank.url, mid: CHAOS_MID, posNo: '37381542', tellerNo: '001', key: CHAOS_KEY, profile: { requireSignedResponses: true } },
      polling: { firstQueryMs: 50, fastIntervalMs: 500, slowIntervalMs: 500, backoffStartMs: 500, backoffMaxMs: 1000 },
      operators: [CASHIER, SUPERVISOR, { code: '900', pin: '902468' }],
      // Card sales (F9) stay on the serial terminal; Yima card orders are pushed by the headless `create`.
      yima: {
        url: yima.url,
        isspid: YIMA_ISSPID,
        systemId: '8888',
        storeId: '1511300001',
        posId: '1511300001',
        terminalId: '0001045907',
        key: YIMA_KEY,
        requireSignedResponses: true,
        cardRoute: 'terminal',
      },
    }),
  );
  const args = ['--data', options.dir, '--config', join(options.dir, 'provisioning.json')];

  /** Starts the app; `ready` resolves true when it says so (and the cashier signed in), false when it exited first. */
  const launch = (cycle: number, env: NodeJS.ProcessEnv, killedByRun: () => boolean): { app: Headless; ready: Promise<boolean>; done: Promise<void> } => {
    const app = startHeadless(args, env);
    const entry = { cycle, ready: false, killedByRun: false, exit: 'running' };
    starts.push(entry);
    const done = app.exited.then((e) => {
      if (entry.exit === 'running') entry.exit = e.signal ?? `exit ${e.code}`;
      entry.killedByRun = killedByRun();
    });
    const ready = Promise.race([
      app
        .next((l) => l.ready === true, 60_000)
        .then(
          (l: { info?: { mode?: string } }) => {
            // A start that fell back to training mode (a refused provisioning file) is a failed start.
            if (l.info?.mode === 'live') return true;
            entry.exit = `started in ${String(l.info?.mode)} mode`;
            return false;
          },
          () => false,
        ),
      app.exited.then(() => false),
    ]).then((r) => {
      entry.ready = r;
      return r;
    });
    return { app, ready, done };
  };
  const call = (app: Headless, channel: string, input: unknown): void => app.send({ op: 'call', channel, input });

  /**
   * The card terminal's port, saved as an installer does in Settings → devices, at the first start that
   * gets that far (no extra start: the run's time goes to cycles). Card sales before it are refused.
   */
  let terminalSaved = false;
  const saveTerminal = (app: Headless): void => {
    call(app, 'settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: { path: modem.a, ackTimeoutMs: 500, answerTimeoutMs: 2500, queryTimeoutMs: 1500 } },
      approval: SUPERVISOR,
    });
    void app
      .next(
        (l) => (l as { callReply?: { ok: boolean; value?: { devices?: unknown } } }).callReply?.ok === true && 'devices' in (l.callReply.value ?? {}),
        30_000,
      )
      .then(
        () => (terminalSaved = true),
        () => undefined,
      );
  };
  for (let cycle = 1; cycle <= options.cycles; cycle += 1) {
    const mode: KillMode = pick(['timer', 'timer', 'timer', 'request', 'request', 'request', 'fault-point', 'fault-point', 'graceful']);
    const fault = mode === 'fault-point' ? pick(FAULT_POINTS) : undefined;
    let killed = false;
    const t0 = Date.now();
    const launched = launch(cycle, fault === undefined ? {} : { CASHIER_FAULT_POINT: fault }, () => killed || mode === 'fault-point');
    const { app, done } = launched;
    let timer: NodeJS.Timeout | undefined;
    if (mode === 'timer') {
      // Uniform in time from the spawn: start-up, resume and migrations included.
      timer = setTimeout(
        () => {
          killed = true;
          app.child.kill('SIGKILL');
        },
        between(0, 1800),
      );
    }
    const ready = await launched.ready;
    const tReady = Date.now() - t0;
    if (mode === 'request') {
      requestKill = {
        target: pick(['F', 'F', 'G', 'R', 'R', 'J', 'S', '*', 'yima-create', 'yima-create', 'yima-query', 'terminal-sale', 'terminal-sale'] as const),
        phase: pick(['received', 'processed'] as const),
        kill: () => {
          killed = true;
          app.child.kill('SIGKILL');
        },
      };
    }
    const alive = (): boolean => app.child.exitCode === null && app.child.signalCode === null;
    // The checkout's channels need a signed-in cashier: signed in (one scrypt) at the first card or cash sale of a start.
    let signedIn = false;
    const checkout = (input: unknown): void => {
      if (!signedIn) call(app, 'session:signIn', CASHIER);
      signedIn = true;
      call(app, 'payment:create', input);
    };
    if (ready && !terminalSaved) saveTerminal(app);
    if (ready) {
      // Actions until the app dies (or, graceful / request mode, for a while).
      const until = Date.now() + between(300, 1200);
      while (alive() && Date.now() < until) {
        const view = ledgerView(options.dir);
        const roll = rand();
        if (roll < 0.3) {
          // A new sale; the seed picks the tender (QR 35 %, Yima 20 %, terminal 25 %, cash 20 %). Mostly the cashier first ends
          // the open sale (Esc: a QR is closed, a Yima order abandoned); else the new one is refused.
          if (view.blocking !== null && rand() < 0.6) app.send({ op: 'cancel', id: view.blocking });
          const amountFen = between(1, 200_000);
          const tender = rand();
          if (tender < 0.35) app.send({ op: 'create', amountFen });
          else if (tender < 0.55) app.send({ op: 'create', amountFen, gateway: 'yima' });
          else if (tender < 0.8) checkout({ amountFen, tender: 'card' });
          else checkout({ amountFen, tender: 'cash', tenderedFen: amountFen + (rand() < 0.5 ? 0 : between(1, 10_000)) });
        } else if (roll < 0.5) {
          if (view.shown.length > 0) bank.pay(pick(view.shown));
        } else if (roll < 0.6) {
          // The customer at Yima's card POS: pays (mostly) or is declined.
          if (view.yimaWaiting.length > 0) {
            const no = pick(view.yimaWaiting);
            if (rand() < 0.75) yima.pay(no);
            else yima.decline(no);
          }
        } else if (roll < 0.8 && view.paid.length > 0) {
          const p = pick(view.paid);
          // Sometimes two at once, sometimes more than is left: the engine's cap decides.
          const n = rand() < 0.3 ? 2 : 1;
          for (let i = 0; i < n; i += 1)
            app.send({ op: 'refund', paymentId: p.id, amountFen: Math.max(1, between(1, p.refundable + (rand() < 0.2 ? 500 : 0))) });
        } else if (roll < 0.85 && view.cashPaid.length > 0) {
          // Cash back from the drawer, recorded at the refund desk with a supervisor's PIN (sometimes over the cap).
          const p = pick(view.cashPaid);
          call(app, 'refund:record', {
            paymentId: p.id,
            amountFen: Math.max(1, between(1, p.refundable + (rand() < 0.2 ? 500 : 0))),
            reason: 'chaos run',
            approval: SUPERVISOR,
          });
        } else if (roll < 0.92 && view.open.length > 0) app.send({ op: 'cancel', id: pick(view.open) });
        await sleep(between(10, 120));
      }
      if (alive()) {
        if (mode === 'request' && requestKill !== null) {
          // The chosen request never came: kill it from outside now.
          requestKill = null;
        }
        killed = true;
        if (mode === 'graceful') app.send({ op: 'exit' });
        else app.child.kill('SIGKILL');
      }
    } else if (alive()) {
      killed = true;
      app.child.kill('SIGKILL');
    }
    requestKill = null;
    await done;
    clearTimeout(timer);
    if (process.env.CHAOS_DEBUG === '1')
      for (const l of app.lines)
        if ((l as { callReply?: { ok: boolean } }).callReply?.ok === false || (l as { error?: unknown }).error !== undefined) log(`  ${JSON.stringify(l)}`);
    if (mode === 'fault-point' && !killed) kills['fault-point'] += 1;
    else if (mode === 'graceful') kills.graceful += 1;
    else if (killed) kills[mode === 'fault-point' ? 'timer' : mode] += 1;
    if (restartEvery > 0 && cycle % restartEvery === 0) {
      collect(bank);
      await bank.close();
      bank = await startBank();
      collectYima(yima);
      await yima.close();
      yima = await startYima();
      bankRestarts += 1;
    }
    if (restartEvery > 0 && cycle % restartEvery === Math.floor(restartEvery / 2)) {
      // The terminal switched off and the cable pulled (new pts nodes); its record survives.
      await terminal.close();
      await modem.stop();
      await modem.restart();
      await terminal.open(modem.b);
      terminalRestarts += 1;
    }
    log(
      `${new Date().toISOString().slice(11, 23)} cycle ${cycle}/${options.cycles}: ${mode}${fault === undefined ? '' : ` ${fault}`} · ready ${ready} (${tReady} ms) · ${starts.at(-1)?.exit}`,
    );
  }

  // The last start: no faults. Close what is still open, let Yima's customers decide, wait until everything is final.
  const last = launch(options.cycles + 1, {}, () => false);
  await last.ready;
  log(`${new Date().toISOString().slice(11, 23)} last start ready`);
  const deadline = Date.now() + 90_000;
  let lastCancel = 0;
  while (Date.now() < deadline) {
    const facts = readLedger(options.dir, 'ledger.sqlite', false);
    const yimaSeen = new Set(yimaOrders().map((o) => o.posSeq));
    // A card sale 状态未明 is left for a supervisor — unless it is the terminal's approved last transaction:
    // the app resolves that one by asking the terminal, so wait for it (it may take the terminal a moment
    // to be open after the start), or the check would race the app's own ask.
    const lastTx = terminal.lastTransaction();
    const lastEntry = lastTx === null ? undefined : terminal.record().find((e) => e.decision === 'approved' && e.response?.voucherNo === lastTx.voucherNo);
    const lastOwner = lastEntry === undefined ? undefined : facts.cardSent.find((c) => c.payloadHex === lastEntry.payloadHex)?.paymentId;
    const openPayments = facts.payments.filter(
      (p) =>
        ['created', 'qr_issued', 'waiting', 'unknown'].includes(p.status) &&
        (!isCardForSupervisor(p) || p.id === lastOwner) &&
        !isYimaForSupervisor(p, yimaSeen),
    );
    const openRefunds = facts.refunds.filter((r) => ['created', 'pending', 'unknown'].includes(r.status) && !isForSupervisor(r));
    if (openPayments.length === 0 && openRefunds.length === 0) break;
    if (Date.now() - lastCancel > 2000) {
      for (const p of openPayments) {
        if (p.gateway === 'bpc') last.app.send({ op: 'cancel', id: p.id });
        // Yima cannot be cancelled from the counter: the customer at the card POS pays or is declined.
        else if (p.gateway === 'yima' && !yima.pay(p.trade_no)) yima.decline(p.trade_no);
      }
      lastCancel = Date.now();
    }
    await sleep(200);
  }
  log(`${new Date().toISOString().slice(11, 23)} everything final (or the wait gave up)`);
  // Then a clean sale of each tender the cycles left without a paid one (and a cash refund), so every
  // gateway's record has a paid sale to check — and the self-test something to plant into — whatever the
  // machine's speed made of the cycles.
  // The terminal's last transaction as the final start found it settled (before the clean sales add theirs).
  const lastBeforeCleanSales = terminal.lastTransaction();
  terminalApproves = true;
  {
    const rows = readLedger(options.dir, 'ledger.sqlite', false);
    const paidVia = (gateway: string): boolean => rows.payments.some((p) => p.gateway === gateway && p.status === 'paid');
    const cashIds = new Set(rows.payments.filter((p) => p.gateway === 'cash').map((p) => p.id));
    const need = {
      qr: !paidVia('bpc'),
      yima: !paidVia('yima'),
      terminal: !paidVia('terminal'),
      cash: !rows.refunds.some((r) => cashIds.has(r.payment_id) && r.status === 'succeeded'),
    };
    await cleanSales(last.app, { bank: () => bank, yima: () => yima, terminalSaved: () => terminalSaved, save: saveTerminal, need });
  }
  log(`${new Date().toISOString().slice(11, 23)} clean sales done`);
  last.app.send({ op: 'exit' });
  await last.done;
  collect(bank);
  const orders = bank.orders();
  await bank.close();
  collectYima(yima);
  await yima.close();
  const yimaState = yimaOrders();
  await terminal.close();
  await modem.stop();

  const facts: ChaosFacts = {
    ledger: readLedger(options.dir),
    bank: { orders, requests },
    yima: { orders: yimaState, requests: yimaRequests },
    terminal: { record: terminal.record(), last: lastBeforeCleanSales },
    starts,
  };
  const yimaSeen = new Set(yimaState.map((o) => o.posSeq));
  const tender = (gateway: string): TenderCounts => {
    const rows = facts.ledger.payments.filter((p) => p.gateway === gateway);
    const forSupervisor = rows.filter((p) => isCardForSupervisor(p) || isYimaForSupervisor(p, yimaSeen)).length;
    return { sales: rows.length, paid: rows.filter((p) => p.status === 'paid').length, forSupervisor };
  };
  const cashIds = new Set(facts.ledger.payments.filter((p) => p.gateway === 'cash').map((p) => p.id));
  return {
    cycles: options.cycles,
    seed: options.seed,
    kills,
    starts: starts.length,
    payments: facts.ledger.payments.length,
    paid: facts.ledger.payments.filter((p) => p.status === 'paid').length,
    refunds: facts.ledger.refunds.length,
    refundsSucceeded: facts.ledger.refunds.filter((r) => r.status === 'succeeded').length,
    refundsForSupervisor: facts.ledger.refunds.filter(isForSupervisor).length,
    bankRestarts,
    terminalRestarts,
    byTender: { qr: tender('bpc'), yima: tender('yima'), terminal: tender('terminal'), cash: tender('cash') },
    cashRefunds: facts.ledger.refunds.filter((r) => cashIds.has(r.payment_id)).length,
    terminalForSupervisorApproved: facts.ledger.payments.filter(
      (p) =>
        isCardForSupervisor(p) &&
        facts.ledger.cardSent.some(
          (s) => s.paymentId === p.id && facts.terminal.record.some((e) => e.payloadHex === s.payloadHex && e.decision === 'approved'),
        ),
    ).length,
    facts,
    violations: checkInvariants(facts),
  };
}

/** One paid sale per tender through the fault-free last start, and a cash refund; each waited for. */
async function cleanSales(
  app: Headless,
  g: {
    bank: () => BpcSimulator;
    yima: () => YimaSimulator;
    terminalSaved: () => boolean;
    save: (app: Headless) => void;
    /** Only the tenders the cycles left without a paid sale (cash: without a cash refund). */
    need: { qr: boolean; yima: boolean; terminal: boolean; cash: boolean };
  },
): Promise<void> {
  const after = (): ((l: unknown) => boolean) => {
    const seen = new Set(app.lines);
    return (l) => !seen.has(l);
  };
  const wait = <T>(pred: (l: any) => boolean, what: string, ms = 20_000): Promise<T> =>
    app.next(pred, ms).catch(() => {
      throw new Error(`the chaos run's clean sales: ${what} did not happen`);
    }) as Promise<T>;
  const paid = (id: number): Promise<unknown> => wait((l) => l.update?.id === id && l.update?.status === 'paid', `sale ${id} paid`);
  const call = async (channel: string, input: unknown): Promise<any> => {
    const fresh = after();
    app.send({ op: 'call', channel, input });
    const line = await wait<{ callReply: { ok: boolean; value?: unknown; error?: unknown } }>((l) => fresh(l) && l.callReply !== undefined, channel);
    if (!line.callReply.ok) throw new Error(`the chaos run's clean sales: ${channel} refused: ${JSON.stringify(line.callReply.error)}`);
    return line.callReply.value;
  };
  if (g.need.terminal && !g.terminalSaved()) {
    g.save(app);
    await wait((l) => l.callReply?.ok === true && 'devices' in (l.callReply.value ?? {}), "the terminal's port saved");
  }
  if (g.need.qr) {
    const fresh = after();
    app.send({ op: 'create', amountFen: 1888 });
    const qr = await wait<{ reply: { id: number; sysTrace: string } }>((l) => fresh(l) && l.reply?.sysTrace !== undefined, 'a QR issued');
    g.bank().pay(qr.reply.sysTrace);
    await paid(qr.reply.id);
  }
  if (g.need.yima) {
    const fresh = after();
    app.send({ op: 'create', amountFen: 2888, gateway: 'yima' });
    const card = await wait<{ reply: { id: number; tradeNo: string } }>((l) => fresh(l) && l.reply?.tradeNo !== undefined, 'a Yima order pushed');
    // Its push was answered before the reply: the order is on the card POS, and the customer pays.
    if (!g.yima().pay(card.reply.tradeNo)) throw new Error("the chaos run's clean sales: the Yima order is not on the card POS");
    await paid(card.reply.id);
  }
  if (!g.need.terminal && !g.need.cash) return;
  await call('session:signIn', CASHIER);
  // The terminal's port may still be opening after the start: a refused sale is tried again.
  if (g.need.terminal) {
    let sale: { id: number } | null = null;
    for (let i = 0; i < 50 && sale === null; i += 1) {
      sale = await call('payment:create', { amountFen: 3888, tender: 'card' }).catch(async () => {
        await sleep(200);
        return null;
      });
    }
    if (sale === null) throw new Error("the chaos run's clean sales: the terminal took no sale");
    await paid(sale.id);
  }
  if (!g.need.cash) return;
  const cash = (await call('payment:create', { amountFen: 4888, tender: 'cash', tenderedFen: 5000 })) as { id: number; status: string };
  if (cash.status !== 'paid') throw new Error(`the chaos run's clean sales: the cash sale is ${cash.status}`);
  await call('refund:record', { paymentId: cash.id, amountFen: 888, reason: 'chaos run', approval: SUPERVISOR });
}

export function formatReport(r: ChaosReport): string {
  const t = r.byTender;
  const lines = [
    `chaos run · seed ${r.seed} · ${r.cycles} cycles · ${r.starts} starts · bank and Yima restarted ${r.bankRestarts}× · terminal off/on ${r.terminalRestarts}×`,
    `kills: ${r.kills.timer} at a random time, ${r.kills.request} as a request reached a gateway, ${r.kills['fault-point']} at engine fault points; ${r.kills.graceful} graceful exits`,
    `payments ${r.payments} (paid ${r.paid}): QR ${t.qr.sales} (paid ${t.qr.paid}) · Yima ${t.yima.sales} (paid ${t.yima.paid}, never seen by Yima ${t.yima.forSupervisor}) · terminal ${t.terminal.sales} (paid ${t.terminal.paid}, 状态未明 for a supervisor ${t.terminal.forSupervisor}, of which approved on the terminal ${r.terminalForSupervisorApproved}) · cash ${t.cash.sales} (paid ${t.cash.paid})`,
    `refunds ${r.refunds} (succeeded ${r.refundsSucceeded}, 状态未明 for a supervisor ${r.refundsForSupervisor}; cash ${r.cashRefunds}) · bank requests ${r.facts.bank.requests.length} · Yima requests ${r.facts.yima.requests.length} · terminal sale frames ${r.facts.terminal.record.length}`,
    'violations per invariant:',
    ...Object.entries(r.violations).map(([name, list]) => `  ${name}: ${list.length}${list.length > 0 ? ` — ${list.slice(0, 3).join('; ')}` : ''}`),
  ];
  return lines.join('\n');
}
