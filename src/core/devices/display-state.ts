/**
 * The pole display follows the payment's state, never the cashier's keystrokes: an amount being typed
 * is not shown; the amount appears when the payment exists and disappears when it ends.
 */
import type { DisplayState } from '../../shared/devices';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { Timers } from './timers';
import { realTimers } from './timers';

export type PaymentDisplayStatus = 'created' | 'qr_issued' | 'waiting' | 'paid' | 'failed' | 'closed' | 'unknown';

export interface PaymentForDisplay {
  /** The ledger id: the display follows the newest sale only (an older sale's late update is not drawn). */
  id?: number;
  gateway?: string;
  /** The cashier cancelled (QR: the close is asked) or abandoned (Yima) it: done at the counter, still followed by the core. */
  closeRequested?: boolean;
  status: PaymentDisplayStatus;
  /** Integer fen. */
  amountFen: number;
  /** Cash sales: the change to hand back (shown with the 找零 lamp once paid). */
  cash?: { changeFen: number } | null;
}

/**
 * Maps a payment (or none) to what the display shows: open payments (created, QR issued, waiting,
 * unknown — the customer still owes it as far as the display is concerned) → total; paid → paid (a
 * cash sale with change → the change, 找零);
 * failed, closed, none, or a non-positive amount → idle.
 */
export function displayStateFor(payment: PaymentForDisplay | null): DisplayState {
  if (payment === null || !Number.isSafeInteger(payment.amountFen) || payment.amountFen <= 0) return 'idle';
  // Given up at the counter — a QR sale cancelled (or expired) whose close the bank has not confirmed
  // yet, a Yima sale abandoned (Yima has no cancel): nothing is owed on it any more as far as the
  // customer is told, and the next customer must not see its amount. A payment that lands anyway shows.
  if (payment.closeRequested === true && payment.status !== 'paid') return 'idle';
  switch (payment.status) {
    case 'created':
    case 'qr_issued':
    case 'waiting':
    case 'unknown':
      return { kind: 'total', amountFen: payment.amountFen };
    case 'paid':
      if (payment.cash !== undefined && payment.cash !== null && Number.isSafeInteger(payment.cash.changeFen) && payment.cash.changeFen > 0) {
        return { kind: 'change', amountFen: payment.cash.changeFen };
      }
      return { kind: 'paid', amountFen: payment.amountFen };
    case 'failed':
    case 'closed':
      return 'idle';
  }
}

/** True when both states draw the same screen. */
export function sameDisplayState(a: DisplayState, b: DisplayState): boolean {
  if (a === 'idle' || b === 'idle') return a === b;
  return a.kind === b.kind && a.amountFen === b.amountFen;
}

export interface DisplayFollowerOptions {
  /** Draws a state; errors are logged, never thrown at the caller. */
  show: (state: DisplayState) => Promise<void>;
  /** How long "paid" stays before the display returns to idle. Default 5000 ms. */
  paidHoldMs?: number;
  timers?: Timers;
  logger?: Logger;
}

/**
 * Feeds payment updates to the display: draws only changes, keeps "paid" on screen for `paidHoldMs`
 * and then returns to idle. During the hold an idle update (the sale was cleared) waits for the hold
 * to end; a new total (the next sale) replaces it at once.
 */
export class DisplayFollower {
  private readonly show: (state: DisplayState) => Promise<void>;
  private readonly holdMs: number;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private shown: DisplayState | null = null;
  private holdTimer: unknown = null;
  /** The newest sale seen: an older one (an abandoned Yima sale still queried, a 状态未明 sale's backoff) is not drawn over it. */
  private newestId = 0;

  constructor(options: DisplayFollowerOptions) {
    this.show = options.show;
    this.holdMs = options.paidHoldMs ?? 5000;
    this.timers = options.timers ?? realTimers;
    this.logger = options.logger ?? silentLogger;
  }

  /** Call on every payment update (or with null when no payment is open). */
  update(payment: PaymentForDisplay | null): void {
    if (payment?.id !== undefined) {
      if (payment.id < this.newestId) return;
      this.newestId = payment.id;
    }
    const target = displayStateFor(payment);
    if (this.holdTimer !== null) {
      if (target === 'idle' || sameDisplayState(target, this.shown ?? 'idle')) return;
      this.clearHold();
    }
    if (this.shown !== null && sameDisplayState(target, this.shown)) return;
    this.draw(target);
    if (target !== 'idle' && (target.kind === 'paid' || target.kind === 'change')) {
      this.holdTimer = this.timers.setTimeout(() => {
        this.holdTimer = null;
        this.draw('idle');
      }, this.holdMs);
    }
  }

  /** Forgets what was drawn so the next update redraws (e.g. after the display reconnected). */
  invalidate(): void {
    this.shown = null;
  }

  /** Cancels the pending return to idle. */
  dispose(): void {
    this.clearHold();
  }

  private clearHold(): void {
    if (this.holdTimer !== null) this.timers.clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  private draw(state: DisplayState): void {
    this.shown = state;
    this.show(state).catch((err: unknown) => {
      this.logger.warn('pole display update failed', { error: err });
    });
  }
}
