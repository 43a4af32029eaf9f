import { signBpcBody } from '../../gateways/bpc/sign';
import { createHttpTransport, type HttpTransport } from '../../net';
import type { NotifyPlan, NotifyResult } from './types';

/** Each notification POST gives up after this long; the receiver is on loopback. */
const NOTIFY_TIMEOUT_MS = 5_000;
const MAX_NOTIFY_COUNT = 20;
const MAX_NOTIFY_DELAY_MS = 600_000;
const MAX_RESPONSE_CHARS = 4_096;

/** Resolves after `ms`, or rejects when `signal` aborts (the simulator is closing). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, Math.min(ms, 2_147_483_647)),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** true for an absolute http(s) URL. */
export function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * POST the notification `count` times (waiting `delayMs` before each), serialised once and signed over
 * that exact text with header `sign` (or a wrong key when forged, or no header when unsigned). Never
 * rejects for network errors: each attempt reports its own result. Rejects only when `signal` aborts.
 */
export async function sendNotifications(body: Record<string, string>, plan: NotifyPlan, key: string, signal: AbortSignal): Promise<NotifyResult[]> {
  const count = Math.min(Math.max(1, Math.floor(plan.count ?? 1)), MAX_NOTIFY_COUNT);
  const delayMs = Math.min(Math.max(0, Math.floor(plan.delayMs ?? 0)), MAX_NOTIFY_DELAY_MS);
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (plan.forged === true) headers.sign = signBpcBody(text, `${key}#forged`);
  else if (plan.signed !== false) headers.sign = signBpcBody(text, key);

  const results: NotifyResult[] = [];
  // The same HTTP path as the app's gateway clients (src/core/net), no keep-alive needed beyond this plan.
  const transport = createHttpTransport({ connectMs: NOTIFY_TIMEOUT_MS, responseMs: NOTIFY_TIMEOUT_MS, maxResponseBytes: 64 * 1024, connections: 1 });
  try {
    for (let attempt = 1; attempt <= count; attempt += 1) {
      if (delayMs > 0) await sleep(delayMs, signal);
      if (signal.aborted) throw new Error('aborted');
      results.push(await sendOnce(transport, plan.url, text, headers, attempt, signal));
    }
  } finally {
    await transport.close().catch(() => undefined);
  }
  return results;
}

async function sendOnce(
  transport: HttpTransport,
  url: string,
  text: string,
  headers: Record<string, string>,
  attempt: number,
  signal: AbortSignal,
): Promise<NotifyResult> {
  try {
    const res = await transport.send({ url, method: 'POST', headers, body: text, signal });
    const responseText = res.body.toString('utf8').slice(0, MAX_RESPONSE_CHARS);
    let ok = false;
    try {
      const parsed = JSON.parse(responseText) as unknown;
      ok = res.status === 200 && typeof parsed === 'object' && parsed !== null && (parsed as Record<string, unknown>).respCode === '00';
    } catch {
      ok = false;
    }
    return { attempt, ok, status: res.status, responseText, error: null };
  } catch (err) {
    return { attempt, ok: false, status: null, responseText: null, error: err instanceof Error ? err.message : String(err) };
  }
}
