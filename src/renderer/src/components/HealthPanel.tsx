import { useCallback, useEffect, useState } from 'react';
import type { Health, HealthItem } from '../../../shared/ipc/contract';
import { call } from '../bridge/client';
import { hasMessage, useT } from '../i18n';
import { formatTime } from '../lib/format';
import { useHostDetail } from '../lib/host-detail';
import { DiagnosticsExport } from './DiagnosticsExport';
import { useAppStore } from '../store/app-store';
import '../i18n/back-office';

/** What the core reports about the ledger, gateways and devices — nothing here is made up by the UI. */
export function HealthPanel(): React.JSX.Element {
  const t = useT();
  const detailText = useHostDetail();
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    call('app:health', undefined)
      .then((h) => {
        setHealth(h);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  useEffect(refresh, [refresh]);

  const name = (item: HealthItem): string => {
    const key = `health.name.${item.name}`;
    return hasMessage(key) ? t(key) : item.name;
  };

  // The data directory is shown here only (the status screen), not on every screen.
  const dataDir = useAppStore((st) => st.info?.dataDir);
  const hqProgress = health?.sync?.sync;
  return (
    <section className="panel" data-testid="health-panel">
      <header className="panel-head">
        <h2>{t('health.title')}</h2>
        <button type="button" onClick={refresh} data-testid="health-refresh">
          {t('health.refresh')}
        </button>
      </header>
      {error !== null && <p className="error">{error}</p>}
      {dataDir !== undefined && (
        <p className="hint" data-testid="health-datadir">
          {t('app.dataDir')}: <code>{dataDir}</code>
        </p>
      )}
      {health !== null && (
        <dl className="health">
          <dt>{t('health.ledger')}</dt>
          <dd data-testid="health-ledger" className={`status-${health.ledger.status}`}>
            {t(`health.status.${health.ledger.status}`)} · {t('health.schemaVersion', { v: health.ledger.schemaVersion })} · <code>{health.ledger.path}</code>
          </dd>
          {[...health.gateways, ...health.devices, ...(health.sync === undefined ? [] : [health.sync])].map((item) => (
            <div key={item.name} className="health-row">
              <dt>{name(item)}</dt>
              <dd className={`status-${item.status}`} data-testid={`health-${item.name}`}>
                {[t(`health.status.${item.status}`), detailText(item.detail)].filter((s) => s !== '').join(' — ')}
                {item.latencyMs !== undefined ? ` (${item.latencyMs} ms)` : ''}
                {item === health.sync && hqProgress !== undefined && (
                  <span className="health-sync" data-testid="health-hq-progress">
                    {' · '}
                    {t('hq.health.progress', {
                      acked: hqProgress.ackedEventId,
                      waiting: hqProgress.waiting,
                      last: hqProgress.lastContactAt === null ? t('status.sync.never') : formatTime(hqProgress.lastContactAt),
                    })}
                  </span>
                )}
              </dd>
            </div>
          ))}
          <dt>{t('health.checkedAt')}</dt>
          <dd>{formatTime(Date.parse(health.checkedAt))}</dd>
        </dl>
      )}
      <DiagnosticsExport />
    </section>
  );
}
