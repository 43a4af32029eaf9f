import type { YimaSignRule } from '../gateways/yima/sign';
import { startYimaNotifyListener, type YimaNotifyListener } from '../gateways/yima/notify-listener';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import type { Logger } from '../util/logger';

export const YIMA_NOTIFY_PATH = '/yima/notify';

/**
 * Per order, at most this many notifications are acted on (recorded, and their query triggered) in a
 * burst, one more every YIMA_NOTIFY_REFILL_MS: Yima's own retries (3, minutes apart) always pass, while
 * a captured signed notification replayed in a loop cannot fill the append-only ledger or keep the
 * gateway busy. Those over the budget are still answered 0000 (the receiver stays idempotent).
 */
export const YIMA_NOTIFY_BURST = 5;
export const YIMA_NOTIFY_REFILL_MS = 30_000;
const MAX_TRACKED_ORDERS = 1024;

export interface YimaNotifyDeps {
  db: Db;
  now: () => number;
  logger: Logger;
  /** Loopback in training; the Settings' host and port live. */
  host?: string;
  port?: number;
  /** Our isspid and key (in training the simulator's). */
  isspid: string;
  getKey: () => string;
  /** Refuse unsigned notifications (always in training; live as the Settings say). */
  requireSigned?: boolean;
  /** The signing rule in Settings (the simulator follows it): read at each notification. */
  signRule: () => YimaSignRule;
  /** Triggers the immediate result query of the Yima sale with this order number; false when it is not ours. */
  notified: (orderNo: string) => boolean;
}

/**
 * Yima's notification receiver (issue 11.6): in training a loopback listener the training Yima's
 * notify_url points at (the BPC listener cannot read a Yima body); live, the host and port in
 * Settings → 翼码. A notification only triggers the named sale's result query; one naming a sale of
 * ours is recorded (`notification`, gateway yima), others are only logged.
 */
export async function startYimaNotifications(deps: YimaNotifyDeps): Promise<{ url: string; listener: YimaNotifyListener }> {
  const host = deps.host ?? '127.0.0.1';
  const budgets = new Map<string, { tokens: number; at: number }>();
  /** Takes one notification from the order's budget; false when it is spent. The map is bounded (oldest order forgotten first). */
  const withinBudget = (order: string): boolean => {
    const t = deps.now();
    let b = budgets.get(order);
    if (b === undefined) {
      if (budgets.size >= MAX_TRACKED_ORDERS) {
        const oldest = budgets.keys().next().value;
        if (oldest !== undefined) budgets.delete(oldest);
      }
      b = { tokens: YIMA_NOTIFY_BURST, at: t };
    } else budgets.delete(order);
    b.tokens = Math.min(YIMA_NOTIFY_BURST, b.tokens + Math.max(0, t - b.at) / YIMA_NOTIFY_REFILL_MS);
    b.at = t;
    budgets.set(order, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
  const config = {
    host,
    port: deps.port ?? 0,
    isspid: deps.isspid,
    get signRule(): YimaSignRule {
      return deps.signRule();
    },
    getKey: deps.getKey,
    requireSigned: deps.requireSigned ?? true,
    logger: deps.logger,
    onNotification: (n: { orgPosSeq: string }) => {
      // Over the order's budget: answered 0000, neither recorded nor queried (not logged either, one line per request would be the flood).
      if (!withinBudget(n.orgPosSeq)) return;
      if (deps.notified(n.orgPosSeq))
        appendEvent(deps.db, { at: deps.now(), entity: 'app', type: 'notification', data: { gateway: 'yima', orders: [n.orgPosSeq], known: true } });
      else deps.logger.info('yima notification for no sale of ours', { orgPosSeq: n.orgPosSeq.slice(0, 40) });
    },
  };
  const listener = await startYimaNotifyListener(config);
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${listener.port}${YIMA_NOTIFY_PATH}`, listener };
}
