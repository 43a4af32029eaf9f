import { AppError } from '../../../shared/errors';
import { assertFen, YIMA_MAX_FEN, type Fen } from '../../../shared/money';
import { gbkLength } from './codec';
import { validateExtendParams } from './split';
import type { YimaMessage, YimaValue } from './wire';

/** The counter's identity at Yima (Settings / provisioning). */
export interface YimaMerchant {
  /** Gateway URL [guess: not in our material]. */
  url: string;
  /** 翼码商户号 String(8). */
  isspid: string;
  /** 系统平台号 String(4). */
  systemId: string;
  /** Merchant-defined store number, bound once (4.1). */
  storeId: string;
  /** Merchant-defined terminal number, bound once (4.1). */
  posId: string;
  /** The card POS to push to: exactly one of terminalId / posSn (seed: never both; neither = nothing pushed). */
  terminalId: string;
  posSn: string;
}

export interface YimaGoods {
  name: string;
  quantity: number;
  priceFen: Fen;
}

export interface CreateOrderInput {
  /** Our order number: unique per isspid, 13..32 characters, never reused. */
  posSeq: string;
  amountFen: Fen;
  /** The signed-in cashier. */
  userId?: string;
  memo?: string;
  notifyUrl?: string;
  goods?: YimaGoods[];
  /** extend_params as it goes on the wire (build it from a plan with extendParamsFor). */
  extendParams?: Record<string, YimaValue>;
}

/** pos_seq (seed): String(32), unique per isspid, longer than 12 characters. */
export const POS_SEQ_PATTERN = /^[0-9A-Za-z_-]{13,32}$/;

export function assertPosSeq(posSeq: string, field = 'pos_seq'): void {
  if (!POS_SEQ_PATTERN.test(posSeq)) {
    throw new AppError('BAD_INPUT', `${field} must be 13 to 32 letters or digits (Yima needs more than 12), got ${posSeq.length}`, { field });
  }
}

/** String(n) of the seed, counted in GBK bytes [guess, sister documents]. */
function checkLength(field: string, value: string, max: number, required: boolean, code: 'BAD_INPUT' | 'CONFIG_INVALID' = 'BAD_INPUT'): void {
  if (required && value === '') throw new AppError(code, `${field} is required`, { field });
  if (gbkLength(value) > max) throw new AppError(code, `${field} is longer than ${max} bytes`, { field, max });
}

/** Settings checks, so a wrong setup is refused before any sale (CONFIG_INVALID naming the field). */
export function assertMerchant(m: YimaMerchant): void {
  let url: URL;
  try {
    url = new URL(m.url);
  } catch {
    throw new AppError('CONFIG_INVALID', 'Yima URL is not a URL', { field: 'yima.url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('CONFIG_INVALID', 'Yima URL must be http or https', { field: 'yima.url' });
  checkLength('yima.isspid', m.isspid, 8, true, 'CONFIG_INVALID');
  checkLength('yima.systemId', m.systemId, 4, true, 'CONFIG_INVALID');
  checkLength('yima.storeId', m.storeId, 20, true, 'CONFIG_INVALID');
  checkLength('yima.posId', m.posId, 20, true, 'CONFIG_INVALID');
  checkLength('yima.terminalId', m.terminalId, 10, false, 'CONFIG_INVALID');
  checkLength('yima.posSn', m.posSn, 20, false, 'CONFIG_INVALID');
  if (m.terminalId !== '' && m.posSn !== '') {
    throw new AppError('CONFIG_INVALID', 'set either the card POS terminal_id or its pos_sn, never both (Yima refuses both)', { field: 'yima.terminalId' });
  }
  if (m.terminalId === '' && m.posSn === '') {
    throw new AppError('CONFIG_INVALID', 'set the card POS terminal_id or pos_sn: without one, Yima pushes no order to the terminal', {
      field: 'yima.terminalId',
    });
  }
}

function header(m: YimaMerchant, requestType: string, posSeq: string, userId: string | undefined): YimaMessage {
  checkLength('user_id', userId ?? '', 20, false);
  const h: YimaMessage = { request_type: requestType, isspid: m.isspid, pos_id: m.posId, store_id: m.storeId, pos_seq: posSeq };
  if (userId !== undefined && userId !== '') h.user_id = userId;
  h.system_id = m.systemId;
  return h;
}

/**
 * `bcm_ordercreate_request` (seed 4.15), every check done before anything is sent: amount whole fen
 * ≤ 999 999 999, exactly one of terminal_id / pos_sn, pos_seq rules, lengths, goods, split rules.
 * Field order follows the seed's sample.
 */
export function createOrderMessage(m: YimaMerchant, input: CreateOrderInput): YimaMessage {
  assertMerchant(m);
  assertFen(input.amountFen, YIMA_MAX_FEN);
  assertPosSeq(input.posSeq);
  checkLength('memo', input.memo ?? '', 128, false);
  const msg = header(m, 'bcm_ordercreate_request', input.posSeq, input.userId);
  if (input.memo !== undefined && input.memo !== '') msg.memo = input.memo;
  const business: Record<string, YimaValue> = { pos_sn: m.posSn, terminal_id: m.terminalId, tx_amt: String(input.amountFen) };
  if (input.notifyUrl !== undefined && input.notifyUrl !== '') {
    checkLength('notify_url', input.notifyUrl, 256, false);
    if (!/^https?:\/\/[^\s]+$/.test(input.notifyUrl)) throw new AppError('BAD_INPUT', 'notify_url must be an http(s) URL', { field: 'notify_url' });
    business.notify_url = input.notifyUrl;
  }
  if (input.goods !== undefined && input.goods.length > 0) {
    business.goods_detail = input.goods.map((g, i) => {
      checkLength(`goods_detail[${i}].goods_name`, g.name, 256, true);
      if (!Number.isSafeInteger(g.quantity) || g.quantity < 1 || g.quantity > 999_999_999) {
        throw new AppError('BAD_INPUT', `goods_detail[${i}].quantity must be a whole number 1..999999999`, { field: 'goods_detail' });
      }
      if (!Number.isSafeInteger(g.priceFen) || g.priceFen < 0 || g.priceFen > 99_999_999) {
        throw new AppError('BAD_INPUT', `goods_detail[${i}].price must be whole fen 0..99999999`, { field: 'goods_detail' });
      }
      return { goods_name: g.name, quantity: g.quantity, price: g.priceFen };
    });
  }
  if (input.extendParams !== undefined) {
    validateExtendParams(input.extendParams, input.amountFen);
    business.extend_params = input.extendParams;
  }
  msg.bcm_ordercreate_request = business;
  return msg;
}

/** `bcm_resultquery_request` [doc]: a fresh pos_seq of its own, org_pos_seq = the create's; pos_sn when configured. */
export function resultQueryMessage(m: YimaMerchant, posSeq: string, orgPosSeq: string, userId?: string): YimaMessage {
  assertPosSeq(posSeq);
  assertPosSeq(orgPosSeq, 'org_pos_seq');
  if (posSeq === orgPosSeq) throw new AppError('BAD_INPUT', "a result query needs its own pos_seq, not the order's", { field: 'pos_seq' });
  const msg = header(m, 'bcm_resultquery_request', posSeq, userId);
  const business: Record<string, YimaValue> = { org_pos_seq: orgPosSeq };
  if (m.posSn !== '') business.pos_sn = m.posSn;
  msg.bcm_resultquery_request = business;
  return msg;
}

/** `bcm_orderquery_request` [doc]: flat, by Yima's order_id (13–31 characters); a supervisor's re-check. */
export function orderQueryMessage(
  m: YimaMerchant,
  input: { orderId: string; timestamp: string; userId?: string; tid?: string; channel?: string },
): YimaMessage {
  if (!/^[0-9A-Za-z_-]{13,31}$/.test(input.orderId)) throw new AppError('BAD_INPUT', 'order_id must be 13 to 31 letters or digits', { field: 'order_id' });
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(input.timestamp))
    throw new AppError('BAD_INPUT', 'timestamp must be yyyy-MM-dd HH:mm:ss', { field: 'timestamp' });
  const msg: YimaMessage = {
    request_type: 'bcm_orderquery_request',
    isspid: m.isspid,
    system_id: m.systemId,
    user_id: input.userId ?? '',
    timestamp: input.timestamp,
  };
  if (input.tid !== undefined && input.tid !== '') msg.tid = input.tid;
  msg.order_id = input.orderId;
  msg.channel = input.channel ?? '';
  return msg;
}

/** Terminal binding [guess]: 4.1 is not in our material; modelled on the documented `bind_pos_request`. */
export function bindPosMessage(m: YimaMerchant, posSeq: string, storeName: string, userId?: string): YimaMessage {
  assertPosSeq(posSeq);
  checkLength('store_name', storeName, 64, true);
  const msg = header(m, 'bind_pos_request', posSeq, userId);
  msg.bind_pos_request = { pos_id: m.posId, store_info: { store_id: m.storeId, store_name: storeName } };
  return msg;
}
