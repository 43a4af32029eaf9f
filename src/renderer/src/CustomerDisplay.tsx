import { useEffect } from 'react';
import type { MessageKey } from './i18n';
import { QrImage } from './components/QrImage';
import { TrainingBanner } from './components/TrainingBanner';
import { useT } from './i18n';
import { formatCountdown, formatFen } from './lib/format';
import { useNow } from './lib/use-now';
import { subscribeAppEvents, useAppStore } from './store/app-store';
import { isFinalStatus, subscribePaymentEvents, usePaymentStore } from './store/payment-store';

/** How long a finished sale stays on the customer's screen before it returns to the welcome page. */
const SHOW_RESULT_MS = { paid: 8000, failed: 5000, closed: 4000 } as const;

/**
 * 客显 — the customer-facing second screen. Driven only by payment state from the core (never by the
 * cashier's typing): welcome → amount + QR + countdown → thank-you → welcome.
 */
export function CustomerDisplay(): React.JSX.Element {
  const t = useT();
  const { info, load } = useAppStore();
  const { payment, clockOffsetMs, finalSeenAt, loadCurrent } = usePaymentStore();
  const now = useNow();

  useEffect(() => {
    void load();
    void loadCurrent().catch(() => undefined);
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

  return (
    <div className="customer">
      <TrainingBanner visible={info?.mode === 'training'} />
      {shown === null ? (
        <div className="customer-body" data-testid="customer-idle">
          {info !== null && info.shopName !== '' && <h2 className="shop-name" data-testid="shop-name">{info.shopName}</h2>}
          <h1>{t('display.welcome')}</h1>
        </div>
      ) : (
        <div className={`customer-body customer-${shown.status}`} data-testid="customer-payment" data-status={shown.status}>
          {info !== null && info.shopName !== '' && <p className="shop-name">{info.shopName}</p>}
          <p className="customer-label">{t('display.amount')}</p>
          <div className="customer-amount" data-testid="customer-amount">
            ¥ {formatFen(shown.amountFen)}
          </div>
          {(shown.status === 'qr_issued' || shown.status === 'waiting') && shown.scanCode !== null && (
            <>
              <QrImage text={shown.scanCode} size={360} testId="customer-qr" />
              <p className="customer-hint">{shown.status === 'waiting' ? t('display.paying') : t('display.scanToPay')}</p>
              {shown.qrExpiresAt !== null && <p className="countdown">{formatCountdown(shown.qrExpiresAt - hostNow)}</p>}
            </>
          )}
          {shown.status === 'paid' && <h1 data-testid="customer-thanks">{t('display.thanks')}</h1>}
          {(shown.status === 'failed' || shown.status === 'closed' || shown.status === 'unknown') && (
            <h2>{t(`display.${shown.status}` as MessageKey)}</h2>
          )}
        </div>
      )}
    </div>
  );
}
