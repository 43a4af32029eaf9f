import { useMemo } from 'react';
import type { RefundStatus } from '../../../../shared/domain';
import { BridgeError } from '../../bridge/client';
import { hasMessage, useT } from '../../i18n';
import { formatFen } from '../../lib/format';
import { useErrorText } from '../../lib/error-text';

/** Translators for the values the desk screens show; unknown values are shown as they are. */
export interface Labels {
  status: (status: string) => string;
  refundStatus: (status: RefundStatus) => string;
  payType: (payType: string | null) => string;
  tender: (tender: string) => string;
  /** "扫码 · 微信支付", "刷卡". */
  how: (row: { tender: string; payType: string | null }) => string;
  event: (type: string) => string;
}

/** Hook: the labels in the current language. */
export function useLabels(): Labels {
  const t = useT();
  const lookup = (key: string, fallback: string): string => (hasMessage(key) ? t(key) : fallback);
  const payType = (p: string | null): string => (p === null || p === '' ? '' : lookup(`payType.${p}`, p));
  const tender = (v: string): string => lookup(`desk.tender.${v}`, v);
  return {
    status: (s) => lookup(`status.${s}`, s),
    refundStatus: (s) => lookup(`desk.refundStatus.${s}`, s),
    payType,
    tender,
    how: (row) => [tender(row.tender), payType(row.payType)].filter((x) => x !== '').join(' · '),
    event: (type) => lookup(`tx.ev.${type}`, type),
  };
}

/**
 * Hook: error text for the desk. A refund above the remainder says how much may still be refunded
 * (from the engine's `details.remainingFen`); everything else as on the checkout.
 */
export function useDeskErrorText(): (error: unknown) => string {
  const t = useT();
  const base = useErrorText();
  // Stable as useErrorText is (`t` follows the language, as `base` does): screens list it as a dependency.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  return useMemo(() => deskErrorText(t, base), [base]);
}

function deskErrorText(t: ReturnType<typeof useT>, base: (error: unknown) => string): (error: unknown) => string {
  return (error) => {
    if (error instanceof BridgeError && error.info.code === 'REFUND_EXCEEDS_PAID') {
      const remaining = error.info.details?.remainingFen;
      if (typeof remaining === 'number') return t('desk.error.exceeds', { remaining: formatFen(remaining) });
      return t('error.REFUND_EXCEEDS_PAID');
    }
    return base(error);
  };
}
