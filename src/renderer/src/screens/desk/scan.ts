import { useEffect, useRef } from 'react';
import { BurstDetector } from '../../lib/key-input';

/** Puts a text field back to a value and tells React (its onChange runs as if the user had typed). */
function restoreValue(field: HTMLInputElement, value: string): void {
  if (field.value === value) return;
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(field, value);
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * While the refund desk is open, a scanner's burst (keys a few ms apart ending in Enter) is a code to
 * look up, wherever the focus is: the code goes to the search, not into the refund amount, reason or
 * PIN field it happened to type into (that field gets its value back), and its Enter neither submits a
 * refund nor opens a row. Keys typed by hand are left alone, and so is everything typed into the
 * search field itself (its own Enter searches what it holds, even if a slow machine split the burst).
 */
export function useScanToSearch(search: React.RefObject<HTMLInputElement | null>, onScan: (code: string) => void): void {
  const latest = useRef(onScan);
  useEffect(() => {
    latest.current = onScan;
  }, [onScan]);

  useEffect(() => {
    const burst = new BurstDetector();
    let field: HTMLInputElement | null = null;
    const onKey = (e: KeyboardEvent): void => {
      if (e.target !== null && e.target === search.current) {
        burst.reset();
        return;
      }
      // When the key was pressed (the input event's own time), not when this handler got to run: a
      // busy screen redrawing after each key must not split a scanner's burst.
      const at = e.timeStamp;
      if (e.key === 'Enter') {
        const scan = burst.enter(at);
        if (scan === null) return;
        e.preventDefault();
        e.stopPropagation();
        if (field !== null) restoreValue(field, scan.amountBefore);
        field = null;
        latest.current(scan.code);
        return;
      }
      if (e.key.length !== 1 || !/^[0-9A-Za-z_-]$/.test(e.key) || e.ctrlKey || e.altKey || e.metaKey) {
        burst.reset();
        return;
      }
      const target = e.target instanceof HTMLInputElement && e.target.type !== 'date' ? e.target : null;
      // The first key of what may become a burst: remember the field and its value before it.
      if (!burst.active(at)) field = target;
      burst.char(e.key, at, target?.value ?? '');
    };
    // Capture: seen before the focused field or row acts on the Enter.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [search]);
}
