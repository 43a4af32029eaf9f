import { create } from 'zustand';
import type { PaymentView } from '../../../shared/domain';
import { call, getBridge } from '../bridge/client';

/**
 * The payment on screen. View state only: every change comes from the core (`payment:updated`) or a
 * re-read; nothing here decides what happened to money.
 */
interface PaymentState {
  payment: PaymentView | null;
  /** host clock − this clock, so countdowns use the host's notion of expiry. */
  clockOffsetMs: number;
  /** When the shown payment became final (local time), for the "next sale" / thank-you timers. */
  finalSeenAt: number | null;
  /**
   * The newest sale this window moved on from (the cashier started the next entry): its later updates
   * (an abandoned Yima sale keeps being queried, a late payment lands) do not bring it back on screen.
   */
  leftId: number | null;
  /**
   * A sale the cashier left while it was still open (abandoned, or a QR whose close the bank never
   * confirmed) that the core then recorded as paid: the customer paid after all and may be owed a refund.
   * Shown on the entry screen until the cashier takes the next sale.
   */
  latePaid: PaymentView | null;
  /** The cashier has seen the late payment (the next sale was taken). */
  clearLatePaid: () => void;
  /** `hideFinal`: a sale already final when this window loads counts as long over (the customer display). */
  loadCurrent: (options?: { hideFinal?: boolean }) => Promise<void>;
  show: (payment: PaymentView | null) => void;
  /**
   * An answer about a sale already on screen (cancel, re-query, settle): shown only while that sale — or
   * a newer one — is still the window's; a late answer must not bring back a sale the cashier moved on from.
   */
  follow: (update: PaymentView) => void;
}

const FINAL = new Set(['paid', 'failed', 'closed']);

/** Late payments the cashier has already been shown (a later update of the same sale does not bring the notice back). */
const latePaidSeen = new Set<number>();

export const usePaymentStore = create<PaymentState>((set, get) => ({
  payment: null,
  clockOffsetMs: 0,
  finalSeenAt: null,
  leftId: null,
  latePaid: null,
  clearLatePaid() {
    const late = get().latePaid;
    if (late === null) return;
    latePaidSeen.add(late.id);
    set({ latePaid: null });
  },
  async loadCurrent(options) {
    const { payment, now } = await call('payment:current', undefined);
    const offset = now - Date.now();
    set({ clockOffsetMs: offset, leftId: null });
    get().show(payment);
    // A sale that was already final when this window (re)loaded became final when the host says, not
    // now: a reloaded customer display must not thank the previous customer again.
    // The customer display goes further: a sale that was final before it loaded is not shown at all.
    if (payment !== null && FINAL.has(payment.status)) {
      set({ finalSeenAt: options?.hideFinal === true ? Number.NEGATIVE_INFINITY : (payment.paidAt ?? payment.updatedAt) - offset });
    }
  },
  show(payment) {
    const current = get().payment;
    const wasFinal = current !== null && current.id === payment?.id && FINAL.has(current.status);
    const leftId = payment === null && current !== null ? Math.max(current.id, get().leftId ?? 0) : get().leftId;
    set({ payment, leftId, finalSeenAt: payment !== null && FINAL.has(payment.status) ? (wasFinal ? get().finalSeenAt : Date.now()) : null });
  },
  follow(update) {
    const { payment: current, leftId } = get();
    if (current === null ? update.id > (leftId ?? 0) : update.id >= current.id) get().show(update);
    else if (update.status === 'paid' && update.closeRequested && !latePaidSeen.has(update.id)) set({ latePaid: update });
  },
}));

/** Whether sale `id` is the one on this window's screen (a call's late answer must not act on the next sale). */
export function isShown(id: number): boolean {
  return usePaymentStore.getState().payment?.id === id;
}

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/**
 * A sale the cashier gave up on that the core still follows until final, but that is done at the
 * counter — the next sale may start at once: a Yima card sale abandoned with Esc (Yima has no cancel),
 * or a QR sale cancelled (or expired) whose close the bank did not confirm (状态未明: its QR is withdrawn
 * from both screens and the close is sent again; a payment that lands anyway is recorded as paid and
 * shown as a late payment). A QR sale whose close is merely on its way is not abandoned: it ends closed.
 */
export function isAbandoned(p: Pick<PaymentView, 'gateway' | 'tender' | 'closeRequested' | 'status'>): boolean {
  if (!p.closeRequested || FINAL.has(p.status)) return false;
  return p.gateway === 'yima' || (p.tender !== 'card' && p.status === 'unknown');
}

/**
 * A QR sale cancelled (or expired) at the counter whose close the bank has not confirmed yet: its QR is
 * withdrawn from both screens at once, so nobody scans an order the cashier gave up on.
 */
export function isWithdrawnQr(p: Pick<PaymentView, 'tender' | 'closeRequested' | 'status'>): boolean {
  return p.tender !== 'card' && p.closeRequested && !FINAL.has(p.status);
}

/**
 * Follows `payment:updated`: the shown payment, or a newer one (a sale started in another window) —
 * never one this window already moved on from.
 */
export function subscribePaymentEvents(): () => void {
  return getBridge().on('payment:updated', (update) => usePaymentStore.getState().follow(update));
}
