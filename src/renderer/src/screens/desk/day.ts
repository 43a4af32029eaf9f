/**
 * Business-day helpers for the desk screens. A day is `YYYY-MM-DD`; the counter and the host run on
 * the same machine, so "today" is the local calendar day (the host's default business day).
 */

const pad = (n: number): string => String(n).padStart(2, '0');

/** The local calendar day of `ms` (epoch milliseconds) as `YYYY-MM-DD`. */
export function localDay(ms: number = Date.now()): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/**
 * `day` moved by `delta` calendar days. Works on the date alone (UTC arithmetic), so daylight-saving
 * changes cannot skip or repeat a day. Returns the input unchanged when it is not `YYYY-MM-DD`.
 */
export function shiftDay(day: string, delta: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) return day;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + delta));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `HH:MM:SS` (local) of `ms`, for lists that already show the day. */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** True when the element is somewhere typing happens (arrow and letter keys belong to it). */
export function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit'].includes(el.type);
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}
