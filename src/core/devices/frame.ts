/**
 * Card-terminal link layer framing (digest §2a), the shape shared by Chinese MIS terminals:
 * `02` STX · 2-byte BCD length of DATA (262 → `02 62`) · DATA · `03` ETX · LRC, where LRC is the XOR of
 * every byte after STX up to and including ETX (so the length bytes are covered). Link control bytes
 * `06` ACK and `15` NAK travel on their own.
 *
 * `@serialport/parser-packet-length` reads binary little-endian lengths, hence this decoder.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { AppError } from '../../shared/errors';

export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

/** BCD can carry at most 9999 data bytes. */
export const MAX_BCD_LENGTH = 9999;

/** XOR of all bytes (0 for none). */
export function lrc(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

/** 262 → `02 62`. Fails with BAD_INPUT outside 0..9999 or for non-integers. */
export function encodeBcdLength(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_BCD_LENGTH) {
    throw new AppError('BAD_INPUT', `frame data length ${length} does not fit 2 BCD bytes`);
  }
  const digits = String(length).padStart(4, '0');
  const d = (i: number): number => Number(digits.charAt(i));
  return Buffer.from([(d(0) << 4) | d(1), (d(2) << 4) | d(3)]);
}

/** `02 62` → 262; null when a nibble is not a decimal digit. */
export function decodeBcdLength(hi: number, lo: number): number | null {
  const nibbles = [hi >> 4, hi & 0x0f, lo >> 4, lo & 0x0f];
  if (nibbles.some((n) => n > 9)) return null;
  return nibbles.reduce((acc, n) => acc * 10 + n, 0);
}

/** STX · BCD length · data · ETX · LRC. BAD_INPUT when the data is longer than 9999 bytes. */
export function encodeFrame(data: Uint8Array): Buffer {
  const body = Buffer.concat([encodeBcdLength(data.length), Buffer.from(data), Buffer.from([ETX])]);
  return Buffer.concat([Buffer.from([STX]), body, Buffer.from([lrc(body)])]);
}

export type LinkEvent =
  | { kind: 'ack' }
  | { kind: 'nak' }
  | { kind: 'frame'; data: Buffer }
  /** A complete frame whose LRC does not match: the receiver answers NAK. */
  | { kind: 'bad_lrc'; data: Buffer }
  /** Bytes that are not part of any frame (line noise, a lost frame's tail). */
  | { kind: 'garbage'; bytes: Buffer };

export interface FrameDecoderOptions {
  /** Longer declared lengths are treated as noise. Default 4096. */
  maxDataLength?: number;
  /**
   * A partial frame that got no byte for this long is dropped when new bytes arrive, so a stray STX
   * cannot swallow the next ACK. Default 1000 ms; 0 disables.
   */
  staleMs?: number;
  now?: () => number;
}

/**
 * Incremental decoder: feed any chunks (split anywhere, with noise in between) and get link events.
 * Resynchronises on a bad length or a missing ETX by dropping the STX and rescanning from the next byte.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private lastByteAt = 0;
  private readonly maxDataLength: number;
  private readonly staleMs: number;
  private readonly now: () => number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxDataLength = Math.min(options.maxDataLength ?? 4096, MAX_BCD_LENGTH);
    this.staleMs = options.staleMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Adds received bytes; returns the events they complete, in order. */
  push(chunk: Uint8Array): LinkEvent[] {
    const events: LinkEvent[] = [];
    const at = this.now();
    if (this.buf.length > 0 && this.staleMs > 0 && at - this.lastByteAt > this.staleMs) {
      // Everything pending is older than the timeout; a pending partial frame will never complete.
      while (this.buf.length > 0) {
        this.drain(events);
        if (this.buf.length === 0) break;
        events.push({ kind: 'garbage', bytes: Buffer.from(this.buf.subarray(0, 1)) });
        this.buf = this.buf.subarray(1);
      }
    }
    this.lastByteAt = at;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    this.drain(events);
    return events;
  }

  /** Drops any partial frame (after a timeout or a reconnect). */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }

  /** Bytes waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  private drain(events: LinkEvent[]): void {
    for (;;) {
      if (this.buf.length === 0) return;
      const first = this.buf[0];
      if (first === ACK || first === NAK) {
        events.push({ kind: first === ACK ? 'ack' : 'nak' });
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (first !== STX) {
        let next = 1;
        while (next < this.buf.length) {
          const b = this.buf[next];
          if (b === STX || b === ACK || b === NAK) break;
          next += 1;
        }
        events.push({ kind: 'garbage', bytes: Buffer.from(this.buf.subarray(0, next)) });
        this.buf = this.buf.subarray(next);
        continue;
      }
      if (this.buf.length < 3) return;
      const length = decodeBcdLength(this.buf[1] ?? 0xff, this.buf[2] ?? 0xff);
      if (length === null || length > this.maxDataLength) {
        this.skipStx(events);
        continue;
      }
      const total = 1 + 2 + length + 1 + 1;
      if (this.buf.length < total) return;
      if (this.buf[3 + length] !== ETX) {
        this.skipStx(events);
        continue;
      }
      const data = Buffer.from(this.buf.subarray(3, 3 + length));
      const expected = lrc(this.buf.subarray(1, total - 1));
      events.push(expected === this.buf[total - 1] ? { kind: 'frame', data } : { kind: 'bad_lrc', data });
      this.buf = this.buf.subarray(total);
    }
  }

  private skipStx(events: LinkEvent[]): void {
    events.push({ kind: 'garbage', bytes: Buffer.from([STX]) });
    this.buf = this.buf.subarray(1);
  }
}

/**
 * Stream form of FrameDecoder: pipe a serial port into it and read LinkEvent objects
 * (`readableObjectMode`). Garbage events are dropped unless `emitGarbage` is set.
 */
export class FrameParser extends Transform {
  private readonly decoder: FrameDecoder;
  private readonly emitGarbage: boolean;

  constructor(options: FrameDecoderOptions & { emitGarbage?: boolean } = {}) {
    super({ readableObjectMode: true });
    this.decoder = new FrameDecoder(options);
    this.emitGarbage = options.emitGarbage ?? false;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const event of this.decoder.push(chunk)) {
      if (event.kind !== 'garbage' || this.emitGarbage) this.push(event);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.decoder.reset();
    callback();
  }

  /** Drops any partial frame. */
  reset(): void {
    this.decoder.reset();
  }
}
