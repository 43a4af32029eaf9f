/**
 * The core without a window: `node out/main/headless.js --data DIR [--config FILE]`. Reads one JSON
 * command per line on stdin and answers one JSON line per command on stdout; pushes payment updates as
 * lines too. Used by the crash tests and the benchmark to run the real engine in a child process.
 *
 * Commands: {"op":"create","amountFen":N} · {"op":"get","id":N} · {"op":"cancel","id":N} ·
 * {"op":"refund","paymentId":N,"amountFen":N} · {"op":"getRefund","id":N} · {"op":"exit"} ·
 * {"op":"call","channel":"…","input":{…}}: any channel through the dispatcher as the cashier window
 * calls it (approval nonces fetched as the renderer does), answered {"callReply":{ok,value|error}}.
 * `CASHIER_FAULT_POINT=before-send|after-send|after-answer` (payments) or
 * `refund-before-send|refund-marked|refund-after-answer|refund-after-query` (refunds) makes the process
 * SIGKILL itself at that point of the next payment or refund (crash testing only; unset in normal use); `CASHIER_SYNC_FAULT=after-answer`
 * kills it when headquarters has answered a sync batch, before the answer is recorded.
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startCore } from './core';
import { createFileKeyCipher } from '../secrets/cipher';
import { createConsoleLogger } from '../util/logger';
import { parseCliArgs } from '../web/args';
import { getPayment, toView } from '../ledger/payments';
import { getRefund } from '../ledger/refunds';
import { withApprovalNonces } from '../../shared/ipc/approvals';
import { version } from '../../../package.json';

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.data === undefined) throw new Error('--data DIR is required');
  const dataDir = resolve(args.data);
  mkdirSync(dataDir, { recursive: true });
  const fault = process.env.CASHIER_FAULT_POINT;
  const write = (value: unknown): void => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  };
  const core = await startCore({
    dataDir,
    version,
    platform: 'web',
    cipher: createFileKeyCipher(dataDir),
    logger: createConsoleLogger('headless', true),
    ...(args.config === undefined ? {} : { provisioningFile: resolve(args.config), provisioningRequired: true }),
    faultPoint: (name) => {
      if (name === fault) process.kill(process.pid, 'SIGKILL');
    },
    // CASHIER_SYNC_FAULT=after-answer: die when headquarters answered a batch, before recording it.
    syncFaultPoint: () => {
      if (process.env.CASHIER_SYNC_FAULT === 'after-answer') process.kill(process.pid, 'SIGKILL');
    },
  });
  core.bus.on('payment:updated', (payment) => write({ update: payment }));
  core.bus.on('refund:updated', (refund) => write({ refundUpdate: refund }));
  write({ ready: true, info: core.info() });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    let command: { op?: unknown; amountFen?: unknown; id?: unknown; paymentId?: unknown; gateway?: unknown; channel?: unknown; input?: unknown };
    try {
      command = JSON.parse(line) as typeof command;
    } catch {
      write({ error: 'not JSON' });
      continue;
    }
    try {
      switch (command.op) {
        case 'create':
          // `gateway: 'yima'` pushes a Yima card order instead of a BPC QR (the Yima crash test).
          write({
            reply: toView(
              await core.engine.createPayment({
                amountFen: Number(command.amountFen),
                operator: null,
                ...(command.gateway === 'yima' ? { gateway: 'yima' } : {}),
              }),
            ),
          });
          break;
        case 'get':
          write({ reply: toView(getPayment(core.db, Number(command.id))) });
          break;
        case 'refund':
          write({
            refundReply: await core.engine.createRefund({
              paymentId: Number(command.paymentId),
              amountFen: Number(command.amountFen),
              reason: 'crash test',
              operator: null,
              approvedBy: null,
            }),
          });
          break;
        case 'getRefund':
          write({ refundReply: getRefund(core.db, Number(command.id)) });
          break;
        case 'cancel':
          write({ reply: toView(await core.engine.cancelPayment(Number(command.id), null)) });
          break;
        case 'call': {
          // As the cashier window: role check, input schema, handler, output schema (the chaos run's cash and terminal sales).
          const ctx = { role: 'cashier' } as const;
          const input = await withApprovalNonces(String(command.channel), command.input, async (action, subject) => {
            const r = await core.dispatch('approval:nonce', { action, input: subject }, ctx);
            if (!r.ok) throw new Error(`approval:nonce: ${r.error.code}`);
            return (r.value as { nonce: string }).nonce;
          });
          write({ callReply: await core.dispatch(command.channel, input, ctx) });
          break;
        }
        case 'exit':
          await core.close();
          process.exit(0);
          break;
        default:
          write({ error: `unknown op ${String(command.op)}` });
      }
    } catch (error) {
      write({ error: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code ?? null });
    }
  }
  await core.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`headless core failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
