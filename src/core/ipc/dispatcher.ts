import type { z } from 'zod';
import { channels, isChannelName, type ChannelSpec, type WindowRole } from '../../shared/ipc/contract';
import type { CallContext, Handlers, Result } from '../../shared/ipc/types';
import { AppError, type ErrorInfo } from '../../shared/errors';
import { ledgerErrorOf } from '../ledger/errors';
import type { Logger } from '../util/logger';
import { isApprovedChannel } from '../../shared/ipc/approvals';
import type { ApprovalNonces } from '../operators/approval-nonces';

export type Dispatch = (channel: unknown, input: unknown, ctx: CallContext) => Promise<Result<unknown>>;

/**
 * Turns the handler table into one transport-independent function: checks the channel name and the
 * caller's role, validates the input with the channel's schema, runs the handler, validates (and so
 * strips) the output, and wraps everything in the `{ ok, value } | { ok: false, error }` envelope.
 * SQLite's own failures (disk full, lock held, damaged file) become DISK_FULL / LEDGER_BUSY /
 * LEDGER_CORRUPT; other unexpected exceptions become `INTERNAL` with their stack in the log only.
 * A channel that carries approvals runs only after each approval's single-use nonce, issued for this
 * channel and these inputs, is used up (`approvals`; without it such channels are refused); reads
 * marked `signedIn` need a signed-in operator.
 */
export interface DispatcherGuards {
  /** Single-use approval nonces; without them channels that carry approvals are refused. */
  approvals?: ApprovalNonces;
  /** Whether an operator is signed in at this counter (channels marked `signedIn` need one). */
  signedIn?: () => boolean;
}

export function createDispatcher(handlers: Handlers, logger: Logger, guards: DispatcherGuards = {}): Dispatch {
  const { approvals, signedIn } = guards;
  return async (channel, rawInput, ctx) => {
    if (!isChannelName(channel)) {
      return fail({ code: 'UNKNOWN_CHANNEL', message: `no such channel: ${String(channel).slice(0, 64)}` });
    }
    const spec: ChannelSpec = channels[channel];
    const output = outputFor(spec, ctx.role);
    if (output === null) {
      return fail({ code: 'FORBIDDEN', message: `the ${ctx.role} window may not call ${channel}` });
    }
    if (spec.signedIn === true && signedIn?.() !== true) {
      return fail({ code: 'PIN_REQUIRED', message: `${channel}: sign in at the counter first` });
    }
    const parsed = spec.input.safeParse(rawInput);
    if (!parsed.success) return fail(badInputInfo(channel, parsed.error));
    try {
      if (isApprovedChannel(channel)) {
        if (approvals === undefined) throw new AppError('APPROVAL_INVALID', `${channel}: approvals are not accepted here`);
        approvals.consume(channel, parsed.data);
      }
      const handler = handlers[channel] as (input: unknown, ctx: CallContext) => unknown;
      const value: unknown = await handler(parsed.data, ctx);
      // The full output first (strips what the contract does not declare), then the role's view.
      const full: unknown = spec.output.parse(value);
      return { ok: true, value: output === spec.output ? full : output.parse(full) };
    } catch (error) {
      return fail(toErrorInfo(error, channel, logger));
    }
  };
}

/**
 * The schema a window of `role` gets the channel's answer through, or null when it may not call the
 * channel: the display needs both `display` in `access` and a display-safe `displayOutput`.
 */
export function outputFor(spec: ChannelSpec, role: WindowRole): z.ZodType | null {
  if (!spec.access.includes(role)) return null;
  if (role === 'cashier') return spec.output;
  return spec.displayOutput ?? null;
}

/** BAD_INPUT for the first schema issue: the channel, the field path and the schema's message. */
export function badInputInfo(channel: string, error: z.ZodError): ErrorInfo {
  const issue = error.issues[0];
  const field = issue?.path.join('.') ?? '';
  return { code: 'BAD_INPUT', message: `${channel}: ${field === '' ? '' : `${field}: `}${issue?.message ?? 'invalid input'}`, details: { field } };
}

function fail(error: ErrorInfo): Result<never> {
  return { ok: false, error };
}

export function toErrorInfo(error: unknown, channel: string, logger: Logger): ErrorInfo {
  if (error instanceof AppError) return error.toInfo();
  const ledger = ledgerErrorOf(error);
  if (ledger !== undefined) {
    logger.error(`handler ${channel} failed: ${ledger.code}`, error);
    return ledger.toInfo();
  }
  logger.error(`handler ${channel} failed`, error);
  return { code: 'INTERNAL', message: 'internal error; see the log' };
}
