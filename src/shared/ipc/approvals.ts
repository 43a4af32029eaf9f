/**
 * Approvals bound to the action they approve. A supervisor's code + PIN travels with a nonce the core
 * issued for exactly this channel and exactly these inputs (`approval:nonce`); the core consumes it
 * on use, so a captured approval can be replayed neither for another refund nor for the same one.
 *
 * This module is the one list of where approvals sit in each channel's input, and the canonical
 * "subject" both sides derive from an input: the input with its approvals taken out, keys sorted.
 */

/** Where each channel carries an approval (paths into its input). */
export const APPROVAL_PATHS = {
  'app:diagnostics': [['approval']],
  'payment:resolve': [['supervisor']],
  'payment:recheck': [['approval']],
  'refund:create': [['approval']],
  'refund:resolve': [['approval']],
  'refund:record': [['approval']],
  'drawer:open': [['approval']],
  'day:close': [['manager'], ['override', 'approval']],
  'operators:save': [['approval']],
  'settings:save': [['approval']],
  'settings:setKey': [['approval']],
  'settings:setMode': [['approval']],
  'settings:yimaBind': [['approval']],
} as const satisfies Record<string, readonly (readonly string[])[]>;

export type ApprovedChannel = keyof typeof APPROVAL_PATHS;

export const APPROVED_CHANNELS = Object.keys(APPROVAL_PATHS) as [ApprovedChannel, ...ApprovedChannel[]];

export function isApprovedChannel(channel: string): channel is ApprovedChannel {
  return Object.hasOwn(APPROVAL_PATHS, channel);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object holding the approval at `path` (or undefined), and the key it sits under. */
function parentOf(input: unknown, path: readonly string[]): { parent: Record<string, unknown>; key: string } | undefined {
  let node: unknown = input;
  for (const step of path.slice(0, -1)) {
    if (!isRecord(node)) return undefined;
    node = node[step];
  }
  const key = path[path.length - 1];
  return isRecord(node) && key !== undefined ? { parent: node, key } : undefined;
}

/** The approvals `input` carries (an optional one left out is not listed), each with its path. */
export function approvalsIn(channel: ApprovedChannel, input: unknown): { path: readonly string[]; value: unknown }[] {
  return APPROVAL_PATHS[channel].flatMap((path) => {
    const at = parentOf(input, path);
    const value = at?.parent[at.key];
    return value === undefined ? [] : [{ path, value }];
  });
}

/** A deep copy of `input` with every approval of `channel` removed. */
export function withoutApprovals(channel: ApprovedChannel, input: unknown): unknown {
  const copy: unknown = structuredClone(input);
  for (const path of APPROVAL_PATHS[channel]) {
    const at = parentOf(copy, path);
    if (at !== undefined) delete at.parent[at.key];
  }
  return copy;
}

function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = canonical(value[key]);
    }
    return out;
  }
  if (value === undefined) return null;
  return value as Json;
}

/** What an approval of `channel` approves: the input without its approvals, as canonical JSON. */
export function approvalSubject(channel: ApprovedChannel, input: unknown): string {
  return JSON.stringify(canonical(withoutApprovals(channel, input)));
}

/** `input` with a placeholder approval wherever one belongs (so the channel's schema can parse it). */
export function withPlaceholderApprovals(channel: ApprovedChannel, input: unknown, placeholder: unknown): unknown {
  const copy: unknown = structuredClone(input);
  for (const path of APPROVAL_PATHS[channel]) {
    const at = parentOf(copy, path);
    if (at !== undefined) at.parent[at.key] = structuredClone(placeholder);
  }
  return copy;
}

/**
 * The client side: asks the core for one nonce per approval the input carries and adds it. Used by
 * the renderer's `call()` (and by tests that talk to the core directly), so no screen handles nonces.
 */
export async function withApprovalNonces(
  channel: string,
  input: unknown,
  requestNonce: (action: ApprovedChannel, subject: unknown) => Promise<string>,
): Promise<unknown> {
  if (!isApprovedChannel(channel) || !isRecord(input)) return input;
  const present = approvalsIn(channel, input)
    .filter(({ value }) => isRecord(value))
    .map(({ path }) => path);
  if (present.length === 0) return input;
  const subject = withoutApprovals(channel, input);
  const copy = structuredClone(input);
  for (const path of present) {
    const at = parentOf(copy, path);
    if (at === undefined) continue;
    at.parent[at.key] = { ...(at.parent[at.key] as Record<string, unknown>), nonce: await requestNonce(channel, subject) };
  }
  return copy;
}
