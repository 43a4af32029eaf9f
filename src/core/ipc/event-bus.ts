import { events, type EventName } from '../../shared/ipc/contract';
import type { EventPayload, Unsubscribe } from '../../shared/ipc/types';

export type AnyEventListener = (event: EventName, payload: unknown) => void;

/**
 * The host's event bus. Every payload is parsed with the contract's schema before it is delivered, so
 * a field that is not in the contract (a key, say) never reaches a window.
 */
export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    const parsed: unknown = events[event].parse(payload);
    for (const listener of [...this.listeners]) {
      try {
        listener(event, parsed);
      } catch {
        // A broken window must not stop the others from hearing about a payment.
      }
    }
  }

  onAny(listener: AnyEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe {
    return this.onAny((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
