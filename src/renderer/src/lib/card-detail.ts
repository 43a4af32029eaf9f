/**
 * The paid card transaction's facts from a sale's gateway detail (masked by the core before it is
 * stored): the card number, reference, batch and trace numbers, the terminal — named the same way for
 * the serial terminal link (referenceNo, voucherNo, terminalNo) and Yima (refNo, traceNo, tid).
 */
import type { GatewayDetail } from '../../../shared/domain';

export type CardFact = 'cardNo' | 'refNo' | 'batchNo' | 'traceNo' | 'terminal';

const SOURCES: [CardFact, string[]][] = [
  ['cardNo', ['cardNo']],
  ['refNo', ['refNo', 'referenceNo']],
  ['batchNo', ['batchNo']],
  ['traceNo', ['traceNo', 'voucherNo']],
  ['terminal', ['tid', 'terminalNo']],
];

/** The facts present in the detail, in display order ([] for a QR sale or a card sale not yet paid). */
export function cardFacts(detail: GatewayDetail | null): [CardFact, string][] {
  if (detail === null) return [];
  const out: [CardFact, string][] = [];
  for (const [fact, keys] of SOURCES) {
    const value = keys.map((k) => detail[k]).find((v) => (typeof v === 'string' && v.trim() !== '') || typeof v === 'number');
    if (value !== undefined) out.push([fact, String(value)]);
  }
  return out;
}
