/**
 * The ESC/POS decoder for tests (src/core/devices/escpos-decoder.ts, also used by the printer
 * stand-in), plus helpers that read a decoded receipt like a person would.
 */
import { decodeEscpos, type DecodedReceipt } from '../../src/core/devices/escpos-decoder';

export { decodeEscpos, decodeCode128 } from '../../src/core/devices/escpos-decoder';
export type { DecodedReceipt, DecodedLine } from '../../src/core/devices/escpos-decoder';

/** The printed text lines, trimmed on the right. */
export function receiptText(bytes: Buffer | DecodedReceipt): string[] {
  const decoded = Buffer.isBuffer(bytes) ? decodeEscpos(bytes) : bytes;
  return decoded.lines.map((l) => l.text.trimEnd());
}

/** Splits a byte stream into jobs at each `ESC @` and decodes each. */
export function decodeJobs(bytes: Buffer): DecodedReceipt[] {
  const d = decodeEscpos(bytes);
  // Use the decoder's own init positions (an 1B 40 inside binary data is not a job start).
  const inits = d.commands.filter((c) => c.name === 'init').map((c) => c.at);
  return inits.map((at, k) => decodeEscpos(bytes.subarray(at, inits[k + 1] ?? bytes.length)));
}
