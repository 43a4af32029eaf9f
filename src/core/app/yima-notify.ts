import type { YimaSignRule } from '../gateways/yima/sign';
import { startYimaNotifyListener, type YimaNotifyListener } from '../gateways/yima/notify-listener';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import type { Logger } from '../util/logger';

export const YIMA_NOTIFY_PATH = '/yima/notify';

export interface YimaTrainingNotifyDeps {
  db: Db;
  now: () => number;
  logger: Logger;
  /** The training merchant's isspid and key (the simulator's). */
  isspid: string;
  key: string;
  /** The signing rule in Settings (the simulator follows it): read at each notification. */
  signRule: () => YimaSignRule;
  /** Triggers the immediate result query of the Yima sale with this order number; false when it is not ours. */
  notified: (orderNo: string) => boolean;
}

/**
 * The training Yima notification receiver (issue 11.6): a loopback listener the training Yima's
 * notify_url points at, so the simulator's notifications reach Yima's own receiver (the BPC listener
 * cannot read a Yima body). A notification only triggers the named sale's result query; one naming a
 * sale of ours is recorded (`notification`, gateway yima), others are only logged.
 */
export async function startYimaTrainingNotifications(deps: YimaTrainingNotifyDeps): Promise<{ url: string; listener: YimaNotifyListener }> {
  const config = {
    host: '127.0.0.1',
    port: 0,
    isspid: deps.isspid,
    get signRule(): YimaSignRule {
      return deps.signRule();
    },
    getKey: () => deps.key,
    requireSigned: true,
    logger: deps.logger,
    onNotification: (n: { orgPosSeq: string }) => {
      if (deps.notified(n.orgPosSeq))
        appendEvent(deps.db, { at: deps.now(), entity: 'app', type: 'notification', data: { gateway: 'yima', orders: [n.orgPosSeq], known: true } });
      else deps.logger.info('yima notification for no sale of ours', { orgPosSeq: n.orgPosSeq.slice(0, 40) });
    },
  };
  const listener = await startYimaNotifyListener(config);
  return { url: `http://127.0.0.1:${listener.port}${YIMA_NOTIFY_PATH}`, listener };
}
