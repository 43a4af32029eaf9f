/**
 * The chaos run: the real core (built headless entry, live mode through a provisioning file) takes QR
 * payments, partial and concurrent refunds and cancels against the simulated bank, and is SIGKILLed at
 * random moments — uniformly in time (start-up included), exactly when a request reaches the bank (before
 * or after the bank processed it), or at the engine's own fault points — then restarted on the same data
 * directory. The bank is restarted now and then (its orders kept in its state file, as a bank keeps
 * them). A last, fault-free start cancels what is still open and waits until everything is final; then
 * the invariants (./invariants.ts) are checked against the bank's own records.
 *
 * Used by `npm run test:chaos` (test/chaos/chaos.test.ts, default 500 cycles) and by a short seeded run
 * in `npm test` (test/e2e/chaos-short.test.ts).
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBpcSimulator, type BpcSimulator, type RecordedRequest } from '../../src/core/simulators/bpc';
import { startHeadless, type Headless } from '../support/headless';
import { mulberry32 } from '../support/random';
import { checkInvariants, isForSupervisor, type ChaosFacts, type RequestFact, type Violations } from './invariants';

export const CHAOS_KEY = 'chaos-run-key-0123456789abcdef';
export const CHAOS_MID = '104320170118888';

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
  /** Restart the bank every this many cycles (default 10). */
  bankRestartEvery?: number;
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
  facts: ChaosFacts;
  violations: Violations;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    return {
      payments: db.prepare('SELECT id, trade_no, status, amount_fen FROM payments ORDER BY id').all() as ChaosFacts['ledger']['payments'],
      refunds: db.prepare('SELECT id, refund_no, payment_id, status, amount_fen, sys_trace FROM refunds ORDER BY id').all() as ChaosFacts['ledger']['refunds'],
      integrity: check,
    };
  } finally {
    db.close();
  }
}

/** Open payments and paid ones (with what is still refundable), read while the app runs (WAL readers are safe). */
function ledgerView(dir: string): { open: number[]; shown: string[]; paid: { id: number; refundable: number }[] } {
  let db: Database.Database;
  try {
    db = new Database(join(dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  } catch {
    return { open: [], shown: [], paid: [] };
  }
  try {
    const open = (db.prepare("SELECT id FROM payments WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown')").all() as { id: number }[]).map(
      (r) => r.id,
    );
    const paid = db
      .prepare(
        `SELECT p.id, p.amount_fen - COALESCE((SELECT SUM(r.amount_fen) FROM refunds r WHERE r.payment_id = p.id AND r.status <> 'failed'), 0) AS refundable
         FROM payments p WHERE p.status = 'paid'`,
      )
      .all() as { id: number; refundable: number }[];
    // The QRs on screen: the customer can only pay what the app received and showed.
    const shown = (
      db.prepare("SELECT sys_trace FROM payments WHERE status IN ('qr_issued', 'waiting', 'unknown') AND sys_trace IS NOT NULL").all() as {
        sys_trace: string;
      }[]
    ).map((r) => r.sys_trace);
    return { open, shown, paid };
  } catch {
    return { open: [], shown: [], paid: [] };
  } finally {
    db.close();
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const rand = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const log = options.log ?? (() => undefined);
  const restartEvery = options.bankRestartEvery ?? 10;
  const stateFile = join(options.dir, 'bank-state.json');
  const requests: RequestFact[] = [];
  const starts: ChaosFacts['starts'] = [];
  const kills: Record<KillMode, number> = { timer: 0, request: 0, 'fault-point': 0, graceful: 0 };
  let bankRestarts = 0;

  /** Set per cycle: kill the app when this request reaches the bank. */
  let requestKill: { tranType: string; phase: 'received' | 'processed'; kill: () => void } | null = null;
  const onRequest = (entry: RecordedRequest, phase: 'received' | 'processed'): void => {
    const k = requestKill;
    if (k === null || k.phase !== phase || (k.tranType !== '*' && k.tranType !== entry.tranType)) return;
    requestKill = null;
    k.kill();
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

  let bank = await startBank();
  writeFileSync(
    join(options.dir, 'provisioning.json'),
    JSON.stringify({
      bpc: { url: bank.url, mid: CHAOS_MID, posNo: '37381542', tellerNo: '001', key: CHAOS_KEY, profile: { requireSignedResponses: true } },
      polling: { firstQueryMs: 50, fastIntervalMs: 500, slowIntervalMs: 500, backoffStartMs: 500, backoffMaxMs: 1000 },
      operators: [
        { code: '001', pin: '246801' },
        { code: '800', pin: '813579' },
        { code: '900', pin: '902468' },
      ],
    }),
  );
  const args = ['--data', options.dir, '--config', join(options.dir, 'provisioning.json')];

  /** Starts the app; `ready` resolves true when it says so, false when it exited first. */
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

  for (let cycle = 1; cycle <= options.cycles; cycle += 1) {
    const mode: KillMode = pick(['timer', 'timer', 'timer', 'request', 'request', 'request', 'fault-point', 'fault-point', 'graceful']);
    const fault = mode === 'fault-point' ? pick(FAULT_POINTS) : undefined;
    let killed = false;
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
    if (mode === 'request') {
      requestKill = {
        tranType: pick(['F', 'F', 'G', 'R', 'R', 'J', 'S', '*']),
        phase: pick(['received', 'processed'] as const),
        kill: () => {
          killed = true;
          app.child.kill('SIGKILL');
        },
      };
    }
    const alive = (): boolean => app.child.exitCode === null && app.child.signalCode === null;
    if (ready) {
      // Actions until the app dies (or, graceful / request mode, for a while).
      const until = Date.now() + between(300, 1200);
      while (alive() && Date.now() < until) {
        const view = ledgerView(options.dir);
        const roll = rand();
        if (roll < 0.3) app.send({ op: 'create', amountFen: between(1, 200_000) });
        else if (roll < 0.55) {
          if (view.shown.length > 0) bank.pay(pick(view.shown));
        } else if (roll < 0.8 && view.paid.length > 0) {
          const p = pick(view.paid);
          // Sometimes two at once, sometimes more than is left: the engine's cap decides.
          const n = rand() < 0.3 ? 2 : 1;
          for (let i = 0; i < n; i += 1)
            app.send({ op: 'refund', paymentId: p.id, amountFen: Math.max(1, between(1, p.refundable + (rand() < 0.2 ? 500 : 0))) });
        } else if (roll < 0.9 && view.open.length > 0) app.send({ op: 'cancel', id: pick(view.open) });
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
    if (mode === 'fault-point' && !killed) kills['fault-point'] += 1;
    else if (mode === 'graceful') kills.graceful += 1;
    else if (killed) kills[mode === 'fault-point' ? 'timer' : mode] += 1;
    if (restartEvery > 0 && cycle % restartEvery === 0) {
      collect(bank);
      await bank.close();
      bank = await startBank();
      bankRestarts += 1;
    }
    log(`cycle ${cycle}/${options.cycles}: ${mode}${fault === undefined ? '' : ` ${fault}`} · ready ${ready} · ${starts.at(-1)?.exit}`);
  }

  // The last start: no faults. Close what is still open and wait until everything is final.
  const last = launch(options.cycles + 1, {}, () => false);
  await last.ready;
  const deadline = Date.now() + 90_000;
  let lastCancel = 0;
  while (Date.now() < deadline) {
    const facts = readLedger(options.dir, 'ledger.sqlite', false);
    const openPayments = facts.payments.filter((p) => ['created', 'qr_issued', 'waiting', 'unknown'].includes(p.status));
    const openRefunds = facts.refunds.filter((r) => ['created', 'pending', 'unknown'].includes(r.status) && !isForSupervisor(r));
    if (openPayments.length === 0 && openRefunds.length === 0) break;
    if (Date.now() - lastCancel > 2000) {
      for (const p of openPayments) last.app.send({ op: 'cancel', id: p.id });
      lastCancel = Date.now();
    }
    await sleep(200);
  }
  last.app.send({ op: 'exit' });
  await last.done;
  collect(bank);
  const orders = bank.orders();
  await bank.close();

  const facts: ChaosFacts = { ledger: readLedger(options.dir), bank: { orders, requests }, starts };
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
    facts,
    violations: checkInvariants(facts),
  };
}

export function formatReport(r: ChaosReport): string {
  const lines = [
    `chaos run · seed ${r.seed} · ${r.cycles} cycles · ${r.starts} starts · bank restarted ${r.bankRestarts}×`,
    `kills: ${r.kills.timer} at a random time, ${r.kills.request} as a request reached the bank, ${r.kills['fault-point']} at engine fault points; ${r.kills.graceful} graceful exits`,
    `payments ${r.payments} (paid ${r.paid}) · refunds ${r.refunds} (succeeded ${r.refundsSucceeded}, 状态未明 for a supervisor ${r.refundsForSupervisor}) · bank requests ${r.facts.bank.requests.length}`,
    'violations per invariant:',
    ...Object.entries(r.violations).map(([name, list]) => `  ${name}: ${list.length}${list.length > 0 ? ` — ${list.slice(0, 3).join('; ')}` : ''}`),
  ];
  return lines.join('\n');
}
