import { eventAccess, events, type EventName, type WindowRole } from '../../shared/ipc/contract';
import type { EventPayload, Unsubscribe } from '../../shared/ipc/types';
import { silentLogger, type Logger } from '../util/logger';

export type AnyEventListener = (event: EventName, payload: unknown) => void;

/**
 * What a window of `role` may hear of an event: the payload parsed with that role's schema from the
 * contract's `eventAccess` (every other field stripped), or `undefined` when the role must not hear it.
 */
export function eventForRole(role: WindowRole, event: EventName, payload: unknown): unknown {
  const schema = eventAccess[event][role];
  if (schema === undefined) return undefined;
  return schema.parse(payload);
}

/**
 * The host's event bus. Every payload is parsed with the contract's schema before it is delivered, so
 * a field that is not in the contract (a key, say) never reaches a window; windows subscribe with
 * `forRole`, which also applies the contract's per-role access list.
 */
export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  constructor(private readonly logger: Logger = silentLogger) {}

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed: unknown = events[event].parse(payload);
    for (const listener of [...this.listeners]) {
      try {
        listener(event, parsed);
      } catch (error) {
        // A broken window must not stop the others from hearing about a payment — but it is logged.
        this.logger.error(`event listener failed on ${event}`, error);
      }
    }
  }

  onAny(listener: AnyEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What a window of `role` hears: only the events it may, each with only the fields it may see. */
  forRole(role: WindowRole, listener: AnyEventListener): Unsubscribe {
    return this.onAny((event, payload) => {
      const visible = eventForRole(role, event, payload);
      if (visible !== undefined) listener(event, visible);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    return this.onAny((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
