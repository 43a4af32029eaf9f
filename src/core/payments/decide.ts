/**
 * What happens next, as one pure function per kind of item: (state, stimulus) → decision. The engine
 * (./engine.ts) gathers the state from the ledger and its in-memory bookkeeping, asks here, and then
 * carries the decision out (record it, send, schedule). Nothing here reads the clock, the ledger or a
 * gateway, so every row is covered by the table test (test/node/decide.test.ts).
 */
import { FINAL_PAYMENT_STATUSES, type PaymentStatus, type RefundStatus } from '../../shared/domain';
import type { GatewayOutcome } from './port';

export interface PaymentState {
  status: PaymentStatus;
  /** The gateway's reference for the order is known (BPC sysTrace). */
  hasReference: boolean;
  /** The create request is on its way (no reference yet, but not abandoned either). */
  creating: boolean;
  closeRequested: boolean;
  /** A close was asked for and has not gone out yet (it is retried, not forgotten). */
  closePending: boolean;
  /** The QR's time is up. */
  expired: boolean;
  /** The gateway pushes the order to a device the customer pays on (see GatewayCapabilities). */
  payableWithoutAnswer?: boolean;
  /** The create provably never left (the gateway refused it before sending; the failure is not recorded yet). */
  createUnsent?: boolean;
}

export type PaymentStimulus =
  /** The create request's answer. */
  | { on: 'created'; outcome: GatewayOutcome }
  /** A query's answer; `afterClose` when it is the query that follows a close. */
  | {
      on: 'answer';
      outcome: GatewayOutcome;
      afterClose?: { closeConfirmed: boolean };
      unclearForMs: number;
      unknownAfterMs: number;
      /** A pushed order with no QR expiry (Yima): how long it has waited; past unknownAfterMs a "still waiting" shows 状态未明. */
      waitingForMs?: number;
    }
  /** A scheduled step is due. */
  | { on: 'timer' }
  /** The cashier cancels. */
  | { on: 'cancel' }
  /** A notification, or the cashier's re-query: query now. */
  | { on: 'notification' };

export type PaymentDecision =
  /** Record this answer. `unclear`: start (or keep) the unclear clock, or clear it. */
  | {
      next: 'record';
      status?: PaymentStatus;
      respCode?: string | null;
      respMsg?: string;
      /** A late payment: the order is reported paid after it was ended; recorded as paid, with an event. */
      latePayment?: boolean;
      unclear?: 'start' | 'clear';
      /** After the create answer: query on schedule, close at once (cancelled while in flight), or nothing (ended). */
      then?: 'query' | 'close' | 'end';
    }
  /** Close at the gateway (when it can), then query once more. */
  | { next: 'close'; why: 'cancel' | 'expiry' }
  | { next: 'query' }
  /** No reference and no create on its way: no QR was ever shown, nothing can be charged. */
  | { next: 'fail_unsent' }
  /**
   * A pushed order (Yima) whose create answer was never recorded (the ledger refused it): the push may be on
   * the card POS and paid there, so it is followed by our own order number — queried, never pushed again.
   */
  | { next: 'follow_pushed' }
  /** The create answer decides (a close is noted and done when the reference arrives). */
  | { next: 'wait' }
  | { next: 'none' }
  | { next: 'refuse'; reason: string };

export function isFinalPayment(status: PaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

export function decidePayment(state: PaymentState, stimulus: PaymentStimulus): PaymentDecision {
  const final = isFinalPayment(state.status);
  switch (stimulus.on) {
    case 'created':
      return decideCreated(state, stimulus.outcome);
    case 'answer':
      return decideAnswer(state, stimulus);
    case 'timer':
      if (final) return { next: 'none' };
      // The create answer was never recorded: no QR was shown, nothing can be charged — unless the order
      // was pushed to a device the customer pays on (it may be paid there: follow it).
      if (!state.hasReference) return state.creating ? { next: 'wait' } : unanswered(state);
      if ((state.expired && !state.closeRequested) || state.closePending) return { next: 'close', why: 'expiry' };
      return { next: 'query' };
    case 'cancel':
      if (final) return { next: 'refuse', reason: `already ${state.status}` };
      return { next: 'close', why: 'cancel' };
    case 'notification':
      if (state.status === 'paid') return { next: 'none' };
      // F still on its way: its answer decides; marking the sale failed now would strand a live QR.
      if (!state.hasReference) return state.creating ? { next: 'wait' } : state.status === 'created' ? unanswered(state) : { next: 'none' };
      // Even an ended sale is asked: a payment may land after the close (recorded as a late payment).
      return { next: 'query' };
  }
}

/** A sale with no reference whose create is not on its way: ended unsent (a QR), or followed (a pushed order that may have left). */
function unanswered(state: PaymentState): PaymentDecision {
  return state.payableWithoutAnswer === true && state.createUnsent !== true && state.status === 'created' ? { next: 'follow_pushed' } : { next: 'fail_unsent' };
}

function decideCreated(state: PaymentState, outcome: GatewayOutcome): PaymentDecision {
  if (state.payableWithoutAnswer === true) return decidePushed(state, outcome);
  if (outcome.kind === 'success' && outcome.answer.reference !== undefined && outcome.answer.qrCode !== undefined) {
    // Cancelled while the create was in flight: close now that the reference is known.
    return {
      next: 'record',
      status: 'qr_issued',
      respCode: outcome.answer.code,
      respMsg: outcome.answer.message,
      then: state.closeRequested ? 'close' : 'query',
    };
  }
  // No QR reached the customer, so nothing can be charged: the sale ends here and the cashier may
  // start a new one (with a new order number). A create is never sent twice.
  const respMsg =
    outcome.kind === 'transport_unknown'
      ? `QR not issued (${outcome.reason}: ${outcome.detail}); nothing was charged`
      : outcome.kind === 'success'
        ? 'gateway answered 00 without sysTrace/scanCode; QR not issued'
        : `${outcome.answer.code} ${outcome.answer.message}`;
  return { next: 'record', status: 'failed', respCode: outcome.kind === 'transport_unknown' ? null : outcome.answer.code, respMsg, then: 'end' };
}

/**
 * The create of a pushed order (Yima): the customer pays on the card POS, so an order that may have
 * reached it is queried (by our own order number) until the gateway says paid or declined — never
 * pushed again, never called failed unseen. Only a refusal, or a request that provably never left,
 * ends the sale as not charged.
 */
function decidePushed(state: PaymentState, outcome: GatewayOutcome): PaymentDecision {
  const then = state.closeRequested ? 'close' : 'query';
  switch (outcome.kind) {
    case 'success':
    case 'waiting':
      return { next: 'record', status: 'waiting', respCode: outcome.answer.code, respMsg: outcome.answer.message, unclear: 'clear', then };
    case 'failed':
      return { next: 'record', status: 'failed', respCode: outcome.answer.code, respMsg: `${outcome.answer.code} ${outcome.answer.message}`, then: 'end' };
    case 'unknown':
    case 'rejected':
      return { next: 'record', status: 'waiting', respCode: outcome.answer.code, respMsg: outcome.answer.message, unclear: 'start', then };
    case 'transport_unknown':
      if (!outcome.delivered) {
        return {
          next: 'record',
          status: 'failed',
          respCode: null,
          respMsg: `order not pushed (${outcome.reason}: ${outcome.detail}); nothing was charged`,
          then: 'end',
        };
      }
      return {
        next: 'record',
        status: 'waiting',
        respCode: null,
        respMsg: `push unclear (${outcome.reason}: ${outcome.detail}); querying`,
        unclear: 'start',
        then,
      };
  }
}

function decideAnswer(state: PaymentState, s: Extract<PaymentStimulus, { on: 'answer' }>): PaymentDecision {
  const { outcome, afterClose } = s;
  const final = isFinalPayment(state.status);
  const base = outcome.kind === 'transport_unknown' ? {} : { respCode: outcome.answer.code, respMsg: outcome.answer.message };
  switch (outcome.kind) {
    case 'success':
      return { next: 'record', ...base, status: 'paid', ...(final ? { latePayment: true } : {}) };
    case 'failed':
      // 77: final. A sale whose close was asked for ends closed, any other failed.
      return { next: 'record', ...base, ...(final ? {} : { status: state.closeRequested ? 'closed' : 'failed' }) };
    case 'waiting':
    case 'rejected': {
      // 88: the payer is still at it. Another code on a query: this query failed, the order is still
      // open (the QR stays valid until it expires or is closed). Once a close was asked for and not
      // confirmed, "still open" is 状态未明, never back to 等待支付: the cashier has moved on, and a
      // waiting sale would block the counter until the bank expires the QR.
      let status: PaymentStatus | undefined;
      if (afterClose !== undefined) status = afterClose.closeConfirmed ? 'closed' : 'unknown';
      else if (state.closeRequested) status = final ? undefined : 'unknown';
      // Nothing ends a pushed order's wait (no QR expiry, no close): after the give-up time it is
      // 状态未明 for a supervisor, and still followed.
      else if (!final && s.waitingForMs !== undefined && s.waitingForMs >= s.unknownAfterMs) status = 'unknown';
      else if (state.status === 'qr_issued' || state.status === 'unknown') status = 'waiting';
      return { next: 'record', ...base, ...(status === undefined ? {} : { status }), unclear: 'clear' };
    }
    case 'unknown':
    case 'transport_unknown': {
      // 99 or no usable answer: keep querying; after unknownAfterMs (or right after a close) it shows 状态未明.
      const respMsg = outcome.kind === 'transport_unknown' ? `${outcome.reason}: ${outcome.detail}` : outcome.answer.message;
      const unknown = !final && (afterClose !== undefined || s.unclearForMs >= s.unknownAfterMs);
      return { next: 'record', ...base, respMsg, ...(unknown ? { status: 'unknown' as const } : {}), unclear: 'start' };
    }
  }
}

/** An unclear close (no usable answer, or 99) is sent again at most this many times. */
export const CLOSE_RESENDS = 3;

/**
 * After a close (S) went out: send it again on the next step, or not. A close with no usable answer
 * (or 99) may never have reached the gateway, leaving the QR payable; it is not a money request and a
 * second close of a closed order changes nothing, so it is resent — at most CLOSE_RESENDS times.
 * A confirmed or refused close is never resent.
 */
export function decideCloseAnswer(outcome: GatewayOutcome | null, resentSoFar: number): 'resend' | 'done' {
  if (outcome === null) return 'done';
  const unclear = outcome.kind === 'transport_unknown' || outcome.kind === 'unknown';
  return unclear && resentSoFar < CLOSE_RESENDS ? 'resend' : 'done';
}

// ------------------------------------------------------------------ refunds

export interface RefundState {
  status: RefundStatus;
  /** The refund's own gateway reference (from R's answer), needed to query it. */
  hasReference: boolean;
  /** When the durable "R sent" marker was committed (null: R provably never left). */
  sentAt: number | null;
}

export type RefundStimulus =
  /** R's or J's answer; `at` is now (for the lost-answer message). */
  | { on: 'answer'; op: 'refund' | 'query'; outcome: GatewayOutcome; at: number }
  /** A scheduled J, a restart, or the supervisor's re-query. */
  | { on: 'timer' };

export type RefundDecision =
  | { next: 'record'; status: RefundStatus; respCode?: string; respMsg?: string; reference?: string; then: 'query' | 'end' }
  | { next: 'query' }
  | { next: 'none' };

export function isFinalRefund(status: RefundStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}

const lostAnswer = (sentAt: number): string => `R left at ${new Date(sentAt).toISOString()} and its answer was lost`;

export function decideRefund(state: RefundState, stimulus: RefundStimulus): RefundDecision {
  if (stimulus.on === 'timer') {
    if (isFinalRefund(state.status)) return { next: 'none' };
    if (state.hasReference) return { next: 'query' };
    // The "R sent" marker was never committed: R provably never left. Nothing was refunded.
    if (state.sentAt === null)
      return { next: 'record', status: 'failed', respMsg: 'the app stopped before the refund was sent; nothing was refunded', then: 'end' };
    // R left and its answer was lost, so we do not know the refund's trace and J cannot name it.
    // Sending R again could refund twice, so the refund stays 状态未明 (counted against the cap) for a supervisor.
    if (state.status === 'unknown') return { next: 'none' };
    return {
      next: 'record',
      status: 'unknown',
      respMsg: `${lostAnswer(state.sentAt)}; J needs the refund's trace — check with the bank, then a supervisor settles it`,
      then: 'end',
    };
  }
  const { outcome, op } = stimulus;
  const d: { status: RefundStatus; respCode?: string; respMsg?: string; reference?: string } = { status: state.status };
  if (outcome.kind !== 'transport_unknown') {
    d.respCode = outcome.answer.code;
    d.respMsg = outcome.answer.message;
    if (op === 'refund' && outcome.answer.reference !== undefined) d.reference = outcome.answer.reference;
  }
  switch (outcome.kind) {
    case 'success':
      d.status = 'succeeded';
      break;
    case 'failed':
      // 77: the refund failed (R) or is reported failed (J); nothing was refunded.
      d.status = 'failed';
      break;
    case 'rejected':
      // R refused: nothing was refunded. J answering another code is a failed *query* (as for G):
      // the refund may well have succeeded, so it keeps its state, stays counted against the cap,
      // and is queried again; freeing the amount here could let a second refund exceed the payment.
      d.status = op === 'refund' ? 'failed' : state.status === 'created' ? 'unknown' : state.status;
      break;
    case 'waiting':
      d.status = 'pending';
      break;
    case 'unknown':
    case 'transport_unknown':
      if (op === 'refund' && outcome.kind === 'transport_unknown' && !outcome.delivered) {
        // No connection was made: R provably never reached the bank. Nothing was refunded.
        return { next: 'record', status: 'failed', respMsg: `refund not delivered (${outcome.reason}: ${outcome.detail}); nothing was refunded`, then: 'end' };
      }
      d.status = state.status === 'created' ? 'unknown' : state.status;
      if (outcome.kind === 'transport_unknown') d.respMsg = `${outcome.reason}: ${outcome.detail}`;
      if (op === 'refund' && d.reference === undefined && !state.hasReference) {
        d.respMsg = `${lostAnswer(state.sentAt ?? stimulus.at)} (${d.respMsg ?? 'no answer'}); J needs the refund's trace — check with the bank, then a supervisor settles it`;
      }
      break;
  }
  return { next: 'record', ...d, then: isFinalRefund(d.status) ? 'end' : 'query' };
}

// ------------------------------------------------------------------ card sales

export type CardSaleStimulus =
  /** The sale request's answer. */
  | { on: 'created'; outcome: GatewayOutcome }
  /** The last-transaction query's answer. */
  | { on: 'answer'; outcome: GatewayOutcome }
  /** Start-up found the sale unfinished. */
  | { on: 'resume' };

export type CardSaleDecision =
  | { next: 'record'; status: PaymentStatus; respCode?: string; respMsg?: string; reference?: string; then: 'query' | 'end' }
  | { next: 'query' }
  | { next: 'none' };

/**
 * Card sales (serial digest §2c): only an approved sale, or a last transaction that positively
 * matches it, is paid; a sale without a final answer is 状态未明 and the terminal is asked for its last
 * transaction; the sale is never sent again and the app never guesses it failed.
 */
export function decideCardSale(status: PaymentStatus, stimulus: CardSaleStimulus): CardSaleDecision {
  if (stimulus.on === 'resume') {
    if (isFinalPayment(status)) return { next: 'none' };
    if (status === 'created') return { next: 'record', status: 'unknown', respMsg: 'the app stopped during the card sale; asking the terminal', then: 'query' };
    return { next: 'query' };
  }
  const { outcome } = stimulus;
  if (stimulus.on === 'answer') {
    if (isFinalPayment(status)) return { next: 'none' };
    if (outcome.kind === 'success')
      return {
        next: 'record',
        status: 'paid',
        respCode: outcome.answer.code,
        respMsg: outcome.answer.message,
        ...refOf(outcome.answer.reference),
        then: 'end',
      };
    const respMsg = outcome.kind === 'transport_unknown' ? `terminal did not answer the last-transaction query (${outcome.reason})` : outcome.answer.message;
    return { next: 'record', status: 'unknown', respMsg, then: 'end' };
  }
  switch (outcome.kind) {
    case 'success':
      return {
        next: 'record',
        status: 'paid',
        respCode: outcome.answer.code,
        respMsg: outcome.answer.message,
        ...refOf(outcome.answer.reference),
        then: 'end',
      };
    case 'failed':
    case 'rejected':
      return { next: 'record', status: 'failed', respCode: outcome.answer.code, respMsg: outcome.answer.message, then: 'end' };
    case 'transport_unknown':
      // Not a byte reached the terminal: nothing was charged.
      if (!outcome.delivered)
        return { next: 'record', status: 'failed', respMsg: `not sent to the terminal (${outcome.reason}); nothing was charged`, then: 'end' };
      return {
        next: 'record',
        status: 'unknown',
        respMsg: `no final answer from the terminal (${outcome.reason}); asking for its last transaction`,
        then: 'query',
      };
    default:
      return {
        next: 'record',
        status: 'unknown',
        respMsg: `no final answer from the terminal (${outcome.answer.code} ${outcome.answer.message}); asking for its last transaction`,
        then: 'query',
      };
  }
}

const refOf = (reference: string | undefined): { reference?: string } => (reference === undefined ? {} : { reference });
