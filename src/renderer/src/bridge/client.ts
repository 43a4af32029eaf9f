/**
 * The renderer's single client module. In Electron the preload has put `window.pos` in place; in
 * browser mode we build the same API over the WebSocket, using the token from the page URL.
 * Components call `call()`, which unwraps the envelope and throws a `BridgeError` carrying the code.
 */
import type { ChannelName } from '../../../shared/ipc/contract';
import type { ChannelInput, ChannelOutput, PosBridge } from '../../../shared/ipc/types';
import type { ErrorInfo } from '../../../shared/errors';
import { withApprovalNonces } from '../../../shared/ipc/approvals';
import { createWsBridge } from './ws-client';

declare global {
  interface Window {
    pos?: PosBridge;
  }
}

export class BridgeError extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'BridgeError';
    this.info = info;
  }
}

let bridge: PosBridge | null = null;

export function getBridge(): PosBridge {
  if (bridge !== null) return bridge;
  if (window.pos !== undefined) {
    bridge = window.pos;
  } else {
    const token = new URLSearchParams(window.location.search).get('token') ?? '';
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    bridge = createWsBridge(`${scheme}://${window.location.host}/ipc?token=${encodeURIComponent(token)}`);
  }
  return bridge;
}

/** For tests: use a given transport (e.g. the in-memory pair). */
export function setBridge(next: PosBridge | null): void {
  bridge = next;
}

/**
 * Calls a channel. An input carrying an approval (supervisor code + PIN) first gets a single-use
 * nonce per approval, issued by the core for exactly this action and these inputs.
 */
export async function call<C extends ChannelName>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const bound = (await withApprovalNonces(
    channel,
    input,
    async (action, subject) => (await call('approval:nonce', { action, input: subject })).nonce,
  )) as ChannelInput<C>;
  const result = await getBridge().invoke(channel, bound);
  if (!result.ok) throw new BridgeError(result.error);
  return result.value;
}
