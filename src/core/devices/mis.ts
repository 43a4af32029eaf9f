/**
 * The UnionPay-merchant-services MIS fixed-width payload (digest §2b). ASCII fields right-padded with
 * spaces, the amount zero-padded on the left, the message in GBK.
 *
 * Request (59 bytes): register 8 · operator 8 · type 2 · amount 12 · original date 8 · original
 * reference 12 · original voucher 6 · check 3.
 * Response (148 bytes): return code 2 · bank code 4 · card number 20 · voucher 6 · amount 12 ·
 * message 40 · merchant 15 · terminal 8 · batch 6 · date 4 · time 6 · reference 12 · auth code 6 ·
 * settlement date 4 · check 3.
 */
import iconv from 'iconv-lite';
import { AppError } from '../../shared/errors';
import { maskPanText } from '../util/logger';
import { fitCells } from './text';

export const MIS_REQUEST_LENGTH = 59;
export const MIS_RESPONSE_LENGTH = 148;
export const MIS_MAX_AMOUNT_FEN = 999_999_999_999;
export const MIS_OK = '00';

export interface MisRequest {
  registerNo: string;
  operatorNo: string;
  /** Two-character transaction type code (`00` sale … `06` settle, see MIS_TRANSACTION_TYPES). */
  type: string;
  /** Integer fen, 0 for requests without an amount. */
  amountFen: number;
  /** YYYYMMDD, refunds. */
  originalDate?: string;
  /** Refunds. */
  originalReference?: string;
  /** Voids. */
  originalVoucher?: string;
  /** Three digits the terminal echoes back. */
  check: string;
}

export interface MisResponse {
  returnCode: string;
  bankCode: string;
  /**
   * The card number as this app keeps it: masked on decode to the first 6 and last 4 digits at most
   * (`maskPanText`), whatever the terminal sent — some terminals send the full PAN.
   */
  cardNo: string;
  voucherNo: string;
  /** Integer fen; null when the field is not 12 digits (e.g. blank on some declines). */
  amountFen: number | null;
  message: string;
  merchantNo: string;
  terminalNo: string;
  batchNo: string;
  /** MMDD. */
  date: string;
  /** hhmmss. */
  time: string;
  referenceNo: string;
  authCode: string;
  /** MMDD. */
  settlementDate: string;
  check: string;
}

const REQUEST_FIELDS = [
  ['registerNo', 8],
  ['operatorNo', 8],
  ['type', 2],
  ['amountFen', 12],
  ['originalDate', 8],
  ['originalReference', 12],
  ['originalVoucher', 6],
  ['check', 3],
] as const;

const RESPONSE_FIELDS = [
  ['returnCode', 2],
  ['bankCode', 4],
  ['cardNo', 20],
  ['voucherNo', 6],
  ['amountFen', 12],
  ['message', 40],
  ['merchantNo', 15],
  ['terminalNo', 8],
  ['batchNo', 6],
  ['date', 4],
  ['time', 6],
  ['referenceNo', 12],
  ['authCode', 6],
  ['settlementDate', 4],
  ['check', 3],
] as const;

function asciiField(field: string, value: string, width: number): Buffer {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new AppError('BAD_INPUT', `${field} must be printable ASCII`, { field });
  if (value.length > width) throw new AppError('BAD_INPUT', `${field} is longer than ${width} characters`, { field });
  return Buffer.from(value.padEnd(width, ' '), 'latin1');
}

function amountField(field: string, amountFen: number): Buffer {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0 || amountFen > MIS_MAX_AMOUNT_FEN) {
    throw new AppError('AMOUNT_INVALID', `${field} must be a whole number of fen between 0 and ${MIS_MAX_AMOUNT_FEN}`, { field });
  }
  return Buffer.from(String(amountFen).padStart(12, '0'), 'latin1');
}

function checkField(check: string): Buffer {
  if (!/^[0-9]{3}$/.test(check)) throw new AppError('BAD_INPUT', 'check must be three digits', { field: 'check' });
  return Buffer.from(check, 'latin1');
}

/**
 * Encodes a request (59 ASCII bytes). Fails with BAD_INPUT naming the field when a value is too long
 * or not printable ASCII, with AMOUNT_INVALID for a bad amount.
 */
export function encodeMisRequest(req: MisRequest): Buffer {
  if (!/^[0-9A-Za-z]{2}$/.test(req.type)) throw new AppError('BAD_INPUT', 'type must be two characters', { field: 'type' });
  const parts = REQUEST_FIELDS.map(([field, width]) => {
    if (field === 'amountFen') return amountField(field, req.amountFen);
    if (field === 'check') return checkField(req.check);
    return asciiField(field, req[field] ?? '', width);
  });
  return Buffer.concat(parts);
}

function sliceFields<const F extends readonly (readonly [string, number])[]>(buf: Buffer, fields: F): Record<F[number][0], Buffer> {
  const out: Record<string, Buffer> = {};
  let at = 0;
  for (const [name, width] of fields) {
    out[name] = buf.subarray(at, at + width);
    at += width;
  }
  return out;
}

const text = (b: Buffer): string => b.toString('latin1').trimEnd();

/** Decodes a request (the simulator's side). DEVICE_PROTOCOL when the length or amount is wrong. */
export function decodeMisRequest(buf: Buffer): MisRequest {
  if (buf.length !== MIS_REQUEST_LENGTH) {
    throw new AppError('DEVICE_PROTOCOL', `MIS request must be ${MIS_REQUEST_LENGTH} bytes, got ${buf.length}`);
  }
  const f = sliceFields(buf, REQUEST_FIELDS);
  const amount = f.amountFen.toString('latin1');
  if (!/^[0-9]{12}$/.test(amount)) throw new AppError('DEVICE_PROTOCOL', 'MIS request amount is not 12 digits');
  const req: MisRequest = {
    registerNo: text(f.registerNo),
    operatorNo: text(f.operatorNo),
    type: f.type.toString('latin1'),
    amountFen: Number(amount),
    check: f.check.toString('latin1'),
  };
  const originalDate = text(f.originalDate);
  const originalReference = text(f.originalReference);
  const originalVoucher = text(f.originalVoucher);
  if (originalDate !== '') req.originalDate = originalDate;
  if (originalReference !== '') req.originalReference = originalReference;
  if (originalVoucher !== '') req.originalVoucher = originalVoucher;
  return req;
}

/**
 * Encodes a response (148 bytes; the simulator's side). The message is GBK, cut at a character
 * boundary to 40 bytes. BAD_INPUT for over-long ASCII fields.
 */
export function encodeMisResponse(res: MisResponse): Buffer {
  const parts = RESPONSE_FIELDS.map(([field, width]) => {
    if (field === 'amountFen') {
      return res.amountFen === null ? Buffer.alloc(12, 0x20) : amountField(field, res.amountFen);
    }
    if (field === 'message') return fitCells(res.message, width, 'gbk');
    return asciiField(field, res[field], width);
  });
  return Buffer.concat(parts);
}

/**
 * Decodes a terminal's answer. Fails with DEVICE_PROTOCOL unless it is exactly 148 bytes. Text fields
 * are trimmed; the message is decoded from GBK.
 */
export function decodeMisResponse(buf: Buffer): MisResponse {
  if (buf.length !== MIS_RESPONSE_LENGTH) {
    throw new AppError('DEVICE_PROTOCOL', `MIS response must be ${MIS_RESPONSE_LENGTH} bytes, got ${buf.length}`);
  }
  const f = sliceFields(buf, RESPONSE_FIELDS);
  const amount = f.amountFen.toString('latin1');
  return {
    returnCode: f.returnCode.toString('latin1'),
    bankCode: text(f.bankCode),
    // Masked before anything else sees it: nothing downstream (ledger, log, bridge) gets a full PAN.
    cardNo: maskPanText(text(f.cardNo)),
    voucherNo: text(f.voucherNo),
    amountFen: /^[0-9]{12}$/.test(amount) ? Number(amount) : null,
    message: iconv.decode(f.message, 'gbk').trimEnd(),
    merchantNo: text(f.merchantNo),
    terminalNo: text(f.terminalNo),
    batchNo: text(f.batchNo),
    date: text(f.date),
    time: text(f.time),
    referenceNo: text(f.referenceNo),
    authCode: text(f.authCode),
    settlementDate: text(f.settlementDate),
    check: f.check.toString('latin1'),
  };
}
