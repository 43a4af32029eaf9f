import type { WindowRole } from '../../shared/ipc/contract';
import type { PosBridge } from '../../shared/ipc/types';
import type { Dispatch } from './dispatcher';
import type { EventBus } from './event-bus';

/**
 * An in-memory transport: the same dispatcher and event bus as Electron IPC and the WebSocket host,
 * with a structured clone on each crossing so that nothing but data passes (as over a real bridge).
 */
export function createMemoryBridge(dispatch: Dispatch, bus: EventBus, role: WindowRole): PosBridge {
  return {
    async invoke(channel, input) {
      const result = await dispatch(channel, structuredClone(input), { role });
      return structuredClone(result) as never;
    },
    on(event, listener) {
      return bus.forRole(role, (name, payload) => {
        if (name === event) listener(structuredClone(payload) as never);
      });
    },
  };
}
