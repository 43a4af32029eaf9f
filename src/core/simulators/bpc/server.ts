import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
/**
 * The HTTP face of the training bank: one loopback node:http server carrying the BPC endpoint (real wire
 * protocol, seed §2) and the trainer API under /sim. Faults are applied here, around the engine.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../../../shared/errors';
import { signBpcBody, verifyBpcSign } from '../../gateways/bpc/sign';
import { readRequestBody } from '../../net';
import { silentLogger } from '../../util/logger';
import { BpcSimEngine, SIM_CODES, type Answer } from './engine';
import { isHttpUrl, sendNotifications, sleep } from './notify';
import { TRAINER_MAX_BODY, routeTrainer } from './trainer';
import type { BpcSimulator, BpcSimulatorOptions, Fault, FaultOptions, FaultTarget, NotifyPlan, NotifyResult, PaymentScript, RecordedRequest } from './types';

/** The endpoint path, as in the seed's test URL (…/comlink/payApi). */
export const BPC_PAY_PATH = '/comlink/payApi';
/** BPC bodies are a few hundred bytes; anything above this is refused with 413. */
export const BPC_MAX_BODY = 64 * 1024;
/** Request log bound; the oldest entries go first. */
export const MAX_RECORDED_REQUESTS = 10_000;
const MAX_LOGGED_BODY_CHARS = 16 * 1024;
/** Past this much discarded oversize input the connection is cut instead of drained. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;
const MAX_FAULTS = 1_000;
const DEFAULT_SCRIPT: PaymentScript = { kind: 'pay_after_queries', queries: 1 };
const PROXY_ERROR_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const FAULT_TARGETS: readonly FaultTarget[] = ['F', 'G', 'R', 'J', 'S', '*'];

interface FaultEntry {
  target: FaultTarget;
  fault: Fault;
  remaining: number;
  after: boolean;
}

interface ParsedRequest {
  tranType: string;
  /** String-valued fields (what the log shows); null when not a JSON object. */
  fields: Record<string, string> | null;
  /** Why the body cannot be processed, or null when every value is a string. */
  problem: string | null;
}

/** Read a JSON request tolerantly: learn what we can (tranType for faults and logs) even from a bad body. */
export function parseBpcRequest(text: string): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { tranType: '', fields: null, problem: '报文格式错误: 不是 JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { tranType: '', fields: null, problem: '报文格式错误: 不是 JSON 对象' };
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const strings = entries.filter((e): e is [string, string] => typeof e[1] === 'string');
  const nonString = entries.find((e) => typeof e[1] !== 'string');
  // Object.fromEntries defines own properties, so a "__proto__" key stays a harmless plain field.
  const fields = Object.fromEntries(strings);
  return {
    tranType: fields.tranType ?? '',
    fields,
    problem: nonString === undefined ? null : `报文格式错误: 字段 ${nonString[0].slice(0, 32)} 必须为字符串`,
  };
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  const { bytes, tooLarge } = await readRequestBody(req, limit, MAX_DRAIN_BYTES);
  return { text: bytes.toString('utf8'), tooLarge };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Start the training bank on 127.0.0.1. Resolves once listening; rejects with CONFIG_INVALID for bad
 * options or a port that cannot be bound. Never crashes on any request.
 */
export async function startBpcSimulator(options: BpcSimulatorOptions): Promise<BpcSimulator> {
  if (typeof options.key !== 'string' || options.key === '') throw new AppError('CONFIG_INVALID', 'simulator key is required', { field: 'key' });
  if (typeof options.mid !== 'string' || options.mid === '') throw new AppError('CONFIG_INVALID', 'simulator mid is required', { field: 'mid' });
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('CONFIG_INVALID', 'port must be 0..65535', { field: 'port' });

  const key = options.key;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const requireSignature = options.requireSignature ?? true;
  const signResponses = options.signResponses ?? true;
  const notifyRetUrl = options.notifyRetUrl ?? true;
  const closing = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  const pendingNotifications = new Set<Promise<unknown>>();
  const faults: FaultEntry[] = [];
  const log: RecordedRequest[] = [];
  let seq = 0;
  let closed = false;

  const schedule = (ms: number, fn: () => void): void => {
    if (closed) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        try {
          fn();
        } catch (err) {
          logger.error('bpc-sim timer failed', err);
        }
      },
      Math.min(Math.max(0, ms), 2_147_483_647),
    );
    timer.unref();
    timers.add(timer);
  };

  const track = <T>(p: Promise<T>): Promise<T> => {
    pendingNotifications.add(p);
    const done = (): void => {
      pendingNotifications.delete(p);
    };
    p.then(done, done);
    return p;
  };

  /** Writes the state file now (atomically: temp file + rename). */
  const persistNow = (): void => {
    if (options.stateFile === undefined) return;
    try {
      const tmp = `${options.stateFile}.tmp`;
      writeFileSync(tmp, JSON.stringify(engine.exportState()), { mode: 0o600 });
      renameSync(tmp, options.stateFile);
    } catch (err) {
      logger.error('bpc-sim could not save its state', err);
    }
  };
  /** Written synchronously after each change, like a bank's own commit (training traffic is tiny). */
  const persist = (): void => {
    if (options.stateFile !== undefined && !closed) persistNow();
  };

  const engine = new BpcSimEngine({
    mid: options.mid,
    now,
    schedule,
    defaultScript: options.defaultScript ?? DEFAULT_SCRIPT,
    onPaid: (sysTrace, plan, retUrl) => {
      const target: NotifyPlan | null = plan ?? (notifyRetUrl && retUrl !== null && isHttpUrl(retUrl) ? { url: retUrl } : null);
      if (target === null || closed) return;
      const body = engine.notificationBody(sysTrace);
      if (body === undefined) return;
      track(sendNotifications(body, target, key, closing.signal)).then(
        (results) => logger.info('bpc-sim notification sent', { sysTrace, results: results.map((r) => r.status) }),
        (err: unknown) => logger.warn('bpc-sim notification abandoned', { sysTrace, error: String(err) }),
      );
    },
  });

  const takeFault = (tranType: string): FaultEntry | null => {
    const i = faults.findIndex((f) => f.target === '*' || f.target === tranType);
    const hit = faults[i];
    if (hit === undefined) return null;
    hit.remaining -= 1;
    if (hit.remaining <= 0) faults.splice(i, 1);
    return hit;
  };

  const record = (entry: RecordedRequest): RecordedRequest => {
    log.push(entry);
    if (log.length > MAX_RECORDED_REQUESTS) log.shift();
    return entry;
  };

  const send = (res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  const sendAnswer = (res: http.ServerResponse, text: string, signKey: string | null): void => {
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8' };
    if (signKey !== null) headers.sign = signBpcBody(text, signKey);
    send(res, 200, text, headers);
  };

  const writeFault = (req: http.IncomingMessage, res: http.ServerResponse, fault: Fault, answer: Answer | null): void => {
    const fallback: Answer = { mid: options.mid, respCode: SIM_CODES.system.code, respMsg: SIM_CODES.system.msg };
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'html':
        send(res, 200, PROXY_ERROR_PAGE, { 'content-type': 'text/html; charset=utf-8' });
        return;
      case 'garbage': {
        const text = JSON.stringify(answer ?? fallback);
        const cut = Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'utf8');
        send(res, 200, Buffer.concat([cut, Buffer.from([0xff, 0xfe, 0x00, 0x1b])]), { 'content-type': 'application/json;charset=UTF-8' });
        return;
      }
      case 'missing_resp_code': {
        const { respCode: _dropped, ...rest } = answer ?? { mid: options.mid, respCode: '', respMsg: '系统繁忙' };
        sendAnswer(res, JSON.stringify(rest), signResponses ? key : null);
        return;
      }
      case 'http_500':
        send(res, 500, 'Internal Server Error', { 'content-type': 'text/plain; charset=utf-8' });
        return;
      case 'bad_sign':
        sendAnswer(res, JSON.stringify(answer ?? fallback), `${key}#wrong`);
        return;
      case 'delay':
        // Delays are applied by the caller around processing; reaching here means "answer now".
        sendAnswer(res, JSON.stringify(answer ?? fallback), signResponses ? key : null);
        return;
    }
  };

  const process_ = (parsed: ParsedRequest, signOk: boolean, signGiven: boolean): Answer => {
    if (requireSignature && !signOk) {
      return { mid: options.mid, respCode: SIM_CODES.badSign.code, respMsg: signGiven ? SIM_CODES.badSign.msg : `${SIM_CODES.badSign.msg}: 缺少 sign` };
    }
    if (parsed.fields === null || parsed.problem !== null) {
      return { mid: options.mid, respCode: SIM_CODES.format.code, respMsg: parsed.problem ?? SIM_CODES.format.msg };
    }
    const answer = engine.handle(parsed.fields);
    persist();
    return answer;
  };

  const tell = async (entry: RecordedRequest, phase: 'received' | 'processed'): Promise<void> => {
    if (options.onRequest === undefined) return;
    try {
      await options.onRequest(entry, phase);
    } catch (err) {
      logger.warn('bpc-sim onRequest hook failed', err);
    }
  };

  const handleBpc = async (req: http.IncomingMessage, res: http.ServerResponse, text: string): Promise<void> => {
    const parsed = parseBpcRequest(text);
    const sign = headerText(req.headers.sign);
    const signOk = verifyBpcSign(text, key, sign);
    const entry = record({
      seq: (seq += 1),
      at: now(),
      tranType: parsed.tranType.slice(0, 16),
      body: parsed.fields,
      rawBody: text.length > MAX_LOGGED_BODY_CHARS ? text.slice(0, MAX_LOGGED_BODY_CHARS) : text,
      signOk,
      answeredCode: null,
      fault: null,
    });
    await tell(entry, 'received');
    const hit = takeFault(parsed.tranType);
    if (hit !== null) entry.fault = hit.fault.kind;
    if (hit !== null && !hit.after) {
      if (hit.fault.kind === 'delay') {
        // The request reaches the bank late and is then processed, even if the client gave up meanwhile.
        await sleep(hit.fault.ms, closing.signal);
      } else {
        writeFault(req, res, hit.fault, null);
        logger.info('bpc-sim fault before processing', { tranType: entry.tranType, fault: hit.fault.kind });
        return;
      }
    }
    const answer = process_(parsed, signOk, sign !== undefined);
    entry.answeredCode = answer.respCode ?? null;
    logger.info('bpc-sim request', { tranType: entry.tranType, respCode: entry.answeredCode, fault: entry.fault });
    await tell(entry, 'processed');
    if (hit !== null && hit.after) {
      if (hit.fault.kind === 'delay') await sleep(hit.fault.ms, closing.signal);
      else {
        writeFault(req, res, hit.fault, answer);
        return;
      }
    }
    sendAnswer(res, JSON.stringify(answer), signResponses ? key : null);
  };

  let sim: BpcSimulator | null = null;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const json = { 'content-type': 'application/json;charset=UTF-8' };
    if (path === BPC_PAY_PATH) {
      if (req.method !== 'POST') {
        send(res, 405, JSON.stringify({ respCode: SIM_CODES.format.code, respMsg: 'POST only' }), { ...json, allow: 'POST' });
        return;
      }
      const { text, tooLarge } = await readBody(req, BPC_MAX_BODY);
      if (tooLarge) {
        send(res, 413, 'Payload Too Large', { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        return;
      }
      await handleBpc(req, res, text);
      return;
    }
    if ((path === '/sim' || path.startsWith('/sim/')) && sim !== null) {
      const { text, tooLarge } = await readBody(req, TRAINER_MAX_BODY);
      if (tooLarge) {
        send(res, 413, JSON.stringify({ ok: false, error: 'BAD_INPUT', message: 'body too large' }), { ...json, connection: 'close' });
        return;
      }
      const reply = await routeTrainer(sim, req.method ?? 'GET', path.slice('/sim'.length), text);
      send(res, reply.status, JSON.stringify(reply.json), json);
      return;
    }
    send(res, 404, 'Not Found', { 'content-type': 'text/plain; charset=utf-8' });
  };

  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!closed) logger.error('bpc-sim request failed', err);
      if (!res.headersSent && !res.destroyed) send(res, 500, 'Internal Server Error', { 'content-type': 'text/plain; charset=utf-8' });
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(new AppError('CONFIG_INVALID', `simulator cannot listen on 127.0.0.1:${port}: ${err.message}`, { field: 'port' }));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  if (options.stateFile !== undefined && existsSync(options.stateFile)) {
    try {
      const loaded = engine.importState(JSON.parse(readFileSync(options.stateFile, 'utf8')));
      logger.info('bpc-sim state loaded', { orders: loaded });
    } catch (err) {
      logger.warn('bpc-sim state file unreadable; starting empty', err);
    }
  }
  server.on('error', (err) => logger.error('bpc-sim server error', err));
  const boundPort = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${boundPort}`;

  sim = {
    url: `${base}${BPC_PAY_PATH}`,
    port: boundPort,
    trainerUrl: `${base}/sim`,
    scriptNext: (script, notify) => engine.scriptNext(script, notify ?? null),
    setDefaultScript: (script) => engine.setDefaultScript(script),
    scriptNextRefund: (script) => engine.scriptNextRefund(script),
    injectFault: (tranType: FaultTarget, fault: Fault, opts?: FaultOptions) => {
      if (!FAULT_TARGETS.includes(tranType)) throw new AppError('BAD_INPUT', `unknown fault target ${String(tranType)}`, { field: 'tranType' });
      const count = opts?.count ?? 1;
      if (!Number.isSafeInteger(count) || count < 1) throw new AppError('BAD_INPUT', 'fault count must be an integer ≥ 1', { field: 'count' });
      if (fault.kind === 'delay' && (!Number.isFinite(fault.ms) || fault.ms < 0)) throw new AppError('BAD_INPUT', 'delay ms must be ≥ 0', { field: 'ms' });
      if (faults.length >= MAX_FAULTS) throw new AppError('BAD_INPUT', 'too many queued faults');
      faults.push({ target: tranType, fault: { ...fault }, remaining: count, after: opts?.after ?? false });
    },
    pay: (id, payType) => {
      const paid = engine.pay(id, payType);
      persist();
      return paid;
    },
    payOnClose: (sysTrace) => {
      if (!engine.payOnClose(sysTrace)) logger.warn('bpc-sim payOnClose for an unknown order', { sysTrace });
    },
    notify: async (sysTrace: string, plan: NotifyPlan): Promise<NotifyResult[]> => {
      if (closed) throw new AppError('INVALID_STATE', 'simulator is closed');
      if (!isHttpUrl(plan.url)) throw new AppError('BAD_INPUT', 'notification url must be http(s)', { field: 'url' });
      const body = engine.notificationBody(sysTrace);
      if (body === undefined) {
        const order = engine.order(sysTrace);
        if (order === undefined) throw new AppError('NOT_FOUND', 'no such order', { field: 'sysTrace' });
        throw new AppError('INVALID_STATE', `order is ${order.state}, only paid orders are notified`, { field: 'sysTrace' });
      }
      return await track(sendNotifications(body, plan, key, closing.signal));
    },
    order: (id) => engine.order(id),
    orders: () => engine.orders(),
    requests: () => log.map((r) => ({ ...r, body: r.body === null ? null : { ...r.body } })),
    countRequests: (tranType, filter) =>
      log.filter((r) => r.tranType === tranType && (filter === undefined || (r.body !== null && filter({ ...r.body })))).length,
    reset: () => {
      engine.reset();
      faults.length = 0;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      persistNow();
      closing.abort();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...pendingNotifications]);
    },
  };
  return sim;
}
