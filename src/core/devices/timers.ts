import type { Timers } from '../util/time';

/** One timers type for the whole core (src/core/util/time.ts); re-exported for the device modules. */
export type { Timers } from '../util/time';

/**
 * Node's timers, referenced (unlike util/time's `realTimers`, which are unref'd so a pending query
 * never keeps a finished process alive): a device timeout must fire even when nothing else is pending.
 */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms` milliseconds on the given timers. */
export function sleepOn(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timers.setTimeout(resolve, ms);
  });
}
