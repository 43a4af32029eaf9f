/**
 * Checkout keys from a full keyboard, a 17-key numeric keypad (NumLock on or off: read from
 * `event.code`, which does not change with NumLock) and a barcode scanner (a keyboard that types a
 * whole code a few milliseconds per key and ends it with Enter).
 */

export type EntryKey =
  { kind: 'char'; char: string } | { kind: 'backspace' } | { kind: 'collect' } | { kind: 'cancel' } | { kind: 'clear' } | { kind: 'tender' };

/**
 * The checkout meaning of a key. Keypad habit of Chinese counters: `+` collects like Enter, `-` is
 * backspace (clears when empty), `*` switches the tender, `/` cancels (with a confirm on an open
 * sale). Keypad digits come from `code`, so with NumLock off (`key` = End, ArrowDown…) they still type.
 */
export function entryKey(e: { key: string; code: string }): EntryKey | null {
  const pad = /^Numpad(\d)$/.exec(e.code);
  if (pad?.[1] !== undefined) return { kind: 'char', char: pad[1] };
  switch (e.code) {
    case 'NumpadDecimal':
    case 'NumpadComma':
      return { kind: 'char', char: '.' };
    case 'NumpadAdd':
    case 'NumpadEnter':
      return { kind: 'collect' };
    case 'NumpadSubtract':
      return { kind: 'backspace' };
    case 'NumpadMultiply':
      return { kind: 'tender' };
    case 'NumpadDivide':
      return { kind: 'cancel' };
    default:
      break;
  }
  if (e.key === 'Enter') return { kind: 'collect' };
  if (e.key === 'Escape') return { kind: 'clear' };
  if (e.key === 'Backspace') return { kind: 'backspace' };
  if (e.key === '.' || /^[0-9]$/.test(e.key)) return { kind: 'char', char: e.key };
  // A scanner's letters (Code 128 and the like) are part of a burst but never of an amount.
  if (/^[A-Za-z\-_/+*]$/.test(e.key)) return { kind: 'char', char: e.key };
  return null;
}

/** Most scanners type 1–10 ms per key; nobody types four keys this fast by hand. */
export const SCAN_GAP_MS = 30;
export const SCAN_MIN_CHARS = 4;

/**
 * Watches the characters typed on the checkout and tells whether the Enter that ends them ends a
 * scanner burst. Remembers the amount from before the burst, so it can be put back.
 */
export class BurstDetector {
  private text = '';
  private last = Number.NEGATIVE_INFINITY;
  private before = '';

  /** A character arrived at `at` while the amount read `buffer` (before this character). */
  char(char: string, at: number, buffer: string): void {
    if (at - this.last <= SCAN_GAP_MS) {
      this.text += char;
    } else {
      this.text = char;
      this.before = buffer;
    }
    this.last = at;
  }

  /** Enter at `at`: the burst it ends (its text and the amount before it), or null for a typed amount. */
  enter(at: number): { code: string; amountBefore: string } | null {
    const burst = this.text.length >= SCAN_MIN_CHARS && at - this.last <= SCAN_GAP_MS * 2 ? { code: this.text, amountBefore: this.before } : null;
    this.reset();
    return burst;
  }

  /** Still inside a burst at `at` (its keys must not show "amount too large" while they arrive). */
  active(at: number): boolean {
    return this.text.length >= 2 && at - this.last <= SCAN_GAP_MS;
  }

  reset(): void {
    this.text = '';
    this.last = Number.NEGATIVE_INFINITY;
    this.before = '';
  }
}

/**
 * A customer's payment code (付款码) as WeChat (10–15…) and Alipay (25–30…) show them: 16–24 digits.
 * BPC has no transaction for it: this counter shows its QR to the customer instead.
 */
export function isCustomerPayCode(code: string): boolean {
  return /^(1[0-5]|2[5-9]|30)\d{14,22}$/.test(code);
}
