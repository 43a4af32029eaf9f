/**
 * Link control on top of the framing (digest §2a): send a frame, wait for ACK, resend on NAK (2 retries
 * by default), then wait for the answer frame, ACK a good one and NAK one with a bad LRC. One exchange
 * at a time per terminal.
 *
 * Resending after an ACK *timeout* is only allowed for requests that move no money: for a sale, refund
 * or void we cannot know whether the terminal took the frame and only the ACK was lost, and a second
 * copy could start a second charge. A NAK is different: the terminal said it did not take the frame.
 */
import { AppError } from '../../shared/errors';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { ConnectionEvent } from './connection';
import type { LinkEvent } from './frame';
import { ACK, FrameDecoder, NAK, encodeFrame } from './frame';
import type { Timers } from './timers';
import { realTimers } from './timers';

/** The part of SerialConnection the link uses (an interface so tests can use a fake wire). */
export interface LinkTransport {
  readonly isOpen: boolean;
  write(data: Buffer): Promise<void>;
  onData(listener: (chunk: Buffer) => void): () => void;
  onState(listener: (event: ConnectionEvent) => void): () => void;
}

export interface ExchangeOptions {
  ackTimeoutMs: number;
  answerTimeoutMs: number;
  /** Resends after a NAK (and after an ACK timeout when allowed). */
  maxRetries: number;
  resendOnAckTimeout: boolean;
  /** Awaited right before the first byte is written; if it throws, nothing is sent. */
  beforeFirstWrite?: () => Promise<void>;
}

export type LinkFailure = 'ack_timeout' | 'nak_exhausted' | 'answer_timeout' | 'disconnected' | 'bad_lrc';

export type ExchangeResult =
  | { kind: 'answer'; data: Buffer; transmissions: number }
  /** `sent` is false only when not a single byte reached the port. */
  | { kind: 'failed'; reason: LinkFailure; detail: string; sent: boolean; transmissions: number };

type Wait = LinkEvent | 'timeout' | 'disconnected';

interface Waiter {
  accept: (event: LinkEvent) => boolean;
  resolve: (value: Wait) => void;
  timer: unknown;
}

export interface FramedLinkDeps {
  timers?: Timers;
  now?: () => number;
  logger?: Logger;
}

export class FramedLink {
  private readonly transport: LinkTransport;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly decoder: FrameDecoder;
  private waiter: Waiter | null = null;
  private active = false;
  /** Events that arrived during an exchange before anyone waited for them (ACK and answer in one chunk). */
  private inbox: LinkEvent[] = [];
  private readonly strayListeners = new Set<(data: Buffer) => void>();

  constructor(transport: LinkTransport, deps: FramedLinkDeps = {}) {
    this.transport = transport;
    this.timers = deps.timers ?? realTimers;
    this.now = deps.now ?? Date.now;
    this.logger = deps.logger ?? silentLogger;
    this.decoder = new FrameDecoder({ now: this.now });
    transport.onData((chunk) => {
      for (const event of this.decoder.push(chunk)) this.handle(event);
    });
    transport.onState((event) => {
      if (event.state === 'connected') {
        this.decoder.reset();
        this.inbox = [];
      }
      if (event.state !== 'connected' && this.waiter !== null) this.settle('disconnected');
    });
  }

  get busy(): boolean {
    return this.active;
  }

  /**
   * Good frames that arrived while nobody waited for an answer (e.g. the late answer of a request that
   * already timed out). They are ACKed so the terminal stops resending, then handed to the listener.
   */
  onStray(listener: (data: Buffer) => void): () => void {
    this.strayListeners.add(listener);
    return () => this.strayListeners.delete(listener);
  }

  /**
   * Sends `data` as one frame and returns the answer frame's data, or why there is none. Rejects only
   * with DEVICE_BUSY (another exchange is running), DEVICE_DISCONNECTED (port not open, nothing sent)
   * or whatever `beforeFirstWrite` throws (nothing sent).
   */
  async exchange(data: Buffer, options: ExchangeOptions): Promise<ExchangeResult> {
    if (this.active) throw new AppError('DEVICE_BUSY', 'the terminal is busy with another request');
    this.active = true;
    try {
      if (!this.transport.isOpen) throw new AppError('DEVICE_DISCONNECTED', 'the terminal port is not connected');
      if (options.beforeFirstWrite !== undefined) await options.beforeFirstWrite();
      return await this.run(data, options);
    } finally {
      this.active = false;
      if (this.waiter !== null) this.settle('timeout');
      const leftovers = this.inbox;
      this.inbox = [];
      for (const event of leftovers) this.handle(event);
    }
  }

  private async run(data: Buffer, options: ExchangeOptions): Promise<ExchangeResult> {
    const frame = encodeFrame(data);
    let transmissions = 0;
    let retries = 0;
    const failed = (reason: LinkFailure, detail: string): ExchangeResult => ({
      kind: 'failed',
      reason,
      detail,
      sent: transmissions > 0,
      transmissions,
    });

    // Phase 1: the request until it is ACKed.
    for (;;) {
      const waiting = this.waitFor((e) => e.kind === 'ack' || e.kind === 'nak', options.ackTimeoutMs);
      try {
        transmissions += 1;
        await this.transport.write(frame);
      } catch (err) {
        this.settle('disconnected');
        await waiting;
        return failed('disconnected', err instanceof Error ? err.message : String(err));
      }
      const reply = await waiting;
      if (reply === 'disconnected') return failed('disconnected', 'port lost while waiting for ACK');
      if (reply === 'timeout') {
        if (options.resendOnAckTimeout && retries < options.maxRetries) {
          retries += 1;
          continue;
        }
        return failed('ack_timeout', `no ACK within ${options.ackTimeoutMs} ms after ${transmissions} transmission(s)`);
      }
      if (reply.kind === 'ack') break;
      if (retries >= options.maxRetries) return failed('nak_exhausted', `NAK after ${transmissions} transmission(s)`);
      retries += 1;
    }

    // Phase 2: the answer. The terminal resends it after our NAK.
    const deadline = this.now() + options.answerTimeoutMs;
    let badFrames = 0;
    for (;;) {
      const remaining = Math.max(deadline - this.now(), badFrames > 0 ? options.ackTimeoutMs : 0);
      const reply = await this.waitFor((e) => e.kind === 'frame' || e.kind === 'bad_lrc', remaining);
      if (reply === 'disconnected') return failed('disconnected', 'port lost while waiting for the answer');
      if (reply === 'timeout') {
        return badFrames > 0
          ? failed('bad_lrc', `answer had a bad LRC ${badFrames} time(s) and was not resent in time`)
          : failed('answer_timeout', `no answer within ${options.answerTimeoutMs} ms`);
      }
      if (reply.kind === 'frame') {
        await this.sendControl(ACK);
        return { kind: 'answer', data: reply.data, transmissions };
      }
      badFrames += 1;
      await this.sendControl(NAK);
      if (badFrames > options.maxRetries) return failed('bad_lrc', `answer had a bad LRC ${badFrames} time(s)`);
    }
  }

  private waitFor(accept: (event: LinkEvent) => boolean, ms: number): Promise<Wait> {
    if (this.waiter !== null) this.settle('timeout');
    const queued = this.inbox.findIndex(accept);
    if (queued >= 0) {
      const [event] = this.inbox.splice(queued, 1);
      if (event !== undefined) return Promise.resolve(event);
    }
    return new Promise((resolve) => {
      const timer = this.timers.setTimeout(() => {
        if (this.waiter?.timer === timer) this.settle('timeout');
      }, ms);
      this.waiter = { accept, resolve, timer };
    });
  }

  private settle(value: Wait): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    this.waiter = null;
    this.timers.clearTimeout(waiter.timer);
    waiter.resolve(value);
  }

  private handle(event: LinkEvent): void {
    if (this.waiter !== null && this.waiter.accept(event)) {
      this.settle(event);
      return;
    }
    if (this.active && event.kind !== 'garbage') {
      this.inbox.push(event);
      return;
    }
    switch (event.kind) {
      case 'frame':
        // Unexpected but well-formed: acknowledge so the terminal does not keep resending it.
        void this.sendControl(ACK);
        this.logger.warn('card terminal sent a frame nobody waited for', { length: event.data.length });
        for (const listener of this.strayListeners) {
          try {
            listener(event.data);
          } catch (err) {
            this.logger.error('stray frame listener failed', { error: err });
          }
        }
        break;
      case 'bad_lrc':
        void this.sendControl(NAK);
        break;
      case 'garbage':
        this.logger.warn('card terminal line noise', { bytes: event.bytes.toString('hex') });
        break;
      default:
        break;
    }
  }

  private async sendControl(byte: number): Promise<void> {
    try {
      await this.transport.write(Buffer.from([byte]));
    } catch (err) {
      this.logger.warn('could not send link control byte', { byte, error: err });
    }
  }
}
