import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE } from '../../src/core/payments/schedule';
import { Scheduler } from '../../src/core/payments/scheduler';
import { manualClock } from '../support/manual-clock';

describe('scheduler (injected clock)', () => {
  it('one timer per key: setting again replaces it; cancel and stop clear it', () => {
    const clock = manualClock();
    const s = new Scheduler(clock.timers, () => DEFAULT_SCHEDULE);
    const fired: string[] = [];
    s.set('p1', 1000, () => fired.push('first'));
    s.set('p1', 500, () => fired.push('second'));
    expect(clock.pending()).toBe(1);
    clock.advance(499);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['second']);
    expect(s.hasTimer('p1')).toBe(false);
    s.set('p2', 10, () => fired.push('p2'));
    s.cancel('p2');
    clock.advance(100);
    expect(fired).toEqual(['second']);
    s.set('p3', 10, () => fired.push('p3'));
    s.stop();
    s.set('p4', 10, () => fired.push('p4'));
    clock.advance(100);
    expect(fired).toEqual(['second']);
    expect(s.isStopped).toBe(true);
  });

  it('coalesces asks while a request is under way into one more run, and says when it is busy', async () => {
    const s = new Scheduler(manualClock().timers, () => DEFAULT_SCHEDULE);
    expect(s.coalesce('p1')).toBe(false);
    const end = s.claim('p1');
    expect(s.busy('p1')).toBe(true);
    expect(s.coalesce('p1')).toBe(true);
    expect(s.coalesce('p1')).toBe(true);
    const flight = s.inFlightFor('p1');
    end();
    end(); // idempotent
    await flight;
    expect(s.busy('p1')).toBe(false);
    expect(s.takeAgain('p1')).toBe(true);
    expect(s.takeAgain('p1')).toBe(false);
  });

  it('backoff grows by the factor up to the cap, per key, and starts over once forgotten', () => {
    const s = new Scheduler(manualClock().timers, () => ({ ...DEFAULT_SCHEDULE, backoffStartMs: 1000, backoffFactor: 2, backoffMaxMs: 5000 }));
    expect([1, 2, 3, 4].map(() => s.nextBackoff('p1'))).toEqual([1000, 2000, 4000, 5000]);
    expect(s.nextBackoff('p2')).toBe(1000);
    s.forget('p1');
    expect(s.nextBackoff('p1')).toBe(1000);
  });
});
