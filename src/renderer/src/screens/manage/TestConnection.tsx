import { useState } from 'react';
import { call } from '../../bridge/client';
import { useT, type MessageKey } from '../../i18n';
import { useHostDetail } from '../../lib/host-detail';
import { useManageErrorText } from './common';

/**
 * "Test connection" for a card gateway (BPC, Yima): one real signed query through the core, then ok or
 * failed with the latency and the host's answer, or the error. Each gateway brings its own words
 * (`keys`, `intro`) and test ids; the result and the error share the `result` test id.
 */
export function TestConnection({
  gateway,
  keys,
  intro,
  testIds,
}: {
  gateway: 'bpc' | 'yima';
  /** `ok` and `failed` take the latency as `{ms}`. */
  keys: { title: MessageKey; run: MessageKey; working: MessageKey; ok: MessageKey; failed: MessageKey };
  intro: MessageKey;
  testIds: { section: string; run: string; result: string };
}): React.JSX.Element {
  const t = useT();
  const detailText = useHostDetail();
  const errorText = useManageErrorText();
  const [result, setResult] = useState<{ ok: boolean; latencyMs: number; detail: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const test = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await call('settings:testConnection', { gateway }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="panel settings-section" data-testid={testIds.section}>
      <h3>{t(keys.title)}</h3>
      <p className="hint">{t(intro)}</p>
      <button type="button" disabled={busy} onClick={() => void test()} data-testid={testIds.run}>
        {busy ? t(keys.working) : t(keys.run)}
      </button>
      {result !== null && (
        <p className={result.ok ? 'ok' : 'error'} data-testid={testIds.result} data-ok={result.ok}>
          {result.ok ? t(keys.ok, { ms: result.latencyMs }) : t(keys.failed, { ms: result.latencyMs })}
          {detailText(result.detail) !== '' && (
            <>
              {' — '}
              <span className="mono">{detailText(result.detail)}</span>
            </>
          )}
        </p>
      )}
      {error !== null && (
        <p className="error" data-testid={testIds.result} data-ok="false">
          {error}
        </p>
      )}
    </div>
  );
}
