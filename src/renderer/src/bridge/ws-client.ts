import type { EventName } from '../../../shared/ipc/contract';
import type { PosBridge, Result, WsServerFrame } from '../../../shared/ipc/types';

/**
 * Browser mode's transport: the contract over a WebSocket to the loopback host. Calls made before the
 * socket opens wait for it; if the socket drops, pending calls fail with GATEWAY_DOWN-free codes of
 * their own (`INTERNAL`, "connection to the cashier host lost") and the client reconnects.
 */
export function createWsBridge(url: string, WebSocketImpl: typeof WebSocket = WebSocket): PosBridge & { close(): void } {
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();

  const connect = (): Promise<WebSocket> => {
    if (opened !== null) return opened;
    opened = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocketImpl(url);
      socket = ws;
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('cannot reach the cashier host'));
      ws.onmessage = (message: MessageEvent) => {
        let frame: WsServerFrame;
        try {
          frame = JSON.parse(String(message.data)) as WsServerFrame;
        } catch {
          return;
        }
        if ('id' in frame) {
          pending.get(frame.id)?.(frame.result);
          pending.delete(frame.id);
        } else {
          for (const listener of listeners.get(frame.event as EventName) ?? []) listener(frame.payload);
        }
      };
      ws.onclose = () => {
        for (const settle of pending.values()) settle({ ok: false, error: { code: 'INTERNAL', message: 'connection to the cashier host lost' } });
        pending.clear();
        opened = null;
        socket = null;
        if (!closed) setTimeout(() => void connect().catch(() => undefined), 1000);
      };
    });
    return opened;
  };

  return {
    async invoke(channel, input) {
      let ws: WebSocket;
      try {
        ws = await connect();
      } catch (error) {
        opened = null;
        return { ok: false, error: { code: 'INTERNAL', message: error instanceof Error ? error.message : 'connection failed' } };
      }
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        ws.send(JSON.stringify({ id, channel, input }));
      });
    },
    on(event, listener) {
      void connect().catch(() => undefined);
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
