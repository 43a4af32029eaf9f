/**
 * The headquarters dashboard: a manager signs in (headquarters' own operators), picks a business day
 * and sees every store and counter — totals, last contact, what is still waiting to be uploaded, day
 * close, unresolved items and reconciliation flags — with CSV / XLSX export.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { formatFen } from '../../../shared/money';
import { useLang } from '../i18n';
import { hqEn, hqZh, type HqKey } from './messages';

interface Totals {
  paidCount: number;
  paidFen: number;
  refundCount: number;
  refundFen: number;
  netFen: number;
}
interface CounterRow {
  store: string;
  lane: string;
  orderLane?: string | null;
  name: string;
  revoked: boolean;
  lastContactAt: string | null;
  backlog: number;
  dayClosedAt: number | null;
  totals: Totals;
}
interface Overview {
  day: string;
  mode: string;
  totals: Totals;
  stores: { store: string; totals: Totals; counters: CounterRow[] }[];
  byPayType: { store: string; bucket: string; paidCount: number; paidFen: number }[];
  byGateway: { gateway: string; paidCount: number; paidFen: number }[];
  unresolved: { store: string; lane: string; kind: 'payment' | 'refund'; number: string; amountFen: number; status: string; businessDay: string }[];
  flags: { store: string; lane: string; kind: string; mode: string | null; businessDay: string | null; at: string }[];
}

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function useHqT(): (key: HqKey) => string {
  const lang = useLang((s) => s.lang);
  return (key) => (lang === 'en' ? hqEn[key] : hqZh[key]);
}

function SignInForm({ onSignedIn }: { onSignedIn: () => void }): React.JSX.Element {
  const t = useHqT();
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void fetch('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, pin }) })
      .then(async (res) => {
        if (res.ok) return onSignedIn();
        setPin('');
        const body = (await res.json().catch(() => ({}))) as { code?: string };
        setError(body.code === 'LOCKED_OUT' ? t('lockedOut') : res.status >= 500 ? t('unavailable') : t('pinWrong'));
      })
      .catch(() => setError(t('unavailable')));
  };
  return (
    <form className="signin" onSubmit={submit} aria-label={t('signIn')}>
      <h1>{t('title')}</h1>
      <label>
        {t('code')} <input name="code" value={code} autoFocus autoComplete="username" onChange={(e) => setCode(e.target.value)} />
      </label>
      <label>
        {t('pin')} <input name="pin" type="password" inputMode="numeric" value={pin} autoComplete="current-password" onChange={(e) => setPin(e.target.value)} />
      </label>
      {error !== null && (
        <p role="alert" className="warn">
          {error}
        </p>
      )}
      <button type="submit">{t('signIn')}</button>
    </form>
  );
}

function TotalsCells({ totals }: { totals: Totals }): React.JSX.Element {
  return (
    <>
      <td className="num">{totals.paidCount}</td>
      <td className="num">{formatFen(totals.paidFen)}</td>
      <td className="num">{formatFen(totals.refundFen)}</td>
      <td className="num">{formatFen(totals.netFen)}</td>
    </>
  );
}

export function HqDashboard(): React.JSX.Element {
  const t = useHqT();
  const { lang, setLang } = useLang();
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  const [day, setDay] = useState(today);
  const [mode, setMode] = useState<'live' | 'training'>('live');
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<HqKey | null>(null);

  const load = useCallback(() => {
    void fetch(`/api/overview?day=${day}&mode=${mode}`)
      .then(async (res) => {
        if (res.status === 401) return setSignedIn(false);
        if (!res.ok) return setError('unavailable');
        setSignedIn(true);
        setError(null);
        setData(((await res.json()) as { value: Overview }).value);
      })
      .catch(() => setError('unavailable'));
  }, [day, mode]);

  useEffect(() => {
    load();
    const timer = setInterval(load, 15_000);
    return () => clearInterval(timer);
  }, [load]);

  // Inside the page's own class, as the dashboard is (the sign-in's styles are scoped to it).
  if (signedIn === false)
    return (
      <div className="hq">
        <SignInForm onSignedIn={load} />
      </div>
    );
  const bucketLabel = (bucket: string): string => {
    const key = `bucket_${bucket}`;
    return key in hqZh ? t(key as HqKey) : bucket;
  };
  const flagText = (kind: string): string =>
    kind === 'gap'
      ? t('flagGap')
      : kind === 'report_mismatch'
        ? t('flagMismatch')
        : kind === 'lane_shared'
          ? t('flagLaneShared')
          : kind === 'number_collision'
            ? t('flagNumberCollision')
            : kind === 'refund_exceeds_payment'
              ? t('flagRefundExceeds')
              : kind === 'ledger_behind'
                ? t('flagLedgerBehind')
                : kind;
  return (
    <main className="hq">
      <header>
        <h1>{t('title')}</h1>
        <label>
          {t('day')} <input type="date" name="day" value={day} onChange={(e) => setDay(e.target.value)} />
        </label>
        <label>
          {t('mode')}{' '}
          <select name="mode" value={mode} onChange={(e) => setMode(e.target.value === 'training' ? 'training' : 'live')}>
            <option value="live">{t('live')}</option>
            <option value="training">{t('training')}</option>
          </select>
        </label>
        <button type="button" onClick={load}>
          {t('refresh')}
        </button>
        <a href={`/api/export?day=${day}&mode=${mode}&format=csv`}>{t('exportCsv')}</a>
        <a href={`/api/export?day=${day}&mode=${mode}&format=xlsx`}>{t('exportXlsx')}</a>
        <button type="button" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
          {t('language')}
        </button>
        <button type="button" onClick={() => void fetch('/api/logout', { method: 'POST' }).then(() => setSignedIn(false))}>
          {t('signOut')}
        </button>
      </header>
      {error !== null && (
        <p role="alert" className="warn">
          {t(error)}
        </p>
      )}
      {data !== null && (
        <>
          <section aria-label={t('chainTotal')}>
            <h2>{t('chainTotal')}</h2>
            <p className="big" data-testid="chain-net">
              {formatFen(data.totals.netFen)}
            </p>
            <p>
              {t('paid')} {formatFen(data.totals.paidFen)} · {t('paidCount')} {data.totals.paidCount} · {t('refunds')} {formatFen(data.totals.refundFen)}
            </p>
          </section>
          <section aria-label={t('store')}>
            <h2>
              {t('store')} / {t('counter')}
            </h2>
            <table>
              <thead>
                <tr>
                  <th>{t('store')}</th>
                  <th>{t('counter')}</th>
                  <th>{t('lastContact')}</th>
                  <th className="num">{t('lag')}</th>
                  <th>{t('dayClosed')}</th>
                  <th className="num">{t('paidCount')}</th>
                  <th className="num">{t('paid')}</th>
                  <th className="num">{t('refunds')}</th>
                  <th className="num">{t('net')}</th>
                </tr>
              </thead>
              <tbody>
                {data.stores.map((s) => [
                  ...s.counters.map((c) => (
                    <tr key={`${c.store}/${c.lane}`} data-counter={`${c.store}/${c.lane}`}>
                      <td>{c.store}</td>
                      <td>
                        {c.lane} {c.name}{' '}
                        {c.orderLane !== undefined && c.orderLane !== null && (
                          <span className="mono" data-order-lane={c.orderLane}>
                            {t('orderLane')} {c.orderLane}
                          </span>
                        )}{' '}
                        {c.revoked && <span className="warn">({t('revoked')})</span>}
                      </td>
                      <td>{c.lastContactAt === null ? t('never') : new Date(c.lastContactAt).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN')}</td>
                      <td className={`num ${c.backlog > 0 ? 'warn' : ''}`}>{c.backlog}</td>
                      <td className={c.dayClosedAt === null ? '' : 'ok'}>{c.dayClosedAt === null ? t('open') : t('closed')}</td>
                      <TotalsCells totals={c.totals} />
                    </tr>
                  )),
                  <tr key={`${s.store}-total`} data-store={s.store}>
                    <th colSpan={5}>
                      {s.store} {t('storeTotal')}
                    </th>
                    <TotalsCells totals={s.totals} />
                  </tr>,
                ])}
              </tbody>
            </table>
          </section>
          <section aria-label={t('byPayType')}>
            <h2>{t('byPayType')}</h2>
            <table>
              <tbody>
                {data.byPayType.map((r) => (
                  <tr key={`${r.store}-${r.bucket}`}>
                    <td>{r.store}</td>
                    <td>{bucketLabel(r.bucket)}</td>
                    <td className="num">{r.paidCount}</td>
                    <td className="num">{formatFen(r.paidFen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>{t('byGateway')}</h2>
            <table>
              <tbody>
                {data.byGateway.map((r) => (
                  <tr key={r.gateway}>
                    <td>{r.gateway}</td>
                    <td className="num">{r.paidCount}</td>
                    <td className="num">{formatFen(r.paidFen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section aria-label={t('unresolved')}>
            <h2>{t('unresolved')}</h2>
            {data.unresolved.length === 0 ? (
              <p>{t('none')}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>{t('store')}</th>
                    <th>{t('counter')}</th>
                    <th>{t('number')}</th>
                    <th>{t('status')}</th>
                    <th className="num">{t('amount')}</th>
                    <th>{t('day')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.unresolved.map((u) => (
                    <tr key={`${u.store}/${u.lane}/${u.number}`}>
                      <td>{u.store}</td>
                      <td>{u.lane}</td>
                      <td>
                        {u.kind === 'payment' ? t('payment') : t('refund')} {u.number}
                      </td>
                      <td>{u.status}</td>
                      <td className="num">{formatFen(u.amountFen)}</td>
                      <td>{u.businessDay}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-label={t('flags')}>
            <h2>{t('flags')}</h2>
            {data.flags.length === 0 ? (
              <p>{t('none')}</p>
            ) : (
              <ul>
                {data.flags.map((f) => (
                  <li key={`${f.store}/${f.lane}/${f.kind}/${f.mode ?? ''}/${f.businessDay ?? ''}`} className="warn">
                    {f.store}/{f.lane} · {flagText(f.kind)} {f.businessDay ?? ''}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </main>
  );
}
