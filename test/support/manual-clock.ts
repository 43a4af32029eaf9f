import type { Timers } from '../../src/core/util/time';

/** An injected clock for engine tests: `now()` and timers move only when the test calls `advance`. */
export interface ManualClock {
  now: () => number;
  timers: Timers;
  /** Moves time forward by `ms`, firing every timer that falls due, in order, each at its own time. */
  advance(ms: number): void;
  /** Timers waiting to fire. */
  pending(): number;
  /** Milliseconds until the next timer fires (undefined when none is set). */
  nextIn(): number | undefined;
}

export function manualClock(start = Date.UTC(2026, 0, 2, 2, 0, 0)): ManualClock {
  let now = start;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const next = (): [number, { at: number; fn: () => void }] | undefined => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of due) if (best === undefined || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[0] < best[0])) best = entry;
    return best;
  };
  return {
    now: () => now,
    timers: {
      setTimeout: (fn, ms) => {
        seq += 1;
        due.set(seq, { at: now + Math.max(0, ms), fn });
        return seq;
      },
      clearTimeout: (handle) => {
        due.delete(handle as number);
      },
    },
    advance(ms) {
      const until = now + ms;
      for (let entry = next(); entry !== undefined && entry[1].at <= until; entry = next()) {
        due.delete(entry[0]);
        now = entry[1].at;
        entry[1].fn();
      }
      now = until;
    },
    pending: () => due.size,
    nextIn() {
      const entry = next();
      return entry === undefined ? undefined : entry[1].at - now;
    },
  };
}
