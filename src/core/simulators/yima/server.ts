/**
 * Yima training gateway: one loopback node:http server speaking Yima's wire format (JSON signed with the
 * selected rule, GBK XML raw or as a form `xml=&mac=`; answers in the envelope the request came in). It
 * enforces what the platform would: signature, our isspid, pos_seq never reused, the terminal rule,
 * tx_amt, every split rule (its own implementation), and plays scripted outcomes and faults.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../../shared/errors';
import { encodeLike, parseYimaBody, signatureState, type ParsedBody } from '../../gateways/yima/codec';
import { isYimaSignRule, type YimaSignRule } from '../../gateways/yima/sign';
import type { YimaMessage, YimaResponse, YimaValue } from '../../gateways/yima/wire';
import { silentLogger, type Logger } from '../../util/logger';
import { simSplitProblem } from './split-check';

export const YIMA_SIM_PATH = '/ipos-sa/gateway';
export const YIMA_SIM_MAX_BODY = 64 * 1024;
const MAX_LOG = 10_000;

/** Failure ids the training gateway answers with [guess, modelled on the sister platform's]. */
export const YIMA_SIM_CODES = {
  ok: { id: '0000', comment: '成功' },
  pushed: { id: '9998', comment: '创建订单成功' },
  waiting: { id: '9998', comment: '等待用户刷卡' },
  badSign: { id: '6100', comment: '签名校验失败' },
  format: { id: '4000', comment: '报文格式错误' },
  merchant: { id: '4001', comment: '商户号不存在' },
  duplicateSeq: { id: '4002', comment: 'pos_seq 重复' },
  terminal: { id: '4003', comment: 'pos_sn 与 terminal_id 不可同时使用' },
  noTerminal: { id: '4004', comment: '未指定刷卡设备, 订单未推送' },
  amount: { id: '4005', comment: '订单金额错误' },
  split: { id: '4006', comment: '分账信息错误' },
  notFound: { id: '7001', comment: '订单不存在' },
  alreadyBound: { id: '4007', comment: '终端已绑定' },
  declined: { id: '9990', comment: '交易失败' },
} as const;

/**
 * `noAmount`: the paid result (and its notification) carries no amount in bcm_res_info, as the
 * documented field list has none; the order query still reports trade_amount.
 */
export type YimaSimScript =
  /** The result query answers 9998 `polls` times, then paid. 0 = paid on the first poll. */
  | { kind: 'pay_after_polls'; polls: number; noAmount?: boolean }
  /** The customer's card is declined on the terminal. */
  | { kind: 'decline'; comment?: string }
  /** Never paid: 9998 forever. */
  | { kind: 'never' }
  /** 9998 until `pay(posSeq)` is called. */
  | { kind: 'manual'; noAmount?: boolean };

export type YimaSimFault =
  | { kind: 'delay'; ms: number }
  /** The request is never answered (held until the client gives up or the simulator closes). */
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'html' }
  | { kind: 'garbage' }
  | { kind: 'http_500' }
  | { kind: 'bad_sign' }
  /** The answer without its signature (JSON `sign` / form `mac` dropped). */
  | { kind: 'unsigned' }
  /** The answer cut off half way (truncated JSON, truncated GBK XML). Always after processing. */
  | { kind: 'truncate' }
  /**
   * The answer with these fields replaced, correctly signed (another pos_seq, another isspid, another
   * amount…); an object value is merged into the object it replaces (e.g. `bcm_res_info`). Always after processing.
   */
  | { kind: 'rewrite'; fields: Record<string, YimaValue> }
  /** The previous answer to the same request type, byte for byte (a replay). Always after processing. */
  | { kind: 'replay' };

export type YimaSimTarget = 'bcm_ordercreate_request' | 'bcm_resultquery_request' | 'bcm_orderquery_request' | 'bind_pos_request' | '*';

export interface YimaNotifyPlan {
  /** Default: the create's notify_url. */
  url?: string;
  /** How many identical notifications (Yima-family platforms retry 3 times). */
  count?: number;
  delayMs?: number;
  /** Signed with a wrong key. */
  forged?: boolean;
}

export interface YimaSimOrder {
  posSeq: string;
  amountFen: number;
  terminalId: string;
  posSn: string;
  state: 'waiting' | 'paid' | 'declined';
  polls: number;
  orderId: string;
  cardNo: string;
  refNo: string;
  batchNo: string;
  traceNo: string;
  notifyUrl: string;
  format: 'json' | 'xml';
  transport: 'json' | 'raw' | 'form';
  script: YimaSimScript;
  notify: YimaNotifyPlan | null;
  declineComment: string;
}

export interface YimaSimRequest {
  seq: number;
  requestType: string;
  format: 'json' | 'xml' | '';
  transport: 'json' | 'raw' | 'form' | '';
  posSeq: string;
  /** The raw bytes received. */
  raw: Buffer;
  answeredId: string | null;
  fault: YimaSimFault['kind'] | null;
}

export interface YimaSimulatorOptions {
  isspid: string;
  key: string;
  signRule: YimaSignRule;
  port?: number;
  /** Refuse JSON without a valid sign and forms without a valid mac (default true). */
  requireSignature?: boolean;
  /** Sign JSON answers / mac form answers (default true). */
  signResponses?: boolean;
  defaultScript?: YimaSimScript;
  logger?: Logger;
  now?: () => number;
  /**
   * Keep the orders and every pos_seq ever seen in this JSON file (loaded at start, written after every
   * change), so a restarted simulator remembers them as the platform would (the chaos run restarts it).
   */
  stateFile?: string;
  /**
   * Test rigs only (the chaos run): told when a request has reached the simulator ('received', before it
   * is processed) and when it has been processed ('processed', before the answer leaves), so a rig can
   * kill the app at exactly that moment. A throw is logged and ignored.
   */
  onRequest?: (entry: YimaSimRequest, phase: 'received' | 'processed') => void;
}

export interface YimaSimulator {
  url: string;
  port: number;
  /** The signing rule can be switched, as an installer would after "check a rule". */
  setSignRule(rule: YimaSignRule): void;
  scriptNext(script: YimaSimScript, notify?: YimaNotifyPlan): void;
  setDefaultScript(script: YimaSimScript): void;
  injectFault(target: YimaSimTarget, fault: YimaSimFault, opts?: { count?: number; after?: boolean }): void;
  /** Pay a `manual` / `never` order now (a trainer's button). */
  pay(posSeq: string): boolean;
  /** The customer's card is declined now on a waiting order (a trainer's button). */
  decline(posSeq: string, comment?: string): boolean;
  /** Send the paid order's notification now (same format as its create). */
  notify(posSeq: string, plan?: YimaNotifyPlan): Promise<number[]>;
  order(posSeq: string): YimaSimOrder | undefined;
  /** The store a pos_id was bound to, if it was. */
  binding(posId: string): { storeId: string; storeName: string } | undefined;
  requests(): YimaSimRequest[];
  countRequests(requestType?: string): number;
  reset(): void;
  close(): Promise<void>;
}

const str = (v: YimaValue | undefined): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: YimaValue | undefined): Record<string, YimaValue> | null =>
  v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) ? v : null;

function stamp(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** An encoded answer with its signature taken out (JSON `sign`, form `&mac=`); raw XML carries none. */
function unsignedBody(body: Buffer, transport: YimaResponse['transport']): Buffer {
  if (transport === 'json') {
    const { sign: _s, ...rest } = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify(rest), 'utf8');
  }
  if (transport === 'form') {
    const text = body.toString('latin1');
    return Buffer.from(text.replace(/&mac=[^&]*/, ''), 'latin1');
  }
  return body;
}

export async function startYimaSimulator(options: YimaSimulatorOptions): Promise<YimaSimulator> {
  if (options.key === '') throw new AppError('CONFIG_INVALID', 'simulator key is required', { field: 'key' });
  if (options.isspid === '') throw new AppError('CONFIG_INVALID', 'simulator isspid is required', { field: 'isspid' });
  if (!isYimaSignRule(options.signRule)) throw new AppError('CONFIG_INVALID', 'unknown signing rule', { field: 'signRule' });
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const key = options.key;
  const requireSignature = options.requireSignature ?? true;
  const signResponses = options.signResponses ?? true;
  let signRule = options.signRule;
  let defaultScript: YimaSimScript = options.defaultScript ?? { kind: 'pay_after_polls', polls: 1 };
  const scripted: { script: YimaSimScript; notify: YimaNotifyPlan | null }[] = [];
  const faults: { target: YimaSimTarget; fault: YimaSimFault; remaining: number; after: boolean }[] = [];
  const orders = new Map<string, YimaSimOrder>();
  /** Bound terminals: pos_id → store. */
  const bindings = new Map<string, { storeId: string; storeName: string }>();
  /** The last answer sent per request type (for the replay fault). */
  const lastAnswers = new Map<string, { body: Buffer; contentType: string }>();
  const usedSeqs = new Set<string>();
  const log: YimaSimRequest[] = [];
  const closing = new AbortController();
  const pending = new Set<Promise<unknown>>();
  let seq = 0;
  let serial = 0;
  let closed = false;

  /** Written synchronously after each change (temp file + rename), like the platform's own commit. */
  const persist = (): void => {
    if (options.stateFile === undefined || closed) return;
    try {
      const tmp = `${options.stateFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ orders: [...orders.values()], usedSeqs: [...usedSeqs], serial }), { mode: 0o600 });
      renameSync(tmp, options.stateFile);
    } catch (err) {
      logger.error('yima-sim could not save its state', err);
    }
  };
  if (options.stateFile !== undefined && existsSync(options.stateFile)) {
    try {
      const state = JSON.parse(readFileSync(options.stateFile, 'utf8')) as { orders: YimaSimOrder[]; usedSeqs: string[]; serial: number };
      for (const o of state.orders) orders.set(o.posSeq, o);
      for (const q of state.usedSeqs) usedSeqs.add(q);
      serial = state.serial;
    } catch (err) {
      logger.warn('yima-sim state file unreadable; starting empty', err);
    }
  }
  const tell = (entry: YimaSimRequest, phase: 'received' | 'processed'): void => {
    try {
      options.onRequest?.(entry, phase);
    } catch (err) {
      logger.warn('yima-sim onRequest hook failed', err);
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, Math.min(ms, 2_147_483_647));
      closing.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });

  const answerFor = (
    req: YimaResponse,
    requestType: string,
    posSeq: string,
    result: { id: string; comment: string },
    extra: Record<string, YimaValue> = {},
  ): YimaMessage => ({
    response_type: requestType.replace(/_request$/, '_response'),
    isspid: options.isspid,
    pos_id: str(req.fields.pos_id),
    pos_seq: posSeq,
    trans_time: stamp(now()),
    sys_seq: (now().toString(16) + String((serial += 1)).padStart(4, '0')).slice(-16),
    result,
    ...extra,
  });

  const encodeAnswer = (like: YimaResponse, message: YimaMessage, wrongKey = false): { body: Buffer; contentType: string } => {
    const k = wrongKey ? `${key}#wrong` : key;
    const encoded = encodeLike(like, message, signRule, k);
    if (!signResponses && like.format === 'json') {
      const { sign: _s, ...rest } = JSON.parse(encoded.body.toString('utf8')) as Record<string, unknown>;
      return { body: Buffer.from(JSON.stringify(rest), 'utf8'), contentType: encoded.contentType };
    }
    return encoded;
  };

  const resInfo = (o: YimaSimOrder): Record<string, YimaValue> => ({
    org_pos_seq: o.posSeq,
    order_id: o.orderId,
    mid: '898310048990001',
    tid: '10459070',
    batch_no: o.batchNo,
    trace_no: o.traceNo,
    ref_no: o.refNo,
    card_no: o.cardNo,
    ...((o.script.kind === 'pay_after_polls' || o.script.kind === 'manual') && o.script.noAmount === true ? {} : { tx_amt: String(o.amountFen) }),
  });

  const settle = (o: YimaSimOrder): void => {
    if (o.state !== 'waiting') return;
    if (o.script.kind === 'decline') {
      o.state = 'declined';
      o.declineComment = o.script.comment ?? '交易失败: 卡余额不足';
    } else if (o.script.kind === 'pay_after_polls' && o.polls > o.script.polls) markPaid(o);
  };

  const markPaid = (o: YimaSimOrder): void => {
    if (o.state !== 'waiting') return;
    o.state = 'paid';
    const plan = o.notify ?? (o.notifyUrl !== '' ? { url: o.notifyUrl } : null);
    if (plan !== null) {
      const p = sendNotifications(o, plan).catch((err: unknown) => {
        logger.warn('yima-sim notification failed', { error: String(err) });
        return [];
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  };

  const notificationBody = (o: YimaSimOrder, forged: boolean): { body: Buffer; contentType: string } => {
    const like = { format: o.format, transport: o.transport } as YimaResponse;
    const message: YimaMessage = {
      response_type: 'bcm_resultquery_response',
      isspid: options.isspid,
      pos_seq: o.posSeq,
      trans_time: stamp(now()),
      result: { ...YIMA_SIM_CODES.ok },
      bcm_res_info: resInfo(o),
    };
    const encoded = encodeLike(like, message, signRule, forged ? `${key}#forged` : key);
    return { body: encoded.body, contentType: encoded.contentType };
  };

  const sendNotifications = async (o: YimaSimOrder, plan: YimaNotifyPlan): Promise<number[]> => {
    const url = plan.url ?? o.notifyUrl;
    const count = Math.min(Math.max(1, Math.floor(plan.count ?? 1)), 10);
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      if ((plan.delayMs ?? 0) > 0) await sleep(plan.delayMs ?? 0);
      if (closed) break;
      const { body, contentType } = notificationBody(o, plan.forged === true);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: new Uint8Array(body),
          signal: AbortSignal.any([closing.signal, AbortSignal.timeout(5000)]),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch {
        statuses.push(0);
      }
    }
    return statuses;
  };

  const create = (r: YimaResponse, posSeq: string): YimaMessage => {
    const rt = 'bcm_ordercreate_request';
    const b = obj(r.fields[rt]);
    if (b === null) return answerFor(r, rt, posSeq, YIMA_SIM_CODES.format);
    const terminalId = str(b.terminal_id);
    const posSn = str(b.pos_sn);
    if (terminalId !== '' && posSn !== '') return answerFor(r, rt, posSeq, YIMA_SIM_CODES.terminal);
    if (terminalId === '' && posSn === '') return answerFor(r, rt, posSeq, YIMA_SIM_CODES.noTerminal);
    const amt = str(b.tx_amt);
    if (!/^[1-9][0-9]{0,8}$/.test(amt)) return answerFor(r, rt, posSeq, YIMA_SIM_CODES.amount);
    const amountFen = Number(amt);
    const problem = simSplitProblem(b.extend_params, amountFen);
    if (problem !== null) return answerFor(r, rt, posSeq, { id: YIMA_SIM_CODES.split.id, comment: `${YIMA_SIM_CODES.split.comment}: ${problem}` });
    const next = scripted.shift() ?? { script: defaultScript, notify: null };
    serial += 1;
    const order: YimaSimOrder = {
      posSeq,
      amountFen,
      terminalId,
      posSn,
      state: 'waiting',
      polls: 0,
      orderId: `YM${stamp(now())}${String(serial).padStart(6, '0')}`,
      cardNo: `622588******${String(1000 + (serial % 9000))}`,
      refNo: String(100000000000 + serial).slice(-12),
      batchNo: '000001',
      traceNo: String(serial).padStart(6, '0'),
      notifyUrl: str(b.notify_url),
      format: r.format,
      transport: r.transport,
      script: { ...next.script },
      notify: next.notify,
      declineComment: '',
    };
    orders.set(posSeq, order);
    return answerFor(r, rt, posSeq, YIMA_SIM_CODES.pushed);
  };

  const resultQuery = (r: YimaResponse, posSeq: string): YimaMessage => {
    const rt = 'bcm_resultquery_request';
    const b = obj(r.fields[rt]);
    const org = b === null ? '' : str(b.org_pos_seq);
    const o = orders.get(org);
    if (o === undefined) return answerFor(r, rt, posSeq, YIMA_SIM_CODES.notFound);
    o.polls += 1;
    settle(o);
    if (o.state === 'paid') return answerFor(r, rt, posSeq, YIMA_SIM_CODES.ok, { bcm_res_info: resInfo(o) });
    if (o.state === 'declined') return answerFor(r, rt, posSeq, { id: YIMA_SIM_CODES.declined.id, comment: o.declineComment });
    return answerFor(r, rt, posSeq, YIMA_SIM_CODES.waiting);
  };

  const orderQuery = (r: YimaResponse): YimaMessage => {
    const rt = 'bcm_orderquery_request';
    const id = str(r.fields.order_id);
    const o = [...orders.values()].find((x) => x.orderId === id);
    if (o === undefined) return answerFor(r, rt, '', YIMA_SIM_CODES.notFound);
    return answerFor(r, rt, '', YIMA_SIM_CODES.ok, {
      order_id: o.orderId,
      trade_amount: String(o.amountFen),
      trade_time: stamp(now()),
      status_trans: o.state === 'paid' ? '1' : o.state === 'declined' ? '2' : '0',
      status_msg: o.state === 'paid' ? '支付成功' : o.state === 'declined' ? '支付失败' : '待支付',
      ...resInfo(o),
    });
  };

  /** Terminal binding [guess body after bind_pos_request]: pos_id + store_info{store_id, store_name}; once per pos_id. */
  const bind = (r: YimaResponse, posSeq: string): YimaMessage => {
    const rt = 'bind_pos_request';
    const b = obj(r.fields[rt]);
    const info = b === null ? null : obj(b.store_info);
    const posId = b === null ? '' : str(b.pos_id);
    if (b === null || info === null || posId === '' || str(info.store_id) === '' || str(info.store_name) === '')
      return answerFor(r, rt, posSeq, { id: YIMA_SIM_CODES.format.id, comment: '绑定信息不完整' });
    if (bindings.has(posId)) return answerFor(r, rt, posSeq, YIMA_SIM_CODES.alreadyBound);
    bindings.set(posId, { storeId: str(info.store_id), storeName: str(info.store_name) });
    return answerFor(r, rt, posSeq, YIMA_SIM_CODES.ok);
  };

  /** Processes one parsed request; the answer is in the request's envelope. */
  const process_ = (parsed: ParsedBody): YimaMessage => {
    const r = parsed.response;
    const requestType = str(r.fields.request_type);
    const posSeq = r.posSeq;
    const sig = signatureState(parsed, signRule, key);
    const signable = r.format === 'json' || parsed.macBytes !== null;
    if (sig === 'bad' || (requireSignature && signable && sig === 'absent')) return answerFor(r, requestType, posSeq, YIMA_SIM_CODES.badSign);
    if (str(r.fields.isspid) !== options.isspid) return answerFor(r, requestType, posSeq, YIMA_SIM_CODES.merchant);
    if (requestType === 'bcm_orderquery_request') return orderQuery(r);
    if (!/^[0-9A-Za-z_-]{13,32}$/.test(posSeq)) return answerFor(r, requestType, posSeq, { id: YIMA_SIM_CODES.format.id, comment: 'pos_seq 必须大于12位' });
    if (usedSeqs.has(posSeq)) return answerFor(r, requestType, posSeq, YIMA_SIM_CODES.duplicateSeq);
    usedSeqs.add(posSeq);
    if (requestType === 'bcm_ordercreate_request') return create(r, posSeq);
    if (requestType === 'bcm_resultquery_request') return resultQuery(r, posSeq);
    if (requestType === 'bind_pos_request') return bind(r, posSeq);
    return answerFor(r, requestType || 'unknown_request', posSeq, { id: YIMA_SIM_CODES.format.id, comment: '未知的请求类型' });
  };

  const takeFault = (requestType: string): { fault: YimaSimFault; after: boolean } | null => {
    const i = faults.findIndex((f) => f.target === '*' || f.target === requestType);
    const hit = faults[i];
    if (hit === undefined) return null;
    hit.remaining -= 1;
    if (hit.remaining <= 0) faults.splice(i, 1);
    return { fault: hit.fault, after: hit.after };
  };

  const send = (res: http.ServerResponse, status: number, body: Buffer | string, contentType: string): void => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  const handleGateway = async (req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): Promise<void> => {
    const parsed = parseYimaBody(raw);
    const entry: YimaSimRequest = { seq: (seq += 1), requestType: '', format: '', transport: '', posSeq: '', raw, answeredId: null, fault: null };
    log.push(entry);
    if (log.length > MAX_LOG) log.shift();
    if ('error' in parsed) {
      send(
        res,
        200,
        JSON.stringify({ result: { ...YIMA_SIM_CODES.format, comment: `${YIMA_SIM_CODES.format.comment}: ${parsed.error}` } }),
        'application/json; charset=UTF-8',
      );
      entry.answeredId = YIMA_SIM_CODES.format.id;
      return;
    }
    const r = parsed.response;
    entry.requestType = str(r.fields.request_type).slice(0, 40);
    entry.format = r.format;
    entry.transport = r.transport;
    entry.posSeq = r.posSeq.slice(0, 40);
    const hit = takeFault(entry.requestType);
    if (hit !== null) entry.fault = hit.fault.kind;
    const applyFault = async (fault: YimaSimFault, answer: YimaMessage | null): Promise<boolean> => {
      switch (fault.kind) {
        case 'delay':
          await sleep(fault.ms);
          return false;
        case 'hang':
          await sleep(600_000);
          req.socket.destroy();
          return true;
        case 'reset':
          req.socket.destroy();
          return true;
        case 'html':
          send(
            res,
            200,
            '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
            'text/html; charset=utf-8',
          );
          return true;
        case 'garbage':
          send(res, 200, Buffer.from([0x7b, 0x22, 0x72, 0x65, 0xff, 0xfe, 0x00, 0x1b]), 'application/json; charset=UTF-8');
          return true;
        case 'http_500':
          send(res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
          return true;
        case 'bad_sign': {
          const a = encodeAnswer(r, answer ?? answerFor(r, entry.requestType, r.posSeq, YIMA_SIM_CODES.waiting), true);
          send(res, 200, a.body, a.contentType);
          return true;
        }
        case 'unsigned': {
          const a = encodeAnswer(r, answer ?? answerFor(r, entry.requestType, r.posSeq, YIMA_SIM_CODES.waiting));
          send(res, 200, unsignedBody(a.body, r.transport), a.contentType);
          return true;
        }
        case 'truncate': {
          const a = encodeAnswer(r, answer ?? answerFor(r, entry.requestType, r.posSeq, YIMA_SIM_CODES.waiting));
          send(res, 200, a.body.subarray(0, Math.floor(a.body.length / 2)), a.contentType);
          return true;
        }
        case 'rewrite': {
          const base = answer ?? answerFor(r, entry.requestType, r.posSeq, YIMA_SIM_CODES.waiting);
          const merged: YimaMessage = { ...base };
          for (const [k, v] of Object.entries(fault.fields)) {
            const was = obj(merged[k]);
            const patch = obj(v);
            merged[k] = was !== null && patch !== null ? { ...was, ...patch } : v;
          }
          const a = encodeAnswer(r, merged);
          send(res, 200, a.body, a.contentType);
          return true;
        }
        case 'replay': {
          const previous = lastAnswers.get(entry.requestType) ?? encodeAnswer(r, answer ?? answerFor(r, entry.requestType, r.posSeq, YIMA_SIM_CODES.waiting));
          send(res, 200, previous.body, previous.contentType);
          return true;
        }
      }
    };
    const afterOnly = hit !== null && (hit.fault.kind === 'truncate' || hit.fault.kind === 'rewrite' || hit.fault.kind === 'replay');
    tell(entry, 'received');
    if (hit !== null && !hit.after && !afterOnly && (await applyFault(hit.fault, null))) return;
    const answer = process_(parsed);
    persist();
    tell(entry, 'processed');
    const result = obj(answer.result);
    entry.answeredId = result === null ? null : str(result.id);
    logger.info('yima-sim request', { requestType: entry.requestType, id: entry.answeredId, fault: entry.fault });
    const a = encodeAnswer(r, answer);
    const previous = lastAnswers.get(entry.requestType);
    lastAnswers.set(entry.requestType, a);
    if (hit !== null && (hit.after || afterOnly)) {
      if (hit.fault.kind === 'replay' && previous !== undefined) {
        send(res, 200, previous.body, previous.contentType);
        return;
      }
      if (await applyFault(hit.fault, answer)) return;
    }
    send(res, 200, a.body, a.contentType);
  };

  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path !== YIMA_SIM_PATH) {
      send(res, 404, 'Not Found', 'text/plain; charset=utf-8');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'POST only', 'text/plain; charset=utf-8');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= YIMA_SIM_MAX_BODY) chunks.push(c);
      else if (size > 8 * YIMA_SIM_MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      if (size > YIMA_SIM_MAX_BODY) {
        send(res, 413, 'Payload Too Large', 'text/plain; charset=utf-8');
        return;
      }
      handleGateway(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!closed) logger.error('yima-sim request failed', err);
        if (!res.headersSent) send(res, 500, 'Internal Server Error', 'text/plain; charset=utf-8');
      });
    });
    req.on('error', () => res.destroy());
  });
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  server.on('clientError', (_e, socket) => socket.destroy());
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AppError('CONFIG_INVALID', `simulator cannot listen on 127.0.0.1:${port}: ${err.message}`, { field: 'port' })));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => logger.error('yima-sim server error', err));
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}${YIMA_SIM_PATH}`,
    port: bound,
    setSignRule: (rule) => {
      if (!isYimaSignRule(rule)) throw new AppError('BAD_INPUT', 'unknown signing rule', { field: 'signRule' });
      signRule = rule;
    },
    scriptNext: (script, notify) => {
      scripted.push({ script: { ...script }, notify: notify ?? null });
    },
    setDefaultScript: (script) => {
      defaultScript = { ...script };
    },
    injectFault: (target, fault, opts) => {
      const count = opts?.count ?? 1;
      if (!Number.isSafeInteger(count) || count < 1) throw new AppError('BAD_INPUT', 'fault count must be ≥ 1', { field: 'count' });
      faults.push({ target, fault: { ...fault }, remaining: count, after: opts?.after ?? false });
    },
    pay: (posSeq) => {
      const o = orders.get(posSeq);
      if (o === undefined || o.state !== 'waiting') return false;
      markPaid(o);
      persist();
      return true;
    },
    decline: (posSeq, comment) => {
      const o = orders.get(posSeq);
      if (o === undefined || o.state !== 'waiting') return false;
      o.state = 'declined';
      o.declineComment = comment ?? '交易失败: 卡余额不足';
      persist();
      return true;
    },
    notify: async (posSeq, plan) => {
      const o = orders.get(posSeq);
      if (o === undefined) throw new AppError('NOT_FOUND', 'no such order', { field: 'posSeq' });
      if (o.state !== 'paid') throw new AppError('INVALID_STATE', `order is ${o.state}, only paid orders are notified`);
      return sendNotifications(o, plan ?? { url: o.notifyUrl });
    },
    order: (posSeq) => {
      const o = orders.get(posSeq);
      return o === undefined ? undefined : { ...o, script: { ...o.script } };
    },
    binding: (posId) => {
      const b = bindings.get(posId);
      return b === undefined ? undefined : { ...b };
    },
    requests: () => log.map((e) => ({ ...e })),
    countRequests: (requestType) => (requestType === undefined ? log.length : log.filter((e) => e.requestType === requestType).length),
    reset: () => {
      orders.clear();
      bindings.clear();
      usedSeqs.clear();
      scripted.length = 0;
      faults.length = 0;
      log.length = 0;
      lastAnswers.clear();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      closing.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pending]);
    },
  };
}
