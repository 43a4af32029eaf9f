import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import type { GatewayCapabilities, GatewayEntry, PaymentGateway } from './port';

/**
 * Which gateway serves a payment: by the gateway id stored on the payment and the payment's own mode
 * (a training payment always goes on with the training simulator, a live one with the live gateway).
 */
export class GatewayRegistry {
  private readonly entries = new Map<string, GatewayEntry>();

  constructor(entries: readonly GatewayEntry[] = []) {
    for (const entry of entries) this.register(entry);
  }

  register(entry: GatewayEntry): void {
    if (this.entries.has(entry.id)) throw new AppError('CONFIG_INVALID', `gateway ${entry.id} is registered twice`);
    this.entries.set(entry.id, entry);
  }

  /** The gateway for (id, mode). Throws NOT_CONFIGURED for an unknown id, or what the entry throws. */
  get(id: string, mode: AppMode): PaymentGateway {
    return this.entry(id).forMode(mode);
  }

  /** The declared capabilities of a gateway, without reaching it. */
  capabilities(id: string): GatewayCapabilities {
    return this.entry(id).capabilities;
  }

  /** The gateway id new sales of a tender go to (the first registered; `flow` narrows the choice). */
  idFor(tender: 'qr' | 'card', flow?: 'polled' | 'device'): string {
    for (const entry of this.entries.values()) if (entry.tender === tender && (flow === undefined || (entry.flow ?? 'polled') === flow)) return entry.id;
    throw new AppError('NOT_CONFIGURED', `no gateway is registered for ${tender} sales`);
  }

  /** The tender a gateway's sales are booked as. */
  tenderOf(id: string): 'qr' | 'card' {
    return this.entry(id).tender;
  }

  /** Whether the payment engine drives this gateway's payments (else a device link does). */
  isPolled(id: string): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && (entry.flow ?? 'polled') === 'polled';
  }

  private entry(id: string): GatewayEntry {
    const entry = this.entries.get(id);
    if (entry === undefined) throw new AppError('NOT_CONFIGURED', `no gateway "${id}" is registered`);
    return entry;
  }
}

/**
 * One adapter per client object, made on first use: for registry entries whose client may be replaced
 * (the live BPC client after a Settings change, a reconnected terminal).
 */
export function adapterPerClient<C extends object, G extends PaymentGateway>(make: (client: C) => G): (client: C) => G {
  const adapters = new WeakMap<C, G>();
  return (client) => {
    let adapter = adapters.get(client);
    if (adapter === undefined) {
      adapter = make(client);
      adapters.set(client, adapter);
    }
    return adapter;
  };
}
