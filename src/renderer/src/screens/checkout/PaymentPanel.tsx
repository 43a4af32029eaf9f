import type { PaymentView } from '../../../../shared/domain';
import { QrImage } from '../../components/QrImage';
import { hasMessage, useT, type MessageKey } from '../../i18n';
import { cardFacts } from '../../lib/card-detail';
import { formatCountdown, formatFen, formatTime } from '../../lib/format';
import { useNow } from '../../lib/use-now';
import { useAppStore } from '../../store/app-store';
import { isWithdrawnQr } from '../../store/payment-store';

/** How long a paid sale stays on the checkout before the next sale starts by itself. */
export const NEXT_SALE_AFTER_MS = 5000;

/** One key hint in the checkout's key column. */
export function Key({ k, pad, label }: { k: string; pad?: string; label: string }): React.JSX.Element {
  return (
    <div className="key">
      <kbd>{k}</kbd>
      {pad !== undefined && (
        <kbd className="pad" data-testid="pad-key">
          {pad}
        </kbd>
      )}{' '}
      {label}
    </div>
  );
}

/** The sale in progress or just finished: amount, status, QR + countdown, trace. */
export function PaymentPanel({
  payment,
  clockOffsetMs,
  finalSeenAt,
  holdNext = false,
}: {
  payment: PaymentView;
  /** host clock − this clock: the QR countdown follows the host's notion of expiry. */
  clockOffsetMs: number;
  finalSeenAt: number | null;
  /** The next sale waits for the cashier (the receipt question): no countdown. */
  holdNext?: boolean;
}): React.JSX.Element {
  const t = useT();
  // The clock ticks here, not in the checkout: an idle amount entry is not redrawn four times a second
  // (a redraw in the middle of typing is what a keypress waits behind).
  const hostNow = useNow() + clockOffsetMs;
  const yimaTerminal = useAppStore((s) => s.info?.counter.yimaTerminal ?? '');
  const yima = payment.gateway === 'yima';
  const status = t(`status.${payment.status}` as MessageKey);
  const payType = payment.payType !== null && hasMessage(`payType.${payment.payType}`) ? t(`payType.${payment.payType}` as MessageKey) : payment.payType;
  if (payment.status === 'paid') {
    const left = finalSeenAt === null ? 0 : Math.max(0, Math.ceil((finalSeenAt + NEXT_SALE_AFTER_MS - Date.now()) / 1000));
    return (
      <div className="result result-paid" data-testid="payment-result" data-status="paid">
        <div className="big-status">✓ {status}</div>
        <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
        {payment.cash !== null && (
          <div className="cash-result" data-testid="cash-result">
            <div>
              {t('checkout.cash.tendered')} ¥ {formatFen(payment.cash.tenderedFen)}
            </div>
            <div className="cash-change" data-testid="cash-change-result">
              {t('checkout.cash.change')} ¥ {formatFen(payment.cash.changeFen)}
            </div>
          </div>
        )}
        <dl>
          <dt>{t('checkout.paidAt')}</dt>
          <dd>{payment.paidAt === null ? '' : formatTime(payment.paidAt)}</dd>
          {payType !== null && (
            <>
              <dt>{t('checkout.payType')}</dt>
              <dd>{payType}</dd>
            </>
          )}
          {payment.tender === 'cash' ? (
            <>
              <dt>{t('checkout.payType')}</dt>
              <dd>{t('checkout.tender.cash')}</dd>
              <dt>{t('checkout.tradeNo')}</dt>
              <dd data-testid="payment-trace">{payment.tradeNo}</dd>
            </>
          ) : (
            <>
              <dt>{t('checkout.trace')}</dt>
              <dd data-testid="payment-trace">{payment.sysTrace}</dd>
            </>
          )}
          {cardFacts(payment.gatewayDetail).map(([fact, value]) => (
            <CardFactRow key={fact} label={t(`card.${fact}`)} value={value} testId={`card-${fact}`} />
          ))}
        </dl>
        {yima && payment.closeRequested && (
          <p className="warning" data-testid="refund-on-terminal">
            {t('checkout.refundOnTerminal')}
          </p>
        )}
        {!holdNext && <p className="hint">{t('checkout.nextSaleIn', { s: left })}</p>}
      </div>
    );
  }
  if (payment.status === 'failed' || payment.status === 'closed') {
    return (
      <div className={`result result-${payment.status}`} data-testid="payment-result" data-status={payment.status}>
        <div className="big-status">{status}</div>
        <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
        {payment.respMsg !== null && <p className="hint">{payment.respMsg}</p>}
      </div>
    );
  }
  const remaining = payment.qrExpiresAt === null ? null : payment.qrExpiresAt - hostNow;
  const withdrawn = isWithdrawnQr(payment);
  const showQr = payment.scanCode !== null && payment.status !== 'unknown' && !withdrawn;
  return (
    <div className={`pending status-${payment.status}`} data-testid="payment-pending" data-status={payment.status}>
      <div className="amount-display">¥ {formatFen(payment.amountFen)}</div>
      <div className="status-line" data-testid="payment-status">
        {status}
      </div>
      {withdrawn && (
        <p className="warning" data-testid="qr-withdrawn">
          {t('checkout.closingQr')}
        </p>
      )}
      {showQr && payment.scanCode !== null && (
        <>
          <QrImage text={payment.scanCode} size={240} testId="cashier-qr" />
          <p>{t('checkout.scanPrompt')}</p>
        </>
      )}
      {remaining !== null && payment.status !== 'unknown' && !withdrawn && (
        <p className="countdown" data-testid="countdown">
          {remaining > 0 ? t('checkout.expiresIn', { time: formatCountdown(remaining) }) : t('checkout.expired')}
        </p>
      )}
      {payment.tender === 'card' && !yima && payment.status === 'created' && <p className="status-line">{t('checkout.cardPrompt')}</p>}
      {yima && payment.status !== 'unknown' && (
        <>
          <p className="status-line" data-testid="yima-prompt">
            {yimaTerminal === '' ? t('checkout.yimaPromptNoName') : t('checkout.yimaPrompt', { terminal: yimaTerminal })}
          </p>
          <p className="hint" data-testid="yima-live">
            {t('checkout.yimaWaiting', { n: payment.queryCount })}
          </p>
        </>
      )}
      {payment.status === 'unknown' && (
        <p className="warning" data-testid="unknown-help">
          {t(
            yima
              ? 'checkout.yimaUnknown'
              : payment.tender === 'card'
                ? 'checkout.cardUnknownHelp'
                : withdrawn
                  ? 'checkout.closeUnclear'
                  : 'checkout.unknownHelp',
          )}
        </p>
      )}
      {payment.status === 'unknown' && payment.respMsg !== null && <p className="hint">{payment.respMsg}</p>}
      <p className="trace">
        {t('checkout.tradeNo')} {payment.tradeNo}
      </p>
    </div>
  );
}

function CardFactRow({ label, value, testId }: { label: string; value: string; testId: string }): React.JSX.Element {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </>
  );
}
