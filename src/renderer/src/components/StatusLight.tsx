import { useEffect, useState } from 'react';
import type { StatusItem, StatusReport } from '../../../shared/ipc/contract';
import { call, getBridge } from '../bridge/client';
import { hasMessage, useT } from '../i18n';
import { formatTime } from '../lib/format';
import { useHostDetail } from '../lib/host-detail';

/**
 * The checkout's status light: green when every configured gateway, the ledger, the devices and the
 * notification listener are fine; red with one line per problem the cashier understands
 * (银行网关无法连接：请检查网络) — so "the bank is down" is known before the customer scans. Headquarters
 * sync is shown too (events waiting, last contact), amber when headquarters is away: selling goes on.
 * The core probes (every 30 s and on change) and pushes `app:status`; this only shows it.
 */
export function StatusLight(): React.JSX.Element {
  const t = useT();
  const detailText = useHostDetail();
  const [report, setReport] = useState<StatusReport | null>(null);

  useEffect(() => {
    let live = true;
    const off = getBridge().on('app:status', (next) => setReport(next));
    call('app:status', undefined)
      .then((r) => {
        if (live) setReport((prev) => prev ?? r);
      })
      .catch(() => undefined);
    return () => {
      live = false;
      off();
    };
  }, []);

  const syncLine = (item: StatusItem): string => {
    const p = item.sync ?? { ackedEventId: 0, waiting: 0, lastContactAt: null };
    const vars = { waiting: p.waiting, acked: p.ackedEventId, last: p.lastContactAt === null ? t('status.sync.never') : formatTime(p.lastContactAt) };
    // A certificate problem or live mode's plain-http refusal is this counter's setup, not headquarters refusing it: say which.
    const setup = /TLS_UNTRUSTED/.test(item.detail)
      ? 'status.reason.sync.tls'
      : /INSECURE_TRANSPORT/.test(item.detail)
        ? 'status.reason.sync.insecure'
        : 'status.reason.sync.refused';
    return t(item.status === 'ok' ? 'status.sync.ok' : item.status === 'error' ? setup : 'status.reason.sync', vars);
  };

  const reason = (item: StatusItem): string => {
    if (item.kind === 'sync') return syncLine(item);
    const nameKey = `health.name.${item.name}`;
    const name = hasMessage(nameKey) ? t(nameKey) : item.name;
    for (const key of [`status.reason.${item.kind}.${item.name}`, `status.reason.${item.kind}`]) {
      if (hasMessage(key)) return t(key, { name });
    }
    const detail = detailText(item.detail);
    return detail === '' ? name : t('input.labelled', { label: name, rule: detail });
  };

  const problems = report?.items.filter((i) => i.status !== 'ok') ?? [];
  // Red only for what selling depends on; headquarters sync not ok is a notice (amber).
  const state = report === null ? 'unknown' : !report.ok ? 'error' : problems.length > 0 ? 'notice' : 'ok';
  const synced = report?.items.find((i) => i.kind === 'sync' && i.status === 'ok');
  return (
    <div
      className={`status-light status-light-${state}`}
      data-testid="status-light"
      data-state={state}
      title={problems.map((p) => `${p.name}: ${detailText(p.detail)}`).join('\n')}
    >
      <span className="status-dot" aria-hidden="true" />
      {state === 'ok' && <span>{t('status.ok')}</span>}
      {synced !== undefined && (
        <span className="status-sync" data-testid="status-sync" title={detailText(synced.detail)}>
          {syncLine(synced)}
        </span>
      )}
      {state === 'unknown' && <span>{t('status.checking')}</span>}
      {problems.map((item) => (
        <span key={item.name} className="status-reason" data-testid={`status-reason-${item.name}`}>
          {reason(item)}
        </span>
      ))}
    </div>
  );
}
