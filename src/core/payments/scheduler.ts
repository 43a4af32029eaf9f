/**
 * The engine's in-memory clockwork, per item key (`p12`, `r3`): one timer at most, one request in
 * flight at most (a second ask while one is under way is coalesced into one more run after it), and
 * a growing backoff. Knows nothing about payments; the engine decides what runs when.
 */
import type { Timers } from '../util/time';
import { backoffDelay, type PollingSchedule } from './schedule';

export class Scheduler {
  private readonly timers = new Map<string, unknown>();
  /** Requests under way per key; the promise settles when that request is recorded. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly attempts = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly clock: Timers,
    private readonly schedule: () => PollingSchedule,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Sets the one timer of `key` (replacing any), unless stopped. */
  set(key: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.cancel(key);
    this.timers.set(
      key,
      this.clock.setTimeout(() => {
        this.timers.delete(key);
        fn();
      }, ms),
    );
  }

  cancel(key: string): void {
    const handle = this.timers.get(key);
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this.timers.delete(key);
  }

  hasTimer(key: string): boolean {
    return this.timers.has(key);
  }

  /** A timer is set or a request is under way: the item has its next step. */
  busy(key: string): boolean {
    return this.timers.has(key) || this.inFlight.has(key);
  }

  inFlightFor(key: string): Promise<void> | undefined {
    return this.inFlight.get(key);
  }

  /** When a request for `key` is under way: remembers to run once more after it (coalescing) and returns true. */
  coalesce(key: string): boolean {
    if (!this.inFlight.has(key)) return false;
    this.again.add(key);
    return true;
  }

  /** Marks a request for `key` as under way; the returned function ends it (idempotent). */
  claim(key: string): () => void {
    let settle: () => void = () => undefined;
    const flight = new Promise<void>((resolve) => (settle = resolve));
    this.inFlight.set(key, flight);
    return () => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      settle();
    };
  }

  /** Whether someone asked again while the request was under way (and forgets the ask). */
  takeAgain(key: string): boolean {
    return this.again.delete(key);
  }

  /** The next backoff delay of `key` (start, ×factor, capped); each call counts as one attempt. */
  nextBackoff(key: string): number {
    return backoffDelay(this.schedule(), this.nextAttempt(key));
  }

  /** The attempt number of `key` (0-based), counting this one. */
  nextAttempt(key: string): number {
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    return attempt;
  }

  /** Drops the bookkeeping of an item that has ended. */
  forget(key: string): void {
    this.cancel(key);
    this.attempts.delete(key);
  }

  /** Stops all timers (shutdown). Requests in flight finish and are recorded. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }
}
