import { useCallback, useEffect, useRef, useState } from 'react';
import type { PaymentDetailData } from '../../../../shared/reports';
import { call, getBridge } from '../../bridge/client';

export interface DetailState {
  detail: PaymentDetailData | null;
  error: unknown;
  loading: boolean;
  /** Re-read the detail now (e.g. after an error that may mean the totals moved). */
  reload: () => void;
}

/**
 * Hook: `refund:detail` of one payment, kept current. It is re-read whenever the core reports a change
 * to the payment or to one of its refunds, so totals and statuses always come from the ledger (the
 * screen never adds refunds up itself). `paymentId` null shows nothing.
 */
export function usePaymentDetail(paymentId: number | null): DetailState {
  const [detail, setDetail] = useState<PaymentDetailData | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  // Answers can arrive out of order (several refund events in a row); only the newest read counts.
  const seq = useRef(0);

  const load = useCallback((id: number) => {
    const mine = ++seq.current;
    setLoading(true);
    call('refund:detail', { paymentId: id })
      .then((d) => {
        if (mine !== seq.current) return;
        setDetail(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setError(e);
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  }, []);

  useEffect(() => {
    seq.current++;
    setDetail(null);
    setError(null);
    if (paymentId === null) {
      setLoading(false);
      return;
    }
    load(paymentId);
    const bridge = getBridge();
    const offRefund = bridge.on('refund:updated', (r) => {
      if (r.paymentId === paymentId) load(paymentId);
    });
    const offPayment = bridge.on('payment:updated', (p) => {
      if (p.id === paymentId) load(paymentId);
    });
    return () => {
      offRefund();
      offPayment();
    };
  }, [paymentId, load]);

  const reload = useCallback(() => {
    if (paymentId !== null) load(paymentId);
  }, [paymentId, load]);

  return { detail, error, loading, reload };
}
