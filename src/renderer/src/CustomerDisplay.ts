import QRCode from 'qrcode';
import type { PaymentView } from '../../shared/domain';
import { translate, useLang, type MessageKey } from './i18n';
import { formatCountdown, formatFen } from './lib/format';
import { subscribeAppEvents, useAppStore } from './store/app-store';
import { isAbandoned, isFinalStatus, isWithdrawnQr, subscribePaymentEvents, usePaymentStore } from './store/payment-store';

/** How long a finished sale stays on the customer's screen before it returns to the welcome page. */
const SHOW_RESULT_MS = { paid: 8000, failed: 5000, closed: 4000 } as const;
/** Countdown refresh. */
const TICK_MS = 250;

/**
 * The customer QR's side in CSS pixels: as large as the screen allows beside the amount (landscape)
 * or above it (portrait), never below the size a phone reads from arm's length.
 */
export function customerQrSize(width: number, height: number): number {
  const landscape = width >= height;
  const side = landscape ? Math.min(height * 0.78, width * 0.46) : Math.min(width * 0.8, height * 0.5);
  return Math.max(160, Math.floor(side));
}

type Child = Node | string | null | false;

/** A DOM element with attributes and children (null / false children are skipped). */
function h(tag: string, attrs: Record<string, string | number>, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) if (child !== null && child !== false) el.append(child);
  return el;
}

/**
 * Makes `live` look like `next` in place, keeping every node that is still there (a tick of the
 * countdown changes one text node, not the tree: the QR image and everything a reader holds stay).
 */
function patch(live: Node, next: Node): void {
  if (live instanceof Element && next instanceof Element) {
    for (const name of live.getAttributeNames()) if (!next.hasAttribute(name)) live.removeAttribute(name);
    for (const name of next.getAttributeNames()) {
      const value = next.getAttribute(name) ?? '';
      if (live.getAttribute(name) !== value) live.setAttribute(name, value);
    }
  } else if (live.nodeValue !== next.nodeValue) {
    live.nodeValue = next.nodeValue;
  }
  const wanted = [...next.childNodes];
  wanted.forEach((child, i) => {
    const current = live.childNodes[i];
    if (current !== undefined && current.nodeName === child.nodeName) patch(current, child);
    else if (current !== undefined) live.replaceChild(child, current);
    else live.appendChild(child);
  });
  while (live.childNodes.length > wanted.length && live.lastChild !== null) live.removeChild(live.lastChild);
}

/**
 * 客显 — the customer-facing second screen. Driven only by payment state from the core (never by the
 * cashier's typing): welcome → amount + QR + countdown → thank-you → welcome. Sizes follow the
 * screen (800×480 pole-mounted panels to 1920×1080 monitors).
 *
 * Plain DOM, not React: the display's first load must stay ≤ 60 KB gzip (issue 9.17) and react-dom
 * alone is about that size. It reads the same stores as the cashier window and re-renders on every
 * store change, resize and countdown tick, patching the DOM in place where what it shows changed.
 * Returns the function that stops it.
 */
export function mountCustomerDisplay(root: HTMLElement): () => void {
  const qrUrls = new Map<string, string>();
  /**
   * A Yima sale the cashier abandoned is done at the counter (the core still follows it): the customer
   * sees its last state as briefly as a closed sale, then the welcome page — not 状态未明 for the next
   * customer in the queue. When this display first saw it abandoned.
   */
  let abandoned: { id: number; at: number } | null = null;

  const qrImage = (text: string, size: number): HTMLElement => {
    const key = `${size}:${text}`;
    const url = qrUrls.get(key);
    if (url !== undefined)
      return h('img', { class: 'qr', src: url, width: size, height: size, alt: 'QR', 'data-testid': 'customer-qr', 'data-scan-code': text });
    QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: size })
      .then((made) => {
        if (qrUrls.size > 8) qrUrls.clear();
        qrUrls.set(key, made);
        render();
      })
      .catch(() => undefined);
    return h('div', { class: 'qr-placeholder', style: `width:${size}px;height:${size}px` });
  };

  const view = (): HTMLElement => {
    const lang = useLang.getState().lang;
    const t = (key: MessageKey, params?: Record<string, string | number>): string => translate(lang, key, params);
    const { info } = useAppStore.getState();
    const { payment, clockOffsetMs, finalSeenAt } = usePaymentStore.getState();
    const now = Date.now();
    const width = window.innerWidth;
    const height = window.innerHeight;
    const left = payment !== null && isAbandoned(payment);
    if (left && abandoned?.id !== payment.id) abandoned = { id: payment.id, at: now };
    const expired =
      payment !== null &&
      (isFinalStatus(payment.status)
        ? finalSeenAt === null || now - finalSeenAt > SHOW_RESULT_MS[payment.status as keyof typeof SHOW_RESULT_MS]
        : left && abandoned !== null && now - abandoned.at > SHOW_RESULT_MS.closed);
    const shown: PaymentView | null = payment === null || expired ? null : payment;
    const training = info?.mode === 'training';
    const shopName = info !== null && info.shopName !== '' ? info.shopName : null;
    // Text scales with the screen: 1 unit = 1% of the shorter side.
    const container = h('div', { class: 'customer', style: `--cu: ${Math.min(width, height) / 100}px`, 'data-testid': 'customer' });
    if (training) {
      container.append(
        h(
          'div',
          { class: 'training-banner', role: 'status', 'data-testid': 'training-banner' },
          h('strong', {}, t('app.training')),
          h('span', {}, t('app.trainingHint')),
        ),
      );
    }
    if (shown === null) {
      container.append(
        h(
          'div',
          { class: 'customer-body', 'data-testid': 'customer-idle' },
          shopName !== null && h('h2', { class: 'shop-name', 'data-testid': 'shop-name' }, shopName),
          h('h1', {}, t('display.welcome')),
        ),
      );
      return container;
    }
    const withdrawn = isWithdrawnQr(shown);
    const scannable = shown.tender !== 'card' && (shown.status === 'qr_issued' || shown.status === 'waiting') && shown.scanCode !== null && !withdrawn;
    const cardOpen = shown.tender === 'card' && !isFinalStatus(shown.status);
    const status = shown.status;
    // Banner and margins come off the height the QR may use.
    const qrSize = customerQrSize(width, height - (training ? 40 : 0));
    const details = h(
      'div',
      { class: 'customer-info' },
      shopName !== null && h('p', { class: 'shop-name' }, shopName),
      h('p', { class: 'customer-label' }, t(status === 'paid' ? 'display.amountPaid' : 'display.amount')),
      h('div', { class: 'customer-amount', 'data-testid': 'customer-amount' }, `¥ ${formatFen(shown.amountFen)}`),
      // Cash: the change the customer is about to get back.
      status === 'paid' &&
        shown.cash !== null &&
        shown.cash !== undefined &&
        h('p', { class: 'customer-secondary', 'data-testid': 'customer-change' }, `${t('display.change')} ¥ ${formatFen(shown.cash.changeFen)}`),
      // While the QR can be paid the instruction stays; "paying" (88) is only a second line.
      scannable && h('p', { class: 'customer-hint', 'data-testid': 'customer-instruction' }, t('display.scanToPay')),
      scannable && status === 'waiting' && h('p', { class: 'customer-secondary', 'data-testid': 'customer-paying' }, t('display.paying')),
      scannable &&
        shown.qrExpiresAt !== null &&
        h(
          'p',
          { class: 'countdown', 'data-testid': 'customer-countdown' },
          t('display.expiresIn', { time: formatCountdown(shown.qrExpiresAt - (now + clockOffsetMs)) }),
        ),
      cardOpen && status !== 'unknown' && h('h1', { class: 'customer-card-title', 'data-testid': 'customer-card-title' }, t('display.useCard')),
      cardOpen && status !== 'unknown' && h('p', { class: 'customer-hint', 'data-testid': 'customer-card' }, t('display.useTerminal')),
      status === 'paid' && h('h1', { 'data-testid': 'customer-thanks' }, t('display.thanks')),
      withdrawn && h('h2', { 'data-testid': 'customer-withdrawn' }, t('display.cancelling')),
      !withdrawn && (status === 'failed' || status === 'closed' || status === 'unknown') && h('h2', {}, t(`display.${status}` as MessageKey)),
    );
    container.append(
      h(
        'div',
        { class: `customer-body customer-${status}${scannable ? ' customer-scan' : ''}`, 'data-testid': 'customer-payment', 'data-status': status },
        scannable && shown.scanCode !== null && h('div', { class: 'customer-qr-box' }, qrImage(shown.scanCode, qrSize)),
        details,
      ),
    );
    return container;
  };

  function render(): void {
    const next = view();
    const live = root.firstElementChild;
    if (live === null || live.nodeName !== next.nodeName) root.replaceChildren(next);
    else patch(live, next);
  }

  render();
  void useAppStore.getState().load();
  void usePaymentStore
    .getState()
    .loadCurrent({ hideFinal: true })
    .catch(() => undefined);
  const stops = [subscribeAppEvents(), subscribePaymentEvents(), useAppStore.subscribe(render), usePaymentStore.subscribe(render), useLang.subscribe(render)];
  const timer = setInterval(render, TICK_MS);
  window.addEventListener('resize', render);
  return () => {
    clearInterval(timer);
    window.removeEventListener('resize', render);
    for (const stop of stops) stop();
    root.replaceChildren();
  };
}
