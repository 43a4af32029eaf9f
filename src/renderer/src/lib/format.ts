import { parseYuanToFen } from '../../../shared/money';

export { formatFen } from '../../../shared/money';

/** Yuan as typed → fen, where 0 is a valid amount (a float, a drawer count); throws AMOUNT_INVALID otherwise. */
export function parseYuanOrZero(text: string): number {
  return /^0*(\.0{0,2})?$/.test(text.trim()) && text.trim() !== '.' ? 0 : parseYuanToFen(text.trim());
}

/** 754000 ms → "12:34"; negative → "0:00". */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  return `${minutes}:${String(total % 60).padStart(2, '0')}`;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Typing rule for the amount field: up to 12 integer digits and 2 decimals; a lone leading zero is replaced. */
export function typeIntoAmount(buffer: string, key: string): string | null {
  if (key === 'Backspace') return buffer.slice(0, -1);
  if (key !== '.' && !/^[0-9]$/.test(key)) return null;
  if (key === '.' && buffer.includes('.')) return null;
  const next = buffer === '0' && key !== '.' ? key : buffer === '' && key === '.' ? '0.' : buffer + key;
  return /^\d{0,12}(\.\d{0,2})?$/.test(next) ? next : null;
}
