import type { Page } from 'playwright-core';

/** What has the keyboard focus, and how it is drawn. */
export interface FocusStop {
  /** data-testid, else tag[type] plus its first words. */
  name: string;
  /** Unique per element for the page's life (a walk ends when it comes back to an element). */
  uid: string;
  tag: string;
  /** :focus-visible matches (the browser's own "show a focus ring" decision). */
  focusVisible: boolean;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  /** Has a box on screen and is not hidden. */
  shown: boolean;
  /** The screen section or dialog it is in (data-testid of the nearest section / dialog / header). */
  region: string;
}

const READ_FOCUS = `(() => {
  const el = document.activeElement;
  if (el === null || el === document.body || el === document.documentElement) return null;
  const cs = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const id = el.getAttribute('data-testid');
  const tag = el.tagName.toLowerCase();
  const region = el.closest('[role="dialog"], section[data-testid], header, .notice');
  if (el.dataset.kbUid === undefined) el.dataset.kbUid = String((window.__kbUid = (window.__kbUid ?? 0) + 1));
  return {
    uid: el.dataset.kbUid,
    name: id ?? (tag + (el.getAttribute('type') ? '[' + el.getAttribute('type') + ']' : '') + ':' + (el.textContent ?? '').trim().slice(0, 24)),
    tag,
    focusVisible: el.matches(':focus-visible'),
    outlineStyle: cs.outlineStyle,
    outlineWidth: parseFloat(cs.outlineWidth) || 0,
    outlineColor: cs.outlineColor,
    shown: r.width > 0 && r.height > 0 && cs.visibility !== 'hidden',
    region: region === null ? '' : (region.getAttribute('data-testid') ?? region.tagName.toLowerCase()),
  };
})()`;

export async function focusStop(page: Page): Promise<FocusStop | null> {
  return page.evaluate<FocusStop | null>(READ_FOCUS);
}

/** The data-testid of the focused element ('' for none). */
export async function focusedId(page: Page): Promise<string> {
  return page.evaluate<string>("document.activeElement?.getAttribute('data-testid') ?? ''");
}

/**
 * Presses Tab (or Shift+Tab) until the focus comes back to an element it has been on, or `max`
 * presses, and returns every stop in order. Keyboard only: the walk starts wherever the focus is.
 */
export async function tabWalk(page: Page, max = 60, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  const first = await focusStop(page);
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const stop = await focusStop(page);
    if (stop === null) continue;
    const previous = stops.at(-1) ?? first;
    // Tab walks through a date field's own parts (year, month, day): still the same stop.
    if (previous !== null && stop.uid === previous.uid) continue;
    if (stop.uid === first?.uid || stops.some((s) => s.uid === stop.uid)) break;
    stops.push(stop);
  }
  return stops;
}

/** The stops that are not drawn as focused: not on screen, no outline, or one thinner than 2 px. */
export function invisibleStops(stops: FocusStop[]): FocusStop[] {
  return stops.filter((s) => !s.shown || s.outlineStyle === 'none' || s.outlineWidth < 2);
}

/** Elements with a positive tabindex (which would jump the Tab order) in the page. */
export async function positiveTabIndexes(page: Page): Promise<number> {
  return page.evaluate<number>("[...document.querySelectorAll('[tabindex]')].filter((e) => Number(e.getAttribute('tabindex')) > 0).length");
}

/** Types text one key at a time (a person, not a scanner burst). */
export async function typeKeys(page: Page, text: string): Promise<void> {
  for (const ch of text) {
    await page.keyboard.press(ch === '.' ? 'Period' : /\d/.test(ch) ? `Digit${ch}` : ch);
    await page.waitForTimeout(40);
  }
}

/** Presses Tab until the element with this data-testid has the focus (at most `max` presses). */
export async function tabTo(page: Page, testId: string, max = 60, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let i = 0; i < max; i++) {
    if ((await focusedId(page)) === testId) return;
    await page.keyboard.press(key);
  }
  if ((await focusedId(page)) !== testId) throw new Error(`${testId} not reached with ${key} in ${max} presses`);
}

/**
 * Waits until the element with this data-testid has the focus. Polls with page.evaluate: the page's
 * CSP forbids the string evaluation page.waitForFunction would use.
 */
export async function waitForFocus(page: Page, testId: string, timeout = 15_000): Promise<void> {
  const until = Date.now() + timeout;
  while ((await focusedId(page)) !== testId) {
    if (Date.now() > until) throw new Error(`${testId} did not get the focus within ${timeout} ms (focus on ${(await focusedId(page)) || 'nothing'})`);
    await page.waitForTimeout(50);
  }
}

/**
 * Rows that wrapped: for the header (and its tab bar, operator and meta groups) and every toolbar,
 * the children whose top is below another child's bottom; every header/toolbar button whose text
 * takes more than one line; anything of theirs cut off at the window's right edge. Empty when
 * everything fits on one line.
 */
export async function wrappedRows(page: Page, boxes = '.app-head, .app-head .tabs, .app-head .operator, .app-meta, .toolbar'): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const out = [];
    for (const box of document.querySelectorAll(${JSON.stringify(boxes)})) {
      const kids = [...box.children].map((k) => [k, k.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
      if (kids.length < 2) continue;
      const minBottom = Math.min(...kids.map(([, r]) => r.bottom));
      const below = kids.filter(([, r]) => r.top >= minBottom - 2);
      if (below.length > 0) out.push(box.className + ': ' + below.map(([k]) => (k.textContent || '').trim().slice(0, 24)).join(' | '));
    }
    for (const el of document.querySelectorAll('.app-head *, .toolbar *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > window.innerWidth + 1) out.push('cut off: ' + (el.textContent || '').trim().slice(0, 30));
    }
    for (const el of document.querySelectorAll('.app-head button, .toolbar button')) {
      const cs = getComputedStyle(el);
      const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.4;
      const inner = el.getBoundingClientRect().height - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom) - parseFloat(cs.borderTopWidth) - parseFloat(cs.borderBottomWidth);
      if (inner > line * 1.6) out.push('two lines: ' + (el.textContent || '').trim().slice(0, 30));
    }
    return out;
  })()`);
}

/**
 * A keyboard-wedge barcode scanner: the whole code and its Enter in one go, each key stamped `gapMs`
 * apart in the event's own time, as the OS stamps a real scanner's keys. (Playwright's `keyboard.type`
 * waits for the page after every key, so on a loaded machine its keys arrive tens of ms apart and no
 * longer look like a scanner — which is the page's point.) Uses CDP `Input.dispatchKeyEvent`'s
 * `timestamp`, which becomes `KeyboardEvent.timeStamp`.
 */
export async function scannerType(page: Page, code: string, options: { enter?: boolean; gapMs?: number } = {}): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const gap = (options.gapMs ?? 4) / 1000;
  let t = Date.now() / 1000;
  const keys = [...code].map((ch) => ({
    key: ch,
    code: /\d/.test(ch) ? `Digit${ch}` : /[a-z]/i.test(ch) ? `Key${ch.toUpperCase()}` : '',
    text: ch,
    vk: ch.toUpperCase().charCodeAt(0),
  }));
  if (options.enter !== false) keys.push({ key: 'Enter', code: 'Enter', text: '\r', vk: 13 });
  try {
    for (const k of keys) {
      await cdp.send('Input.dispatchKeyEvent', {
        type: 'keyDown',
        key: k.key,
        code: k.code,
        text: k.text,
        unmodifiedText: k.text,
        windowsVirtualKeyCode: k.vk,
        timestamp: t,
      });
      await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k.key, code: k.code, windowsVirtualKeyCode: k.vk, timestamp: t + gap / 2 });
      t += gap;
    }
  } finally {
    await cdp.detach();
  }
}
