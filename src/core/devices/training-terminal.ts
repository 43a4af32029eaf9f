import { EventEmitter } from 'node:events';
import type { SerialPortLike } from './connection';
import { createTerminalSimulatorCore, type TerminalSimulatorCore } from './simulator';

/** The port path that selects the built-in simulated card terminal (training mode; no hardware). */
export const TRAINING_TERMINAL_PATH = 'training://card-terminal';

/**
 * An in-memory serial line with the terminal simulator on the far end: the same framed link, MIS
 * payload, ACK/NAK and timeouts as a real terminal, without a port. Used by training mode so that the
 * card tender works on any counter PC.
 */
export function createTrainingTerminal(): { simulator: TerminalSimulatorCore; open: () => SerialPortLike } {
  let current: InMemoryPort | null = null;
  const simulator = createTerminalSimulatorCore({
    send: (bytes) => {
      const port = current;
      if (port?.isOpen === true) setImmediate(() => port.emit('data', Buffer.from(bytes)));
    },
  });
  return {
    simulator,
    open: () => {
      current = new InMemoryPort((bytes) => setImmediate(() => simulator.receive(Buffer.from(bytes))));
      return current;
    },
  };
}

class InMemoryPort extends EventEmitter implements SerialPortLike {
  isOpen = false;

  constructor(private readonly deliver: (bytes: Buffer) => void) {
    super();
  }

  open(callback: (err: Error | null) => void): void {
    this.isOpen = true;
    setImmediate(() => {
      this.emit('open');
      callback(null);
    });
  }

  close(callback?: (err: Error | null) => void): void {
    this.isOpen = false;
    setImmediate(() => {
      this.emit('close');
      callback?.(null);
    });
  }

  write(data: Buffer, callback?: (err: Error | null | undefined) => void): boolean {
    if (!this.isOpen) {
      setImmediate(() => callback?.(new Error('port is not open')));
      return false;
    }
    this.deliver(data);
    setImmediate(() => callback?.(null));
    return true;
  }

  drain(callback?: (err: Error | null) => void): void {
    setImmediate(() => callback?.(null));
  }

  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
}
