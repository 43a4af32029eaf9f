/**
 * The trainer's control API under /sim on the simulator's own loopback server (no signature: it only
 * steers a training bank). Bodies are small JSON objects; every input is validated here.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { isHttpUrl } from './notify';
import type { BpcSimulator } from './types';

/** Trainer request bodies are tiny; anything bigger is refused with 413. */
export const TRAINER_MAX_BODY = 4 * 1024;

const payType = z.enum(['ZFBA', 'WEIX', 'UPAY']);
const count = z.number().int().min(0).max(1_000_000);

const paymentScript = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pay_after_queries'), queries: count, payType: payType.optional() }),
  z.object({ kind: z.literal('pay_after_ms'), ms: z.number().int().min(0).max(86_400_000), payType: payType.optional() }),
  z.object({ kind: z.literal('waiting') }),
  z.object({ kind: z.literal('unknown_then'), queries: count, then: z.enum(['paid', 'failed']) }),
  z.object({ kind: z.literal('fail') }),
  z.object({
    kind: z.literal('reject_create'),
    respCode: z
      .string()
      .regex(/^[0-9A-Za-z]{2}$/)
      .refine((c) => c !== '00', 'must not be 00'),
    respMsg: z.string().max(100),
  }),
  z.object({ kind: z.literal('manual') }),
]);

const refundScript = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('success') }),
  z.object({ kind: z.literal('unknown_then'), queries: count, then: z.enum(['success', 'failed']) }),
  z.object({ kind: z.literal('fail') }),
]);

const fault = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('delay'), ms: z.number().int().min(0).max(600_000) }),
  z.object({ kind: z.literal('reset') }),
  z.object({ kind: z.literal('html') }),
  z.object({ kind: z.literal('garbage') }),
  z.object({ kind: z.literal('missing_resp_code') }),
  z.object({ kind: z.literal('http_500') }),
  z.object({ kind: z.literal('bad_sign') }),
]);

/** Trainer-supplied notification targets must be on this machine: the simulator is no open relay. */
const loopbackUrl = z.string().refine((u) => {
  if (!isHttpUrl(u)) return false;
  const host = new URL(u).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}, 'must be an http(s) URL on 127.0.0.1 / localhost');

const notifyPlan = z.object({
  url: loopbackUrl,
  count: z.number().int().min(1).max(20).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  signed: z.boolean().optional(),
  forged: z.boolean().optional(),
});

const schemas = {
  pay: z.object({ scanCode: z.string().max(200).optional(), sysTrace: z.string().max(64).optional(), payType: payType.optional() }),
  script: z.object({ script: paymentScript, notify: notifyPlan.optional() }),
  defaultScript: z.object({ script: paymentScript }),
  refundScript: z.object({ script: refundScript }),
  fault: z.object({
    tranType: z.enum(['F', 'G', 'R', 'J', 'S', '*']),
    fault,
    count: z.number().int().min(1).max(1_000).optional(),
    after: z.boolean().optional(),
  }),
  trace: z.object({ sysTrace: z.string().min(1).max(64) }),
  notify: z.object({ sysTrace: z.string().min(1).max(64), plan: notifyPlan }),
};

export interface TrainerReply {
  status: number;
  json: unknown;
}

function parse<T>(schema: z.ZodType<T>, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new AppError('BAD_INPUT', 'body is not JSON');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new AppError('BAD_INPUT', `invalid body${where === '' ? '' : ` at ${where}`}: ${issue?.message ?? 'invalid'}`, { field: where });
  }
  return result.data;
}

const ok = (json: unknown): TrainerReply => ({ status: 200, json });

/**
 * Route one trainer request. `path` is below /sim (e.g. "/pay"). Returns the HTTP status and JSON;
 * expected failures come back as 400/404/409 with `{ ok: false, error: code, message }`, never a throw.
 */
export async function routeTrainer(sim: BpcSimulator, method: string, path: string, bodyText: string): Promise<TrainerReply> {
  try {
    if (method === 'GET' && path === '/orders') return ok({ ok: true, orders: sim.orders().slice(-200) });
    if (method === 'GET' && path.startsWith('/orders/')) {
      const id = decodeURIComponent(path.slice('/orders/'.length));
      const order = sim.order(id);
      return order === undefined ? { status: 404, json: { ok: false, error: 'NOT_FOUND', message: 'no such order' } } : ok(order);
    }
    if (method !== 'POST') return { status: 404, json: { ok: false, error: 'NOT_FOUND', message: 'no such trainer route' } };
    switch (path) {
      case '/pay': {
        const b = parse(schemas.pay, bodyText);
        const id = b.sysTrace ?? b.scanCode;
        if (id === undefined) throw new AppError('BAD_INPUT', 'give scanCode or sysTrace', { field: 'scanCode' });
        const before = sim.order(id);
        if (before === undefined) return { status: 404, json: { ok: false, error: 'NOT_FOUND', message: 'no such order' } };
        const paid = sim.pay(id, b.payType);
        const order = sim.order(id);
        return paid ? ok({ ok: true, order }) : { status: 409, json: { ok: false, error: 'INVALID_STATE', message: `order is ${before.state}`, order } };
      }
      case '/script': {
        const b = parse(schemas.script, bodyText);
        sim.scriptNext(b.script, b.notify);
        return ok({ ok: true });
      }
      case '/default-script':
        sim.setDefaultScript(parse(schemas.defaultScript, bodyText).script);
        return ok({ ok: true });
      case '/refund-script':
        sim.scriptNextRefund(parse(schemas.refundScript, bodyText).script);
        return ok({ ok: true });
      case '/fault': {
        const b = parse(schemas.fault, bodyText);
        sim.injectFault(b.tranType, b.fault, { count: b.count, after: b.after });
        return ok({ ok: true });
      }
      case '/pay-on-close':
        sim.payOnClose(parse(schemas.trace, bodyText).sysTrace);
        return ok({ ok: true });
      case '/notify': {
        const b = parse(schemas.notify, bodyText);
        return ok({ ok: true, results: await sim.notify(b.sysTrace, b.plan) });
      }
      case '/reset':
        sim.reset();
        return ok({ ok: true });
      default:
        return { status: 404, json: { ok: false, error: 'NOT_FOUND', message: 'no such trainer route' } };
    }
  } catch (err) {
    if (err instanceof AppError) {
      const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'INVALID_STATE' ? 409 : 400;
      return { status, json: { ok: false, error: err.code, message: err.message } };
    }
    throw err;
  }
}
