/** The receipt printer's channels (contract: receipt:*, printer:test). */
import { AppError } from '../../shared/errors';
import type { Handlers } from '../../shared/ipc/types';
import type { PrintRequest, ReceiptService } from './receipt-service';

type ReceiptChannels = 'receipt:print' | 'receipt:text' | 'receipt:queue' | 'receipt:retry' | 'receipt:discard' | 'printer:test' | 'printer:systemList';

function request(input: {
  kind: 'payment' | 'refund' | 'shift' | 'day';
  id?: number | undefined;
  day?: string | undefined;
  reprint?: boolean | undefined;
}): PrintRequest {
  const ref = input.kind === 'day' ? input.day : input.id;
  if (ref === undefined) throw new AppError('BAD_INPUT', 'a day report needs the day, the others their id', { field: input.kind === 'day' ? 'day' : 'id' });
  // No `reprint` given: the service marks 重印 a sale's or refund's receipt that was printed before.
  return { kind: input.kind, ref, ...(input.reprint === undefined ? {} : { reprint: input.reprint }) };
}

export function receiptHandlers(receipts: ReceiptService, actor: () => string | null): Pick<Handlers, ReceiptChannels> {
  return {
    'receipt:print': (input) => receipts.print(request(input)),
    'receipt:text': (input) => receipts.text(input.kind === 'test' ? { kind: 'test', ref: 0 } : request({ ...input, kind: input.kind })),
    'receipt:queue': () => receipts.queue(),
    'receipt:retry': async ({ jobId }) => (jobId === undefined ? receipts.retryAll() : [await receipts.retry(jobId)]),
    'receipt:discard': ({ jobId }) => receipts.discard(jobId, actor()),
    'printer:test': () => receipts.print({ kind: 'test', ref: 0 }),
    'printer:systemList': () => receipts.systemPrinters(),
  };
}
