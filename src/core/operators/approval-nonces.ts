import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { channels } from '../../shared/ipc/contract';
import { approvalsIn, approvalSubject, withPlaceholderApprovals, type ApprovedChannel } from '../../shared/ipc/approvals';
import { badInputInfo } from '../ipc/dispatcher';

/** How long an issued nonce stays usable: long enough to type a PIN, short enough to be worthless later. */
export const APPROVAL_NONCE_TTL_MS = 120_000;
/** At most this many outstanding nonces (the oldest go first): a flood cannot grow memory. */
const MAX_OUTSTANDING = 256;

const PLACEHOLDER = { code: '0', pin: '0000' };

interface Issued {
  action: ApprovedChannel;
  subject: string;
  expiresAt: number;
}

export interface ApprovalNonces {
  /** A nonce for one approval of `action` with `input` (approvals left out). Bad input: BAD_INPUT, as the action would say. */
  issue(action: ApprovedChannel, input: unknown): { nonce: string; expiresAt: number };
  /**
   * Before an approved action runs: every approval in its (parsed) input must carry a nonce issued for
   * this action and these inputs, unexpired and unused; each is used up here. Else APPROVAL_INVALID.
   */
  consume(action: ApprovedChannel, input: unknown): void;
}

/**
 * Single-use approval nonces, kept in memory only: a restart forgets them all, which is what a nonce
 * should do (nothing captured before a restart is usable after it).
 */
export function createApprovalNonces(now: () => number = Date.now): ApprovalNonces {
  const issued = new Map<string, Issued>();

  const sweep = (): void => {
    const t = now();
    for (const [nonce, entry] of issued) if (entry.expiresAt <= t) issued.delete(nonce);
    while (issued.size >= MAX_OUTSTANDING) {
      const oldest = issued.keys().next();
      if (oldest.done === true) break;
      issued.delete(oldest.value);
    }
  };

  return {
    issue(action, input) {
      // Parse as the action itself would (trimmed strings, defaults), so both ends agree on the subject.
      const parsed = channels[action].input.safeParse(withPlaceholderApprovals(action, input, PLACEHOLDER));
      if (!parsed.success) {
        const info = badInputInfo(action, parsed.error);
        throw new AppError(info.code, info.message, info.details);
      }
      sweep();
      const nonce = randomBytes(18).toString('base64url');
      const expiresAt = now() + APPROVAL_NONCE_TTL_MS;
      issued.set(nonce, { action, subject: approvalSubject(action, parsed.data), expiresAt });
      return { nonce, expiresAt };
    },
    consume(action, input) {
      const subject = approvalSubject(action, input);
      for (const { path, value } of approvalsIn(action, input)) {
        const nonce = typeof value === 'object' && value !== null ? (value as { nonce?: unknown }).nonce : undefined;
        const entry = typeof nonce === 'string' ? issued.get(nonce) : undefined;
        if (typeof nonce === 'string') issued.delete(nonce);
        const reason =
          typeof nonce !== 'string'
            ? 'missing'
            : entry === undefined
              ? 'unknown or used'
              : entry.expiresAt <= now()
                ? 'expired'
                : entry.action !== action || entry.subject !== subject
                  ? 'issued for another action'
                  : null;
        if (reason !== null) {
          throw new AppError('APPROVAL_INVALID', `approval ${reason}: ask for a new approval and enter the PIN again`, { field: path.join('.'), reason });
        }
      }
    },
  };
}
