import { readFileSync, statSync } from 'node:fs';
import { AppError } from '../../shared/errors';
import { BPC_KEY } from '../config/provisioning';
import { yimaClientOptions, YIMA_KEY } from '../config/yima-config';
import { BpcClient, type BpcSecurityEvent } from '../gateways/bpc/client';
import { YIMA_GATEWAY_ID } from '../gateways/yima/adapter';
import { YimaClient } from '../gateways/yima/client';
import type { Db } from '../ledger/db';
import { reserveRequestSeq } from '../ledger/order-numbers';
import type { SecretStore } from '../secrets/store';
import { refusePlainHttp, type CounterState } from './state';

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

export interface LiveClients {
  /** The configured bank's client (also for the supervisor's "test connection" before going live). */
  bpc: () => BpcClient;
  /** The bank's client for money requests: refused over plain http without signed answers (issue 8.7). */
  chargingBpc: () => BpcClient;
  /** The live Yima client; refused over plain http without signed answers, as BPC. */
  yima: () => YimaClient;
  close: () => Promise<void>;
}

/**
 * The live gateway clients, made from the stored settings and made anew when those change (a client
 * keeps its keep-alive pool; the one it replaces is closed). Keys are read from the secret store on
 * every request, so a changed key applies at once and is never held by a client.
 */
export function createLiveClients(deps: { state: CounterState; secrets: SecretStore; onSecurityEvent: (event: BpcSecurityEvent) => void }): LiveClients {
  const { state, secrets } = deps;
  let bpc: { stamp: string; client: BpcClient } | null = null;
  let yima: { stamp: string; client: YimaClient } | null = null;

  const liveBpc = (): BpcClient => {
    const config = state.config();
    if (config.merchant === null) throw new AppError('NOT_CONFIGURED', 'no merchant configured for live mode');
    const caFile = config.merchant.caFile ?? '';
    // A CA file replaced under the same name makes a new client too (its modification time is in the stamp).
    const stamp = JSON.stringify([config.merchant, config.profile, config.timeouts, caFile === '' ? 0 : modifiedAt(caFile)]);
    if (bpc?.stamp === stamp) return bpc.client;
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
    const old = bpc?.client;
    bpc = {
      stamp,
      client: new BpcClient({
        ...(caPem === undefined ? {} : { caPem }),
        merchant: config.merchant,
        profile: config.profile,
        timeouts: config.timeouts,
        onSecurityEvent: deps.onSecurityEvent,
        getKey: () => {
          const key = secrets.read(BPC_KEY);
          if (key === undefined) throw new AppError('NOT_CONFIGURED', 'the BPC key is not set');
          return key;
        },
      }),
    };
    void old?.destroy().catch(() => undefined);
    return bpc.client;
  };

  return {
    bpc: liveBpc,
    chargingBpc: () => {
      const config = state.config();
      if (config.merchant !== null) {
        refusePlainHttp(
          config.merchant.url,
          'bpc.url',
          'live payments refused: the bank URL is plain http and signed answers are not required; use https or require signed answers',
          config.profile.requireSignedResponses,
        );
      }
      return liveBpc();
    },
    yima: () => {
      const s = state.yima();
      if (s === null) throw new AppError('NOT_CONFIGURED', 'no Yima merchant configured');
      if (s.url === '') throw new AppError('NOT_CONFIGURED', 'the Yima gateway URL is not set (Settings → 翼码)', { field: 'yima.url' });
      refusePlainHttp(
        s.url,
        'yima.url',
        'live card orders refused: the Yima URL is plain http and signed answers are not required; use https or require signed answers',
        s.requireSignedResponses,
      );
      const stamp = JSON.stringify(s);
      if (yima?.stamp === stamp) return yima.client;
      const old = yima?.client;
      yima = {
        stamp,
        // The profile from the settings in one place (yimaClientOptions), so no setting is dropped here.
        client: new YimaClient(
          yimaClientOptions(s, () => {
            const key = secrets.read(YIMA_KEY);
            if (key === undefined) throw new AppError('NOT_CONFIGURED', 'the Yima key is not set', { field: 'yima.key' });
            return key;
          }),
        ),
      };
      old?.destroy().catch(() => undefined);
      return yima.client;
    },
    async close() {
      await Promise.allSettled([bpc?.client.destroy(), yima?.client.destroy()]);
    },
  };
}

export interface ConnectionTest {
  ok: boolean;
  latencyMs: number;
  detail: string;
}

/**
 * Yima "test connection": one signed bcm_resultquery_request about an order that cannot exist (its
 * org_pos_seq is a second fresh serial, never an order) — read-only at Yima, no card POS involved. An answer
 * proves the URL, TLS, our envelope and (when Yima checks it) our signature get through; it does not
 * prove the terminal binding or that a card sale can be taken.
 */
export async function testYimaConnection(deps: {
  db: Db;
  state: CounterState;
  now: () => number;
  live: () => YimaClient;
  training: () => YimaClient;
}): Promise<ConnectionTest> {
  const started = Date.now();
  const s = deps.state.yima();
  const live = deps.state.mode() === 'live' && s !== null;
  const which = live ? `Yima ${s.url}` : 'training Yima';
  let client: YimaClient;
  try {
    client = live ? deps.live() : deps.training();
  } catch (error) {
    return { ok: false, latencyMs: 0, detail: `${which}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const posSeq = reserveRequestSeq(deps.db, { gateway: YIMA_GATEWAY_ID, purpose: 'test', now: deps.now() });
  const orgPosSeq = reserveRequestSeq(deps.db, { gateway: YIMA_GATEWAY_ID, purpose: 'test-order', now: deps.now() });
  const result = await client.queryResult({ posSeq, orgPosSeq, amountFen: 0 });
  const latencyMs = Date.now() - started;
  if (result.kind === 'transport_unknown') return { ok: false, latencyMs, detail: `${which}: ${result.reason}: ${result.detail}` };
  const answer = result.kind === 'failed' ? result.result : result.response.result;
  return { ok: true, latencyMs, detail: `${which} answered ${answer?.id ?? '-'} ${answer?.comment ?? ''}`.trim() };
}
