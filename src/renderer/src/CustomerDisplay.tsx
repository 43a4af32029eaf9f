import { useEffect } from 'react';
import type { MessageKey } from './i18n';
import { QrImage } from './components/QrImage';
import { TrainingBanner } from './components/TrainingBanner';
import { useT } from './i18n';
import { formatCountdown, formatFen } from './lib/format';
import { useNow } from './lib/use-now';
import { customerQrSize, useViewport } from './lib/use-viewport';
import { subscribeAppEvents, useAppStore } from './store/app-store';
import { isFinalStatus, subscribePaymentEvents, usePaymentStore } from './store/payment-store';

/** How long a finished sale stays on the customer's screen before it returns to the welcome page. */
const SHOW_RESULT_MS = { paid: 8000, failed: 5000, closed: 4000 } as const;

/**
 * 客显 — the customer-facing second screen. Driven only by payment state from the core (never by the
 * cashier's typing): welcome → amount + QR + countdown → thank-you → welcome. Sizes follow the
 * screen (800×480 pole-mounted panels to 1920×1080 monitors).
 */
export function CustomerDisplay(): React.JSX.Element {
  const t = useT();
  const { info, load } = useAppStore();
  const { payment, clockOffsetMs, finalSeenAt, loadCurrent } = usePaymentStore();
  const now = useNow();
  const { width, height } = useViewport();

  useEffect(() => {
    void load();
    void loadCurrent({ hideFinal: true }).catch(() => undefined);
    const offApp = subscribeAppEvents();
    const offPay = subscribePaymentEvents();
    return () => {
      offApp();
      offPay();
    };
  }, [load, loadCurrent]);

  const expired =
    payment !== null &&
    isFinalStatus(payment.status) &&
    (finalSeenAt === null || now - finalSeenAt > SHOW_RESULT_MS[payment.status as keyof typeof SHOW_RESULT_MS]);
  const shown = payment === null || expired ? null : payment;
  const hostNow = now + clockOffsetMs;
  const training = info?.mode === 'training';
  // Banner and margins come off the height the QR may use.
  const qrSize = customerQrSize(width, height - (training ? 40 : 0));
  const scannable = shown !== null && shown.tender !== 'card' && (shown.status === 'qr_issued' || shown.status === 'waiting') && shown.scanCode !== null;
  const cardOpen = shown !== null && shown.tender === 'card' && !isFinalStatus(shown.status);
  const shopName = info !== null && info.shopName !== '' ? info.shopName : null;
  // Text scales with the screen: 1 unit = 1% of the shorter side.
  const unit = Math.min(width, height) / 100;
  const style = { '--cu': `${unit}px` } as React.CSSProperties;

  return (
    <div className="customer" style={style} data-testid="customer">
      <TrainingBanner visible={training} />
      {shown === null ? (
        <div className="customer-body" data-testid="customer-idle">
          {shopName !== null && (
            <h2 className="shop-name" data-testid="shop-name">
              {shopName}
            </h2>
          )}
          <h1>{t('display.welcome')}</h1>
        </div>
      ) : (
        <div className={`customer-body customer-${shown.status}${scannable ? ' customer-scan' : ''}`} data-testid="customer-payment" data-status={shown.status}>
          {scannable && shown.scanCode !== null && (
            <div className="customer-qr-box">
              <QrImage text={shown.scanCode} size={qrSize} testId="customer-qr" />
            </div>
          )}
          <div className="customer-info">
            {shopName !== null && <p className="shop-name">{shopName}</p>}
            <p className="customer-label">{t(shown.status === 'paid' ? 'display.amountPaid' : 'display.amount')}</p>
            <div className="customer-amount" data-testid="customer-amount">
              ¥ {formatFen(shown.amountFen)}
            </div>
            {scannable && (
              <>
                {/* While the QR can be paid the instruction stays; "paying" (88) is only a second line. */}
                <p className="customer-hint" data-testid="customer-instruction">
                  {t('display.scanToPay')}
                </p>
                {shown.status === 'waiting' && (
                  <p className="customer-secondary" data-testid="customer-paying">
                    {t('display.paying')}
                  </p>
                )}
                {shown.qrExpiresAt !== null && (
                  <p className="countdown" data-testid="customer-countdown">
                    {t('display.expiresIn', { time: formatCountdown(shown.qrExpiresAt - hostNow) })}
                  </p>
                )}
              </>
            )}
            {cardOpen && shown.status !== 'unknown' && (
              <p className="customer-hint" data-testid="customer-card">
                {t('display.useTerminal')}
              </p>
            )}
            {shown.status === 'paid' && <h1 data-testid="customer-thanks">{t('display.thanks')}</h1>}
            {(shown.status === 'failed' || shown.status === 'closed' || shown.status === 'unknown') && <h2>{t(`display.${shown.status}` as MessageKey)}</h2>}
          </div>
        </div>
      )}
    </div>
  );
}
