import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import { YimaBindingSchema, type YimaBinding } from '../../shared/yima-settings';
import { readYimaSettings } from '../config/yima-config';
import { YIMA_GATEWAY_ID, maskCardNumbersInWireText } from '../gateways/yima/adapter';
import type { YimaClient, YimaClientResult } from '../gateways/yima/client';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { reserveRequestSeq } from '../ledger/order-numbers';
import { readSetting, writeSetting } from '../ledger/settings';
import { requireRole, verifyPin } from '../operators/operators';

/** Where the last binding's outcome is kept, per mode (a plain setting; no secret in it). */
export const YIMA_BINDING_SETTING = 'yima.binding';

/** The last binding done in `mode` (training binds the simulator's training terminal, never the live one). */
export function readYimaBinding(db: Db, mode: AppMode): YimaBinding | null {
  const parsed = YimaBindingSchema.safeParse(readSetting(db, `${YIMA_BINDING_SETTING}.${mode}`));
  return parsed.success ? parsed.data : null;
}

/** The newer of the live and the training binding, for Settings (its `mode` says which). */
export function latestYimaBinding(db: Db): YimaBinding | null {
  const all = [readYimaBinding(db, 'live'), readYimaBinding(db, 'training')].filter((b): b is YimaBinding => b !== null);
  return all.sort((a, b) => b.at - a.at)[0] ?? null;
}

export interface BindDeps {
  db: Db;
  now: () => number;
  mode: () => AppMode;
  /** The Yima client of the current mode (training: the simulator; live: the configured gateway). May throw NOT_CONFIGURED. */
  client: () => YimaClient;
}

function verdictOf(result: YimaClientResult): Pick<YimaBinding, 'verdict' | 'code' | 'detail'> {
  switch (result.kind) {
    case 'pushed':
    case 'paid':
    case 'waiting':
      return { verdict: 'bound', code: result.response.result?.id ?? '', detail: result.response.result?.comment ?? '' };
    case 'failed':
      return { verdict: 'refused', code: result.result.id, detail: result.result.comment };
    case 'unknown':
      return { verdict: 'unclear', code: result.response.result?.id ?? '', detail: result.response.result?.comment ?? '' };
    case 'transport_unknown':
      return { verdict: 'unclear', code: '', detail: `${result.reason}: ${result.detail}` };
  }
}

/**
 * `settings:yimaBind`: the one-time terminal binding ([guess] body modelled on `bind_pos_request`:
 * pos_id + store_info{store_id, store_name}). A manager approves; it is offered only when
 * `bindingEnabled` is on; a pos_id + store_id already bound is refused (binding is once per terminal —
 * change pos_id or store_id to bind another). Its own pos_seq is reserved in the ledger and the request
 * is in the event log before it leaves; the answer (both wire texts, key-free) and the outcome after.
 */
export function yimaBindHandler(deps: BindDeps) {
  return async ({
    storeName,
    approval,
  }: {
    storeName: string;
    approval: { code: string; pin: string };
  }): Promise<{ binding: YimaBinding; latencyMs: number }> => {
    const { db, now } = deps;
    const manager = await verifyPin(db, approval.code, approval.pin, now());
    requireRole(manager, 'manager');
    const s = readYimaSettings(db);
    if (s === null) throw new AppError('NOT_CONFIGURED', 'save the Yima merchant settings first', { field: 'yima' });
    if (!s.bindingEnabled) throw new AppError('INVALID_STATE', 'terminal binding is switched off in Settings → Yima', { field: 'yima.bindingEnabled' });
    const mode = deps.mode();
    // What goes on the wire is the client's merchant (in training: the simulator's training terminal).
    const client = deps.client();
    const { posId, storeId } = client.merchant;
    const last = readYimaBinding(db, mode);
    if (last !== null && last.verdict === 'bound' && last.posId === posId && last.storeId === storeId) {
      throw new AppError(
        'INVALID_STATE',
        `pos_id ${posId} of store ${storeId} was bound on ${new Date(last.at).toISOString()} by ${last.by}; binding is done once`,
        {
          field: 'yima.posId',
        },
      );
    }
    const posSeq = reserveRequestSeq(db, { gateway: YIMA_GATEWAY_ID, purpose: 'bind', now: now() });
    appendEvent(db, {
      at: now(),
      entity: 'app',
      type: 'yima_bind_requested',
      actor: manager.code,
      data: { mode, posId, storeId, storeName, posSeq },
    });
    const started = Date.now();
    let result: YimaClientResult;
    try {
      result = await client.bindPos({ posSeq, storeName, userId: manager.code });
    } catch (error) {
      // Thrown before anything left (no key, a field Yima would refuse): said in the log, nothing bound.
      const info = error instanceof AppError ? `${error.code}: ${error.message}` : String(error);
      appendEvent(db, { at: now(), entity: 'app', type: 'yima_bind_not_sent', actor: manager.code, data: { posSeq, error: info } });
      throw error;
    }
    const latencyMs = Date.now() - started;
    const binding: YimaBinding = { at: now(), by: manager.code, mode, posId, storeId, storeName, posSeq, ...verdictOf(result) };
    db.transaction(() => {
      writeSetting(db, `${YIMA_BINDING_SETTING}.${mode}`, binding, binding.at);
      appendEvent(db, {
        at: binding.at,
        entity: 'app',
        type: 'yima_bind',
        actor: manager.code,
        data: {
          ...binding,
          request: maskCardNumbersInWireText(result.exchange.requestText),
          httpStatus: result.exchange.httpStatus,
          response: result.exchange.responseText === null ? null : maskCardNumbersInWireText(result.exchange.responseText),
        },
      });
    })();
    return { binding, latencyMs };
  };
}
