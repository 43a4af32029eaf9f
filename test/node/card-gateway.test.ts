import { describe, expect, it } from 'vitest';
import { CardTerminalGateway, cardSentRecord } from '../../src/core/devices/card-gateway';
import type { CardResult, CardTerminalClient } from '../../src/core/devices/card-terminal';
import type { MisResponse } from '../../src/core/devices/mis';

/** The card terminal link behind the gateway port: what a sale and a last-transaction answer become. */
const SENT_AT = new Date(2026, 10, 23, 14, 30, 0).getTime(); // local time, as the terminal's clock
const response = (over: Partial<MisResponse> = {}): MisResponse => ({
  returnCode: '00',
  bankCode: '0102',
  cardNo: '6222021234567890123',
  voucherNo: '000123 ',
  amountFen: 2580,
  message: '交易成功',
  merchantNo: '898310048990001',
  terminalNo: '12345678',
  batchNo: '000001',
  date: '1123',
  time: '143005',
  referenceNo: 'REF000000001',
  authCode: '123456',
  settlementDate: '1123',
  check: '123',
  ...over,
});

function gateway(answer: CardResult, busy = false): CardTerminalGateway {
  const terminal = { busy, sale: async () => answer, queryLast: async () => answer } as unknown as CardTerminalClient;
  return new CardTerminalGateway(terminal, () => SENT_AT + 5000);
}
const order = { reference: '', amountFen: 2580, tradeNo: 'P1', sentAt: SENT_AT };

describe('card terminal gateway (adapter)', () => {
  it('approved sale → success with the terminal reference; the card number is masked in the exchange record', async () => {
    const r = await gateway({ kind: 'approved', response: response() }).create({ tradeNo: 'P1', amountFen: 2580 });
    expect(r).toMatchObject({ kind: 'success', answer: { code: '00', message: '交易成功', reference: '12345678-000001-000123-REF000000001' } });
    expect(r.exchange.type).toBe('card.sale');
    expect(JSON.stringify(r.exchange.data)).not.toContain('6222021234567890123');
  });

  it('declined → failed with the terminal code; no answer → unclear, delivered only if the frame went out', async () => {
    expect(
      await gateway({ kind: 'declined', code: '51', message: '余额不足', response: response({ returnCode: '51' }) }).create({ tradeNo: 'P1', amountFen: 1 }),
    ).toMatchObject({
      kind: 'failed',
      answer: { code: '51', message: '余额不足' },
    });
    expect(await gateway({ kind: 'unknown', reason: 'answer_timeout', detail: 'x', sent: true }).create({ tradeNo: 'P1', amountFen: 1 })).toMatchObject({
      kind: 'transport_unknown',
      delivered: true,
    });
    expect(await gateway({ kind: 'unknown', reason: 'disconnected', detail: 'x', sent: false }).create({ tradeNo: 'P1', amountFen: 1 })).toMatchObject({
      kind: 'transport_unknown',
      delivered: false,
    });
  });

  it('last transaction: only approved + same amount + not older than our request (−2 min drift) is this sale', async () => {
    expect(await gateway({ kind: 'approved', response: response() }).query(order)).toMatchObject({
      kind: 'success',
      answer: { reference: '12345678-000001-000123-REF000000001' },
    });
    expect(await gateway({ kind: 'approved', response: response({ time: '142900' }) }).query(order)).toMatchObject({ kind: 'success' });
    expect(await gateway({ kind: 'approved', response: response({ amountFen: 2581 }) }).query(order)).toMatchObject({ kind: 'unknown' });
    expect(await gateway({ kind: 'approved', response: response({ time: '142700' }) }).query(order)).toMatchObject({ kind: 'unknown' });
    expect(await gateway({ kind: 'approved', response: response({ date: '1122', time: '235959' }) }).query(order)).toMatchObject({ kind: 'unknown' });
    expect(await gateway({ kind: 'declined', code: '25', message: '无原交易', response: response({ returnCode: '25' }) }).query(order)).toMatchObject({
      kind: 'rejected',
      answer: { message: 'last-transaction query declined: 25 无原交易' },
    });
    expect(await gateway({ kind: 'unknown', reason: 'answer_timeout', detail: 'x', sent: true }).query(order)).toMatchObject({ kind: 'transport_unknown' });
  });

  it('a busy terminal is refused before anything is written; the journal record names the frame', () => {
    expect(() => gateway({ kind: 'approved', response: response() }, true).assertReady()).toThrow(expect.objectContaining({ code: 'DEVICE_BUSY' }));
    expect(cardSentRecord({ kind: 'sale', request: {} as never, payloadHex: 'ab', sentAt: 1, path: '/dev/ttyS0' })).toEqual({
      type: 'card.sent',
      data: { kind: 'sale', payloadHex: 'ab', path: '/dev/ttyS0' },
    });
  });
});
