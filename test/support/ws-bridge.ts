import { createWsBridge } from '../../src/renderer/src/bridge/ws-client';
import { withNonces } from './approvals';

/**
 * The cashier bridge of a browser-mode app, as the renderer's `call()` uses it: approvals get their
 * single-use nonces first. `raw` is the bare WebSocket bridge (what a captured frame replays through).
 */
export function bridgeFor(pageUrl: string): ReturnType<typeof createWsBridge> & { raw: ReturnType<typeof createWsBridge> } {
  const u = new URL(pageUrl);
  const raw = createWsBridge(`ws://${u.host}/ipc?token=${u.searchParams.get('token')}`);
  return {
    ...raw,
    raw,
    invoke: async (channel: string, input: unknown) =>
      raw.invoke(channel as never, (await withNonces(channel, input, (c, i) => raw.invoke(c as never, i as never))) as never),
  };
}
