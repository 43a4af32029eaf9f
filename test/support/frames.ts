import type { Page } from 'playwright-core';

/**
 * A tap on every bridge frame (WebSocket) of every page the e2e tests open (launchChromium wires it),
 * to prove that no configured secret — nor any 8-character window of it — ever comes back from the
 * host to a page (issue 13.4). Frames the page sends are kept too: a secret the user types into a
 * write-only field must be seen going out, which proves the tap sees what it claims to.
 */
const received: string[] = [];
const sent: string[] = [];
const secrets = new Set<string>();

export function tapFrames(page: Page): void {
  page.on('websocket', (ws) => {
    ws.on('framereceived', (f) => received.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
    ws.on('framesent', (f) => sent.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')));
  });
}

/** A secret the test configured: it must never be in a frame the host sends. */
export function watchSecret(secret: string): void {
  if (secret.length < 8) throw new Error('watchSecret: a secret shorter than 8 characters cannot be windowed');
  secrets.add(secret);
}

/** Every 8-character window of every watched secret found in a received frame ('' when none). */
export function leakedSecrets(): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    for (let i = 0; i + 8 <= s.length; i += 1) {
      const window = s.slice(i, i + 8);
      const hit = received.find((f) => f.includes(window));
      if (hit !== undefined) found.push(`"${window}" in a frame: ${hit.slice(0, 200)}`);
    }
  }
  return found;
}

export function framesSeen(): { received: number; sent: number; sentWith(secret: string): boolean } {
  return { received: received.length, sent: sent.length, sentWith: (secret) => sent.some((f) => f.includes(secret)) };
}
