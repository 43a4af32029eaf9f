import { useCallback, useEffect, useState } from 'react';
import { call } from '../bridge/client';
import { useT } from '../i18n';
import { useHostDetail } from '../lib/host-detail';
import { printReceiptInBrowser } from '../lib/print-receipt';
import { useDeskErrorText } from '../screens/desk/labels';

/**
 * Reprint (重印) a paid sale's receipt, or print a refund's: the button and, for the one sale on screen,
 * its key (F8). A sale's receipt from here is always a reprint; a refund's is marked 重印 by the host only
 * when it was printed before. A failed print is queued by the host and said here; browser mode prints
 * through the page's dialog.
 */
export function ReprintButton({
  kind = 'payment',
  id,
  enabled,
  withKey = true,
  testId = 'tx-reprint',
}: {
  kind?: 'payment' | 'refund';
  id: number;
  enabled: boolean;
  /** F8 prints this one (one button a screen: the refund rows have none). */
  withKey?: boolean;
  testId?: string;
}): React.JSX.Element | null {
  const t = useT();
  const detailText = useHostDetail();
  const errorText = useDeskErrorText();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const reprint = useCallback(async () => {
    setBusy(true);
    setMsg(null);
    try {
      const reprint = kind === 'payment' ? true : undefined;
      const result = await call('receipt:print', { kind, id, ...(reprint === undefined ? {} : { reprint }) });
      if (result.outcome === 'browser') {
        await printReceiptInBrowser({ kind, id, reprint: reprint ?? false });
        setMsg({ ok: true, text: t('receipt.browserHint') });
      } else if (result.outcome === 'printed') setMsg({ ok: true, text: t('receipt.printed') });
      else setMsg({ ok: false, text: t('receipt.queued', { detail: detailText(result.detail) }) });
    } catch (e) {
      setMsg({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  }, [kind, id, t, errorText, detailText]);

  useEffect(() => {
    if (!enabled || !withKey) return undefined;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F8') {
        e.preventDefault();
        if (!busy) void reprint();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, withKey, busy, reprint]);

  if (!enabled) return null;
  return (
    <>
      <button type="button" className={withKey ? undefined : 'small'} disabled={busy} onClick={() => void reprint()} data-testid={testId}>
        {t(kind === 'refund' ? 'receipt.printRefund' : 'receipt.reprint')}
        {withKey && <kbd>F8</kbd>}
      </button>
      {msg !== null && (
        <span className={msg.ok ? 'ok' : 'error'} role="status" data-testid={`${testId}-result`}>
          {msg.text}
        </span>
      )}
    </>
  );
}
