import { createWsBridge } from '../../src/renderer/src/bridge/ws-client';

/** A node-side client of browser mode's WebSocket contract, with the token from a page URL. */
export function bridgeFor(pageUrl: string): ReturnType<typeof createWsBridge> {
  const u = new URL(pageUrl);
  return createWsBridge(`ws://${u.host}/ipc?token=${u.searchParams.get('token')}`);
}
