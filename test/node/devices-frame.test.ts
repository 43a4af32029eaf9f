import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import type { LinkEvent } from '../../src/core/devices/frame';
import { FrameDecoder, FrameParser, decodeBcdLength, encodeBcdLength, encodeFrame, lrc } from '../../src/core/devices/frame';
import type { MisResponse } from '../../src/core/devices/mis';
import { decodeMisRequest, decodeMisResponse, encodeMisRequest, encodeMisResponse } from '../../src/core/devices/mis';
import { expectAppError } from '../support/errors';

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('BCD length and LRC', () => {
  it('262 → 02 62 and back', () => {
    expect(encodeBcdLength(262)).toEqual(h('02 62'));
    expect(encodeBcdLength(0)).toEqual(h('00 00'));
    expect(encodeBcdLength(9999)).toEqual(h('99 99'));
    expect(decodeBcdLength(0x02, 0x62)).toBe(262);
    expect(decodeBcdLength(0x1a, 0x00)).toBeNull();
    expectAppError(() => encodeBcdLength(10_000), 'BAD_INPUT');
  });

  it('frame = STX len data ETX LRC, LRC over length..ETX', () => {
    // 00 ^ 02 ^ 41 ^ 42 ^ 03 = 02
    expect(encodeFrame(Buffer.from('AB'))).toEqual(h('02 0002 4142 03 02'));
    const data = Buffer.alloc(262, 0x30);
    const frame = encodeFrame(data);
    expect(frame.subarray(0, 3)).toEqual(h('02 02 62'));
    expect(frame[frame.length - 2]).toBe(0x03);
    expect(frame[frame.length - 1]).toBe(lrc(frame.subarray(1, frame.length - 1)));
    expect(frame.length).toBe(1 + 2 + 262 + 1 + 1);
  });
});

describe('FrameDecoder', () => {
  const frameA = encodeFrame(Buffer.from('HELLO'));
  const frameB = encodeFrame(Buffer.from('WORLD!'));

  const kinds = (events: LinkEvent[]): string[] =>
    events.filter((e) => e.kind !== 'garbage').map((e) => (e.kind === 'frame' || e.kind === 'bad_lrc' ? `${e.kind}:${e.data.toString()}` : e.kind));

  it('survives garbage and chunks split at every byte', () => {
    const stream = Buffer.concat([h('FF 00 41'), frameA, h('06'), h('99'), frameB, h('15')]);
    const dec = new FrameDecoder();
    const events: LinkEvent[] = [];
    for (const byte of stream) events.push(...dec.push(Buffer.from([byte])));
    expect(kinds(events)).toEqual(['frame:HELLO', 'ack', 'frame:WORLD!', 'nak']);
    expect(events.some((e) => e.kind === 'garbage')).toBe(true);
    expect(dec.pending).toBe(0);
  });

  it('reports a bad LRC and goes on with the next frame', () => {
    const bad = Buffer.from(frameA);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x55;
    const events = new FrameDecoder().push(Buffer.concat([bad, frameB]));
    expect(kinds(events)).toEqual(['bad_lrc:HELLO', 'frame:WORLD!']);
  });

  it('resynchronises after a stray STX, a non-BCD length or a missing ETX', () => {
    const noEtx = Buffer.from(frameA);
    noEtx[noEtx.length - 2] = 0x04;
    const events = new FrameDecoder().push(Buffer.concat([h('02 1F'), noEtx, h('02 0A 0B'), frameB]));
    expect(kinds(events)).toEqual(['frame:WORLD!']);
  });

  it('drops a stale partial frame so a later ACK is not swallowed', () => {
    let now = 1000;
    const dec = new FrameDecoder({ now: () => now, staleMs: 500 });
    expect(dec.push(h('02 00 30 41'))).toEqual([]); // announces 30 bytes, never completes
    now += 2000;
    expect(kinds(dec.push(h('06')))).toEqual(['ack']);
  });

  it('FrameParser is a Transform emitting link events from piped chunks', async () => {
    const parser = new FrameParser();
    const seen: LinkEvent[] = [];
    parser.on('data', (e: LinkEvent) => seen.push(e));
    const all = Buffer.concat([h('EE'), frameA, h('06'), frameB]);
    parser.write(all.subarray(0, 4));
    parser.write(all.subarray(4, 11));
    parser.write(all.subarray(11));
    await new Promise((resolve) => setImmediate(resolve));
    expect(kinds(seen)).toEqual(['frame:HELLO', 'ack', 'frame:WORLD!']);
    expect(seen.some((e) => e.kind === 'garbage')).toBe(false);
    parser.destroy();
  });
});

describe('MIS payload', () => {
  it('encodes a sale request field by field (59 bytes)', () => {
    const bytes = encodeMisRequest({ registerNo: 'POS01', operatorNo: '007', type: '00', amountFen: 1228, check: '042' });
    const expected = 'POS01   ' + '007     ' + '00' + '000000001228' + ' '.repeat(8) + ' '.repeat(12) + ' '.repeat(6) + '042';
    expect(bytes.toString('latin1')).toBe(expected);
    expect(bytes.length).toBe(59);
  });

  it('encodes refund and void originals in their columns', () => {
    const refund = encodeMisRequest({
      registerNo: '1',
      operatorNo: '2',
      type: '02',
      amountFen: 500,
      originalDate: '20261122',
      originalReference: '123456789012',
      check: '001',
    });
    expect(refund.subarray(30, 38).toString('latin1')).toBe('20261122');
    expect(refund.subarray(38, 50).toString('latin1')).toBe('123456789012');
    const voided = encodeMisRequest({ registerNo: '', operatorNo: '', type: '01', amountFen: 0, originalVoucher: '000123', check: '999' });
    expect(voided.subarray(50, 56).toString('latin1')).toBe('000123');
    expect(decodeMisRequest(refund)).toEqual({
      registerNo: '1',
      operatorNo: '2',
      type: '02',
      amountFen: 500,
      originalDate: '20261122',
      originalReference: '123456789012',
      check: '001',
    });
  });

  it('rejects over-long fields, bad amounts and bad check digits', () => {
    const base = { registerNo: 'R', operatorNo: 'O', type: '00', amountFen: 1, check: '123' };
    expectAppError(() => encodeMisRequest({ ...base, registerNo: '123456789' }), 'BAD_INPUT', 'registerNo');
    expectAppError(() => encodeMisRequest({ ...base, operatorNo: '收银员' }), 'BAD_INPUT', 'operatorNo');
    expectAppError(() => encodeMisRequest({ ...base, amountFen: -1 }), 'AMOUNT_INVALID', 'amountFen');
    expectAppError(() => encodeMisRequest({ ...base, amountFen: 1.5 }), 'AMOUNT_INVALID', 'amountFen');
    expectAppError(() => encodeMisRequest({ ...base, amountFen: 1_000_000_000_000 }), 'AMOUNT_INVALID', 'amountFen');
    expectAppError(() => encodeMisRequest({ ...base, check: '12' }), 'BAD_INPUT', 'check');
  });

  it('decodes a 148-byte response built by hand, message in GBK', () => {
    const msg = iconv.encode('交易成功', 'gbk'); // 8 bytes
    const raw = Buffer.concat([
      Buffer.from('00' + '0102' + '622202******1234    ' + '000017' + '000000012850', 'latin1'),
      msg,
      Buffer.alloc(40 - msg.length, 0x20),
      Buffer.from('898310048990001' + '10010001' + '000001' + '1122' + '093015' + '123456789012' + 'A1B2C3' + '1123' + '042', 'latin1'),
    ]);
    expect(raw.length).toBe(148);
    const res = decodeMisResponse(raw);
    expect(res).toEqual<MisResponse>({
      returnCode: '00',
      bankCode: '0102',
      cardNo: '622202******1234',
      voucherNo: '000017',
      amountFen: 12850,
      message: '交易成功',
      merchantNo: '898310048990001',
      terminalNo: '10010001',
      batchNo: '000001',
      date: '1122',
      time: '093015',
      referenceNo: '123456789012',
      authCode: 'A1B2C3',
      settlementDate: '1123',
      check: '042',
    });
    expect(encodeMisResponse(res)).toEqual(raw);
  });

  it('a response of the wrong length is a protocol error; a blank amount decodes to null', () => {
    expectAppError(() => decodeMisResponse(Buffer.alloc(147, 0x20)), 'DEVICE_PROTOCOL');
    const blankAmount = Buffer.alloc(148, 0x20);
    blankAmount.write('51', 0, 'latin1');
    expect(decodeMisResponse(blankAmount).amountFen).toBeNull();
    expect(decodeMisResponse(blankAmount).returnCode).toBe('51');
  });

  it('cuts a long GBK message at a character boundary', () => {
    const res = decodeMisResponse(Buffer.alloc(148, 0x20));
    const long = encodeMisResponse({ ...res, amountFen: 1, message: 'A' + '余额不足'.repeat(6) });
    expect(long.length).toBe(148);
    // 'A' + 19 Hanzi = 39 bytes; the 20th Hanzi would straddle the 40-byte edge, so it is dropped whole.
    expect(decodeMisResponse(long).message).toBe('A' + '余额不足'.repeat(6).slice(0, 19));
    expect(long[44 + 39]).toBe(0x20);
  });
});
