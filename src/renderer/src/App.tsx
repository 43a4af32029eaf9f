import { lazy, Suspense, useEffect, useState } from 'react';
import { ScreenBoundary } from './components/ScreenBoundary';
import { call } from './bridge/client';
import { Handover } from './components/Handover';
import { SignIn } from './components/SignIn';
import { TrainingBanner } from './components/TrainingBanner';
import { useLang, useT, type MessageKey } from './i18n';
import { Checkout } from './screens/Checkout';
import { subscribeAppEvents, useAppStore } from './store/app-store';
import { subscribeSessionEvents, useSessionStore } from './store/session-store';

// Back-office screens load on first use: the checkout's first load carries only the checkout.
const RefundDesk = lazy(() => import('./screens/RefundDesk').then((m) => ({ default: m.RefundDesk })));
const Transactions = lazy(() => import('./screens/Transactions').then((m) => ({ default: m.Transactions })));
const Reconciliation = lazy(() => import('./screens/Reconciliation').then((m) => ({ default: m.Reconciliation })));
const Settings = lazy(() => import('./screens/Settings').then((m) => ({ default: m.Settings })));
const HealthPanel = lazy(() => import('./components/HealthPanel').then((m) => ({ default: m.HealthPanel })));

/** Screens and the function key that opens each (Alt+1…6 as well, for keypads without F-keys). */
const SCREENS = [
  ['checkout', 'F1'],
  ['refund', 'F3'],
  ['transactions', 'F4'],
  ['reconcile', 'F6'],
  ['settings', 'F10'],
  ['status', 'F11'],
] as const;
type Screen = (typeof SCREENS)[number][0];

/** The cashier window's shell: mode banner, header with version and mode from the core, the screens. */
export function App(): React.JSX.Element {
  const t = useT();
  const { info, error, load } = useAppStore();
  const { session, load: loadSession } = useSessionStore();
  const { lang, setLang } = useLang();
  const [screen, setScreen] = useState<Screen>('checkout');
  const [handoverFor, setHandoverFor] = useState<string | null>(null);

  useEffect(() => {
    void load();
    void loadSession().catch(() => undefined);
    const offApp = subscribeAppEvents();
    const offSession = subscribeSessionEvents();
    return () => {
      offApp();
      offSession();
    };
  }, [load, loadSession]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'F12') {
        e.preventDefault();
        const code = useSessionStore.getState().session?.operator?.code;
        if (code !== undefined) setHandoverFor(code);
        return;
      }
      const index = SCREENS.findIndex(([, key]) => key === e.key);
      const alt = e.altKey && /^[1-6]$/.test(e.key) ? Number(e.key) - 1 : -1;
      const target = index >= 0 ? index : alt;
      const entry = SCREENS[target];
      if (entry !== undefined) {
        e.preventDefault();
        setScreen(entry[0]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const operator = session?.operator ?? null;
  const signedIn = operator !== null;

  return (
    <div className="app">
      <TrainingBanner visible={info?.mode === 'training'} />
      <header className="app-head">
        <h1>{t('app.title')}</h1>
        {signedIn && (
          <nav className="tabs">
            {SCREENS.map(([s, key]) => (
              <button
                key={s}
                type="button"
                tabIndex={-1}
                onMouseDown={(e) => e.preventDefault()}
                className={s === screen ? 'active' : ''}
                data-testid={`nav-${s}`}
                onClick={() => setScreen(s)}
              >
                {t(`nav.${s}` as MessageKey)} <kbd>{key}</kbd>
              </button>
            ))}
          </nav>
        )}
        <span className="spacer" />
        {info !== null && (
          <span className="app-meta" data-testid="app-meta">
            <span data-testid="app-mode" className={`mode mode-${info.mode}`}>
              {info.mode === 'training' ? t('app.training') : t('app.live')}
            </span>
            <span data-testid="app-version" title={`${t('app.version')} ${info.version}`}>
              v{info.version}
            </span>
          </span>
        )}
        {signedIn && (
          <span className="operator" data-testid="operator">
            {t('signin.signedInAs')} {operator.code} {operator.name}
            <button type="button" onClick={() => setHandoverFor(operator.code)} data-testid="handover-open">
              {t('signin.handover')} <kbd>F12</kbd>
            </button>
            <button type="button" tabIndex={-1} onClick={() => void call('session:signOut', undefined).catch(() => undefined)} data-testid="signout">
              {t('signin.signOut')}
            </button>
          </span>
        )}
        <button type="button" className="lang" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
          {t('app.language')}
        </button>
      </header>
      {session !== null && session.defaultPins.length > 0 && (
        <div className="notice" data-testid="default-pins">
          {t('signin.defaultPins', { codes: session.defaultPins.join(', ') })}
        </div>
      )}
      {handoverFor !== null && (
        <Handover
          operator={handoverFor}
          onClose={() => {
            setHandoverFor(null);
            // After 交班 the next person signs in: the code field has the focus.
            setTimeout(() => document.querySelector<HTMLInputElement>('[data-testid="signin-code"]')?.focus(), 0);
          }}
        />
      )}
      <main className="app-main">
        {error !== null ? (
          <p className="error">
            {t('app.hostError')}: {error}
          </p>
        ) : info === null || session === null ? (
          <p>{t('app.connecting')}</p>
        ) : !signedIn ? (
          <SignIn />
        ) : (
          <ScreenBoundary resetKey={screen} title={t('app.screenFailed')} hint={t('app.screenFailedHint')} reloadLabel={t('app.reload')}>
            {screen === 'checkout' ? (
              <Checkout />
            ) : (
              <Suspense fallback={<p data-testid="screen-loading">{t('app.loading')}</p>}>
                {screen === 'refund' ? (
                  <RefundDesk />
                ) : screen === 'transactions' ? (
                  <Transactions />
                ) : screen === 'reconcile' ? (
                  <Reconciliation />
                ) : screen === 'settings' ? (
                  <Settings />
                ) : (
                  <HealthPanel />
                )}
              </Suspense>
            )}
          </ScreenBoundary>
        )}
        {info !== null && info.configError !== null && <p className="error">{info.configError}</p>}
      </main>
    </div>
  );
}
