import { describe, expect, it } from 'vitest';
import {
  CLOSE_RESENDS,
  decideCardSale,
  decideCloseAnswer,
  type CardSaleDecision,
  type CardSaleStimulus,
  decidePayment,
  decideRefund,
  type PaymentDecision,
  type PaymentState,
  type PaymentStimulus,
  type RefundDecision,
  type RefundState,
  type RefundStimulus,
} from '../../src/core/payments/decide';
import type { GatewayOutcome } from '../../src/core/payments/port';
import type { PaymentStatus } from '../../src/shared/domain';

/**
 * The decision table of the money core: every (state, stimulus) row the engine relies on, one line
 * each. The engine only gathers the state and carries out what this answers.
 */
const answer = (code: string, message: string, extra: { reference?: string; qrCode?: string } = {}) => ({ code, message, ...extra });
const PAID: GatewayOutcome = { kind: 'success', answer: answer('00', '成功') };
const ISSUED: GatewayOutcome = { kind: 'success', answer: answer('00', '成功', { reference: 'T1', qrCode: 'https://qr/1' }) };
const FAILED_77: GatewayOutcome = { kind: 'failed', answer: answer('77', '交易失败') };
const WAITING_88: GatewayOutcome = { kind: 'waiting', answer: answer('88', '等待支付') };
const UNKNOWN_99: GatewayOutcome = { kind: 'unknown', answer: answer('99', '状态未明') };
const OTHER_96: GatewayOutcome = { kind: 'rejected', answer: answer('96', '系统繁忙') };
const TIMEOUT: GatewayOutcome = { kind: 'transport_unknown', reason: 'timeout', detail: 'no answer in 15000 ms', delivered: true };
const NO_CONNECTION: GatewayOutcome = { kind: 'transport_unknown', reason: 'connect', detail: 'ECONNREFUSED', delivered: false };

const open = (over: Partial<PaymentState> = {}): PaymentState => ({
  status: 'waiting',
  hasReference: true,
  creating: false,
  closeRequested: false,
  closePending: false,
  expired: false,
  ...over,
});
const answered = (
  outcome: GatewayOutcome,
  over: { afterClose?: { closeConfirmed: boolean }; unclearForMs?: number; waitingForMs?: number } = {},
): PaymentStimulus => ({
  on: 'answer',
  outcome,
  unclearForMs: over.unclearForMs ?? 0,
  unknownAfterMs: 30_000,
  ...(over.afterClose === undefined ? {} : { afterClose: over.afterClose }),
  ...(over.waitingForMs === undefined ? {} : { waitingForMs: over.waitingForMs }),
});

/** Expected fields of a decision; a field given as undefined must be absent. */
type Expect<D extends { next: string }> = { [K in keyof D]?: D[K] | undefined } & { next: D['next'] };
type PaymentRow = [name: string, state: PaymentState, stimulus: PaymentStimulus, expected: Expect<PaymentDecision>];

const paymentRows: PaymentRow[] = [
  // create answers
  [
    'create 00 with trace and QR → QR issued, queries scheduled',
    open({ status: 'created', hasReference: false, creating: true }),
    { on: 'created', outcome: ISSUED },
    { next: 'record', status: 'qr_issued', respCode: '00', then: 'query' },
  ],
  [
    'create 00 without trace/QR → failed, never resent',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: PAID },
    { next: 'record', status: 'failed', respCode: '00', then: 'end' },
  ],
  [
    'create 77 → failed',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: FAILED_77 },
    { next: 'record', status: 'failed', respCode: '77', respMsg: '77 交易失败', then: 'end' },
  ],
  [
    'create 88 → failed (no QR shown)',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: WAITING_88 },
    { next: 'record', status: 'failed', then: 'end' },
  ],
  [
    'create 99 → failed (no QR shown)',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: UNKNOWN_99 },
    { next: 'record', status: 'failed', then: 'end' },
  ],
  [
    'create other code → failed with the bank message',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: OTHER_96 },
    { next: 'record', status: 'failed', respMsg: '96 系统繁忙' },
  ],
  [
    'create transport unknown after sending → failed, nothing charged (no QR shown)',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: TIMEOUT },
    { next: 'record', status: 'failed', respCode: null, respMsg: 'QR not issued (timeout: no answer in 15000 ms); nothing was charged' },
  ],
  [
    'create transport unknown before sending (no connection) → failed, nothing charged',
    open({ status: 'created', hasReference: false }),
    { on: 'created', outcome: NO_CONNECTION },
    { next: 'record', status: 'failed', respCode: null, respMsg: 'QR not issued (connect: ECONNREFUSED); nothing was charged' },
  ],
  [
    'cancel while the create is in flight → close requested, nothing sent yet',
    open({ status: 'created', hasReference: false, creating: true }),
    { on: 'cancel' },
    { next: 'close', why: 'cancel' },
  ],
  [
    'create answer after a cancel in flight → QR issued, then closed at once',
    open({ status: 'created', hasReference: false, closeRequested: true }),
    { on: 'created', outcome: ISSUED },
    { next: 'record', status: 'qr_issued', then: 'close' },
  ],
  // pushed orders (Yima: the customer pays on the card POS; an unclear push may still be paid)
  [
    'pushed (9998) → waiting, queried',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'created', outcome: { kind: 'waiting', answer: answer('9998', '创建订单成功', { reference: 'P1' }) } },
    { next: 'record', status: 'waiting', respCode: '9998', then: 'query' },
  ],
  [
    'push answer lost after sending → waiting (unclear), queried — never failed unseen',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'created', outcome: TIMEOUT },
    { next: 'record', status: 'waiting', unclear: 'start', then: 'query' },
  ],
  [
    'push never left (no connection) → failed, nothing charged',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'created', outcome: NO_CONNECTION },
    { next: 'record', status: 'failed', then: 'end' },
  ],
  [
    'push refused (4005) → failed with the gateway message',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'created', outcome: { kind: 'failed', answer: answer('4005', '订单金额错误') } },
    { next: 'record', status: 'failed', respMsg: '4005 订单金额错误', then: 'end' },
  ],
  [
    'push answered "busy" (9999) → waiting (unclear), queried',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'created', outcome: { kind: 'unknown', answer: answer('9999', '系统繁忙') } },
    { next: 'record', status: 'waiting', unclear: 'start', then: 'query' },
  ],
  [
    'pushed while the cashier cancelled → waiting, then the cancel (a query: no close at Yima)',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true, closeRequested: true }),
    { on: 'created', outcome: { kind: 'waiting', answer: answer('9998', 'ok') } },
    { next: 'record', status: 'waiting', then: 'close' },
  ],
  // query answers
  ['paid (00) → paid', open(), answered(PAID), { next: 'record', status: 'paid', respCode: '00' }],
  ['77 → failed', open(), answered(FAILED_77), { next: 'record', status: 'failed', respCode: '77' }],
  ['77 after a close was asked → closed', open({ closeRequested: true }), answered(FAILED_77), { next: 'record', status: 'closed' }],
  ['77 on an ended sale → no status change', open({ status: 'closed' }), answered(FAILED_77), { next: 'record', status: undefined }],
  [
    '88 on a fresh QR → waiting, unclear clock cleared',
    open({ status: 'qr_issued' }),
    answered(WAITING_88),
    { next: 'record', status: 'waiting', unclear: 'clear' },
  ],
  ['88 on 状态未明 → back to waiting', open({ status: 'unknown' }), answered(WAITING_88), { next: 'record', status: 'waiting' }],
  [
    'pushed order still waiting within the give-up time → waiting',
    open({ status: 'waiting' }),
    answered(WAITING_88, { waitingForMs: 29_999 }),
    { next: 'record', status: undefined, unclear: 'clear' },
  ],
  [
    'pushed order still waiting past the give-up time → 状态未明, still followed',
    open({ status: 'waiting' }),
    answered(WAITING_88, { waitingForMs: 30_000 }),
    { next: 'record', status: 'unknown', unclear: 'clear' },
  ],
  [
    'pushed order on 状态未明 still waiting → stays 状态未明',
    open({ status: 'unknown' }),
    answered(WAITING_88, { waitingForMs: 90_000 }),
    { next: 'record', status: 'unknown' },
  ],
  [
    '88 after a close was asked (not confirmed yet) → 状态未明, never waiting',
    open({ closeRequested: true }),
    answered(WAITING_88),
    { next: 'record', status: 'unknown' },
  ],
  [
    'other code on a query → the query failed, the order stays open',
    open({ status: 'qr_issued' }),
    answered(OTHER_96),
    { next: 'record', status: 'waiting', respCode: '96', unclear: 'clear' },
  ],
  [
    '99 briefly → keeps querying, clock started',
    open(),
    answered(UNKNOWN_99, { unclearForMs: 1000 }),
    { next: 'record', status: undefined, respCode: '99', unclear: 'start' },
  ],
  [
    '99 for longer than unknownAfterMs → 状态未明',
    open(),
    answered(UNKNOWN_99, { unclearForMs: 30_000 }),
    { next: 'record', status: 'unknown', unclear: 'start' },
  ],
  [
    'transport unknown on a query → keeps querying, reason recorded',
    open(),
    answered(TIMEOUT),
    { next: 'record', status: undefined, respCode: undefined, respMsg: 'timeout: no answer in 15000 ms', unclear: 'start' },
  ],
  ['transport unknown for long → 状态未明', open(), answered(TIMEOUT, { unclearForMs: 31_000 }), { next: 'record', status: 'unknown' }],
  // close
  [
    'close confirmed, then the query says still open → closed',
    open({ closeRequested: true }),
    answered(WAITING_88, { afterClose: { closeConfirmed: true } }),
    { next: 'record', status: 'closed' },
  ],
  [
    'close unconfirmed, then the query says still open → 状态未明',
    open({ closeRequested: true }),
    answered(WAITING_88, { afterClose: { closeConfirmed: false } }),
    { next: 'record', status: 'unknown' },
  ],
  [
    'close then 99 → 状态未明 at once',
    open({ closeRequested: true }),
    answered(UNKNOWN_99, { afterClose: { closeConfirmed: true } }),
    { next: 'record', status: 'unknown' },
  ],
  [
    'close then paid → paid (the customer paid at the same moment)',
    open({ closeRequested: true }),
    answered(PAID, { afterClose: { closeConfirmed: false } }),
    { next: 'record', status: 'paid', latePayment: undefined },
  ],
  [
    'late payment after close → paid, recorded as late',
    open({ status: 'closed', closeRequested: true }),
    answered(PAID),
    { next: 'record', status: 'paid', latePayment: true },
  ],
  ['late payment after failed → paid, recorded as late', open({ status: 'failed' }), answered(PAID), { next: 'record', status: 'paid', latePayment: true }],
  // timers
  ['timer on an open QR → query', open(), { on: 'timer' }, { next: 'query' }],
  ['timer after expiry → close (expiry)', open({ expired: true }), { on: 'timer' }, { next: 'close', why: 'expiry' }],
  [
    'timer after expiry once a close was asked → query (the close already went out)',
    open({ expired: true, closeRequested: true }),
    { on: 'timer' },
    { next: 'query' },
  ],
  [
    'timer with a close that could not leave → close again',
    open({ closeRequested: true, closePending: true }),
    { on: 'timer' },
    { next: 'close', why: 'expiry' },
  ],
  [
    'timer without a trace and no create in flight → failed (no QR shown)',
    open({ status: 'created', hasReference: false }),
    { on: 'timer' },
    { next: 'fail_unsent' },
  ],
  [
    'timer on a pushed order (Yima) whose create answer was never recorded → followed by our order number, never failed unseen',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'timer' },
    { next: 'follow_pushed' },
  ],
  [
    'timer on a pushed order whose create provably never left → failed, nothing charged',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true, createUnsent: true }),
    { on: 'timer' },
    { next: 'fail_unsent' },
  ],
  [
    'timer while the create is in flight → wait for its answer',
    open({ status: 'created', hasReference: false, creating: true }),
    { on: 'timer' },
    { next: 'wait' },
  ],
  ['timer on an ended sale → nothing', open({ status: 'paid' }), { on: 'timer' }, { next: 'none' }],
  // cancel
  ['cancel an open QR → close (cancel)', open(), { on: 'cancel' }, { next: 'close', why: 'cancel' }],
  ['cancel an ended sale → refused', open({ status: 'failed' }), { on: 'cancel' }, { next: 'refuse', reason: 'already failed' }],
  // notifications (and the cashier's re-query)
  ['notification on an open QR → query now', open(), { on: 'notification' }, { next: 'query' }],
  ['notification on a closed sale → query (a late payment is caught)', open({ status: 'closed' }), { on: 'notification' }, { next: 'query' }],
  ['notification on a paid sale → nothing', open({ status: 'paid' }), { on: 'notification' }, { next: 'none' }],
  [
    're-query while the create is in flight → wait (never strand a live QR)',
    open({ status: 'created', hasReference: false, creating: true }),
    { on: 'notification' },
    { next: 'wait' },
  ],
  [
    're-query of a create that never got its answer → failed',
    open({ status: 'created', hasReference: false }),
    { on: 'notification' },
    { next: 'fail_unsent' },
  ],
  [
    're-query of a pushed order whose create answer was never recorded → followed, never failed unseen',
    open({ status: 'created', hasReference: false, payableWithoutAnswer: true }),
    { on: 'notification' },
    { next: 'follow_pushed' },
  ],
];

describe('decision table: payments', () => {
  it.each(paymentRows)('%s', (_name, state, stimulus, expected) => {
    const decision = decidePayment(state, stimulus);
    expect(decision.next).toBe(expected.next);
    for (const [field, value] of Object.entries(expected)) expect((decision as Record<string, unknown>)[field], field).toEqual(value);
  });
});

type RefundRow = [name: string, state: RefundState, stimulus: RefundStimulus, expected: Expect<RefundDecision>];
const SENT_AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const refundAnswer = (outcome: GatewayOutcome, op: 'refund' | 'query' = 'refund'): RefundStimulus => ({ on: 'answer', op, outcome, at: SENT_AT + 1000 });
const sentRefund = (over: Partial<RefundState> = {}): RefundState => ({ status: 'created', hasReference: false, sentAt: SENT_AT, ...over });
const WITH_TRACE = (o: GatewayOutcome): GatewayOutcome => (o.kind === 'transport_unknown' ? o : { ...o, answer: { ...o.answer, reference: 'RT1' } });

const refundRows: RefundRow[] = [
  ['R 00 → succeeded', sentRefund(), refundAnswer(WITH_TRACE(PAID)), { next: 'record', status: 'succeeded', reference: 'RT1', then: 'end' }],
  ['R 77 → failed, nothing refunded', sentRefund(), refundAnswer(WITH_TRACE(FAILED_77)), { next: 'record', status: 'failed', then: 'end' }],
  ['R 88 → pending, J polling', sentRefund(), refundAnswer(WITH_TRACE(WAITING_88)), { next: 'record', status: 'pending', then: 'query' }],
  [
    'R 99 with a trace → 状态未明, J polling',
    sentRefund(),
    refundAnswer(WITH_TRACE(UNKNOWN_99)),
    { next: 'record', status: 'unknown', reference: 'RT1', then: 'query' },
  ],
  ['R other code → failed (refused)', sentRefund(), refundAnswer(OTHER_96), { next: 'record', status: 'failed', respCode: '96' }],
  [
    'R transport unknown after sending → 状态未明 for a supervisor, R never resent',
    sentRefund(),
    refundAnswer(TIMEOUT),
    { next: 'record', status: 'unknown', then: 'query' },
  ],
  [
    'R not delivered (no connection) → failed, cap freed',
    sentRefund(),
    refundAnswer(NO_CONNECTION),
    { next: 'record', status: 'failed', respMsg: 'refund not delivered (connect: ECONNREFUSED); nothing was refunded' },
  ],
  ['J 00 → succeeded', sentRefund({ status: 'unknown', hasReference: true }), refundAnswer(PAID, 'query'), { next: 'record', status: 'succeeded' }],
  ['J 77 → failed', sentRefund({ status: 'pending', hasReference: true }), refundAnswer(FAILED_77, 'query'), { next: 'record', status: 'failed' }],
  ['J 88 → pending', sentRefund({ status: 'unknown', hasReference: true }), refundAnswer(WAITING_88, 'query'), { next: 'record', status: 'pending' }],
  [
    'J other code → the query failed, the refund keeps its state and stays counted',
    sentRefund({ status: 'pending', hasReference: true }),
    refundAnswer(OTHER_96, 'query'),
    { next: 'record', status: 'pending', then: 'query' },
  ],
  [
    'J transport unknown → keeps its state, queried again',
    sentRefund({ status: 'pending', hasReference: true }),
    refundAnswer(TIMEOUT, 'query'),
    { next: 'record', status: 'pending', then: 'query' },
  ],
  ['timer: final refund → nothing', sentRefund({ status: 'succeeded', hasReference: true }), { on: 'timer' }, { next: 'none' }],
  ['timer: with a trace → J', sentRefund({ status: 'pending', hasReference: true }), { on: 'timer' }, { next: 'query' }],
  [
    'timer: never sent (no marker) → failed, nothing refunded',
    sentRefund({ sentAt: null }),
    { on: 'timer' },
    { next: 'record', status: 'failed', then: 'end' },
  ],
  ['timer: sent, answer lost, no trace → 状态未明 for a supervisor', sentRefund(), { on: 'timer' }, { next: 'record', status: 'unknown' }],
  ['timer: already 状态未明 without a trace → nothing (waits for a supervisor)', sentRefund({ status: 'unknown' }), { on: 'timer' }, { next: 'none' }],
];

describe('decision table: the answer to a close (S)', () => {
  const rows: [string, GatewayOutcome | null, number, 'resend' | 'done'][] = [
    ['confirmed → done', PAID, 0, 'done'],
    ['no usable answer (timeout) → sent again', TIMEOUT, 0, 'resend'],
    ['no connection → sent again', NO_CONNECTION, 1, 'resend'],
    ['99 → sent again', UNKNOWN_99, 2, 'resend'],
    [`no usable answer after ${CLOSE_RESENDS} resends → done (状态未明, still queried)`, TIMEOUT, CLOSE_RESENDS, 'done'],
    ['77 (already final) → done', FAILED_77, 0, 'done'],
    ['88 (still open, the bank answered) → done', WAITING_88, 0, 'done'],
    ['another code (refused) → done', OTHER_96, 0, 'done'],
    ['the gateway cannot close → done', null, 0, 'done'],
  ];
  it.each(rows)('%s', (_name, outcome, resent, expected) => {
    expect(decideCloseAnswer(outcome, resent)).toBe(expected);
  });
});

describe('decision table: refunds', () => {
  it.each(refundRows)('%s', (_name, state, stimulus, expected) => {
    const decision = decideRefund(state, stimulus);
    for (const [field, value] of Object.entries(expected)) expect((decision as Record<string, unknown>)[field], field).toEqual(value);
  });

  it('a lost R answer names when R left (the evidence for the supervisor)', () => {
    const decision = decideRefund(sentRefund(), refundAnswer(TIMEOUT));
    expect(decision).toMatchObject({
      respMsg: expect.stringContaining('R left at 2026-01-02T03:04:05.000Z and its answer was lost (timeout: no answer in 15000 ms)'),
    });
  });
});

type CardRow = [name: string, status: PaymentStatus, stimulus: CardSaleStimulus, expected: Expect<CardSaleDecision>];
const APPROVED: GatewayOutcome = { kind: 'success', answer: { code: '00', message: '交易成功', reference: '12345678-000001-000123-REF1' } };
const DECLINED: GatewayOutcome = { kind: 'failed', answer: { code: '51', message: '余额不足' } };
const SILENT: GatewayOutcome = { kind: 'transport_unknown', reason: 'answer_timeout', detail: 'no answer', delivered: true };
const UNSENT: GatewayOutcome = { kind: 'transport_unknown', reason: 'disconnected', detail: 'port closed', delivered: false };
const NOT_THIS_SALE: GatewayOutcome = { kind: 'unknown', answer: { code: '00', message: "the terminal's last transaction is not this sale" } };

const cardRows: CardRow[] = [
  [
    'sale approved → paid with the terminal reference',
    'created',
    { on: 'created', outcome: APPROVED },
    { next: 'record', status: 'paid', respCode: '00', reference: '12345678-000001-000123-REF1', then: 'end' },
  ],
  [
    'sale declined → failed with the terminal code',
    'created',
    { on: 'created', outcome: DECLINED },
    { next: 'record', status: 'failed', respCode: '51', respMsg: '余额不足' },
  ],
  [
    'no final answer after sending → 状态未明, ask for the last transaction (never resend)',
    'created',
    { on: 'created', outcome: SILENT },
    { next: 'record', status: 'unknown', then: 'query' },
  ],
  [
    'not a byte sent → failed, nothing charged',
    'created',
    { on: 'created', outcome: UNSENT },
    { next: 'record', status: 'failed', respMsg: 'not sent to the terminal (disconnected); nothing was charged' },
  ],
  ['last transaction is this sale → paid', 'unknown', { on: 'answer', outcome: APPROVED }, { next: 'record', status: 'paid', then: 'end' }],
  [
    'last transaction is another sale → stays 状态未明 (never guessed failed)',
    'unknown',
    { on: 'answer', outcome: NOT_THIS_SALE },
    { next: 'record', status: 'unknown', respCode: undefined },
  ],
  [
    'last-transaction query unanswered → stays 状态未明',
    'unknown',
    { on: 'answer', outcome: SILENT },
    { next: 'record', status: 'unknown', respMsg: 'terminal did not answer the last-transaction query (answer_timeout)' },
  ],
  ['answer on an ended sale → nothing', 'paid', { on: 'answer', outcome: APPROVED }, { next: 'none' }],
  ['resume a sale that never got an answer → 状态未明, ask the terminal', 'created', { on: 'resume' }, { next: 'record', status: 'unknown', then: 'query' }],
  ['resume a sale already 状态未明 → ask the terminal', 'unknown', { on: 'resume' }, { next: 'query' }],
];

describe('decision table: card sales', () => {
  it.each(cardRows)('%s', (_name, status, stimulus, expected) => {
    const decision = decideCardSale(status, stimulus);
    for (const [field, value] of Object.entries(expected)) expect((decision as Record<string, unknown>)[field], field).toEqual(value);
  });
});
